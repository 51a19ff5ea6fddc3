"""MK001 unknown-mask-behaviour: a layer whose mask behaviour masklint does not know sits on a path that
carries a mask; the finding says what the analysis assumed (nothing), so checks downstream are off."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK001", "unknown-mask-behaviour", "info",
            "a layer whose mask behaviour masklint does not know sits on a path that carries a mask")


@record
class UnknownMaskBehaviour(Record):
    """``why``: ``"custom or third-party class"``, ``"Keras class missing from masklint's knowledge table"``,
    or ``"lambda_time_change"`` (a Lambda that changes the time length with a mask function masklint
    cannot read; ``t_in``/``t_out`` are the lengths)."""

    RULE = RULE
    HOW = "unknown"
    culprit: object
    consumer: str | None = None
    why: str | None = None
    origin: str | None = None  # path of the layer that created the mask
    t_in: int | None = None
    t_out: int | None = None

    def message(self) -> str:
        name = q(self.culprit.path)
        if self.why == "lambda_time_change":
            return (f"Lambda {name} changes the time length from {self.t_in} to {self.t_out} and passes the mask "
                    f"from {q(self.origin)} through its own mask function, which masklint cannot read: the mask "
                    f"must be sliced the same way or the next mask consumer fails")
        return (f"{self.culprit.class_name} {name} ({self.why}) receives the mask from {q(self.origin)}; masklint "
                f"does not know whether it keeps, uses or drops it, so it assumed nothing and checks downstream "
                f"of it are off")

    def fix(self) -> str:
        if self.why == "lambda_time_change":
            return "check that the mask function slices the mask like the data (run `masklint probe` to confirm)"
        return ("set supports_masking=True / compute_mask in the layer if it keeps time steps, or run "
                "`masklint probe` to check it at runtime")

    def roles(self) -> dict:
        return self._roles(how="time-change" if self.why == "lambda_time_change" else self.HOW,
                           producer=(self.origin, None, None))
