"""Version- and backend-aware knowledge (``masklint/knowledge/versions.py``).

* Keras >= 3.16 sets ``supports_masking = False`` on RNN, Bidirectional and TimeDistributed
  (keras-team/keras#23235): they still consume their input mask, but ``Layer.__call__`` no longer calls
  their ``compute_mask`` (``layers/layer.py``, ``_set_mask_metadata`` only when ``supports_masking``),
  so the output has no mask. Read from keras-nightly 3.16.0.dev2026102704 (``layers/rnn/rnn.py``,
  ``bidirectional.py``, ``time_distributed.py``) and measured there with ``test_keras316_leak_measured``
  (run with ``MASKLINT_KERAS316_PATH`` set to a directory holding that unpacked wheel; skipped
  otherwise): the ``sensor_lstm_average.py`` model's output changed by 0.0077 between 1 and 10 padding
  steps on the nightly, and by 0.0 on the installed 3.15.1 (measured below on every run).
* MK204 (cuDNN right padding) holds on the TensorFlow backend, and on PyTorch for Keras 3.10-3.13.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from conftest import ROOT

from masklint import lint_paths
from masklint.config import ConfigError
from masklint.knowledge import versions
from masklint.knowledge.versions import Target
from masklint.lint import lint_model_file
from masklint.source_lint import lint_source_file

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "versions")
SAVED_316 = os.path.join(FIX, "sensor_lstm_average_keras316.keras")


def _fixture(name: str) -> str:
    return os.path.join(FIX, name)


def _codes(findings) -> set[tuple[str, str]]:
    return {(f.code, f.layer) for f in findings}


def _lint_source(name: str, keras: str | None = None, backend: str | None = None):
    with versions.targets(lambda p: versions.configured(keras, backend)):
        return lint_source_file(_fixture(name))


def _project(tmp_path, names, **table) -> str:
    """A project directory with the fixtures ``names`` and a ``[tool.masklint]`` of ``table``."""
    for n in names:
        shutil.copy(_fixture(n), tmp_path / n)
    body = "".join(f'{k.replace("_", "-")} = "{v}"\n' for k, v in table.items())
    (tmp_path / "pyproject.toml").write_text("[tool.masklint]\n" + body)
    return str(tmp_path)


# -- the target ----------------------------------------------------------------------------------
def test_parse_version_and_backend():
    assert versions.parse_version("3.16") == (3, 16)
    assert versions.parse_version("3.16.0.dev2026102704") == (3, 16)
    assert versions.parse_version("2.15.0") == (2, 15)
    assert versions.parse_version("3.10rc1") == (3, 10)
    for bad in ("3", "x.1", "", None, 3.16, "3.x"):
        assert versions.parse_version(bad) is None
    assert versions.parse_backend("JAX") == "jax"
    assert versions.parse_backend("pytorch") == "torch"
    assert versions.parse_backend("theano") is None


def test_default_target_is_the_installation_read_without_importing_keras():
    from importlib import metadata

    assert versions.installed_keras_version() == versions.parse_version(metadata.version("keras"))
    code = ("import sys; from masklint.knowledge import versions; t = versions.configured(); "
            "print(t.keras_version, t.backend, t.source); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax')))")
    env = dict(os.environ, KERAS_BACKEND="jax")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=60).stdout.splitlines()
    assert out[0] == f"{versions.installed_keras_version()} jax installed"
    assert out[1] == "[]"


def test_default_backend_order(tmp_path):
    assert versions.default_backend({"KERAS_BACKEND": "torch", "KERAS_HOME": str(tmp_path)}) == "torch"
    assert versions.default_backend({"KERAS_HOME": str(tmp_path)}) == "tensorflow"
    home = tmp_path / "home"
    home.mkdir()
    (home / "keras.json").write_text(json.dumps({"backend": "jax", "floatx": "float32"}))
    assert versions.default_backend({"KERAS_HOME": str(home)}) == "jax"
    assert versions.default_backend({"KERAS_HOME": str(home), "KERAS_BACKEND": "tensorflow"}) == "tensorflow"


def test_saved_target_and_rules_table():
    fb = Target((3, 15), "jax", "config")
    assert versions.of_saved("2.15.0", None, fb).backend == "tensorflow"  # tf.keras 2 / tf_keras
    t = versions.of_saved("3.16.0", None, fb)
    assert (t.keras_version, t.backend, t.source) == ((3, 16), "jax", "metadata")
    assert versions.of_saved(None, None, fb) is fb
    t316 = Target((3, 16), "tensorflow")
    for cls in ("LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM2D", "Bidirectional", "TimeDistributed"):
        assert versions.drops_output_mask(cls, t316) is versions.NO_OUTPUT_MASK
        assert versions.drops_output_mask(cls, Target((3, 15), "tensorflow")) is None
    assert versions.drops_output_mask("LSTM", t316, keras_major=2) is None
    assert versions.drops_output_mask("Dense", t316) is None
    assert versions.drops_output_mask("LSTM", Target(None, "tensorflow")) is None  # unknown: silent
    rp = versions.cudnn_right_padding
    assert rp(Target((3, 15), "tensorflow")) and rp(Target(None, None)) and rp(None, keras_major=2)
    assert not rp(Target((3, 15), "jax")) and not rp(Target((3, 15), "numpy"))
    assert rp(Target((3, 10), "torch")) and rp(Target((3, 13), "torch"))
    assert not rp(Target((3, 9), "torch")) and not rp(Target((3, 14), "torch"))


# -- Keras 3.16: source --------------------------------------------------------------------------
def test_source_clean_on_315_found_on_316():
    assert _lint_source("sensor_lstm_average.py", "3.15") == []
    found = _lint_source("sensor_lstm_average.py", "3.16")
    assert _codes(found) == {("MK104", "lstm")}
    f = found[0]
    assert f.message.startswith("on Keras >= 3.16, LSTM 'lstm' no longer passes its mask on")
    assert "keras-team/keras#23235" in f.message and "'global_average_pooling1d'" in f.message
    assert f.extra["keras_versions"] == ">=3.16"
    assert "mask=" in f.fix


def test_source_316_wrappers_and_near_misses():
    assert _lint_source("tagger_timedistributed.py", "3.15") == []
    assert _codes(_lint_source("tagger_timedistributed.py", "3.16")) == {("MK104", "time_distributed")}
    for name in ("sensor_lstm_last_state.py", "sensor_lstm_explicit_mask.py", "sensor_lstm_average_tf_keras.py"):
        assert _lint_source(name, "3.16") == [], name


def test_configured_target_keras(tmp_path):
    root = _project(tmp_path, ["sensor_lstm_average.py"], target_keras="3.15")
    assert lint_paths([root]).findings == []
    (tmp_path / "pyproject.toml").write_text('[tool.masklint]\ntarget-keras = "3.16"\n')
    res = lint_paths([root])
    assert [(f.code, f.layer) for f in res.findings] == [("MK104", "lstm")]
    assert res.findings[0].message.startswith("on Keras >= 3.16")


@pytest.mark.parametrize("key,value", [("target-keras", "2.15"), ("target-keras", "latest"),
                                       ("target-keras", 3.16), ("backend", "theano")])
def test_bad_target_config(tmp_path, key, value):
    (tmp_path / "pyproject.toml").write_text(f"[tool.masklint]\n{key} = {json.dumps(value)}\n")
    (tmp_path / "m.py").write_text("import keras\n")
    with pytest.raises(ConfigError, match=key):
        lint_paths([str(tmp_path)])


# -- MK204 and the backend -----------------------------------------------------------------------
def test_mk204_tensorflow_only(tmp_path):
    tf = _lint_source("reviews_prepadded.py", "3.15", "tensorflow")
    assert _codes(tf) == {("MK204", "pad_sequences")}
    assert "PyTorch" not in tf[0].message and "backend" not in tf[0].extra
    assert _lint_source("reviews_prepadded.py", "3.15", "jax") == []
    assert _lint_source("reviews_prepadded.py", "3.14", "torch") == []
    torch = _lint_source("reviews_prepadded.py", "3.12", "torch")
    assert _codes(torch) == {("MK204", "pad_sequences")}
    assert "Keras 3.10-3.13 with the PyTorch backend" in torch[0].message
    root = _project(tmp_path, ["reviews_prepadded.py"], backend="jax")
    assert lint_paths([root]).findings == []
    (tmp_path / "pyproject.toml").write_text('[tool.masklint]\nbackend = "tensorflow"\n')
    assert [f.code for f in lint_paths([root]).findings] == ["MK204"]


# -- saved models and the measured behaviour -----------------------------------------------------
def _sensor_model():
    import keras

    sys.path.insert(0, FIX)
    try:
        import sensor_lstm_average
    finally:
        sys.path.remove(FIX)
    keras.utils.set_random_seed(0)
    return sensor_lstm_average.build_model(units=8)


def _leak(model) -> float:
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(5, 6)).astype("float32") + 2.0
    a = np.concatenate([seq, np.zeros((1, 6), "float32")])[None]
    b = np.concatenate([seq, np.zeros((10, 6), "float32")])[None]
    return float(np.abs(np.asarray(model(a)) - np.asarray(model(b))).max())


def _with_metadata(src: str, dst: str, version: str | None) -> None:
    """A copy of the ``.keras`` zip ``src`` whose metadata.json records ``version`` (None: no metadata)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "metadata.json":
                if version is None:
                    continue
                meta = json.loads(data)
                meta["keras_version"] = version
                data = json.dumps(meta).encode()
            zout.writestr(info, data)


