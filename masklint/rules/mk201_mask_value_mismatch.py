"""MK201 mask-value-mismatch: the value the data is padded with (``pad_sequences(value=...)``, ``np.full``,
``padded_batch(padding_values=...)``, a ``--data`` sample...) differs from what the mask producer masks
(``Masking.mask_value``; 0 for ``mask_zero=True``).

Autofix (safe, source only): ``mask_value`` set to the padding value.
"""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK201", "mask-value-mismatch", "error", "the data's padding value differs from what the mask producer masks")


@record
class MaskValueMismatch(Record):
    """``pad``: the padding value; ``how``: what pads (``"pad_sequences"``, ``"a --data sample"``...);
    ``pad_origin``: the IR layer of the padding call (source) or None; ``mask_value`` / ``mask_zero``: what
    the producer (the culprit) masks."""

    RULE = RULE
    HOW = "mismatch"
    culprit: object
    consumer: str | None = None
    pad: object = None
    mask_value: object = None
    mask_zero: bool = False
    how: str | None = None
    pad_origin: object = None

    def message(self) -> str:
        po = self.pad_origin
        where = f" (line {po.line})" if po is not None and po.line else ""
        name = q(self.culprit.path)
        producer = f"Embedding {name} with mask_zero=True masks id 0" if self.mask_zero else (
            f"Masking {name} masks steps equal to {self.mask_value!r}")
        return (f"the data is padded with {self.pad!r} by {self.how}{where}, but {producer}: padded steps are not "
                f"masked{'' if not self.consumer else f'; {q(self.consumer)} sees padding'}")

    def fix(self) -> str:
        if self.mask_zero:
            return "pad with 0 (value=0) or shift the ids"
        return f"use Masking(mask_value={self.pad!r}) or pad with value={self.mask_value!r}"

    def roles(self) -> dict:
        po = self.pad_origin
        return self._roles(detail=self.how, producer=(self.culprit.path, None, self.culprit),
                           upstream=(po.path, po.class_name, po) if po is not None else None)

    def autofix(self) -> dict:
        """node id -> edit: the Masking's ``mask_value`` set to the padding value."""
        node, pad = self.culprit.cst, self.pad
        if node is None or self.mask_zero or not isinstance(pad, (int, float)) or isinstance(pad, bool) or pad != pad:
            return {}
        return {id(node): ("kwarg", node, "mask_value", repr(float(pad)))}
