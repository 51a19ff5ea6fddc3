"""Rules as units: every rule lives in one module of ``masklint/rules/`` and nowhere else.

* its code string appears in that module and in no other file of ``masklint/`` (the rule documents in
  ``rules/`` and the tests aside): the analysis, front ends, runtime and reporters refer to rules through
  the rule modules' records and ``RULE`` objects only;
* the module is named after the code and the name, declares ``RULE``, and has a document;
* every record class of a rule says something: ``message()`` is its own (a rule without a message is a
  test failure, never a bare code in the output), and so are ``fix()`` and ``roles()`` where the base
  class's would be wrong.
"""
from __future__ import annotations

import importlib
import inspect
import os
import re
from pathlib import Path

import pytest

from masklint import rules
from masklint.rules.base import Record

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "masklint"
CODE = re.compile(r"\bMK\d{3}\b")


def _python_files():
    for dirpath, dirnames, filenames in os.walk(PKG):  # os.walk does not follow symlinks (rules_docs)
        for f in filenames:
            if f.endswith(".py"):
                yield Path(dirpath) / f


def _module_file(code: str) -> Path:
    rule = rules.RULES[code]
    return PKG / "rules" / f"{code.lower()}_{rule.name.replace('-', '_')}.py"


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_a_rule_code_appears_in_its_own_module_only(code):
    where = sorted(str(p.relative_to(ROOT)) for p in _python_files() if code in p.read_text(encoding="utf-8"))
    assert where == [str(_module_file(code).relative_to(ROOT))], where


def test_no_other_rule_code_anywhere():
    """No code outside the catalogue hides in the package (a typo, a removed rule)."""
    stray = {}
    for p in _python_files():
        for c in set(CODE.findall(p.read_text(encoding="utf-8"))) - set(rules.RULES):
            stray.setdefault(c, []).append(str(p.relative_to(ROOT)))
    assert stray == {}


@pytest.mark.parametrize("module", rules.MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_rule_module_layout(module):
    rule = module.RULE
    assert Path(module.__file__) == _module_file(rule.code)
    assert rule.severity in rules.SEVERITIES and rule.summary and module.__doc__
    assert module.__doc__.startswith(f"{rule.code} {rule.name}")
    assert (ROOT / "rules" / f"{rule.code}-{rule.name}.md").is_file()


def _records():
    out = []
    for module in rules.MODULES:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Record) and cls is not Record and cls.__module__ == module.__name__:
                out.append(cls)
    return out


@pytest.mark.parametrize("cls", _records(), ids=lambda c: c.__name__)
def test_every_record_has_its_own_message_and_fix(cls):
    assert cls.RULE is importlib.import_module(cls.__module__).RULE
    assert cls.message is not Record.message, f"{cls.__name__} has no message()"
    assert cls.fix is not Record.fix, f"{cls.__name__} has no fix()"
    # the first two fields are the culprit and the consumer, as the analysis constructs them
    assert cls._fields[:2] == ("culprit", "consumer")


def test_a_record_without_a_message_fails_loudly():
    """finding_of refuses an empty message: the old renderer printed the bare code."""
    from masklint.findings import finding_of

    class Mute(Record):
        RULE = rules.RULES["MK104"]

        def __init__(self):
            self.culprit, self.consumer = None, None

        def message(self):
            return ""

    with pytest.raises(AssertionError):
        finding_of(Mute(), "x.keras")
