"""Hypothesis over the notebook reader (``masklint/notebook/``): notebooks made of generated Keras
scripts, mutated in structure (``source`` as a list or a string, magic/shell/help lines injected, keys
deleted, wrong types, other kernels and nbformat versions, hostile outputs), in layout (indentation,
escaping, BOM, CRLF, UTF-16) and in bytes (JSON-text mutations, flips, truncation), plus arbitrary
bytes. Every input ends in findings (located in a cell) or one LintError with a one-line reason --
never another exception. Where ``json.loads`` reads a valid nbformat 4 notebook, the scanner finds the
same code cells with the same sources. The mutators are fuzz/mutators.py, shared with the long run
(fuzz/run_fuzz.py --families notebook)."""
import json
import os
import random
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, keep_on_failure
from masklint.errors import LintError
from masklint.notebook.cells import cell_lines
from masklint.notebook.lint import lint_notebook, read_notebook_bytes
from masklint.notebook.scan import NotebookError
from masklint.reporters.json_format import format_json
from masklint.reporters.text import format_text

sys.path.insert(0, os.path.join(ROOT, "fuzz"))
sys.path.insert(0, os.path.join(ROOT, "bench", "source_corpus"))
import notebook_corpus  # noqa: E402
import mutators as M  # noqa: E402

SEEDS = notebook_corpus.fuzz_seeds(notebook_corpus.scripts(12, 11), 12, 5)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def expected_sources(raw: bytes):
    """The code cells' sources as json.loads reads them, or None when the input is not a valid nbformat 4
    notebook in UTF-8 (the scanner may then reject it or read it leniently)."""
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text[1:] if text.startswith("\ufeff") else text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list) or doc.get("nbformat", 4) != 4:
        return None
    if isinstance(doc.get("nbformat"), bool):
        return None
    out = []
    for c in doc["cells"]:
        if not isinstance(c, dict) or "cell_type" not in c:
            return None
        if c["cell_type"] != "code":
            continue
        src = c.get("source")
        if isinstance(src, list) and all(isinstance(x, str) for x in src):
            src = "".join(src)
        if not isinstance(src, str):
            return None
        out.append(src)
    return out


def check_notebook(raw: bytes):
    want = expected_sources(raw)
    try:
        nb = read_notebook_bytes(raw)
    except NotebookError as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        # a limit json.loads does not have (MAX_DEPTH, MAX_CELLS) is the only reason to refuse a notebook it reads
        assert want is None or "more than" in str(exc), f"json.loads reads this notebook; the scanner says: {exc}"
        return None
    if want is not None:
        assert [c.source for c in nb.cells] == want
        assert [c.index for c in nb.cells] == list(range(1, len(want) + 1))
        for c in nb.cells:
            s, e = c.span
            assert json.loads(raw[s:e].decode("utf-8")) in (c.source, c.texts)
    try:
        findings = lint_notebook(nb, "fuzz.ipynb")
    except LintError as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return None
    for f in findings:
        assert f.code.startswith("MK") and f.message
        if f.path == "fuzz.ipynb" and f.line is not None:
            assert f.cell is not None and 1 <= f.cell <= len(nb.cells), (f.cell, len(nb.cells))
            assert 1 <= f.line <= max(1, len(cell_lines(nb.cells[f.cell - 1].source))), (f.line, f.cell)
            fl = f.extra.get("file_line")
            assert fl is None or 1 <= fl <= raw.count(b"\n") + 1
        format_text(f, False).encode("utf-8", "surrogateescape")
    json.loads(format_json(findings))
    return findings


# Bugs these tests found (fixed): their minimal inputs stay as regression tests.
REGRESSIONS = {
    # the scanner read the first cell before checking that the file goes on after '"cells": ['
    "truncated-after-cells-bracket": b'{"cells": [',
    "truncated-after-cells-colon": b'{"cells":',
    # a second "cells" key replaces the first (json.loads keeps the last), its cells not appended
    "duplicate-cells-key": (b'{"cells": [{"cell_type": "code", "source": "a = 1"}], "nbformat": 4, '
                            b'"cells": [{"cell_type": "code", "source": "b = 2"}]}'),
}


@pytest.mark.parametrize("bug", sorted(REGRESSIONS))
def test_regression(bug):
    check_notebook(REGRESSIONS[bug])


@settings(max_examples=300, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(SEEDS) - 1), n=st.sampled_from([1, 1, 2, 3, 6]))
def test_mutated_notebooks(seed, which, n):
    raw = M.mutate_notebook(SEEDS[which], random.Random(seed), n)
    with keep_on_failure(raw, "mutated_notebook.ipynb"):
        check_notebook(raw)


@settings(max_examples=100, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(SEEDS) - 1))
def test_valid_layouts_agree_with_json_loads(seed, which):
    """Unmutated notebooks in every layout the generator writes: the scanner must read them all."""
    rnd = random.Random(seed)
    raw = M.notebook_bytes(SEEDS[which], rnd)
    with keep_on_failure(raw, "layout.ipynb"):
        if not raw.startswith(b"\xff\xfe"):
            assert check_notebook(raw) is not None


@settings(max_examples=150, **SETTINGS)
@given(data=st.binary(max_size=600), head=st.sampled_from([b"", b"{", b'{"cells": [', b'{"cells": [{"cell_type": "code", "source": ']))
def test_arbitrary_bytes(data, head):
    raw = head + data
    with keep_on_failure(raw, "arbitrary.ipynb"):
        check_notebook(raw)


def test_mutators_keep_no_state():
    """Input i depends on its seed alone (the long run replays inputs by index): the mutators never
    insert a shared value that a later mutation grows in place (a run of 78,000 inputs once grew one
    to gigabytes)."""
    import copy

    before = copy.deepcopy(M.NB_VALUES), copy.deepcopy(SEEDS)
    first = M.mutate_notebook(SEEDS[0], random.Random(7), 6)
    for k in range(300):
        M.mutate_notebook(SEEDS[k % len(SEEDS)], random.Random(k), 6)
    assert M.mutate_notebook(SEEDS[0], random.Random(7), 6) == first
    assert (M.NB_VALUES, SEEDS) == before
