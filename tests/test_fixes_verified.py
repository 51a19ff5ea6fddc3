"""Every autofix is checked: for EVERY fixable fixture of the suite (the rule documents' python blocks,
examples/, tests/fixtures/**.py and the notebook fixtures, collected here, not listed), the fixes
(``--unsafe-fixes``: all of them) are applied, the fixed code is linted again (no new finding, the fixed
ones gone) and the fixed code's models are built with Keras (one subprocess for the session, build only).
Also: safe/unsafe labels, ``--unsafe-fixes``, and the fixes that are not offered because they would not
remove the finding (MK101 across a Conv1D) or would create another (MK204 on left-padded data)."""
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from masklint import fix_edits, fix_plan
from masklint.notebook.lint import lint_notebook_file
from masklint.notebook.write import fix_notebook_file
from masklint.source_lint import _analyse, fix_source_text, lint_source_text

#: layer-level keywords a fix sets, checked on the built models
LAYER_KEYS = ("mask_zero", "mask_value")


def _sources() -> dict[str, tuple[str, str]]:
    """name -> ("py", text) | ("ipynb", path) for every fixture of the suite that holds model code."""
    out: dict[str, tuple[str, str]] = {}
    for doc in sorted(Path(ROOT, "rules").glob("MK*.md")):
        text = doc.read_text(encoding="utf-8")
        for i, m in enumerate(re.finditer(r"^```python[^\n]*\n(.*?)^```", text, re.M | re.S)):
            out[f"{doc.stem.split('-')[0]}_block{i}.py"] = ("py", m.group(1))
    for pattern in ("examples/**/*.py", "tests/fixtures/**/*.py"):
        for p in sorted(Path(ROOT).glob(pattern)):
            if p.name.startswith("make_"):  # fixture generators build the mistakes the tests need on purpose
                continue
            out[str(p.relative_to(ROOT))] = ("py", p.read_text(encoding="utf-8"))
    for p in sorted(Path(ROOT).glob("tests/fixtures/**/*.ipynb")):
        out[str(p.relative_to(ROOT))] = ("ipynb", str(p))
    return out


def _kwargs(plan: dict) -> set:
    """The (keyword, value) pairs a fix plan sets on layer calls."""
    return {(e[2], e[3]) for e in plan.values() if e[0] == "kwarg" and e[2] in LAYER_KEYS}


def _notebook_code(path: str) -> str:
    """The notebook's code cells as one script, IPython magics replaced (as masklint lints it)."""
    from masklint.notebook.lint import python_of, read_notebook

    return python_of(read_notebook(path)).text


@pytest.fixture(scope="module")
def fixed_fixtures(tmp_path_factory):
    """name -> {"before", "after" (findings), "code" (the fixed code as a script), "kwargs"}."""
    d = tmp_path_factory.mktemp("fixed")
    out = {}
    for name, (kind, what) in _sources().items():
        safe_name = re.sub(r"[^A-Za-z0-9_.]", "_", name)
        if kind == "py":
            raw = what.encode()
            try:
                new = fix_source_text(raw, safe_name, unsafe=True)
            except Exception as exc:  # a block that is not Python (a fragment) has no fix to check
                if "syntax error" in str(exc):
                    continue
                raise
            if new is None:
                continue
            before = lint_source_text(raw, safe_name)
            after = lint_source_text(new.encode(), safe_name)
            plan = {}
            for fx in fix_edits.available_in(raw, safe_name):
                plan.update(fx.plan)
            out[name] = {"before": before, "after": after, "code": new, "kwargs": _kwargs(plan),
                         "changed": _changed_lines(what, new)}
        else:
            p = d / safe_name
            shutil.copy(what, p)
            before = lint_notebook_file(str(p))
            if not any(f.autofix for f in before):
                continue
            old_code = _notebook_code(str(p))
            plan = {}
            joined_raw = _joined_bytes(str(p))
            for fx in fix_edits.available_in(joined_raw, str(p)):
                plan.update(fx.plan)
            assert fix_notebook_file(str(p), True, unsafe=True) == "", name
            code = _notebook_code(str(p))
            out[name] = {"before": before, "after": lint_notebook_file(str(p)), "code": code,
                         "kwargs": _kwargs(plan), "changed": _changed_lines(old_code, code)}
    return out


def _changed_lines(old: str, new: str) -> set:
    """The 1-based lines of ``new`` that a fix wrote."""
    sm = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return {j + 1 for tag, _, _, j1, j2 in sm.get_opcodes() if tag != "equal" for j in range(j1, j2)}


