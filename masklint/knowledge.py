"""Keras knowledge, as data, in one place: what every built-in layer does to a mask.

``LAYERS`` maps a config ``class_name`` (Keras 3 names, their aliases, and the Keras 2 / tf.keras names
that still appear in legacy ``.h5`` files) to a :class:`Spec`:

``mask``
    ``create``      makes a new mask (Masking; Embedding/ReversibleEmbedding when ``mask_zero``)
    ``propagate``   passes the incoming mask unchanged (the default ``Layer.compute_mask``)
    ``consume``     reads the mask, outputs none (GlobalAveragePooling1D)
    ``rnn``         RNN family: consumes, or propagates with ``return_sequences=True``
    ``drop``        ``supports_masking=False``: the mask is destroyed (Keras warns)
    ``drop_silent`` ``supports_masking=True`` but ``compute_mask`` returns None (Dot)
    ``merge``       Add-family: OR of the masks if every input is masked, else no mask (silently)
    ``concat``      Concatenate: unmasked inputs count as all-True (axis=-1 mixed -> all-True mask)
    ``attention``   Attention/AdditiveAttention/MHA/GQA: reads the value mask, output mask = query mask
    ``td``          TimeDistributed: propagates whatever it wraps
    ``error``       Softmax: its call() needs the mask to broadcast to the input (rank-3 crash)
    ``transparent`` Pipeline/SpectralNormalization: Keras warns, yet the wrapped layer keeps the mask
    ``lambda``      Lambda: propagates only when ``mask=`` is given
    ``na``          not a data layer (InputLayer, RNN cells, base classes, external wrappers)

``time``  what the layer does to the time axis (axis 1) and whether it mixes time steps:
    ``step`` per-step, no mixing; ``conv``/``pool`` mix when the window along time is > 1;
    ``gpool`` reduces over time (mixes); ``flatten``; ``reshape``; ``permute``; ``repeat`` (new axis);
    ``embed`` (adds a feature axis); ``rnn``; ``resize`` (crop/pad/upsample: moves steps, no mixing);
    ``norm`` (mixes only if ``axis`` includes 1); ``einsum``; ``encode`` (CategoryEncoding: mixes);
    ``other`` (images/preprocessing: not a sequence op, mixing unknown)

``values``  ``learned`` (a new representation: never equals a mask value), ``keep`` (data values
    pass, e.g. Dropout/Reshape), ``zero`` (keep, and zeros stay exactly zero).

``call_mask``  whether ``call()`` takes a ``mask`` argument (Keras then records and replays the mask).

``consumer``  a layer that needs the mask to ignore padding (MK101/MK104 report where it is missing).

Behaviour that depends on arguments (``return_sequences``, ``mask_zero``, Lambda ``mask=``, merge axis,
Conv kernel sizes, normalization axes, Bidirectional ``merge_mode``) is resolved by :func:`resolve`.
``tests/test_knowledge.py`` checks this table against every layer class exported by the installed Keras.
"""
from __future__ import annotations

import math
from ._record import record


@record
class Spec:
    mask: str
    time: str = "step"
    values: str = "learned"
    call_mask: bool = False
    consumer: bool = False


def _s(mask, time="step", values="learned", call_mask=False, consumer=False):
    return Spec(mask, time, values, call_mask, consumer)


_P = _s("propagate")
_PK = _s("propagate", values="keep")
_PZ = _s("propagate", values="zero")
_DROP_CONV = _s("drop", "conv")
_DROP_POOL = _s("drop", "pool", "keep")
_DROP_GPOOL = _s("drop", "gpool", "keep")
_DROP_IMG = _s("drop", "other", "keep")
_DROP_PRE = _s("drop", "other", "learned")
_RNN = _s("rnn", "rnn", call_mask=True, consumer=True)
_MERGE = _s("merge", "step", "keep")
_ATT = _s("attention", "step", "learned", call_mask=True, consumer=True)
_NA = _s("na", "other", "keep")

