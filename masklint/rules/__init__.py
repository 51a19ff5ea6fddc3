"""The rules: one module per rule code (``mkNNN_rule_name.py``), each with its metadata, its typed record,
the record's message, fix and report roles, and any check that belongs to it alone (see base.py and
CONTRIBUTING.md). This package is the registry: the rule modules found here, by code and by name. A new
rule module is registered by being here; the analysis imports its record from the module itself.
"""
from __future__ import annotations

import importlib
import os
import re

from .base import Record, Rule

_HERE = os.path.dirname(os.path.abspath(__file__))
_MODULE = re.compile(r"^mk\d{3}_[a-z0-9_]+\.py$")

#: the rule modules, in catalogue (code) order
MODULES = tuple(importlib.import_module(f"{__name__}.{f[:-3]}") for f in sorted(os.listdir(_HERE)) if _MODULE.match(f))
#: code -> Rule, in catalogue order
RULES: dict[str, Rule] = {m.RULE.code: m.RULE for m in MODULES}
#: rule name -> code
NAMES: dict[str, str] = {r.name: r.code for r in RULES.values()}

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def resolve(token: str) -> str | None:
    """A code (any case) or rule name -> its code; None when it is not a masklint rule."""
    up = token.upper()
    return up if up in RULES else NAMES.get(token.lower())


__all__ = ["MODULES", "NAMES", "RULES", "Record", "Rule", "SEVERITIES", "SEVERITY_RANK", "resolve"]