def _joined_bytes(path: str) -> bytes:
    from masklint.notebook.lint import encoded, python_of, read_notebook

    return encoded(python_of(read_notebook(path)))


def test_the_fixable_fixtures_are_found(fixed_fixtures):
    names = set(fixed_fixtures)
    # each kind of fixture and each rule with an autofix is represented
    assert "examples/seed_ex3_masking_after_embedding.py" in names
    assert any(n.startswith("MK102_block") for n in names) and any(n.startswith("MK201_block") for n in names)
    assert any(n.startswith("tests/fixtures/realcode/") for n in names)
    assert any(n.endswith(".ipynb") for n in names)
    fixed_codes = {f.code for v in fixed_fixtures.values() for f in v["before"] if f.autofix}
    assert fixed_codes == {"MK101", "MK102", "MK201"}, fixed_codes
    # the unsafe MK101 fix (left padding into a cuDNN LSTM): both pad_sequences calls move to "post"
    reuters = fixed_fixtures["tests/fixtures/fixes/reuters_prepadded_lstm.py"]
    assert [f.autofix["applicability"] for f in reuters["before"]] == ["unsafe"]
    assert reuters["code"].count('maxlen=MAXLEN, padding="post")') == 2
    # MK101 across Conv1D/MaxPooling1D: found, no fix offered
    assert "tests/fixtures/fixes/reviews_conv_lstm.py" not in names
    (f,) = lint_source_text(Path(ROOT, "tests/fixtures/fixes/reviews_conv_lstm.py").read_bytes(), "m.py")
    assert f.code == "MK101" and f.autofix is None


def test_every_fix_relints_without_a_new_finding_and_its_finding_gone(fixed_fixtures):
    for name, v in fixed_fixtures.items():
        before = Counter(f.code for f in v["before"])
        after = Counter(f.code for f in v["after"])
        fixed = Counter(f.code for f in v["before"] if f.autofix)
        assert fixed, name
        for code in set(after) | set(fixed):
            assert after[code] <= before[code] - fixed[code], (name, code, v["before"], v["after"])
        assert not any(f.autofix for f in v["after"]), name  # nothing left to fix: fixes are idempotent


# exec a fixed script (or notebook) as a module that is not __main__ (no training block), with fit/predict/
# save replaced by no-ops; call its model factories (build*/make_model*/create_model*/get_model*/k2_*)
BUILD = r"""
import collections, json, os, sys, types, warnings
from unittest import mock
warnings.simplefilter("ignore")
import numpy as np
import keras
mods = [keras]
try:
    import tf_keras
    mods.append(tf_keras)
except ImportError:
    pass
def _noop(self, *a, **k):
    return None
def _fit(self, *a, **k):  # a History stand-in: notebooks read fit(...).history
    return types.SimpleNamespace(history=collections.defaultdict(lambda: [0.0]), epoch=[0])
def _evaluate(self, *a, **k):
    return [0.0, 0.0]
for m in mods:
    for name in ("predict", "train_on_batch", "save", "save_weights", "load_weights"):
        setattr(m.Model, name, _noop)
    m.Model.fit, m.Model.evaluate = _fit, _evaluate
def _load_data(*a, num_words=None, **k):  # no download: a few random id sequences
    rng = np.random.default_rng(0)
    top = num_words or 100
    xs = np.array([list(rng.integers(1, top, size=n)) for n in (5, 9, 3, 7)], dtype=object)
    ys = np.array([0, 1, 0, 1])
    return (xs, ys), (xs, ys)
for ds in ("imdb", "reuters"):
    setattr(getattr(keras.datasets, ds), "load_data", _load_data)
FACTORIES = ("build", "make_model", "create_model", "get_model", "k2_")
def is_model(v):
    return any(isinstance(v, m.Model) for m in mods)
def layers_of(model, out):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            layers_of(layer, out)
        cfg = layer.get_config()
        out.append([type(layer).__name__, cfg.get("mask_zero"), cfg.get("mask_value")])
import ast
def run_statement(stmt, mod, path):
    # one top-level statement; a missing third-party module is stubbed and a missing data file made up
    # (then the statement runs again); the error that remains, or None
    code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec")
    for _ in range(6):
        try:
            exec(code, mod.__dict__)
            return None
        except ModuleNotFoundError as exc:
            top = (exc.name or "").split(".")[0]
            if not top or top in ("keras", "tensorflow", "tf_keras") or top in sys.modules:
                return f"{type(exc).__name__}: {exc}"
            sys.modules[top] = mock.MagicMock(name=top)
        except FileNotFoundError as exc:
            f = exc.filename
            if not f or os.path.isabs(f) or ".." in f or os.path.exists(f):
                return f"{type(exc).__name__}: {exc}"
            if os.path.splitext(f)[1]:  # a data file: three lines
                os.makedirs(os.path.dirname(f) or ".", exist_ok=True)
                with open(f, "w") as fh:
                    fh.write("1\n0\n1\n")
            else:  # a dataset folder (text_dataset_from_directory): two classes of one text each
                for c in ("neg", "pos"):
                    os.makedirs(os.path.join(f, c))
                    with open(os.path.join(f, c, "1.txt"), "w") as fh:
                        fh.write("a fine text " + c)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
    return "gave up"
out = {}
for i, (name, path) in enumerate(json.loads(sys.argv[1]).items()):
    mod = types.ModuleType(f"fixed_{i}")
    mod.__file__ = path
    sys.modules[mod.__name__] = mod
    models, errors = [], []
    # statement by statement: a statement that needs data this run does not have (a dataset folder)
    # fails alone; the model-building statements still run (build only: fit & co. are no-ops)
    for stmt in ast.parse(open(path, encoding="utf-8").read()).body:
        err = run_statement(stmt, mod, path)
        if err is not None:
            errors.append([stmt.lineno, stmt.end_lineno, err])
    for key, v in list(mod.__dict__.items()):
        if isinstance(v, types.FunctionType) and v.__module__ == mod.__name__ and key.startswith(FACTORIES):
            try:
                models.append(v())
            except TypeError:
                continue
    models += list(mod.__dict__.values())
    found = []
    built = [m for m in models if is_model(m)]
    for m in built:
        layers_of(m, found)
    out[name] = {"models": len(built), "layers": found, "errors": errors}
print(json.dumps(out))
"""