def test_saved_model_uses_its_recorded_version(tmp_path):
    import keras

    model = _sensor_model()
    assert keras.__version__.startswith("3.15")
    assert _leak(model) < 1e-6  # correct on the installed 3.15 (measured)
    saved = str(tmp_path / "sensor.keras")
    model.save(saved)
    assert lint_model_file(saved) == []
    # SAVED_316 was saved by keras-nightly 3.16.0.dev2026102704 (build_model(units=8), seed 0): its
    # metadata.json records that version, and its graph records no mask for the pooling
    found = lint_model_file(SAVED_316)
    assert _codes(found) == {("MK104", "lstm")}
    assert found[0].message.startswith("on Keras >= 3.16")
    # the near miss: a graph saved by 3.15 records the mask Keras passed to the pooling, and loading
    # replays it as an explicit mask= on any version: clean, even when its metadata says 3.16
    v316 = str(tmp_path / "sensor316.keras")
    _with_metadata(saved, v316, "3.16.0")
    assert lint_model_file(v316) == []
    # the file's own version beats the configured target; without one, the configured target is used
    bare = str(tmp_path / "bare.keras")
    _with_metadata(SAVED_316, bare, None)
    assert lint_model_file(bare) == []  # the installed 3.15
    with versions.targets(lambda p: versions.configured("3.16")):
        assert lint_model_file(saved) == []
        assert _codes(lint_model_file(bare)) == {("MK104", "lstm")}
    with versions.targets(lambda p: versions.configured("3.15")):
        assert _codes(lint_model_file(SAVED_316)) == {("MK104", "lstm")}
    # a legacy .h5 records its backend; a live model runs on the Keras that built it (here 3.15, whose graph
    # records the mask it passes to the pooling), whatever the configured target
    h5 = str(tmp_path / "sensor.h5")
    model.save(h5)
    from masklint.loaders import load

    mf = load(h5)
    assert (mf.keras_version[:4], mf.backend) == ("3.15", "tensorflow")
    from masklint.frontends.live import analyse

    assert analyse(model).findings == []
    with versions.targets(lambda p: versions.configured("3.16")):
        assert analyse(model).findings == []


