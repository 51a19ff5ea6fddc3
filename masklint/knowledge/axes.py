"""Whether an axis argument or an einsum equation touches the time axis (axis 1)."""
from __future__ import annotations


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


def _group_norm_mixes(cfg: dict, rank: int | None) -> bool | None:
    """GroupNormalization takes its statistics over every axis but the batch and the group axis
    (``group_normalization.py`` ``_apply_normalization``): over the time axis too, unless the time
    axis is the channel axis and every step is its own group (``groups=-1``)."""
    axis, groups = cfg.get("axis", -1), cfg.get("groups", 32)
    if _axis_covers_time(axis, rank):  # the channel axis is time: steps are grouped
        return False if groups == -1 else None  # None: mixes unless groups equals the length
    if rank is None:  # axis -1 on (batch, time) is time again; on (batch, time, ...) time is reduced
        return None if groups == -1 else True
    return rank >= 3 or None
