"""MK108 mask-crash: the mask's shape guarantees a crash at call time although the model builds (a
``Softmax`` layer on a masked rank-3 tensor, a mask-propagating Lambda that changes the time length)."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK108", "mask-crash", "error", "the mask's shape guarantees a crash at call time although the model builds")


@record
class MaskCrash(Record):
    """``why``: ``"softmax"`` (``origin``, ``rank``) or ``"time_change"`` (``t_in``, ``t_out``)."""

    RULE = RULE
    HOW = "crash"
    culprit: object
    consumer: str | None = None
    why: str | None = None
    origin: str | None = None
    rank: int | None = None
    t_in: int | None = None
    t_out: int | None = None

    def message(self) -> str:
        name = q(self.culprit.path)
        if self.why == "softmax":
            return (f"Softmax layer {name} receives a (batch, time) mask from {q(self.origin)} on a rank-{self.rank} "
                    f"tensor: the model builds, but every call raises 'The mask must be broadcastable to inputs'")
        if self.why == "time_change":
            return (f"Lambda {name} passes the mask on (mask=) but changes the time length from {self.t_in} to "
                    f"{self.t_out}: the stale mask crashes the next mask consumer")
        return f"{name} receives a mask whose shape makes the call crash"

    def fix(self) -> str | None:
        return {"softmax": "use Activation('softmax'), or pass an explicit mask of the input's shape",
                "time_change": "slice the mask the same way in the Lambda's mask function"}.get(self.why)

    def roles(self) -> dict:
        if self.why == "softmax":
            return self._roles(producer=(self.origin, None, None))
        return self._roles(how="time-change" if self.why == "time_change" else self.HOW)
