"""MK303 empty-sequence-nan: an all-padding sample produces NaN or inf."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK303", "empty-sequence-nan", "warning", "an all-padding sample produces NaN or inf")

_AVERAGE = "a masked average divides by the number of valid steps, 0"


@record
class EmptySequenceNan(Record):
    """What the probe saw on its all-padding sample: NaN/inf at model output ``output``, first produced by
    the culprit; or, with ``error`` (the exception, on one line), the model raised (the culprit: the layer
    the exception names, or None). ``empty_rows``: the all-padding rows of the ``--data`` sample, the
    evidence that such samples occur -- without it the probe makes a note (:meth:`note`), not a finding."""

    RULE = RULE
    culprit: object = None
    consumer: str | None = None
    output: str | None = None
    error: str | None = None
    empty_rows: int = 0

    def _average(self) -> bool:
        return self.culprit is not None and self.culprit.class_name == "GlobalAveragePooling1D"

    def message(self) -> str:
        n = self.empty_rows
        evidence = f"; the --data sample has {n} all-padding row{'s' if n != 1 else ''}" if n else ""
        if self.error is not None:
            return f"an all-padding sample makes the model raise: {self.error}{evidence}"
        c = self.culprit
        why = f" ({_AVERAGE})" if self._average() else ""
        return (f"an all-padding sample gives NaN/inf at output {q(self.output)}; the first layer that produces "
                f"them is {q(c.path)} ({c.class_name}){why}{evidence}")

    def note(self) -> str:
        """What the probe notes when no ``--data`` sample shows empty rows."""
        if self.error is not None:
            return (f"an all-padding sample makes the model raise ({self.error}); {RULE.code} is reported when "
                    f"--data shows empty rows")
        because = f": {_AVERAGE}" if self._average() else ""
        return (f"an all-padding sample would give NaN/inf at output {q(self.output)} (from {q(self.culprit.path)}"
                f"{because}); {RULE.code} is reported when a --data sample shows empty rows")

    def fix(self) -> str:
        if self.error is not None:
            return "drop empty sequences from the data, or make the layer handle a fully masked sample"
        return "drop empty sequences from the data, or pool with a guarded average (sum(x * mask) / max(sum(mask), 1))"

    def location(self):
        c = self.culprit
        return (None, None, None) if c is None else (c.path, c.line, c.column)

    def extra(self) -> dict:
        return {} if self.output is None else {"output": self.output}

    def roles(self) -> dict:
        return {}  # a measurement: the reports list it without a mask path
