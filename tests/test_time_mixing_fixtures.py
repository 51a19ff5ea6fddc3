"""The GroupNormalization fixtures of ``tests/fixtures/time_mixing`` (made by the generator script there):
masklint reports MK107 on the saved ``.keras`` files and on the source scripts, stays silent on the
LayerNormalization near miss, and the leak is measured with the installed Keras: the same sequences
post-padded to two lengths give different outputs through GroupNormalization, the same outputs
through LayerNormalization."""
from __future__ import annotations

import importlib.util
import json
import os
import warnings
import zipfile

import pytest

from masklint import lint_file, lint_model_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "time_mixing")

#: fixture -> (codes, culprit layer in the saved file, its consumer)
EXPECTED = {
    "groupnorm_lstm": ({"MK107"}, "group_norm", "encoder"),
    "groupnorm_functional": ({"MK107"}, "gn", "bigru"),
    "layernorm_lstm": (set(), None, None),
}
#: source script -> (codes, line of the culprit)
SOURCE_EXPECTED = {
    "groupnorm_lstm_model.py": ({"MK107"}, 20),
    "groupnorm_functional_model.py": ({"MK107"}, 12),
    "layernorm_lstm_model.py": (set(), None),
}


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_time_mixing_fixtures",
                                                  os.path.join(FIX, "make_time_mixing_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_saved_model(name):
    codes, culprit, consumer = EXPECTED[name]
    found = lint_model_file(os.path.join(FIX, f"{name}.keras"))
    assert {f.code for f in found} == codes, [f.message for f in found]
    for f in found:
        assert f.layer == culprit and f.consumer == consumer, f.message
        assert "instead of GroupNormalization" in f.fix


@pytest.mark.parametrize("name", sorted(SOURCE_EXPECTED))
def test_source_script(name):
    codes, line = SOURCE_EXPECTED[name]
    found = lint_file(os.path.join(FIX, name))
    assert {f.code for f in found} == codes, [f.message for f in found]
    for f in found:
        assert f.line == line and "GroupNormalization" in f.message, f.message


def test_saved_files_match_the_generator():
    """The saved files are what the generator script builds (layer classes and names, in order)."""
    pytest.importorskip("keras")
    mod = _fixture_module()
    for name in EXPECTED:
        with zipfile.ZipFile(os.path.join(FIX, f"{name}.keras")) as z:
            saved = json.loads(z.read("config.json"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            built = mod.build(name)
        want = [(type(lay).__name__, lay.name) for lay in built.layers if type(lay).__name__ != "InputLayer"]
        got = [(lay["class_name"], lay["config"]["name"]) for lay in saved["config"]["layers"]
               if lay["class_name"] != "InputLayer"]
        # a functional config also records the ops Keras traced for the masks (NotEqual, Any...)
        assert [g for g in got if g in want] == want, name


#: measured on the TensorFlow backend, Keras 3.15.1 (seeded weights, seeded data)
LEAKS = {"groupnorm_lstm": True, "groupnorm_functional": True, "layernorm_lstm": False}


def _outputs_for_two_paddings(model, np):
    rng = np.random.default_rng(3)
    lengths = (9, 5, 12)
    real = [rng.normal(0.0, 1.0, size=(n, 8)).astype("float32") for n in lengths]
    out = []
    for total in (14, 30):
        x = np.zeros((len(real), total, 8), dtype="float32")
        for i, r in enumerate(real):
            x[i, : len(r)] = r  # post padding with zeros, Masking(0.0) masks it
        out.append(np.asarray(model(x, training=False)))
    return np.max(np.abs(out[0] - out[1]))


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_measured_leak(name):
    np = pytest.importorskip("numpy")
    pytest.importorskip("keras")
    mod = _fixture_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diff = _outputs_for_two_paddings(mod.build(name), np)
    if LEAKS[name]:
        assert diff > 1e-2, f"{name}: expected a leak, outputs differ by {diff:.3g}"
    else:
        assert diff < 1e-5, f"{name}: expected no leak, outputs differ by {diff:.3g}"
    print(f"{name}: max |difference| {diff:.4f}")


SN_SOURCE = '''
from tensorflow import keras
L = keras.layers
model = keras.Sequential([
    keras.Input(shape=(None, 8)),
    L.Masking(0.0),
    L.SpectralNormalization({inner}),
    L.LSTM(16),
    L.Dense(1),
])
'''


@pytest.mark.parametrize("inner, codes", [
    ("L.Conv1D(16, 3, padding='same')", {"MK107"}),  # the wrapped Conv1D drops the mask and mixes steps
    ("L.Dense(16)", set()),  # the near miss: the wrapped Dense keeps the mask
])
def test_spectral_normalization_is_its_wrapped_layer(inner, codes):
    from masklint.source_lint import lint_source_text

    found = lint_source_text(SN_SOURCE.format(inner=inner).encode(), "sn_model.py")
    assert {f.code for f in found} == codes, [f.message for f in found]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_live_model(name):
    """masklint.check on the built model (the live front end) agrees with the saved file."""
    pytest.importorskip("keras")
    import masklint

    codes, culprit, _consumer = EXPECTED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = masklint.check(_fixture_module().build(name))
    assert {f.code for f in found} == codes, [f.message for f in found]
    assert all(f.layer == culprit for f in found)


NORM_SOURCE = '''
from tensorflow import keras
L = keras.layers
model = keras.Sequential([
    keras.Input(shape=(40, 8)),
    L.Masking(0.0),
    {norm},
    L.LSTM(16),
    L.Dense(1),
])
'''


@pytest.mark.parametrize("norm, codes", [
    ("L.BatchNormalization(axis=1)", set()),  # per-position moving statistics: no step sees another
    ("L.BatchNormalization()", set()),
    ("L.LayerNormalization(axis=1)", {"MK107"}),  # statistics over the time axis
    ("L.GroupNormalization(4)", {"MK107"}),  # positional groups
])
def test_normalization_near_misses_in_source(norm, codes):
    from masklint.source_lint import lint_source_text

    found = lint_source_text(NORM_SOURCE.format(norm=norm).encode(), "norm_model.py")
    assert {f.code for f in found} == codes, [f.message for f in found]
