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
    ``norm`` (mixes only if ``axis`` includes 1; GroupNormalization always on rank >= 3, BatchNormalization
    never); ``einsum``; ``encode`` (CategoryEncoding: mixes);
    ``other`` (images/preprocessing: not a sequence op, mixing unknown)

``values``  ``learned`` (a new representation: never equals a mask value), ``keep`` (data values
    pass, e.g. Dropout/Reshape), ``zero`` (keep, and zeros stay exactly zero).

``call_mask``  whether ``call()`` takes a ``mask`` argument (Keras then records and replays the mask).

``consumer``  a layer that needs the mask to ignore padding (the missing-mask and mask-dropped rules report
    where it is missing).

Behaviour that depends on arguments (``return_sequences``, ``mask_zero``, Lambda ``mask=``, merge axis,
Conv kernel sizes, normalization axes, Bidirectional ``merge_mode``) is resolved by
:func:`~masklint.knowledge.behaviour.resolve`.
``tests/test_knowledge.py`` checks this table against every layer class exported by the installed Keras,
``tests/test_knowledge_tf_keras.py`` against tf.keras 2 (its differences: :mod:`.keras2`), and
``tests/test_knowledge_behaviour.py`` measures the ``time`` flag (does padding reach the real steps?).
"""
from __future__ import annotations

from .._record import record


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
    # tf_keras 2 only (layers/normalization/batch_normalization.py: a deprecated BatchNormalization alias)
    "SyncBatchNormalization": _s("propagate", "norm", call_mask=True),
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
    # tf_keras 2 only: no supports_masking, so the mask is dropped (silently, engine/base_layer.py
    # _set_mask_metadata); DynamicEmbedding wraps an Embedding without mask_zero
    # (layers/experimental/dynamic_embedding.py), DynamicLookup maps ids one by one
    # (layers/experimental/dynamic_lookup.py), DenseFeatures reads feature columns (feature_column/)
    "DynamicEmbedding": _s("drop", "embed"),
    "DynamicLookup": _s("drop", "step"),
    "DenseFeatures": _DROP_PRE,
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
        "AbstractRNNCell", "PreprocessingLayer",  # tf_keras 2 base classes
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
    "SpectralNormalization": ("layer", "power_iterations"),
    "Lambda": ("function", "output_shape", "mask"),
    "MultiHeadAttention": ("num_heads", "key_dim"),
    "Concatenate": ("axis",), "Softmax": ("axis",), "LayerNormalization": ("axis",),
    "GroupNormalization": ("groups", "axis"), "BatchNormalization": ("axis",), "UnitNormalization": ("axis",),
    "RMSNormalization": ("axis",), "SyncBatchNormalization": ("axis",),
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

#: Layers that need a mask to ignore padding (the missing-mask rule names them; all have ``consumer=True``
#: above).
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