@pytest.mark.timeout(400)
def test_every_fixed_model_builds_with_keras(fixed_fixtures, tmp_path):
    pytest.importorskip("keras")
    files = {}
    for i, (name, v) in enumerate(sorted(fixed_fixtures.items())):
        p = tmp_path / f"fixed_{i}.py"
        p.write_text(v["code"], encoding="utf-8")
        files[name] = str(p)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", MPLBACKEND="Agg",
               KERAS_BACKEND="tensorflow")
    r = subprocess.run([sys.executable, "-c", BUILD, json.dumps(files)], capture_output=True, text=True,
                       cwd=str(tmp_path), env=env, timeout=380)
    assert r.returncode == 0, r.stderr[-3000:]
    built = json.loads(r.stdout.strip().splitlines()[-1])
    for name, v in fixed_fixtures.items():
        b = built[name]
        assert b["models"] >= 1, (name, b)
        for first, last, err in b["errors"]:  # the statements the fix wrote all ran
            assert not any(first <= ln <= last for ln in v["changed"]), (name, first, last, err)
        for key, value in v["kwargs"]:  # what the fix set is in the built model
            want = True if value == "True" else float(value)
            col = 1 if key == "mask_zero" else 2
            assert any(row[col] == want for row in b["layers"]), (name, key, value, b["layers"])


# --- what is offered, and how safe ---------------------------------------------------------------------

def _src(code: str) -> bytes:
    return textwrap.dedent(code).encode()


CONV = _src("""
    import keras
    from keras import layers
    from keras.utils import pad_sequences

    x = pad_sequences([[3, 4, 5], [6]], maxlen=40, padding="post")
    model = keras.Sequential([
        keras.Input((40,), dtype="int32"),
        layers.Embedding(1000, 16),
        layers.Conv1D(32, 5, activation="relu"),
        layers.MaxPooling1D(2),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.fit(x, [0, 1])
""")

PRE_LSTM = _src("""
    import keras
    from keras import layers
    from keras.utils import pad_sequences

    x = pad_sequences([[3, 4, 5], [6]], maxlen=40)
    model = keras.Sequential([
        keras.Input((40,), dtype="int32"),
        layers.Embedding(1000, 16),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.fit(x, [0, 1])
""")


