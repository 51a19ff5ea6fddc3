"""MK304 probe-crash: the model raises on a correctly padded probe batch."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule

RULE = Rule("MK304", "probe-crash", "error", "the model raises on a correctly padded probe batch")


@record
class ProbeCrash(Record):
    """What the probe saw: the model raised ``error`` (the exception, on one line) in ``mode``
    (``"eager"`` call or compiled ``"predict"``) on probe batch ``batch`` (its key; ``batch_label``
    describes it); ``reference``: that batch is the unpadded reference batch. The culprit is the layer
    the exception names, or None."""

    RULE = RULE
    culprit: object = None
    consumer: str | None = None
    error: str = ""
    mode: str = "eager"
    batch: str = ""
    batch_label: str = ""
    reference: bool = False

    def message(self) -> str:
        what = "an unpadded reference batch" if self.reference else (
            f"a correctly padded probe batch ({self.batch_label}, post and pre)")
        return (f"the model raises on {what} in {'eager call' if self.mode == 'eager' else 'compiled predict'}: "
                f"{self.error}")

    def fix(self) -> str:
        return ("run the model on a padded batch to see the full error; masklint's static findings for this model "
                "usually name the layer whose mask does not fit")

    def location(self):
        c = self.culprit
        return (None, None, None) if c is None else (c.path, c.line, c.column)

    def extra(self) -> dict:
        return {"mode": self.mode, "batch": self.batch}

    def roles(self) -> dict:
        return {}  # a measurement: the reports list it without a mask path