LAYERS: dict[str, Spec] = {
    # --- mask creators
    "Masking": _s("create", "step", "keep"),
    "Embedding": _s("create", "embed", "learned"),  # only with mask_zero=True, see resolve()
    "ReversibleEmbedding": _s("create", "embed", "learned"),
    # --- propagate unchanged
    "Activation": _s("propagate", values="zero"),  # zero kept for zero-preserving activations
    "ActivityRegularization": _PZ,
    "AlphaDropout": _P,
    "BatchNormalization": _s("propagate", "norm", call_mask=True),
    "Dense": _P,
    "Dropout": _PZ,
    "ELU": _PZ,
    "GaussianDropout": _PZ,
    "GaussianNoise": _PK,
    "GroupNormalization": _s("propagate", "norm"),
    "Identity": _PZ,
    "LayerNormalization": _s("propagate", "norm"),
    "LeakyReLU": _PZ,
    "Normalization": _P,
    "PReLU": _PZ,
    "ReLU": _PZ,
    "Rescaling": _s("propagate", values="zero"),  # zero kept when offset == 0
    "SpatialDropout1D": _PZ,
    "SpatialDropout2D": _PZ,
    "SpatialDropout3D": _PZ,
    "UnitNormalization": _s("propagate", "norm", "zero"),
    "ThresholdedReLU": _PZ,  # Keras 2
    # --- consumers
    "GlobalAveragePooling1D": _s("consume", "gpool", "keep", call_mask=True, consumer=True),
    "LSTM": _RNN,
    "GRU": _RNN,
    "SimpleRNN": _RNN,
    "RNN": _RNN,
    "ConvLSTM1D": _RNN,
    "ConvLSTM2D": _RNN,
    "ConvLSTM3D": _RNN,
    "Bidirectional": _s("rnn", "rnn", call_mask=True, consumer=True),
    "Attention": _ATT,
    "AdditiveAttention": _ATT,
    "MultiHeadAttention": _ATT,
    "GroupedQueryAttention": _ATT,
    "GroupQueryAttention": _ATT,
    # --- merges
    "Add": _MERGE,
    "Subtract": _MERGE,
    "Multiply": _MERGE,
    "Average": _MERGE,
    "Maximum": _MERGE,
    "Minimum": _MERGE,
    "Concatenate": _s("concat", "step", "keep"),
    "Dot": _s("drop_silent", "other", "learned"),
    # --- wrappers
    "TimeDistributed": _s("td", "step", "learned", call_mask=True),
    "Pipeline": _s("transparent", "other", "learned", call_mask=True),
    "SpectralNormalization": _s("transparent", "other", "learned"),
    "Lambda": _s("lambda", "other", "learned", call_mask=True),
    # --- errors
    "Softmax": _s("error", "step", "learned", call_mask=True),
    # --- drop: convolutions
    "Conv1D": _DROP_CONV, "Conv2D": _DROP_CONV, "Conv3D": _DROP_CONV,
    "Conv1DTranspose": _DROP_CONV, "Conv2DTranspose": _DROP_CONV, "Conv3DTranspose": _DROP_CONV,
    "SeparableConv1D": _DROP_CONV, "SeparableConv2D": _DROP_CONV,
    "DepthwiseConv1D": _DROP_CONV, "DepthwiseConv2D": _DROP_CONV,
    "LocallyConnected1D": _DROP_CONV, "LocallyConnected2D": _DROP_CONV,  # Keras 2
    # --- drop: pooling
    "AveragePooling1D": _DROP_POOL, "AveragePooling2D": _DROP_POOL, "AveragePooling3D": _DROP_POOL,
    "MaxPooling1D": _DROP_POOL, "MaxPooling2D": _DROP_POOL, "MaxPooling3D": _DROP_POOL,
    "AdaptiveAveragePooling1D": _DROP_GPOOL, "AdaptiveAveragePooling2D": _DROP_GPOOL,
    "AdaptiveAveragePooling3D": _DROP_GPOOL, "AdaptiveMaxPooling1D": _DROP_GPOOL,
    "AdaptiveMaxPooling2D": _DROP_GPOOL, "AdaptiveMaxPooling3D": _DROP_GPOOL,
    "GlobalAveragePooling2D": _DROP_GPOOL, "GlobalAveragePooling3D": _DROP_GPOOL,
    "GlobalMaxPooling1D": _DROP_GPOOL, "GlobalMaxPooling2D": _DROP_GPOOL, "GlobalMaxPooling3D": _DROP_GPOOL,
    # --- drop: reshaping
    "Flatten": _s("drop", "flatten", "keep"),
    "Reshape": _s("drop", "reshape", "keep"),
    "Permute": _s("drop", "permute", "keep"),
    "RepeatVector": _s("drop", "repeat", "keep"),
    "Cropping1D": _s("drop", "resize", "keep"), "Cropping2D": _s("drop", "resize", "keep"),
    "Cropping3D": _s("drop", "resize", "keep"),
    "ZeroPadding1D": _s("drop", "resize", "keep"), "ZeroPadding2D": _s("drop", "resize", "keep"),
    "ZeroPadding3D": _s("drop", "resize", "keep"),
    "UpSampling1D": _s("drop", "resize", "keep"), "UpSampling2D": _s("drop", "resize", "keep"),
    "UpSampling3D": _s("drop", "resize", "keep"),
    # --- drop: other computation
    "EinsumDense": _s("drop", "einsum"),
    "RMSNormalization": _s("drop", "norm"),
    "CategoryEncoding": _s("drop", "encode"),
    "CuDNNLSTM": _s("drop", "rnn", consumer=True),  # Keras 2: cuDNN layers do not support masking
    "CuDNNGRU": _s("drop", "rnn", consumer=True),
    "RandomFourierFeatures": _DROP_PRE,
    # --- drop: preprocessing and augmentation
    **{n: _DROP_PRE for n in (
        "Discretization", "HashedCrossing", "Hashing", "IntegerLookup", "StringLookup", "TextVectorization",
        "MelSpectrogram", "STFTSpectrogram",
    )},
    **{n: _DROP_IMG for n in (
        "AugMix", "AutoContrast", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix",
        "Equalization", "MaxNumBoundingBoxes", "MixUp", "RandAugment", "RandomBrightness",
        "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop", "RandomElasticTransform",
        "RandomErasing", "RandomFlip", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
        "RandomPerspective", "RandomPosterization", "RandomRotation", "RandomSaturation", "RandomSharpness",
        "RandomShear", "RandomTranslation", "RandomZoom", "Resizing", "Solarization", "RandomHeight",
        "RandomWidth",
    )},
    # --- not data layers
    **{n: _NA for n in (
        "InputLayer", "Layer", "Wrapper", "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells",
        "JaxLayer", "FlaxLayer", "TorchModuleWrapper", "TFSMLayer",
    )},
}

