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


def test_data_sample_findings_are_the_static_rules_records():
    """``--data`` builds the records the static analysis emits (one message function per rule) and renders
    them with finding_of (source ``data``), without Keras."""
    import numpy as np

    from masklint import ir
    from masklint.runtime.data import data_findings, infer_padding

    ids = np.array([[3, 4, 5, 7], [2, 6, 9, 9], [4, 4, 7, 7], [0, 0, 0, 0]])  # not padded; one empty row
    x = np.full((3, 5, 2), 2.0)
    x[0, :2], x[1, :4], x[2, :1] = 0.5, 0.25, 3.0
    x[1, 1] = 0.0  # a real step equal to Masking(0.)'s mask value
    emb = ir.Layer(name="emb", path="emb", class_name="Embedding")
    masking = ir.Layer(name="masking", path="masking", class_name="Masking")
    gru = ir.Layer(name="gru", path="gru", class_name="GRU")
    checks = [
        {"input": "ids", "array": ids, "padding": infer_padding(ids, 0), "producer": emb, "mask_zero": True,
         "mask_value": 0.0, "consumer": None, "rnns": [(gru, "GRU")]},
        {"input": "x", "array": x, "padding": infer_padding(x), "producer": masking, "mask_zero": False,
         "mask_value": 0.0, "consumer": "lstm", "rnns": []},
    ]
    found = data_findings("m.keras", checks)
    got = [(f.code, f.layer, f.consumer, f.source) for f in found]
    assert got == [("MK204", "gru", None, "data"), ("MK201", "masking", "lstm", "data"),
                   ("MK202", "masking", "lstm", "data")], got
    cudnn, mismatch, real = found
    # (it once read "... is has 1 all-padding row" when the sample was not left-padded)
    assert cudnn.message.startswith("the data sample for input 'ids' has 1 all-padding row, and it reaches")
    assert cudnn.fix == "drop empty rows, or pass use_cudnn=False to 'gru'"
    assert cudnn.extra == {"side": None, "empty_rows": 1}
    assert mismatch.message == ("the data sample for input 'x' is padded with 2 on the right (post), 3 of 3 rows "
                                "padded, but Masking 'masking' masks steps equal to 0: padded steps are not masked; "
                                "'lstm' sees padding")
    assert mismatch.fix == "use Masking(mask_value=2) or pad the data with 0"
    assert mismatch.extra == {"pad_value": 2, "mask_value": 0, "side": "post"}
    assert real.message == ("1 real step in 1 row of the data sample for input 'x' holds all features equal to 0 "
                            "(first: row 1, step 1): Masking 'masking' masks steps equal to 0, so it is silently "
                            "skipped as padding")
    assert real.extra == {"steps": 1, "rows": 1} and "flow" not in real.extra
