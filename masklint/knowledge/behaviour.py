"""What one layer does given its arguments: the table's :class:`~.layers.Spec` resolved to a
:class:`Behaviour`."""
from __future__ import annotations

from .._record import record
from .axes import _axis_covers_time, _einsum_mixes, _group_norm_mixes, _int_tuple
from .lambdas import is_identity_fn
from .layers import ZERO_ACTIVATIONS, Spec, canonical, lookup


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
    elif t in ("gpool", "encode", "mix"):  # mix: third-party layers that keep time and mix it
        b.mixes_time = True
    elif t == "flatten":
        b.mixes_time = None if rank is None else rank >= 3
    elif t == "norm":
        axis = cfg.get("axis", -1)
        if name == "GroupNormalization":
            b.mixes_time = _group_norm_mixes(cfg, rank)
        elif name in ("BatchNormalization", "SyncBatchNormalization"):
            # ``axis`` is the axis it keeps: moving statistics in inference, and in training moments weighted
            # by the mask (batch_normalization.py ``_moments``): never across steps, whatever the axis
            b.mixes_time = False
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
    elif name == "SpectralNormalization":
        b = _spectral_norm(b, cfg, rank)
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


def _spectral_norm(b: Behaviour, cfg: dict, rank: int | None) -> Behaviour:
    """SpectralNormalization's ``call`` is its wrapped layer's (spectral_normalization.py): the mask survives
    only what the wrapped layer passes, and time steps mix as the wrapped layer mixes them."""
    inner = cfg.get("layer")
    if not isinstance(inner, dict) or not isinstance(inner.get("class_name"), str) \
            or canonical(inner["class_name"]) == "SpectralNormalization":  # no recursion on a damaged config
        return b
    ib = resolve(inner["class_name"], inner.get("config") if isinstance(inner.get("config"), dict) else {}, rank)
    if not ib.known:
        return b
    if ib.mask == "drop":  # a Conv inside: no mask comes out, and a kernel > 1 mixes steps
        return ib
    b.mixes_time, b.values = ib.mixes_time, ib.values
    return b