def test_mk101_fix_is_not_offered_across_a_mask_dropping_layer():
    """mask_zero=True in front of Conv1D/MaxPooling1D does not reach the LSTM (MK107 on the fixed code):
    the fix is planned but the self-check drops it; the finding stays, with no fix marked."""
    res = _analyse(CONV, "m.py")
    assert fix_plan.available(res[3], "m.py")  # planned by the rule...
    assert fix_edits.available_in(CONV, "m.py") == []  # ...not offered
    assert fix_source_text(CONV, "m.py", unsafe=True) is None
    (f,) = lint_source_text(CONV, "m.py")
    assert f.code == "MK101" and f.autofix is None
    forced = CONV.decode().replace("Embedding(1000, 16)", "Embedding(1000, 16, mask_zero=True)").encode()
    assert "MK107" in {f.code for f in lint_source_text(forced, "m.py")}


def test_mk101_on_left_padded_data_into_a_cudnn_lstm_also_pads_post_and_is_unsafe():
    (f,) = lint_source_text(PRE_LSTM, "m.py")
    assert f.code == "MK101" and f.autofix["applicability"] == "unsafe"
    assert "padding='post'" in f.autofix["title"]
    assert fix_source_text(PRE_LSTM, "m.py") is None  # safe fixes only: nothing
    new = fix_source_text(PRE_LSTM, "m.py", unsafe=True)
    assert 'pad_sequences([[3, 4, 5], [6]], maxlen=40, padding="post")' in new
    assert "layers.Embedding(1000, 16, mask_zero=True)" in new
    assert lint_source_text(new.encode(), "m.py") == []  # neither MK101 nor MK204
    # mask_zero alone would be MK204
    alone = PRE_LSTM.decode().replace("Embedding(1000, 16)", "Embedding(1000, 16, mask_zero=True)").encode()
    assert [g.code for g in lint_source_text(alone, "m.py")] == ["MK204"]
    # the padding call is not in the linted code (a positional padding side cannot be set by keyword): no fix
    positional = PRE_LSTM.replace(b"maxlen=40)", b'40, "int32", "pre")')
    (g,) = lint_source_text(positional, "m.py")
    assert g.code == "MK101" and g.autofix is None


def test_mk101_on_left_padded_data_into_a_pooling_layer_is_safe_and_keeps_the_padding():
    src = PRE_LSTM.replace(b"layers.LSTM(16)", b"layers.GlobalAveragePooling1D()")
    (f,) = lint_source_text(src, "m.py")
    assert f.autofix == {"applicability": "safe", "title": f.fix}
    new = fix_source_text(src, "m.py")
    assert "mask_zero=True" in new and 'padding="post"' not in new


def test_mk102_is_safe_only_when_the_code_says_id_0_is_the_padding():
    base = """
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(100, 8),
                                  layers.Masking(mask_value={mv}), layers.LSTM(4)])
    """
    (safe,) = lint_source_text(_src(base.format(mv="0.0")), "m.py")
    (unsafe,) = lint_source_text(_src(base.format(mv="-1.0")), "m.py")
    assert safe.autofix["applicability"] == "safe" and unsafe.autofix["applicability"] == "unsafe"
    assert fix_source_text(_src(base.format(mv="-1.0")), "m.py") is None
    assert "mask_zero=True" in fix_source_text(_src(base.format(mv="-1.0")), "m.py", unsafe=True)


def test_available_in_gives_text_edits_for_editors():
    src = PRE_LSTM.replace(b"layers.LSTM(16)", b"layers.GlobalAveragePooling1D()")
    (fx,) = fix_edits.available_in(src, "m.py")
    assert (fx.code, fx.safe, fx.applicability, fx.line) == ("MK101", True, "safe", 9)
    (e,) = fx.edits
    assert (e.start_line, e.start_column, e.end_line, e.end_column) == (9, 1, 10, 1)
    assert e.content == "    layers.Embedding(1000, 16, mask_zero=True),\n"
    assert fix_edits.available_in(PRE_LSTM, "m.py", unsafe=False) == []
    assert [f.applicability for f in fix_edits.available_in(PRE_LSTM, "m.py")] == ["unsafe"]


