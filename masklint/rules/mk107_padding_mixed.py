"""MK107 padding-mixed: a masked sequence reaches a layer that mixes time steps and ignores the mask, so
padding flows into the valid steps right there (convolutions, max pooling, Flatten/Reshape across time,
normalization over the time axis, positional reads of a masked ``return_sequences`` output)."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK107", "padding-mixed", "error", "a masked sequence reaches a layer that mixes time steps and ignores the mask")


@record
class PaddingMixed(Record):
    """``how``: None (a layer that mixes time steps), a phrase for ops and normalizations
    (``"reads fixed positions of"``, ``"mixes time steps of"``, ``"normalizes across time steps of"``);
    ``op``: the culprit is a keras.ops call or operator; ``rs``: what it reads is an RNN's
    ``return_sequences`` output; ``axis``: a normalization's axis."""

    RULE = RULE
    HOW = "mixed"
    culprit: object
    consumer: str | None = None
    origin: str | None = None  # path of the layer that created the mask
    how: str | None = None
    op: bool = False
    rs: bool = False
    axis: object = None

    def message(self) -> str:
        name, cls, how = q(self.culprit.path), self.culprit.class_name, self.how
        if self.op:
            msg = f"{name} ({cls}) {how} a masked sequence (mask from {q(self.origin)}) and ignores the mask"
            if self.rs:
                msg += "; masked steps of a return_sequences output hold carried or zero outputs (cuDNN writes zeros)"
        elif how:
            msg = f"{cls} {name} {how} a masked sequence (mask from {q(self.origin)}), mixing padding into valid steps"
        else:
            msg = (f"{cls} {name} mixes time steps of a masked sequence (mask from {q(self.origin)}) and ignores "
                   f"the mask, so padding leaks into valid steps")
        return msg + (f"; {q(self.consumer)} is affected" if self.consumer and self.consumer != "loss" else "")

    def fix(self) -> str:
        if self.op or self.culprit.class_name == "Lambda":  # a read of fixed positions, in an op or a Lambda
            return "use the RNN's return_sequences=False output (it is the last valid step), or a mask-aware pooling"
        if self.how and self.culprit.class_name == "GroupNormalization":  # its statistics always span time
            return "use LayerNormalization (per-step statistics over the features) instead of GroupNormalization"
        if self.how:
            return "normalize over the feature axis (axis=-1)"
        return ("use a mask-aware layer (GlobalAveragePooling1D, an RNN or attention) or zero the padding and "
                "keep the mask")

    def roles(self) -> dict:
        return self._roles(detail=self.how, producer=(self.origin, None, None))