#: Aliases exported by keras.layers (configs store the canonical class name, but code may use these).
ALIASES = {
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D", "AvgPool3D": "AveragePooling3D",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose", "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3DTranspose": "Conv3DTranspose", "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D", "GroupQueryAttention": "GroupedQueryAttention",
}

#: positional parameters of layer constructors (for model code: ``LSTM(32)`` means ``units=32``)
POSITIONAL_ARGS: dict[str, tuple[str, ...]] = {
    "Masking": ("mask_value",),
    "Embedding": ("input_dim", "output_dim"),
    "ReversibleEmbedding": ("input_dim", "output_dim"),
    "Dense": ("units", "activation"),
    "LSTM": ("units", "activation", "recurrent_activation"),
    "GRU": ("units", "activation", "recurrent_activation"),
    "SimpleRNN": ("units", "activation"),
    "RNN": ("cell",),
    "ConvLSTM1D": ("filters", "kernel_size"), "ConvLSTM2D": ("filters", "kernel_size"),
    "ConvLSTM3D": ("filters", "kernel_size"),
    "Conv1D": ("filters", "kernel_size", "strides", "padding"),
    "Conv2D": ("filters", "kernel_size", "strides", "padding"),
    "Conv3D": ("filters", "kernel_size", "strides", "padding"),
    "SeparableConv1D": ("filters", "kernel_size", "strides", "padding"),
    "DepthwiseConv1D": ("kernel_size", "strides", "padding"),
    "Conv1DTranspose": ("filters", "kernel_size", "strides", "padding"),
    "MaxPooling1D": ("pool_size", "strides", "padding"), "AveragePooling1D": ("pool_size", "strides", "padding"),
    "MaxPooling2D": ("pool_size", "strides", "padding"), "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Dropout": ("rate",), "SpatialDropout1D": ("rate",), "GaussianNoise": ("stddev",),
    "GaussianDropout": ("rate",), "AlphaDropout": ("rate",),
    "Activation": ("activation",),
    "Reshape": ("target_shape",), "Permute": ("dims",), "RepeatVector": ("n",),
    "Bidirectional": ("layer", "merge_mode"), "TimeDistributed": ("layer",),
    "Lambda": ("function", "output_shape", "mask"),
    "MultiHeadAttention": ("num_heads", "key_dim"),
    "Concatenate": ("axis",), "Softmax": ("axis",), "LayerNormalization": ("axis",),
    "Dot": ("axes",), "EinsumDense": ("equation", "output_shape"),
    "Cropping1D": ("cropping",), "ZeroPadding1D": ("padding",), "UpSampling1D": ("size",),
    "Rescaling": ("scale", "offset"),
}

