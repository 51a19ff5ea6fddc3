"""What keras.ops calls (and Keras 2 ``TFOpLambda`` functions) do to the time axis."""
from __future__ import annotations

from .axes import _axis_covers_time


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