def test_cli_fix_applies_safe_fixes_only_unless_unsafe_fixes(tmp_path):
    def run_cli_here(*args, cwd):
        return run_cli(*args, cwd=cwd, env={"PYTHONPATH": ROOT})

    (tmp_path / "pre.py").write_bytes(PRE_LSTM)
    (tmp_path / "gap.py").write_bytes(PRE_LSTM.replace(b"layers.LSTM(16)", b"layers.GlobalAveragePooling1D()"))
    r = run_cli_here(".", cwd=str(tmp_path))
    lines = r.stdout.splitlines()
    assert any(ln.startswith("gap.py:9:5: MK101 [warning] [*] ") for ln in lines), r.stdout
    assert any(ln.startswith("pre.py:9:5: MK101 [warning] 'lstm'") for ln in lines), r.stdout
    assert lines[-1] == "[*] 1 fixable with --fix (1 hidden fix can be enabled with --unsafe-fixes)."
    r = run_cli_here(".", "--unsafe-fixes", cwd=str(tmp_path))
    assert r.stdout.splitlines()[-1] == "[*] 2 fixable with --fix."
    data = json.loads(run_cli_here(".", "--format", "json", cwd=str(tmp_path)).stdout)
    assert sorted(d["autofix"]["applicability"] for d in data) == ["safe", "unsafe"]
    r = run_cli_here("--diff", ".", cwd=str(tmp_path))
    assert "a/gap.py" in r.stdout and "a/pre.py" not in r.stdout and r.stderr.endswith("1 file would be fixed.\n")
    r = run_cli_here("--diff", "--unsafe-fixes", ".", cwd=str(tmp_path))
    assert "a/gap.py" in r.stdout and 'padding="post"' in r.stdout
    r = run_cli_here("--fix", ".", cwd=str(tmp_path))
    assert r.returncode == 1 and b"mask_zero=True" not in (tmp_path / "pre.py").read_bytes()
    assert b"mask_zero=True" in (tmp_path / "gap.py").read_bytes()
    (tmp_path / "pyproject.toml").write_text("[tool.masklint]\nunsafe-fixes = true\n")
    r = run_cli_here("--fix", ".", cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert b'padding="post"' in (tmp_path / "pre.py").read_bytes()
    (tmp_path / "pyproject.toml").write_text("[tool.masklint]\nunsafe-fixes = 1\n")
    r = run_cli_here(".", cwd=str(tmp_path))
    assert r.returncode == 2 and "unsafe-fixes: expected true or false" in r.stderr


# --- the measurement behind "not across a mask-dropping layer" -----------------------------------------

@pytest.mark.timeout(120)
def test_measured_mask_zero_does_not_stop_the_leak_through_conv1d():
    """Embedding(mask_zero=True) -> Conv1D -> MaxPooling1D -> LSTM: the same sequence post-padded to 24
    and to 48 steps still gives different outputs, as without the mask: adding mask_zero=True there does
    not fix the leak, so the fix is not offered."""
    keras = pytest.importorskip("keras")
    import numpy as np

    seq = np.arange(1, 13)

    def gap(mask_zero):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(50, 8, mask_zero=mask_zero),
                              keras.layers.Conv1D(8, 3, activation="relu"), keras.layers.MaxPooling1D(2),
                              keras.layers.LSTM(4)])
        outs = [np.asarray(m(np.pad(seq, (0, n - len(seq)))[None])) for n in (24, 48)]
        return float(np.abs(outs[0] - outs[1]).max())

    assert gap(False) > 1e-3 and gap(True) > 1e-3


def test_notebook_unsafe_fix_only_with_unsafe_fixes(tmp_path):
    cells = [["import keras\n", "from keras import layers"],
             ["(x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=20000)\n",
              "x_train = keras.utils.pad_sequences(x_train, maxlen=200)"],
             ["model = keras.Sequential([\n", "    layers.Embedding(20000, 64),\n", "    layers.LSTM(64),\n",
              "    layers.Dense(1, activation=\"sigmoid\"),\n", "])"]]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "train.ipynb"
    p.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    (f,) = lint_notebook_file(str(p))
    assert f.autofix["applicability"] == "unsafe" and f.cell == 3
    assert fix_notebook_file(str(p), False) is None
    diff = fix_notebook_file(str(p), False, unsafe=True)
    assert 'maxlen=200, padding="post")' in diff and "mask_zero=True" in diff


def test_a_fix_that_moves_the_leak_elsewhere_is_not_offered_in_real_code():
    """keras-io's Transformer classifier (realcode fixture): mask_zero=True on its token embedding would
    reach a custom block that drops the mask (MK104 on the fixed code): the MK101 stays, with no fix."""
    raw = Path(ROOT, "tests/fixtures/realcode/kerasio_transformer_classifier.py").read_bytes()
    res = _analyse(raw, "m.py")
    planned = fix_plan.available(res[3], "m.py")
    assert [f.code for f in planned] == ["MK101"]
    new = fix_plan.merged(planned)
    from masklint.fixes import apply

    assert "MK104" in {f.code for f in lint_source_text(apply(res[1], new).encode(), "m.py")}
    assert [(f.code, f.autofix) for f in lint_source_text(raw, "m.py")] == [("MK101", None)]
