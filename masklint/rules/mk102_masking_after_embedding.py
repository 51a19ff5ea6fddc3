"""MK102 masking-after-embedding: ``Masking`` applied to a learned representation (the output of an
Embedding, Dense, Conv, attention...), whose values never equal ``mask_value``: nothing is masked, and a
real mask from ``Embedding(mask_zero=True)`` is replaced by an all-true one.

Autofix (source only): ``mask_zero=True`` on the Embedding and the Masking removed. Safe when the Embedding
already masks id 0 or the Masking's ``mask_value`` is 0 (the code says id 0 is the padding); unsafe otherwise.
"""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK102", "masking-after-embedding", "error",
            "Masking applied to a learned representation, which never equals mask_value")

_EMBEDDINGS = ("Embedding", "ReversibleEmbedding")


@record
class MaskingAfterEmbedding(Record):
    RULE = RULE
    HOW = "masks-nothing"
    culprit: object  # the Masking layer
    consumer: str | None = None
    src_layer: object = None  # the layer whose learned output is masked
    replaced_layer: object = None  # the layer whose real mask the Masking replaces

    def message(self) -> str:
        src = self.src_layer
        src_cls = src.class_name if src is not None else "a learned layer"
        msg = (f"Masking {q(self.culprit.path)} is applied to the output of {src_cls} "
               f"{q(src.path) if src is not None else ''}".rstrip()
               + ": learned values never equal mask_value, so nothing is masked")
        rep = self.replaced_layer
        if rep is not None:
            msg += f", and the real mask from {rep.class_name} {q(rep.path)} is replaced by an all-True one"
        return msg + self.consumer_phrase()

    def fix(self) -> str:
        src = self.src_layer
        if src is not None and src.class_name in _EMBEDDINGS:
            if src.config.get("mask_zero") is True:  # its mask is the right one: Masking only replaces it
                return f"remove {q(self.culprit.path)}: {q(src.path)} already masks the padding (mask_zero=True)"
            return f"remove {q(self.culprit.path)} and pass mask_zero=True to {q(src.path)}"
        return f"remove {q(self.culprit.path)}; put Masking on the raw input (or use Embedding(mask_zero=True))"

    def roles(self) -> dict:
        src, rep = self.src_layer, self.replaced_layer
        return self._roles(producer=(self.culprit.path, None, self.culprit),
                           upstream=(src.path, src.class_name, src) if src is not None else None,
                           replaced=(rep.path, rep.class_name, None) if rep is not None else None)

    def autofix(self) -> dict:
        """node id -> edit: ``mask_zero=True`` on the Embedding call, the Masking call removed."""
        src, node = self.src_layer, self.culprit.cst
        if node is None or src is None or src.class_name != "Embedding" or src.cst is None:
            return {}
        return {id(src.cst): ("kwarg", src.cst, "mask_zero", "True"), id(node): ("remove", node, None, None)}

    def fix_safe(self) -> bool:
        src = self.src_layer
        if src is not None and src.config.get("mask_zero") is True:
            return True  # the Masking only replaces the Embedding's real mask: removing it is what was meant
        mv = self.culprit.config.get("mask_value", 0.0)
        return not isinstance(mv, bool) and isinstance(mv, (int, float)) and mv == 0