#: constructor arguments that change what a layer does to a mask or the time axis: when model code
#: passes one that masklint cannot resolve, the layer is treated as unknown
BEHAVIOUR_ARGS = frozenset({
    "mask_zero", "return_sequences", "return_state", "zero_output_for_mask", "merge_mode",
    "kernel_size", "strides", "padding", "pool_size", "axis", "target_shape", "dims", "n", "layer",
    "backward_layer", "use_bias", "activation", "equation", "offset", "keepdims", "data_format", "cropping",
    "size",
})

#: Layers that need a mask to ignore padding (MK101 names them; all have ``consumer=True`` above).
RNN_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "CuDNNLSTM", "CuDNNGRU"}
CONVLSTM_CLASSES = {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
ATTENTION_CLASSES = {"Attention", "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention",
                     "GroupQueryAttention"}
#: attention layers that clear their inputs' runtime masks (multi_head_attention.py:626-631)
CLEARS_INPUT_MASKS = {"MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention"}

#: activations with f(0) == 0, so exact zeros at masked steps survive
ZERO_ACTIVATIONS = {"linear", None, "relu", "tanh", "elu", "selu", "gelu", "silu", "swish", "leaky_relu",
                    "relu6", "mish", "hard_silu", "hard_swish", "softsign", "celu", "glu", "log_sigmoid_zero",
                    "tanh_shrink", "hard_tanh", "soft_shrink", "hard_shrink", "squareplus_zero", "sparse_plus_zero"}

# --- keras.ops pseudo-layers (module keras.src.ops.*): every op drops the mask silently ----------
#: ops that reduce over an axis (mix time steps when the axis covers axis 1 or is None)
OP_REDUCE = {"Mean", "Sum", "Max", "Min", "Prod", "Std", "Var", "Argmax", "Argmin", "Logsumexp", "Median",
             "Any", "All", "Amax", "Amin", "Cumsum", "Cumprod", "Sort", "Argsort", "Average", "Norm", "Quantile",
             "Softmax", "LogSoftmax", "Top_k", "TopK", "Nanmean", "Nansum"}
#: ops that read positions of the time axis
OP_POSITIONAL = {"GetItem", "Slice", "Take", "TakeAlongAxis", "StridedSlice", "Flip", "Roll"}
#: ops that rearrange or contract axes
OP_RESHAPE = {"Reshape", "Transpose", "Swapaxes", "Moveaxis", "Ravel", "Squeeze", "Flatten"}
OP_CONTRACT = {"Matmul", "Einsum", "Tensordot", "Dot", "Inner", "Outer", "Conv", "ConvTranspose", "DepthwiseConv",
               "SeparableConv", "MaxPool", "AveragePool"}
#: Keras 2 TFOpLambda functions that are positional reads
TF_POSITIONAL = {"__operators__.getitem", "strided_slice", "gather", "slice", "reverse"}
TF_REDUCE_PREFIX = ("math.reduce_", "reduce_")


@record
class Behaviour:
    """What one layer (with its arguments) does; produced by :func:`resolve`."""

    mask: str  # create / propagate / consume / drop / drop_silent / merge / concat / attention / td / error /
    #            transparent / na / unknown
    time: str
    values: str
    call_mask: bool
    consumer: bool
    mixes_time: bool | None  # None = unknown
    return_sequences: bool = False
    zero_output: bool = False  # masked steps of the output are exact zeros
    return_state: bool = False
    known: bool = True


#: the mask kinds a user may declare for a custom layer (``known-mask-layers``, the live front end)
CUSTOM_KINDS = {
    "propagate": _s("propagate", "step", "learned"),
    "propagate-keep": _s("propagate", "step", "keep"),
    "consume": _s("consume", "other", "learned", call_mask=True, consumer=True),
    "drop": _s("drop", "other", "learned"),
    "create": _s("create", "step", "keep"),
    "attention": _s("attention", "step", "learned", call_mask=True, consumer=True),
}


def custom_spec(kind: str, mixes_time: bool | None = None) -> Spec:
    """A :class:`Spec` for a user-declared custom layer (``kind`` from :data:`CUSTOM_KINDS`)."""
    base = CUSTOM_KINDS[kind]
    time = base.time
    if mixes_time is True:
        time = "gpool" if kind != "drop" else "encode"
    elif mixes_time is False:
        time = "step"
    return Spec(base.mask, time, base.values, base.call_mask, base.consumer)


def canonical(class_name: str) -> str:
    if not isinstance(class_name, str):  # a damaged config
        return ""
    return ALIASES.get(class_name, class_name)


def lookup(class_name: str) -> Spec | None:
    return LAYERS.get(canonical(class_name))


def _int_tuple(v, n=1):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return (v,) * n
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return tuple(v)
    return None


def _axis_covers_time(axis, rank: int | None) -> bool | None:
    """Does a reduction/normalization ``axis`` include the time axis (1)?"""
    if axis is None:
        return True
    axes = _int_tuple(axis)
    if axes is None:
        return None
    for a in axes:
        if a == 1:
            return True
        if a < 0 and rank is not None and rank + a == 1:
            return True
        if a < 0 and rank is None and a != -1:
            return None
    return False


def resolve(class_name: str, config: dict, rank: int | None = None, spec: Spec | None = None) -> Behaviour:
    """The behaviour of one layer given its config and (if known) its input rank.

    ``spec`` overrides the table (custom layers taught by configuration or by a live model).
    """
    if spec is None:
        spec = lookup(class_name)
    if spec is None:
        return Behaviour("unknown", "other", "learned", False, False, None, known=False)
    b = Behaviour(spec.mask, spec.time, spec.values, spec.call_mask, spec.consumer, None)
    cfg = config if isinstance(config, dict) else {}
    name = canonical(class_name)
    t = spec.time
    if t == "step":
        b.mixes_time = False
    elif t == "conv":
        ks = _int_tuple(cfg.get("kernel_size"), 1)
        st = _int_tuple(cfg.get("strides", 1), 1)
        b.mixes_time = None if ks is None else (ks[0] > 1 or (st is not None and st[0] > 1))
        if cfg.get("padding") == "causal" and st is not None and st[0] == 1:
            b.mixes_time = False  # a valid step only sees earlier steps: right padding cannot leak in
    elif t == "pool":
        ps = _int_tuple(cfg.get("pool_size"), 1)
        st = _int_tuple(cfg.get("strides") if cfg.get("strides") is not None else cfg.get("pool_size"), 1)
        b.mixes_time = None if ps is None else (ps[0] > 1 or (st is not None and st[0] > 1))
    elif t in ("gpool", "encode"):
        b.mixes_time = True
    elif t == "flatten":
        b.mixes_time = None if rank is None else rank >= 3
    elif t == "norm":
        axis = cfg.get("axis", -1)
        if name == "GroupNormalization":
            b.mixes_time = False if cfg.get("axis", -1) in (-1, None) and rank == 3 else None
        else:
            b.mixes_time = _axis_covers_time(axis, rank)
    elif t in ("resize", "embed", "rnn"):
        b.mixes_time = False
    elif t == "einsum":
        b.mixes_time = _einsum_mixes(cfg.get("equation"))
    elif t in ("reshape", "permute", "repeat"):
        b.mixes_time = None  # decided with shapes by the flow analysis
    else:
        b.mixes_time = None

    if name in ("Embedding", "ReversibleEmbedding"):
        if not cfg.get("mask_zero"):
            b.mask = "drop"
    elif name == "Lambda":
        b.mask = "propagate" if cfg.get("mask") is not None else "drop"
        if b.mask == "drop" and is_identity_fn(cfg.get("function")):
            b.mask, b.values, b.mixes_time = "transparent", "keep", False
    elif name == "Activation":
        act = cfg.get("activation")
        if act is not None and not isinstance(act, str):  # a custom function, serialised as a dict
            b.values = "unknown"
        else:
            b.values = "zero" if (act in ZERO_ACTIVATIONS or act is None) else "learned"
            if act in ("softmax", "log_softmax"):
                b.values = "learned"
    elif name == "Rescaling":
        b.values = "zero" if not cfg.get("offset") else "keep"
    elif name == "Dense":
        act = cfg.get("activation")
        if cfg.get("use_bias") is False and act is not None and not isinstance(act, str):
            b.values = "unknown"  # a custom activation: whether it keeps zeros is unknown
        else:
            b.values = "zero" if cfg.get("use_bias") is False and act in ZERO_ACTIVATIONS else "learned"
    elif spec.mask == "rnn":
        inner = cfg
        if name == "Bidirectional":
            inner = cfg.get("layer").get("config") if isinstance(cfg.get("layer"), dict) else None
            inner = inner if isinstance(inner, dict) else {}
        rs = bool(inner.get("return_sequences", False))
        b.return_sequences = rs
        b.return_state = bool(inner.get("return_state", False))
        b.mask = "propagate" if rs else "consume"
        b.zero_output = rs and (bool(inner.get("zero_output_for_mask")) or name == "Bidirectional")
        b.mixes_time = False
    return b


def _einsum_mixes(eq) -> bool | None:
    """EinsumDense mixes time if the input's axis-1 letter does not survive at output position 1."""
    if not isinstance(eq, str) or "->" not in eq or "," not in eq:
        return None
    lhs, out = eq.replace(" ", "").split("->", 1)
    inp, kernel = lhs.split(",", 1)
    if "." in inp or len(inp) < 2 or len(out) < 2:
        return None
    t = inp[1]
    return not (out[1] == t and t not in kernel)


def op_mixes_time(class_name: str, config: dict, consts: list, kwargs: dict, rank: int | None) -> tuple[bool | None, str]:
    """For a keras.ops pseudo-layer (or tf.keras TFOpLambda): (mixes time?, how)."""
    cfg = config if isinstance(config, dict) else {}
    if class_name in ("TFOpLambda", "SlicingOpLambda"):
        fn = str(cfg.get("function", ""))
        if fn in TF_POSITIONAL or fn.endswith("getitem"):
            return _getitem_time(kwargs.get("slice_spec")), "positional"
        if fn.startswith(TF_REDUCE_PREFIX):
            return _axis_covers_time(kwargs.get("axis", cfg.get("axis")), rank), "reduce"
        if fn in ("reshape", "transpose", "compat.v1.transpose", "linalg.matmul", "matmul", "einsum"):
            return None, "reshape"
        return False, "elementwise"
    if class_name in OP_REDUCE:
        axis = cfg.get("axis", kwargs.get("axis", "__missing__"))
        if axis == "__missing__":
            axis = consts[0] if consts else None
        return _axis_covers_time(axis, rank), "reduce"
    if class_name in OP_POSITIONAL:
        if class_name == "GetItem":
            return _getitem_time(consts[0] if consts else None), "positional"
        return None, "positional"
    if class_name in OP_RESHAPE or class_name in OP_CONTRACT:
        return None, "reshape"
    return False, "elementwise"


def _is_ellipsis(k) -> bool:
    return k == "..." or (isinstance(k, dict) and k.get("class_name") == "__ellipsis__")


def _getitem_time(key) -> bool | None:
    """Does ``x[key]`` pick or shift positions along axis 1?"""
    if key is None:
        return None
    items = key if isinstance(key, list) else [key]
    if items and _is_ellipsis(items[0]):
        return False if len(items) <= 2 else None  # x[..., k] indexes the last axis only
    if len(items) < 2:
        return False
    k = items[1]
    if _is_ellipsis(k):
        return False
    if isinstance(k, dict) and k.get("class_name") == "__slice__":
        c = k.get("config", {}) or {}
        return not (c.get("start") is None and c.get("stop") is None and c.get("step") in (None, 1))
    if isinstance(k, int) and not isinstance(k, bool):
        return True
    if k is None:
        return False
    return None


# --- Lambda functions: read as data, never unmarshalled or run --------------------------------
# Keras stores a Lambda's function as base64(marshal.dumps(fn.__code__)). masklint reads those bytes
# with its own bounded reader (masklint.lambda_code), which looks only at the code object's fields:
# its argument names and its bytecode -- not at the file name, docstring or constants it carries.


def lambda_code_bytes(fn) -> bytes | None:
    """The base64-decoded marshal bytes of a serialized ``__lambda__`` (or Keras 2 list form)."""
    code = None
    if isinstance(fn, dict) and fn.get("class_name") == "__lambda__" and isinstance(fn.get("config"), dict):
        code = fn["config"].get("code")
    elif isinstance(fn, list) and fn and isinstance(fn[0], str):
        code = fn[0]
    if not isinstance(code, str) or len(code) > 1 << 20:
        return None
    import binascii

    try:
        return binascii.a2b_base64(code)
    except (ValueError, TypeError, binascii.Error):
        return None


def lambda_code(fn):
    """The :class:`~masklint.lambda_code.CodeRecord` of a serialized Lambda function; None if unreadable."""
    from masklint.lambda_code import read_code

    raw = lambda_code_bytes(fn)
    return None if raw is None else read_code(raw)


def lambda_mentions_mask(fn) -> bool | None:
    """Whether a serialized Lambda function takes the mask: Keras passes ``mask=`` only when
    ``inspect.getfullargspec(fn).args`` -- the positional parameters -- has a ``mask``
    (a keyword-only ``mask`` or one in ``**kwargs`` gets nothing). None if unreadable."""
    rec = lambda_code(fn)
    return None if rec is None else "mask" in rec.positional_names


def _returns_argument(fn, index: int) -> bool:
    from masklint.lambda_code import returned_argument

    rec = lambda_code(fn)
    return rec is not None and rec.argcount > index and returned_argument(rec) == index


def is_identity_fn(fn) -> bool:
    """``Lambda(lambda x: x)``: the output is the input tensor itself."""
    return _returns_argument(fn, 0)


def is_identity_mask_fn(fn) -> bool:
    """``mask=lambda inputs, mask: mask``: the mask passes unchanged, whatever the function does.
    Keras calls the mask function as ``fn(inputs, mask)``, so it returns its second argument."""
    return _returns_argument(fn, 1)


def cudnn_eligible(class_name: str, config: dict) -> bool | None:
    """Would this LSTM/GRU (or Bidirectional of one) take the cuDNN path on a GPU (§6)? None: unknown."""
    cfg = config if isinstance(config, dict) else {}
    name = canonical(class_name)
    if name == "Bidirectional":
        inner = cfg.get("layer")
        if not isinstance(inner, dict):
            return None
        return cudnn_eligible(inner.get("class_name", ""), inner.get("config", {}))
    if name not in ("LSTM", "GRU"):
        return False
    checks = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True, "unroll": False,
              "recurrent_dropout": 0}
    if name == "GRU":
        checks["reset_after"] = True
    for key, want in checks.items():
        if key in cfg:
            v = cfg[key]
            if v is None:
                return None  # written in code masklint could not resolve
            if v != want:
                return False
    if "use_cudnn" in cfg:
        if cfg["use_cudnn"] is None:
            return None
        if cfg["use_cudnn"] is False:
            return False
    return True


def bad_mask_value(value, input_dtype: str | None) -> str | None:
    """Why a Masking ``mask_value`` can never match or breaks the arithmetic (MK106), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return "NaN never equals anything (NaN != NaN), so no step is ever masked"
        if isinstance(value, float) and math.isinf(value) or abs(value) >= 1e18:
            return (f"{value!r} is so large that float32 products overflow: masked losses become "
                    "inf * 0 = NaN")
        if isinstance(value, float) and not value.is_integer() and input_dtype and (
                input_dtype.startswith("int") or input_dtype.startswith("uint")):
            return f"the input is {input_dtype}, so the fractional value {value!r} can never match"
    return None
