"""MK105 mask-rank: a mask computed on a tensor of the wrong rank -- ``Masking`` on a ``(batch, time)``
array without a feature axis, ``Masking`` on rank >= 4 input feeding an RNN/ConvLSTM, or
``Embedding(mask_zero=True)`` on float frames."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK105", "mask-rank", "error", "a mask computed on a tensor of the wrong rank")


def _shape(shape) -> str:
    if not shape:
        return ""
    return " of shape (" + ", ".join("None" if x is None else str(x) for x in shape) + ")"


@record
class MaskRank(Record):
    """``why``: ``"masking_2d"`` (``shape``), ``"masking_highrank"`` (``consumer_class``),
    ``"embedding_float"`` (``rank``, ``dtype``)."""

    RULE = RULE
    HOW = "wrong-rank"
    culprit: object
    consumer: str | None = None
    why: str | None = None
    shape: tuple | None = None
    consumer_class: str | None = None
    rank: int | None = None
    dtype: str | None = None

    def message(self) -> str:
        name, why, consumer = q(self.culprit.path), self.why, self.consumer
        if why == "masking_2d":
            msg = (f"Masking {name} is applied to a 2-D (batch, time) tensor{_shape(self.shape)} with no feature "
                   f"axis: its mask has one value per sample, not per step")
            return msg + (f"; {q(consumer)} cannot use it" if consumer and consumer != "loss"
                          else "; whole all-padding samples drop out of the loss, padded steps are not masked")
        if why == "masking_highrank":
            return (f"Masking {name} is applied to a tensor of rank >= 4, so its mask has shape (batch, time, ...), "
                    f"not (batch, time); it is carried on unchanged (TimeDistributed keeps it) and "
                    f"{q(consumer)} ({self.consumer_class}) crashes at call time")
        if why == "embedding_float":
            return (f"Embedding {name} with mask_zero=True receives {self.dtype} input of rank {self.rank} "
                    f"(float frames), so its mask is not a (batch, time) mask")
        return f"{name} computes a mask of the wrong rank"

    def fix(self) -> str | None:
        return {
            "masking_2d": ("give the data a feature axis (x[..., None] with Input((T, 1))), or for token ids use "
                           "Embedding(mask_zero=True)"),
            "masking_highrank": "compute the mask on a (batch, time, features) view, or pass an explicit (batch, time) mask",
            "embedding_float": "feed integer token ids of shape (batch, time), or use Masking on float features",
        }.get(self.why)

    def roles(self) -> dict:
        cons_cls = self.consumer_class if self.why == "masking_highrank" and self.consumer != "loss" else None
        return self._roles(producer=(self.culprit.path, None, self.culprit),
                           consumer=(self.consumer, cons_cls, None))