_MEASURE = textwrap.dedent("""
    import sys, warnings, numpy as np, keras
    sys.path.insert(0, sys.argv[1])
    import sensor_lstm_average
    assert keras.__version__ >= "3.16", keras.__version__
    keras.utils.set_random_seed(0)
    m = sensor_lstm_average.build_model(units=8)
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(5, 6)).astype("float32") + 2.0
    a = np.concatenate([seq, np.zeros((1, 6), "float32")])[None]
    b = np.concatenate([seq, np.zeros((10, 6), "float32")])[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        print(float(np.abs(np.asarray(m(a)) - np.asarray(m(b))).max()))
""")


@pytest.mark.skipif(not os.environ.get("MASKLINT_KERAS316_PATH"),
                    reason="no Keras 3.16 here (set MASKLINT_KERAS316_PATH to an unpacked keras-nightly wheel); "
                           "the 3.16 behaviour is read from keras-team/keras#23235, see the module docstring")
def test_keras316_leak_measured():
    env = dict(os.environ, PYTHONPATH=os.environ["MASKLINT_KERAS316_PATH"])
    r = subprocess.run([sys.executable, "-c", _MEASURE, FIX], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert float(r.stdout.strip().splitlines()[-1]) > 1e-3


def test_cli_target_flags(tmp_path):
    def run(*args):
        r = subprocess.run([sys.executable, "-m", "masklint", "--isolated", "--format", "json", *args],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip().startswith(("[", "{")) else r.stderr)

    sensor, reviews = _fixture("sensor_lstm_average.py"), _fixture("reviews_prepadded.py")
    assert run("--target-keras", "3.15", sensor)[0] == 0
    code, out = run("--target-keras", "3.16", sensor)
    found = out if isinstance(out, list) else out.get("findings", out)
    assert code == 1 and [f["code"] for f in found] == ["MK104"] and "3.16" in found[0]["message"]
    assert run("--backend", "jax", "--target-keras", "3.15", reviews)[0] == 0
    assert run("--backend", "tensorflow", reviews)[0] == 1
    code, err = run("--target-keras", "2.15", sensor)
    assert code == 2 and "--target-keras" in err
    code, err = run("--backend", "theano", sensor)
    assert code == 2
