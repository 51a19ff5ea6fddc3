"""MK101 missing-mask: a mask consumer (RNN, GlobalAveragePooling1D, attention) reads a sequence that
carries no mask while there is evidence the sequence is padded (token ids through an
``Embedding(mask_zero=False)`` on a variable time axis, or padding facts from source or data).

Autofix (source only): ``mask_zero=True`` on the Embedding when the padding is proven to be 0 (safe). On
left-padded data (``pad_sequences``' default ``padding="pre"``) into a cuDNN-eligible LSTM/GRU the mask
alone would be a cudnn-padding finding, so the fix also passes ``padding="post"`` to that
``pad_sequences`` call (and its siblings of the same ``maxlen``, ``fix_plan.py``) when it is in the
linted file (unsafe: it changes the data every user of those arrays sees), and is not offered otherwise.
"""
from __future__ import annotations

from .._record import record
from ..knowledge.third_party import is_embedding
from .base import Record, Rule, at_line, q

RULE = Rule("MK101", "missing-mask", "warning", "a mask consumer reads a padded sequence that carries no mask")


@record
class MissingMask(Record):
    """``evidence``: a text (``"padded sequences"``, ``"integer token ids of variable length"``...) or the
    IR ``PaddingFact`` that proves the padding (formatted once source positions are known)."""

    RULE = RULE
    HOW = "missing"
    culprit: object
    consumer: str | None = None
    evidence: object = None
    rnn_cudnn: bool | None = False  # the consumer is a cuDNN-eligible LSTM/GRU (None: unknown)

    def _evidence(self) -> str:
        ev = self.evidence if self.evidence is not None else "padded sequences"
        if isinstance(ev, str):
            return ev
        origin = getattr(ev, "origin", None)
        where = at_line(origin, self.culprit)
        what = "token ids" if is_embedding(self.culprit) else "data"
        return f"{what} padded by {getattr(ev, 'how', 'padding')}{where}"

    def message(self) -> str:
        lay = self.culprit
        src = "" if self.consumer == lay.path else f" from {lay.class_name} {q(lay.path)}"
        return f"{q(self.consumer)} reads {self._evidence()}{src} without a mask, so padded steps are treated as real data"

    def fix(self) -> str:
        if is_embedding(self.culprit):
            post = " and padding='post' to pad_sequences" if self._needs_post() else ""
            return f"pass mask_zero=True to {q(self.culprit.path)}{post} (id 0 must be the padding id)"
        how = getattr(self.evidence, "how", "")
        if isinstance(how, str) and how.endswith(("one_hot", "to_categorical")):  # one-hot of padded ids
            return ("pass a mask computed from the padded ids (ids != pad id) to it: a pad step is the one-hot row "
                    "of the pad id, which Masking(0.0) does not mask")
        return "add a Masking layer (or a mask) in front of it"

    def _needs_post(self) -> bool:
        """Left-padded data into a (possibly) cuDNN-eligible RNN: a mask alone is a cudnn-padding finding."""
        return getattr(self.evidence, "side", None) == "pre" and self.rnn_cudnn is not False

    def _pad_call(self):
        """The ``pad_sequences`` call node of the evidence, when it is in the linted file and its
        ``padding`` can be set by keyword (not passed positionally, no ``*args``/``**kwargs``)."""
        origin = getattr(self.evidence, "origin", None)
        node = getattr(origin, "cst", None)
        if node is None or getattr(origin, "file", None) != getattr(self.culprit, "file", None) \
                or origin.class_name != "pad_sequences":
            return None
        args = getattr(node, "args", ())
        if any(a.star for a in args) or sum(1 for a in args if a.keyword is None) > 3:
            return None
        return node

    def autofix(self) -> dict:
        """node id -> edit: ``mask_zero=True`` on the Embedding call, when the padding is proven 0 (and id 0
        is not a token); with ``padding="post"`` on the ``pad_sequences`` call where :meth:`_needs_post`."""
        from ..ir import PaddingFact

        node = self.culprit.cst
        ev = self.evidence
        if node is None or self.culprit.class_name != "Embedding" or not isinstance(ev, PaddingFact) \
                or ev.value not in (0, 0.0) or ev.ids_start == 0:
            return {}
        edits = {id(node): ("kwarg", node, "mask_zero", "True")}
        if self._needs_post():
            pad = self._pad_call()
            if pad is None:
                return {}
            edits[id(pad)] = ("kwarg", pad, "padding", '"post"')
        return edits

    def fix_safe(self) -> bool:
        return not self._needs_post()
