"""MK202 real-values-masked: real steps equal the mask value, so they are silently skipped -- token id 0
given to a real token (a vocabulary enumerated from 0; a lookup layer without a mask token, whose OOV
index is 0), all-zero feature rows inside sequences masked by ``Masking(0.)``, float features truncated
to 0 by ``pad_sequences``' default ``dtype="int32"``, real steps of a ``--data`` sample equal to the mask
value."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, masks_what, q, sample_of

RULE = Rule("MK202", "real-values-masked", "error",
            "real steps equal the mask value, so they are silently skipped (e.g. token id 0 is a real token)")


@record
class RealValuesMasked(Record):
    """``why``: ``"lookup_oov_zero"`` (culprit: the StringLookup/IntegerLookup), ``"vocab_from_zero"``
    (culprit: the padding call of ids numbered from 0), ``"int_truncation"`` (culprit: ``pad_sequences``
    with an integer ``dtype`` on fractional values), ``"sample_steps"`` (culprit: the mask producer, whose
    ``mask_value`` / ``mask_zero`` real steps of the ``--data`` sample for input ``sample`` hold: ``steps``
    of them in ``rows`` rows, the first at ``first`` = (row, step))."""

    RULE = RULE
    HOW = "real-masked"
    culprit: object
    consumer: str | None = None
    why: str | None = None
    dtype: str | None = None
    sample: str | None = None
    mask_value: object = None
    mask_zero: bool = False
    steps: int = 0
    rows: int = 0
    first: tuple | None = None

    def message(self) -> str:
        if self.why == "sample_steps":
            n, nrows = self.steps, self.rows
            where = f" (first: row {self.first[0]}, step {self.first[1]})" if self.first else ""
            thing = "token id 0" if self.mask_zero else f"all features equal to {self.mask_value!r}"
            return (f"{n} real step{'s' if n != 1 else ''} in {nrows} row{'s' if nrows != 1 else ''} of "
                    f"{sample_of(self.sample)} hold{'s' if n == 1 else ''} {thing}{where}: "
                    f"{masks_what(self.culprit.path, self.mask_zero, self.mask_value)}, so "
                    f"{'it is' if n == 1 else 'they are'} silently skipped as padding")
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
        if self.why == "sample_steps":
            return ("reserve id 0 for padding: number the vocabulary from 1 and size the Embedding len(vocab) + 1"
                    if self.mask_zero else "pad with a value no real step can take and use it as Masking's mask_value")
        if self.why == "vocab_from_zero":
            return "number the vocabulary from 1 (enumerate(words, start=1)) and size the Embedding len(words) + 1"
        if self.why == "int_truncation":
            return "pass dtype='float32' to pad_sequences"
        return f"pass mask_token='' (or 0 for IntegerLookup) to {q(self.culprit.path)}, so 0 is reserved for padding"

    def extra(self) -> dict:
        return {"steps": self.steps, "rows": self.rows} if self.why == "sample_steps" else {}

    def roles(self) -> dict:
        if self.why == "sample_steps":
            return {}  # the sample's values, not a layer, are at fault: no mask path to draw
        return Record.roles(self)
