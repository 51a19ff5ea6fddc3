"""Hypothesis over the source and HDF5 front ends (the model-config side is tests/test_fuzz_configs.py):
mutated real model scripts, generated model code, arbitrary text and bytes, mutated legacy .h5 models
and .h5 files with odd attributes. Every input ends in findings or one LintError with a one-line
reason (the CLI's exit-2 line) -- never another exception. The mutators are fuzz/mutators.py, shared
with the long standalone run (fuzz/run_fuzz.py). A failing input is kept for replay
(conftest.keep_on_failure: $MASKLINT_FUZZ_FAILURES, else .pytest_cache/masklint-fuzz-failures/)."""
import glob
import os
import random
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KERAS2_DIR, ROOT, keep_on_failure
from masklint.errors import LintError
from masklint.lint import lint_model_file
from masklint.loaders import load
from masklint.source_lint import lint_source_text

sys.path.insert(0, os.path.join(ROOT, "fuzz"))
import mutators as M  # noqa: E402



def _scripts() -> list[str]:
    """The example scripts and 40 generated model scripts (bench/source_corpus/make_corpus.py: every
    spelling of the Keras imports, Sequential/add/functional/helpers/subclassing, data padding)."""
    out = [open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "source_corpus", "make_corpus.py"), d,
                        "--n", "40", "--seed", "7"], check=True, capture_output=True, timeout=120)
        out += [open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(d, "*.py")))]
    return out


SCRIPTS = _scripts()
H5_SEEDS = sorted(glob.glob(os.path.join(KERAS2_DIR, "*.h5")))
# never derandomize/database here: those come from the hypothesis profile (tests/conftest.py)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def short_h5_deadline():
    # a mutated file can make the HDF5 library loop forever: masklint kills its reader after this
    old = os.environ.get("MASKLINT_H5_TIMEOUT")
    os.environ["MASKLINT_H5_TIMEOUT"] = "3"
    yield
    if old is None:
        os.environ.pop("MASKLINT_H5_TIMEOUT", None)
    else:
        os.environ["MASKLINT_H5_TIMEOUT"] = old


# Bugs these tests found (fixed): their minimal inputs stay as regression tests.
REGRESSIONS = {
    # libcst raises CSTValidationError (not ParserSyntaxError) for a character its tokenizer takes for a
    # name but str.isidentifier() rejects
    "cst-validation-error": "import keras\n\U00013441\n",
    # knowledge.resolve: `activation in ZERO_ACTIVATIONS` with an unhashable value, e.g. a custom
    # activation function (saved as a dict) or Activation([]) in source
    "unhashable-activation": ("import keras\nfrom keras import layers\nm = keras.Sequential([keras.Input((None, 3)), "
                              "layers.Masking(0.0), layers.Activation([]), layers.LSTM(2)])\n"),
}


@pytest.mark.parametrize("bug", sorted(REGRESSIONS))
def test_regression(bug):
    """The minimal input of each bug found ends in findings or one LintError."""
    check_source(REGRESSIONS[bug].encode())


def check_source(raw: bytes):
    try:
        findings = lint_source_text(raw, "fuzz.py")
    except Exception as exc:  # noqa: BLE001
        if not isinstance(exc, LintError):
            raise
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return None
    for f in findings:
        assert f.code.startswith("MK") and f.message and f.path == "fuzz.py"
        assert f.line is None or f.line >= 1
    return findings


def check_model_file(path: str):
    try:
        findings = lint_model_file(path)
    except Exception as exc:  # noqa: BLE001
        if not isinstance(exc, LintError):
            raise
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return None
    for f in findings:
        assert f.code.startswith("MK") and f.message
    return findings


# --------------------------------------------------------------------------------------------------
# Python source
# --------------------------------------------------------------------------------------------------

@settings(max_examples=400, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(SCRIPTS) - 1), n=st.sampled_from([1, 2, 3, 6, 12]))
def test_mutated_scripts(seed, which, n):
    """Lines deleted, duplicated, swapped; names and literals replaced (self references, recursion,
    NaN, 1e309, undefined names); indentation broken; truncation; BOM, CRLF, stray bytes."""
    raw = M.mutate_source(SCRIPTS[which], random.Random(seed), n)
    with keep_on_failure(raw, "mutated_script.py"):
        check_source(raw)


LAYERS = ["layers.Embedding({a}, 8, mask_zero={b})", "layers.Masking({v})", "layers.LSTM(4, return_sequences={b})",
          "layers.GRU(4)", "layers.Conv1D(4, {a}, padding={p})", "layers.GlobalAveragePooling1D()",
          "layers.Dense({a})", "layers.Bidirectional(layers.LSTM(2, return_sequences={b}))",
          "layers.TimeDistributed(layers.Dense(2))", "layers.Lambda(lambda t: t * 2)", "layers.Flatten()",
          "layers.Reshape(({a}, -1))", "layers.Dropout(0.1)", "layers.LayerNormalization(axis={a})",
          "layers.MultiHeadAttention(2, 4)", "layers.Activation({p})", "layers.Softmax()", "keras.Input(({a}, 3))",
          "layers.StringLookup(mask_token={p})", "MyLayer()", "layers.RepeatVector({a})"]
