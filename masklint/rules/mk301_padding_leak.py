"""MK301 padding-leak: outputs at the valid positions change when only the padding changes (runtime probe)."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, num, q

RULE = Rule("MK301", "padding-leak", "error", "outputs at the valid positions change when only the padding changes (runtime probe)")

#: merge layers: masked and unmasked inputs leave their output without a mask (or with a wrong one)
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")


@record
class PaddingLeak(Record):
    """What the probe measured: the largest difference ``max_diff`` (over ``tolerance``) at model output
    ``output``, in ``mode`` (``"eager"`` or ``"predict"``) on the probe batch row ``variant`` describes;
    the first layer whose real outputs change, ``first_changed`` (its class ``first_class``, and its largest
    difference ``first_diff`` when it is not the output itself); and where the runtime masks say it went wrong -- the culprit and ``how``:
    ``"dropped"`` / ``"replaced"`` (the culprit's runtime mask is missing / marks padding as real while
    its input's was right), ``"wrong"`` (the mask it creates is wrong), ``"ignores"`` (the first layer that
    changes receives a right mask), ``"nomask"`` (no mask covers the padding), ``"unknown"`` (no runtime
    masks). ``cleared``: (input, attention layer, its class) when the culprit's input lost its runtime
    mask to an attention layer called on it; ``pad``: the pad value of the probe's sequences. The
    consumer is the first layer that changes, None when that is the culprit itself. ``how`` may also be
    ``"positions"`` (the first layer that changes makes a mask that covers the padding, yet changes under
    pre-padding: the real steps' absolute positions shift) or ``"reads_own"`` (it makes a right mask but
    reads the padding itself). ``side``: ``"pre"`` when only pre-padding changes the outputs (reported because
    the data is known to be pre-padded, ``known_pre``), else ``""``."""

    RULE = RULE
    culprit: object
    consumer: str | None = None
    max_diff: float = 0.0
    tolerance: float = 0.0
    mode: str = "eager"
    variant: str = ""
    output: str = ""
    first_changed: str = ""
    first_class: str = ""
    first_diff: float | None = None
    how: str = "unknown"
    cleared: tuple | None = None
    pad: float = 0.0
    side: str = ""
    known_pre: bool = False

    def _merge(self) -> bool:
        return self.culprit.class_name in MERGES

    def message(self) -> str:
        c, cls, first = q(self.culprit.path), self.culprit.class_name, q(self.first_changed)
        at_culprit = self.consumer is None
        msg = (f"outputs at the real positions change when only the padding changes: |difference| "
               f"{num(self.max_diff)} at output {q(self.output)} (tolerance {num(self.tolerance)}), {self.variant}, "
               f"{self.mode}")
        if self.first_diff is not None:
            msg += (f"; the first layer whose real outputs change is {first} ({self.first_class}, "
                    f"|difference| {num(self.first_diff)})")
        how = self.how
        if self.cleared:
            inp, attention, attention_class = self.cleared
            msg += (f"; {c} ({cls}) takes {q(inp)}, whose runtime mask {attention_class} {q(attention)} cleared when "
                    f"it was called on it, so the output of {c} has no mask at run time and {first} reads padding")
        elif how == "dropped" and at_culprit:
            msg += f"; {first} ({self.first_class}) drops the mask and mixes the padding into the real steps"
        elif how in ("dropped", "replaced") and self._merge():
            what = "has no mask" if how == "dropped" else "has a mask that marks padding as real"
            msg += (f"; {c} ({cls}) merges masked and unmasked inputs, so its output {what}, and {first} reads "
                    f"padding")
        elif how == "dropped":
            msg += f"; the runtime mask is lost at {c} ({cls}), so {first} reads padding"
        elif how == "replaced":
            msg += f"; {c} ({cls}) replaces the mask with one that marks padding as real, so {first} reads padding"
        elif how == "wrong":
            msg += f"; the mask created by {c} ({cls}) marks padding as real, so {first} reads padding"
        elif how == "ignores":
            msg += f"; {first} ({self.first_class}) receives the mask but ignores it"
        elif how == "nomask":
            msg += f"; no mask covers the padding that {first} ({self.first_class}) reads"
        elif how == "positions":
            msg += (f"; {first} ({self.first_class}) makes a mask that covers the padding, but the real steps' "
                    f"absolute positions shift under pre-padding (an absolute position embedding)")
        elif how == "reads_own":
            msg += f"; {first} ({self.first_class}) makes a mask that covers the padding but reads the padding itself"
        if self.side == "pre":
            msg += ("; post-padding leaves the real steps unchanged" +
                    (", and the data is pre-padded" if self.known_pre else ""))
        return msg

    def fix(self) -> str:
        c, first, how = q(self.culprit.path), q(self.first_changed), self.how
        if how == "positions":
            return ("pad the sequences post (pad_sequences(..., padding='post')) so that every sequence starts at "
                    "position 0, or use a relative position encoding")
        if self.side == "pre":
            return (f"pad the sequences post (padding='post'): post-padding does not reach the real steps here; "
                    f"or mask the padding that {first} reads")
        if how == "reads_own":
            return f"make {first} ignore the padded steps in its own computation (its mask is right)"
        if self.cleared:
            return (f"pass the padding mask to {first} explicitly (e.g. attention_mask=pad_mask[:, None, :] "
                    f"for attention, mask=pad_mask otherwise)")
        if how == "dropped" and self.consumer is None:
            return f"use a mask-aware layer instead of {first}, or apply it after the layer that consumes the mask"
        if how in ("dropped", "replaced") and self._merge():
            return f"mask every input of {c} (take each branch after the mask producer), or merge after {first}"
        if how == "dropped":
            return (f"make {c} keep the mask (a mask-aware layer, a Lambda with mask=, a custom layer "
                    f"with supports_masking=True), or move it after {first}")
        if how == "replaced":
            return f"remove {c}, or make it the only mask producer, on the raw padded input"
        if how == "wrong":
            return ("mask at the source: Embedding(mask_zero=True) for token ids, or Masking on the raw input "
                    "with mask_value = the padding value")
        if how == "ignores":
            return f"replace {first} with a mask-aware layer (e.g. GlobalAveragePooling1D, an RNN, attention)"
        if how == "nomask":
            return (f"mask the padding before {first}: Embedding(mask_zero=True) for token ids padded with 0, "
                    f"or Masking(mask_value={num(self.pad)})")
        return "mask the padding before the first layer that changes, and keep the mask to the consumer"

    def extra(self) -> dict:
        return {"max_diff": self.max_diff, "tolerance": self.tolerance, "mode": self.mode, "variant": self.variant,
                "output": self.output, "first_changed": self.first_changed, "how": self.how,
                **({"side": self.side} if self.side else {})}

    def roles(self) -> dict:
        return {}  # a measurement: the reports list it without a mask path
