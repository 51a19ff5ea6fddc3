"""MK106 bad-mask-value: ``mask_value`` can never match or breaks the arithmetic (NaN, a sentinel that
overflows float32 products, a fractional value on integer input)."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK106", "bad-mask-value", "error", "mask_value can never match or breaks the arithmetic")


@record
class BadMaskValue(Record):
    RULE = RULE
    HOW = "bad-value"
    culprit: object
    consumer: str | None = None
    why: str | None = None  # the reason, in words (knowledge.bad_mask_value)
    value: object = None

    def message(self) -> str:
        return f"Masking {q(self.culprit.path)} has mask_value={self.value!r}: {self.why}"

    def fix(self) -> str:
        return "use the value the data is actually padded with (e.g. 0.0 or -1.0)"

    def roles(self) -> dict:
        return self._roles(producer=(self.culprit.path, None, self.culprit))
