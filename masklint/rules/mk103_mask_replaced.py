"""MK103 mask-replaced: a mask computed on the wrong thing replaces or precedes the real one -- ``Masking``
on token ids before an ``Embedding`` (a per-sample mask the Embedding drops or replaces), or a ``Masking``
that overrides an incoming mask from another source with one that cannot match it."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK103", "mask-replaced", "warning", "a mask computed on the wrong thing replaces or precedes the real one")


@record
class MaskReplaced(Record):
    """``why``: ``"before_embedding"`` (culprit: the Masking on ids; consumer: the Embedding, which
    ``replaces`` its mask when it has ``mask_zero=True``, else drops it) or ``"override"`` (culprit: the
    Masking that replaces the mask of ``replaced_layer``)."""

    RULE = RULE
    culprit: object
    consumer: str | None = None
    why: str | None = None
    replaces: bool | None = None
    replaced_layer: object = None

    def message(self) -> str:
        name = q(self.culprit.path)
        if self.why == "before_embedding":
            return (f"Masking {name} runs on token ids: on a (batch, time) tensor its mask has one value per "
                    f"sample, and {q(self.consumer)} {'replaces' if self.replaces else 'drops'} it")
        rep = self.replaced_layer
        return (f"Masking {name} replaces the mask from {rep.class_name} {q(rep.path)} with one computed from its "
                f"own mask_value, which cannot match it" + self.consumer_phrase())

    def fix(self) -> str:
        name = q(self.culprit.path)
        if self.why == "before_embedding":
            if self.replaces:  # the Embedding already has mask_zero=True: its mask is the right one
                return f"remove {name}: {q(self.consumer)} already masks the padding (mask_zero=True)"
            return f"remove {name} and pass mask_zero=True to {q(self.consumer)}"
        return f"remove {name}, or make it the only mask producer"

    def roles(self) -> dict:
        producer = (self.culprit.path, None, self.culprit)
        if self.why == "before_embedding":
            return self._roles(how="replaced" if self.replaces else "dropped-by-consumer", producer=producer)
        rep = self.replaced_layer
        return self._roles(how="replaced", producer=producer, replaced=(rep.path, rep.class_name, None))
