"""MK205 padded-targets: sequence targets are padded (``pad_sequences`` on ``y``) while the model's
sequence output has no mask, so the loss averages over the padded steps."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule

RULE = Rule("MK205", "padded-targets", "warning", "padded sequence targets while the model's sequence output has no mask")


@record
class PaddedTargets(Record):
    RULE = RULE
    HOW = "padded-targets"
    culprit: object  # the padding call of the targets
    consumer: str | None = "loss"

    def message(self) -> str:
        return (f"the targets are padded by {self.culprit.class_name}, but the model's sequence output carries no "
                f"mask: the loss averages over the padded steps")

    def fix(self) -> str:
        return ("mask the input (Embedding(mask_zero=True) or Masking) so the output keeps the mask, or pass "
                "sample_weight=(y != pad) to fit")
