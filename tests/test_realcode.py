"""The realistic-code corpus (tests/fixtures/realcode, issue 12): scripts and small projects written in
the style of public Keras code, with the findings Keras semantics call for (expected.json).

* ``test_models_found``: ``masklint models`` finds a model in (nearly) every file that builds one.
* ``test_expected_findings``: the linter's (code, file, line) set equals the manifest's, per fixture.
  The manifest is the target, derived from Keras semantics; it is never edited to match the output.
* ``test_leak_is_real``: every fixture the manifest says leaks (and the correct near-misses that carry a
  ``probe``) is built with Keras and fed the same tokens with two padding lengths: outputs at the real
  positions must differ for leaks (> 1e-4) and agree for near-misses (< 1e-5).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from conftest import ROOT, run_cli

REALCODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "realcode")
with open(os.path.join(REALCODE, "expected.json"), encoding="utf-8") as _fh:
    MANIFEST: dict = json.load(_fh)

LEAK_MIN = 1e-4  # a leak changes real outputs by more than this
SAME_MAX = 1e-5  # a correct model's real outputs agree within this


def _model_file(name: str) -> str:
    entry = MANIFEST[name]
    return os.path.join(name, entry["model_file"]) if entry.get("model_file") else name


# --------------------------------------------------------------------------------------------------
# 1. masklint models finds the models
# --------------------------------------------------------------------------------------------------
def _models_command_missing() -> str | None:
    """A reason when this checkout's CLI has no ``models`` subcommand, else None."""
    r = subprocess.run([sys.executable, "-m", "masklint", "--help"], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    commands = [ln.split()[0] for ln in r.stdout.split("Commands:", 1)[-1].splitlines() if ln.strip()]
    return None if "models" in commands else "the 'masklint models' subcommand is not in this checkout yet"


def test_models_found():
    reason = _models_command_missing()
    if reason:
        pytest.skip(reason)
    r = run_cli("models", REALCODE, "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    found = {}
    for item in json.loads(r.stdout):
        rel = os.path.relpath(os.path.join(ROOT, item["path"]), REALCODE)
        found[rel] = bool(item.get("models"))
    wanted = sorted(_model_file(n) for n, e in MANIFEST.items() if e["builds_model"])
    misses = [f for f in wanted if not found.get(f)]
    print("files that build a model but where none was found:", misses)
    assert len(wanted) - len(misses) >= 0.95 * len(wanted), misses
    spurious = sorted(n for n, e in MANIFEST.items() if not e["builds_model"] and found.get(n))
    assert not spurious, f"models reported in library files that build none: {spurious}"


# --------------------------------------------------------------------------------------------------
# 2. the expected findings
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_expected_findings(name):
    from masklint.runner import lint_paths

    res = lint_paths([os.path.join(REALCODE, name)], jobs=1)
    assert not res.errors, res.errors
    got = {(f.code, os.path.basename(f.path), f.line) for f in res.findings}
    want = {(f["code"], os.path.basename(f["file"]), f["line"]) for f in MANIFEST[name]["findings"]}
    detail = [(f.code, os.path.basename(f.path), f.line, f.message) for f in res.findings]
    assert not got - want, f"unexpected {sorted(got - want)}; all: {detail}"  # never a false alarm
    gap = MANIFEST[name].get("known_gap")
    if gap is not None:  # a mistake masklint does not find yet: listed, and the test says when it does
        assert got != want, f"{name} is found now: remove its known_gap"
        pytest.xfail(f"not found yet: {gap}")
    assert got == want, f"missing {sorted(want - got)}, unexpected {sorted(got - want)}; all: {detail}"


def test_manifest_is_consistent():
    """Every fixture is in the manifest; every finding names a file of its fixture and a why; leaks have
    probes; about 40 % of the fixtures hold a mistake; at least 5 projects."""
    on_disk = sorted(n for n in os.listdir(REALCODE) if n != "expected.json" and n != "__pycache__")
    assert sorted(MANIFEST) == on_disk
    projects = [n for n in MANIFEST if os.path.isdir(os.path.join(REALCODE, n))]
    assert len(projects) >= 5
    scripts = sum(len([f for f in os.listdir(os.path.join(REALCODE, n)) if f.endswith(".py")]) if n in projects else 1
                  for n in MANIFEST)
    assert scripts >= 45
    for name, e in MANIFEST.items():
        for f in e["findings"]:
            path = os.path.join(REALCODE, name, f["file"]) if name in projects else os.path.join(REALCODE, name)
            assert os.path.basename(path) == os.path.basename(f["file"]) and os.path.isfile(path), (name, f)
            assert 1 <= f["line"] <= len(open(path).read().splitlines()) and f["why"], (name, f)
        assert e["leaks"] is None or "probe" in e, name
    with_mistake = sum(1 for e in MANIFEST.values() if e["findings"]) / len(MANIFEST)
    assert 0.3 <= with_mistake <= 0.6, with_mistake


# --------------------------------------------------------------------------------------------------
# 3. the leaks are real: measured with Keras
# --------------------------------------------------------------------------------------------------
PROBED = sorted(n for n, e in MANIFEST.items() if e.get("probe") and e["leaks"] is not None)


@contextlib.contextmanager
def _fixture_imports(name: str):
    """sys.path for a project (its directory, or the corpus directory for a package), and the modules
    the fixture imports (data, model...) forgotten afterwards so projects never see each other's."""
    path = os.path.join(REALCODE, name)
    extra = []
    if os.path.isdir(path):
        extra = [REALCODE] if os.path.isfile(os.path.join(path, "__init__.py")) else [path]
    before = set(sys.modules)
    sys.path[:0] = extra
    try:
        yield
    finally:
        for p in extra:
            sys.path.remove(p)
        for mod in set(sys.modules) - before:
            if not mod.startswith(("keras", "tensorflow", "tf_keras", "numpy", "absl", "google", "h5py")):
                sys.modules.pop(mod, None)


def _import_builder(name: str, probe: dict):
    path = os.path.join(REALCODE, name)
    if os.path.isdir(path):
        stem = os.path.splitext(probe["module"])[0]
        if os.path.isfile(os.path.join(path, "__init__.py")):
            module = importlib.import_module(f"{name}.{stem}")
        else:
            module = importlib.import_module(stem)
    else:
        spec = importlib.util.spec_from_file_location(f"realcode_{os.path.splitext(name)[0]}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return getattr(module, probe["builder"])


def _real_rows(probe: dict, rng) -> list[list[np.ndarray]]:
    """Two samples per input, of 6 and 4 real steps (the same lengths for every input of a sample)."""
    lengths = (6, 4)
    n_inputs = probe.get("inputs", 1)
    rows = []
    for i in range(n_inputs):
        if probe["input"] == "features":
            rows.append([rng.normal(size=(n, probe["features"])).astype("float32") for n in lengths])
        else:
            vocab = probe["vocab"][i] if isinstance(probe["vocab"], list) else probe["vocab"]
            low = probe.get("low", 1)
            rows.append([rng.integers(low, vocab, size=n) for n in lengths])
    return rows


def _pad(rows: list[np.ndarray], length: int, probe: dict) -> np.ndarray:
    first = rows[0]
    shape = (len(rows), length) + first.shape[1:]
    dtype = "float32" if probe["input"] == "features" else "int32"
    out = np.full(shape, probe["value"], dtype=dtype)
    for i, r in enumerate(rows):
        if probe["padding"] == "post":
            out[i, :len(r)] = r
        else:
            out[i, length - len(r):] = r
    if probe["input"] == "onehot":
        out = np.eye(probe["depth"], dtype="float32")[out]
    return out


def _no_input_spec(model):
    """Let a model built for a fixed length (Input(shape=(MAXLEN,))) accept other lengths: the weights do
    not depend on the length, only Keras' input check does."""
    for m in (model, getattr(model, "_functional", None)):
        if m is not None:
            with contextlib.suppress(AttributeError):
                m.input_spec = None


def _perturb(model, rng):
    """Fresh weights have zero biases: unmasked left padding then keeps an RNN's state exactly 0 and hides
    the leak (reference §5). Random offsets on every weight make the measurement honest."""
    for w in model.weights:
        if w.dtype not in ("float32", "float64") or not getattr(w, "trainable", True):
            continue
        w.assign(np.asarray(w) + rng.normal(scale=0.1, size=w.shape).astype(w.dtype))


def _real_outputs(out, lengths, total: int, padding: str) -> np.ndarray:
    out = np.asarray(out[0] if isinstance(out, (list, tuple)) else out)
    if out.ndim >= 3 and out.shape[1] == total:  # a per-step output: compare the real steps only
        parts = [out[i, :n] if padding == "post" else out[i, total - n:] for i, n in enumerate(lengths)]
        return np.concatenate([p.reshape(-1) for p in parts])
    return out.reshape(-1)


@pytest.mark.parametrize("name", PROBED)
def test_leak_is_real(name):
    keras = pytest.importorskip("keras")
    entry = MANIFEST[name]
    probe = entry["probe"]
    with warnings.catch_warnings(), _fixture_imports(name):
        warnings.simplefilter("ignore")
        try:
            build = _import_builder(name, probe)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in ("keras_nlp", "keras_hub"):
                pytest.skip(f"{exc.name} is not installed: cannot build this fixture")
            raise
        keras.utils.set_random_seed(0)
        model = build(**probe["kwargs"])
        rng = np.random.default_rng(0)
        rows = _real_rows(probe, rng)
        _no_input_spec(model)
        longest = max(len(r) for r in rows[0])
        lengths = [len(r) for r in rows[0]]
        outs = []
        # the longest sample is unpadded in the first batch: a leak through max pooling shows too
        for total in (longest, longest + 7):
            batch = [_pad(r, total, probe) for r in rows]
            if len(outs) == 0:
                model(batch if len(batch) > 1 else batch[0])  # build the weights, then perturb them
                _perturb(model, np.random.default_rng(1))
            y = model(batch if len(batch) > 1 else batch[0], training=False)
            outs.append(_real_outputs(y, lengths, total, probe["padding"]))
    diff = float(np.max(np.abs(outs[0] - outs[1])))
    print(f"{name}: max |output(pad {longest}) - output(pad {longest + 7})| = {diff:.3g}")
    if entry["leaks"]:
        assert diff > LEAK_MIN, f"{name} is said to leak but its outputs do not depend on padding ({diff:.3g})"
    else:
        assert diff < SAME_MAX, f"{name} is said to be correct but its outputs depend on padding ({diff:.3g})"
