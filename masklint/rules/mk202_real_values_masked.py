"""MK202 real-values-masked: real steps equal the mask value, so they are silently skipped -- token id 0
given to a real token (a vocabulary enumerated from 0; a lookup layer without a mask token, whose OOV
index is 0), all-zero feature rows inside sequences masked by ``Masking(0.)``, float features truncated
to 0 by ``pad_sequences``' default ``dtype="int32"``."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK202", "real-values-masked", "error",
            "real steps equal the mask value, so they are silently skipped (e.g. token id 0 is a real token)")


@record
class RealValuesMasked(Record):
    """``why``: ``"lookup_oov_zero"`` (culprit: the StringLookup/IntegerLookup), ``"vocab_from_zero"``
    (culprit: the padding call of ids numbered from 0), ``"int_truncation"`` (culprit: ``pad_sequences``
    with an integer ``dtype`` on fractional values)."""

    RULE = RULE
    HOW = "real-masked"
    culprit: object
    consumer: str | None = None
    why: str | None = None
    dtype: str | None = None

    def message(self) -> str:
        if self.why == "vocab_from_zero":
            return (f"the token ids padded here come from a vocabulary enumerated from 0, so the first word gets id "
                    f"0, and Embedding {q(self.consumer)} with mask_zero=True masks it as padding")
        if self.why == "int_truncation":
            return (f"pad_sequences gets fractional values but converts them to dtype={self.dtype!r}: values below "
                    f"1 become 0, the padding value, and are masked or lost")
        return (f"{self.culprit.class_name} {q(self.culprit.path)} has no mask token, so index 0 is its OOV "
                f"(unknown-token) index, and Embedding {q(self.consumer)} with mask_zero=True masks every unknown "
                f"token as if it were padding")

    def fix(self) -> str:
        if self.why == "vocab_from_zero":
            return "number the vocabulary from 1 (enumerate(words, start=1)) and size the Embedding len(words) + 1"
        if self.why == "int_truncation":
            return "pass dtype='float32' to pad_sequences"
        return f"pass mask_token='' (or 0 for IntegerLookup) to {q(self.culprit.path)}, so 0 is reserved for padding"
