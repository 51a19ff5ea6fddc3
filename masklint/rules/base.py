"""What every rule module is made of: its :class:`Rule` (code, name, default severity, summary) and a
:class:`Record` subclass -- the typed record of what the analysis (or the runtime probe, or a ``--data``
sample) found, which the rule turns into a message, a fix and the roles the reports draw.

A rule module holds, in this order (see CONTRIBUTING.md):

* ``RULE = Rule(code, name, severity, summary)``;
* one ``Record`` subclass (its fields are what the analysis measured: culprit, consumer and the rule's
  own facts), with ``message()``, ``fix()`` and ``roles()`` (and ``extra()`` for measurements the
  finding carries as data);
* any check that belongs to the rule alone (an autofix plan, a source-text check).
"""
from __future__ import annotations

import math

from .._record import record


@record
class Rule:
    code: str
    name: str
    severity: str
    summary: str


def q(s) -> str:
    """A layer or variable name as the messages quote it."""
    return f"'{s}'"


def at_line(origin, culprit) -> str:
    """`` (line N)`` where ``origin`` is built, or `` (data.py:N)`` when that is another file than the
    culprit's (a project's helpers, ``frontends/source/modules.py``); "" when unknown."""
    if origin is None or not getattr(origin, "line", None):
        return ""
    f = getattr(origin, "file", None)
    if f is not None and f != getattr(culprit, "file", None):
        return f" ({f[2:] if f.startswith('./') else f}:{origin.line})"
    return f" (line {origin.line})"


def num(x) -> str:
    """A measured number (a difference, a tolerance, a pad value) as the messages print it."""
    if x is None:
        return "?"
    x = float(x)
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.2g}" if abs(x) < 1e-3 or abs(x) >= 1e4 else f"{x:.4g}"


def sample_of(input_name: str) -> str:
    """The ``--data`` sample of one model input, as the messages name it."""
    return f"the data sample for input {input_name!r}"


def masks_what(path: str, mask_zero: bool, mask_value) -> str:
    """What a mask producer masks: ``Embedding(mask_zero=True)`` id 0, or ``Masking`` its ``mask_value``."""
    if mask_zero:
        return f"Embedding {q(path)} with mask_zero=True masks id 0"
    return f"Masking {q(path)} masks steps equal to {mask_value!r}"


class Record:
    """A finding before it is located and rendered: the culprit layer (an IR ``Layer``: the layer, op or
    source call that is wrong) and the consumer it breaks (a layer path, ``"loss"`` or None), plus the
    rule's own fields. Subclasses are ``@record`` classes that start with these two fields.

    The analysis keeps one record per (rule, culprit): a second sighting only fills what the first one
    left unknown (:meth:`merge`) and names the first consumer reached (:meth:`reach`)."""

    RULE: Rule
    #: what the culprit does to the mask, for the reports' arrows (``unknown``, ``missing``, ``dropped``...)
    HOW = "other"

    culprit: object
    consumer: str | None

    # -- bookkeeping ----------------------------------------------------------------------------
    def reach(self, consumer: str | None) -> None:
        if self.consumer is None and consumer:
            self.consumer = consumer

    def merge(self, other: "Record") -> None:
        self.reach(other.consumer)
        for name in type(self)._fields:
            if getattr(self, name, None) is None and getattr(other, name, None) is not None:
                setattr(self, name, getattr(other, name))

    @property
    def code(self) -> str:
        return self.RULE.code

    # -- what the rule says ---------------------------------------------------------------------
    def message(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} has no message")

    def fix(self) -> str | None:
        return None

    def autofix(self) -> dict:
        """node id -> edit (``masklint/fixes.py``): the source edit that removes this finding; {} when none."""
        return {}

    def fix_safe(self) -> bool:
        """Whether :meth:`autofix` is safe in ruff's sense (``masklint/fix_plan.py``): certainly what the
        code meant, proven by the linted code; unsafe fixes are applied only with ``--unsafe-fixes``."""
        return True

    def consumer_phrase(self) -> str:
        c = self.consumer
        if c is None:
            return ""
        if c == "loss":
            return "; the loss counts padded steps"
        return f"; {q(c)} sees padding"

    def extra(self) -> dict:
        """What the rule measured, for ``Finding.extra`` (the probe's differences and tolerances, a data
        sample's counts); nothing by default."""
        return {}

    def roles(self) -> dict:
        """The mask path for the Markdown/Mermaid and SARIF reports: ``how`` (what the culprit does),
        ``detail``, and per role -- ``producer`` (who created the mask at stake), ``upstream`` (what feeds
        the culprit when that matters), ``replaced`` (a mask it replaces), ``culprit``, ``consumer`` --
        a ``(path, class, layer)`` triple (class and layer where known, else None)."""
        return {"how": self.HOW, "detail": None, "producer": None, "upstream": None, "replaced": None,
                "culprit": (self.culprit.path, self.culprit.class_name, self.culprit),
                "consumer": (self.consumer, None, None)}

    def _roles(self, **changes) -> dict:
        out = Record.roles(self)
        out.update(changes)
        return out
