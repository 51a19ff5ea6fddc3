"""MK201 mask-value-mismatch: the value the data is padded with (``pad_sequences(value=...)``, ``np.full``,
``padded_batch(padding_values=...)``, a ``--data`` sample...) differs from what the mask producer masks
(``Masking.mask_value``; 0 for ``mask_zero=True``).

Autofix (safe, source only): ``mask_value`` set to the padding value.
"""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, at_line, masks_what, q, sample_of

RULE = Rule("MK201", "mask-value-mismatch", "error", "the data's padding value differs from what the mask producer masks")


@record
class MaskValueMismatch(Record):
    """``pad``: the padding value; ``mask_value`` / ``mask_zero``: what the producer (the culprit) masks.
    Who pads: in code, ``how`` (``"pad_sequences"``, ``"np.full"``...) and ``pad_origin`` (the IR layer of
    the padding call in source, or None); in a ``--data`` sample, ``sample`` (the model input it feeds),
    ``layout`` (how the sample is padded, as the padding inference describes it) and ``side``."""

    RULE = RULE
    HOW = "mismatch"
    culprit: object
    consumer: str | None = None
    pad: object = None
    mask_value: object = None
    mask_zero: bool = False
    how: str | None = None
    pad_origin: object = None
    sample: str | None = None
    layout: str | None = None
    side: str | None = None

    def message(self) -> str:
        if self.sample is not None:
            padded = f"{sample_of(self.sample)} is {self.layout}"
        else:
            po = self.pad_origin
            where = at_line(po, self.culprit)
            padded = f"the data is padded with {self.pad!r} by {self.how}{where}"
        return (f"{padded}, but {masks_what(self.culprit.path, self.mask_zero, self.mask_value)}: padded steps are "
                f"not masked{'' if not self.consumer else f'; {q(self.consumer)} sees padding'}")

    def fix(self) -> str:
        if self.sample is not None:
            return ("pad with 0 (and keep 0 for padding only)" if self.mask_zero else
                    f"use Masking(mask_value={self.pad!r}) or pad the data with {self.mask_value!r}")
        if self.mask_zero:
            return "pad with 0 (value=0) or shift the ids"
        return f"use Masking(mask_value={self.pad!r}) or pad with value={self.mask_value!r}"

    def extra(self) -> dict:
        if self.sample is None:
            return {}
        return {"pad_value": self.pad, "mask_value": self.mask_value, "side": self.side}

    def roles(self) -> dict:
        if self.sample is not None:
            return {}  # no layer pads a data sample: no mask path to draw
        po = self.pad_origin
        return self._roles(detail=self.how, producer=(self.culprit.path, None, self.culprit),
                           upstream=(po.path, po.class_name, po) if po is not None else None)

    def autofix(self) -> dict:
        """node id -> edit: the Masking's ``mask_value`` set to the padding value."""
        node, pad = self.culprit.cst, self.pad
        if node is None or self.mask_zero or not isinstance(pad, (int, float)) or isinstance(pad, bool) or pad != pad:
            return {}
        return {id(node): ("kwarg", node, "mask_value", repr(float(pad)))}

    def fix_safe(self) -> bool:
        return True  # the pad value is read from the padding call in the linted code
