"""The analysis state of one tensor: its mask (a :class:`Mask`, None, or :data:`UNKNOWN` after a layer
masklint cannot analyse), where a mask was lost, its values, time axis and padding facts."""
from __future__ import annotations

from .._record import factory, record
from ..ir import Layer
from ..rules.base import Record


class _Unknown:
    """The mask state after a layer masklint cannot analyse: neither a mask nor its absence."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


#: mask state after a layer masklint cannot analyse (compare with ``is``)
UNKNOWN = _Unknown()


@record
class Mask:
    origin: Layer  # the layer that created the mask
    kind: str = "seq"  # "seq" (batch, time) | "sample" (batch,) | "highrank" (batch, time, more...)
    issues: list = factory(list)  # pending records that name this mask's first consumer
    consumer: str | None = None  # the first layer (or "loss") that used this mask


@record
class Lost:
    origin: Layer  # who created the mask that was lost
    at: Layer  # who dropped it
    how: str  # "drops" | "op" | "dot" | "merge" | "concat"
    issue: Record | None = None
    inside: Layer | None = None  # the custom layer (from source) whose call lost a mask it was given


@record
class Time:
    """The time axis (axis 1) of a tensor: where it came from and its length."""

    origin: str
    length: int | None = None
    head: Layer | None = None  # a layer that made a new time axis matching a masked one (RepeatVector)


@record
class State:
    shape: tuple | None = None
    dtype: str | None = None
    mask: object = None  # Mask | None | UNKNOWN
    lost: Lost | None = None
    mixed: Record | None = None
    values: str = "data"  # "data" | "ids" | "learned" | "unknown"
    values_src: Layer | None = None
    zero: bool = False  # masked steps hold exact zeros
    padded: tuple | None = None  # (culprit Layer, evidence text)
    time: Time | None = None
    had_mask: Layer | None = None  # a mask covered this data's time axis upstream
    had_mask_len: int | None = None
    rt_lost: Layer | None = None  # runtime mask lost here although the symbolic mask exists (MHA residual)
    pad: object = None  # PaddingFact: how the data behind this tensor is padded (code or data sample)
    zero_real: Layer | None = None  # a lookup layer that gives id 0 to a real token (OOV)

    @property
    def rank(self):
        return None if self.shape is None else len(self.shape)

    @property
    def masked(self) -> bool:
        return isinstance(self.mask, Mask)


def as_float(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def is_int(dtype: str | None) -> bool:
    return bool(dtype) and (dtype.startswith("int") or dtype.startswith("uint"))

