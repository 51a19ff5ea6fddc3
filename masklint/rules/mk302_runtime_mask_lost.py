"""MK302 runtime-mask-lost: the model's output has no runtime mask although the symbolic graph says it has one."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK302", "runtime-mask-lost", "warning", "the model's output has no runtime mask although the symbolic graph says it has one")


@record
class RuntimeMaskLost(Record):
    """What the probe saw: model output ``output`` has a symbolic mask but no runtime mask; the culprit is
    the layer where the runtime mask is lost; ``cleared``: (its input, the attention layer, its class) when
    that input lost its runtime mask to an attention layer called on it. The consumer is the loss."""

    RULE = RULE
    culprit: object
    consumer: str | None = "loss"
    output: str = ""
    cleared: tuple | None = None

    def message(self) -> str:
        c = self.culprit
        msg = (f"the model output {q(self.output)} has no runtime mask although its symbolic graph has one: the "
               f"loss (and metrics) read the runtime mask, so they count padded steps; the runtime mask is "
               f"lost at {q(c.path)} ({c.class_name})")
        if self.cleared:
            inp, attention, attention_class = self.cleared
            msg += (f", whose input {q(inp)} lost its runtime mask when {attention_class} {q(attention)} was "
                    f"called on it")
        return msg

    def fix(self) -> str:
        return ("compute the output head with TimeDistributed(...) (its recorded mask is replayed), or pass "
                "the padding mask as sample_weight")

    def extra(self) -> dict:
        return {"output": self.output}

    def roles(self) -> dict:
        return {}  # a measurement: the reports list it without a mask path