VALUES = ["0", "1", "-1", "None", "True", "False", "0.0", "float('nan')", "1e309", "10**30", "'x'", "[]", "PAD",
          "'same'", "'causal'", "'relu'", "x", "-(2**63)"]


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), style=st.sampled_from(["list", "add", "functional", "helper", "subclass"]))
def test_generated_models(data, style):
    """Model code assembled from real layer calls with arbitrary (often wrong-typed) arguments, in the
    five styles the source front end follows."""
    calls = data.draw(st.lists(st.sampled_from(LAYERS), min_size=1, max_size=8))
    calls = [c.format(a=data.draw(st.sampled_from(VALUES)), b=data.draw(st.sampled_from(VALUES)),
                      v=data.draw(st.sampled_from(VALUES)), p=data.draw(st.sampled_from(VALUES))) for c in calls]
    head = "import keras\nfrom keras import layers\nPAD = -1\n"
    if style == "list":
        body = f"model = keras.Sequential([{', '.join(calls)}])\n"
    elif style == "add":
        body = "model = keras.Sequential()\n" + "".join(f"model.add({c})\n" for c in calls)
    elif style == "functional":
        body = "inp = keras.Input((None,))\nx = inp\n" + "".join(f"x = {c}(x)\n" for c in calls)
        body += "model = keras.Model(inp, x)\n"
    elif style == "helper":
        body = "def block(x):\n" + "".join(f"    x = {c}(x)\n" for c in calls) + "    return x\n"
        body += "i = keras.Input((None, 3))\nmodel = keras.Model(i, block(block(i)))\n"
    else:
        body = "class M(keras.Model):\n    def __init__(self):\n        super().__init__()\n"
        body += "".join(f"        self.l{k} = {c}\n" for k, c in enumerate(calls))
        body += "    def call(self, x):\n" + "".join(f"        x = self.l{k}(x)\n" for k in range(len(calls)))
        body += "        return x\n"
    raw = (head + body).encode()
    with keep_on_failure(raw, "generated_model.py"):
        check_source(raw)


@settings(max_examples=300, **SETTINGS)
@given(text=st.text(alphabet=st.sampled_from(list("()[]{}:,.=+-*/ \n\t'\"#\\@0123456789_abcxyzLSTM")) | st.characters(),
                    max_size=300))
def test_arbitrary_text(text):
    raw = ("import keras\nfrom keras import layers\n" + text).encode("utf-8", "surrogatepass")
    with keep_on_failure(raw, "arbitrary_text.py"):
        check_source(raw)


@settings(max_examples=300, **SETTINGS)
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_as_source(data):
    raw = b"import keras\n" + data
    with keep_on_failure(raw, "arbitrary_bytes.py"):
        check_source(raw)


# --------------------------------------------------------------------------------------------------
# HDF5
# --------------------------------------------------------------------------------------------------

@settings(max_examples=250, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(H5_SEEDS) - 1),
       n=st.sampled_from([1, 2, 4, 16, 64]), truncate=st.booleans())
def test_mutated_h5_models(tmp_path_factory, seed, which, n, truncate):
    """Real Keras 2 .h5 models with bytes flipped, overwritten, inserted, deleted or cut off."""
    rnd = random.Random(seed)
    data = open(H5_SEEDS[which], "rb").read()
    data = data[:rnd.randrange(len(data) + 1)] if truncate else M.mutate_bytes(data, rnd, n)
    p = tmp_path_factory.mktemp("h5") / "m.h5"
    p.write_bytes(data)
    with keep_on_failure(data, "mutated_h5.h5"):
        check_model_file(str(p))


@settings(max_examples=100, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(H5_SEEDS) - 1))
def test_h5_with_odd_attributes(tmp_path_factory, seed, which):
    """model_config of the wrong type (int, float array, string array, void, empty), invalid UTF-8,
    nesting 3,000 deep, a non-string keras_version, no model_config at all."""
    rnd = random.Random(seed)
    import json

    config = json.dumps(load(H5_SEEDS[which]).config).encode()
    p = tmp_path_factory.mktemp("h5attr") / "m.h5"
    p.write_bytes(M.h5_attr_variants(rnd, config))
    with keep_on_failure(str(p), "odd_attributes.h5"):
        check_model_file(str(p))


REPRODUCERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz", "regressions")


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(REPRODUCERS) if n != "README.md"))
def test_fixed_reproducers(tmp_path, name):
    """Every input that once crashed, hung or printed an internal error ends in findings or one clean
    exit-2 line through the real CLI."""
    import shutil
    import subprocess
    import sys

    src = os.path.join(REPRODUCERS, name)
    target = tmp_path / (name[:-4] if name.endswith(".py.txt") else name)
    shutil.copy(src, target)
    env = dict(os.environ, MASKLINT_H5_TIMEOUT="5")
    r = subprocess.run([sys.executable, "-m", "masklint", str(target)], capture_output=True, timeout=120, env=env)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode in (0, 1, 2) and "Traceback" not in err and "internal error" not in err, err[-2000:]
    if r.returncode == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("masklint: error: "), err
