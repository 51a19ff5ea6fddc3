"""MK109 loss-sees-padding: the model's sequence output carries no mask at run time although its input is
masked, so a loss over that output averages over padded steps (the MultiHeadAttention residual that loses
the runtime mask, a RepeatVector head, a mask dropped before the output)."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK109", "loss-sees-padding", "warning",
            "the model's sequence output carries no mask although its input is masked")


@record
class LossSeesPadding(Record):
    """``why``: ``"mha_residual"``, ``"repeat_head"`` (``origin``: the layer whose mask covered the time
    axis), or None: a mask dropped before the output (``how``, ``origin``, ``at_class`` as in ``MaskDropped``)."""

    RULE = RULE
    culprit: object
    consumer: str | None = None
    why: str | None = None
    how: str | None = None
    origin: str | None = None
    at_class: str | None = None

    def message(self) -> str:
        name, cls = q(self.culprit.path), self.culprit.class_name
        if self.why == "mha_residual":
            return (f"{cls} {name} merges a tensor that MultiHeadAttention was called on: MHA clears that tensor's "
                    f"runtime mask, so the model output has no mask at run time although the graph shows one, and "
                    f"the loss averages over padded steps")
        if self.why == "repeat_head":
            return (f"{cls} {name} builds a new time axis for the sequence output after the mask from "
                    f"{q(self.origin)} was consumed, so the loss averages over padded steps")
        return (f"{self.at_class or cls} {name} drops the mask created by {q(self.origin)} before the model's "
                f"sequence output, so the loss averages over padded steps")

    def fix(self) -> str:
        if self.why == "mha_residual":
            return ("compute the output head as TimeDistributed(...) (its recorded mask is replayed) or pass the "
                    "padding mask as sample_weight")
        if self.why == "repeat_head":
            return "pass sample_weight=(y != pad) to fit, or mask the decoder input"
        return "keep the mask to the output (use mask-aware layers, e.g. TimeDistributed(Dense)) or pass sample_weight"

    def roles(self) -> dict:
        c = self.culprit
        how = {"mha_residual": "cleared", "repeat_head": "new-time-axis"}.get(self.why, "dropped")
        producer = None if self.why == "mha_residual" else (self.origin, None, None)
        return self._roles(how=how, detail=self.how, producer=producer, culprit=(c.path, self.at_class or c.class_name, c))
