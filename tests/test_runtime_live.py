"""The live-model front end: ``masklint.check(model)`` on built models (custom layers resolved)."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections import Counter

import pytest

from conftest import ROOT

keras = pytest.importorskip("keras")

import masklint  # noqa: E402
import models  # noqa: E402
import runtime_models as rm  # noqa: E402
from masklint.errors import LintError  # noqa: E402
from masklint.lint import lint_model_file  # noqa: E402
from masklint.frontends.live import analyse  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.set_random_seed(0)
        yield


def _codes(findings):
    return Counter(f.code for f in findings)


@pytest.mark.parametrize("name", sorted(models.ALL))
def test_live_model_gives_the_saved_files_findings(name, saved_models):
    """Every fixture model: the live front end and the static lint of its saved file agree -- except
    custom classes, which only the live objects can resolve."""
    model = getattr(models, name)()
    live = masklint.check(model)
    static = lint_model_file(saved_models[name])
    if name == "mk001_custom_layer":
        # the saved file cannot say whether Scale supports masking (MK001); the live layer says it does
        # not, so the mask is dropped before the LSTM
        assert _codes(static) == Counter({"MK001": 1})
        assert [(f.code, f.layer) for f in live] == [("MK104", model.layers[1].name)]
        return
    assert _codes(live) == _codes(static)
    assert all(f.source == "model" and f.path == model.name for f in live)


def test_custom_mask_supporting_layer_is_not_unknown(tmp_path):
    model = rm.custom_masked_scale()
    assert masklint.check(model) == []
    path = tmp_path / "custom.keras"
    model.save(path)
    static = lint_model_file(str(path))
    # (Keras saves this class's config without its name: the static front end names it by class)
    assert [f.code for f in static] == ["MK001"] and "MaskedScale" in static[0].message
    live = analyse(model)
    assert live.resolved == {"MaskedScale": "propagate"}
    # and the probe agrees: the custom layer keeps the mask, the outputs do not depend on the padding
    rep = masklint.probe(model)
    assert rep.findings == [] and rep.largest["eager"][0] <= rep.largest["eager"][1]


def test_custom_layer_without_mask_support_drops_the_mask():
    model = rm.custom_no_mask_scale()
    found = masklint.check(model, probe=True)
    assert [(f.code, f.layer, f.source) for f in found] == [("MK104", "scale", "model"), ("MK301", "scale", "probe")]
    assert analyse(model).resolved == {"NoMaskScale": "drop"}


def test_custom_compute_mask_is_evaluated():
    """Overridden compute_mask: None for a given mask -> consume; a mask from the input -> create."""
    pool = analyse(rm.custom_mean_pool())
    assert pool.resolved == {"MaskedMeanPool": "consume"} and pool.findings == []
    masker = analyse(rm.custom_pad_masker())
    assert masker.resolved == {"PadMasker": "create"} and masker.findings == []


def test_layer_that_cannot_serialize_itself():
    model = rm.custom_unserializable()
    with pytest.raises(Exception):
        model.get_config()  # Keras itself cannot serialize this model
    assert masklint.check(model) == []


def test_subclassed_model_static_part_is_skipped_with_a_warning():
    model = rm.subclassed()
    with pytest.warns(UserWarning, match="subclassed model"):
        assert masklint.check(model) == []
    with pytest.raises(LintError, match="subclassed"):
        masklint.probe(model)


def test_private_api_failure_in_nested_model_serialization_is_a_warning(monkeypatch):
    """A nested Functional's config is read through keras.src.models.functional internals; when they fail,
    a warning names them and says what is weaker, and the analysis goes on."""
    import keras.src.models.functional as F

    model = models.ok_nested_functional()
    inner = model.get_layer("encoder")
    real = F.serialize_node

    def moved(node, own_nodes=()):
        # fails as masklint calls it on the nested model; Keras' own get_config (the fallback) still works
        if own_nodes is inner._nodes and sys._getframe(1).f_globals["__name__"] == "masklint.frontends.live":
            raise RuntimeError("moved in this Keras")
        return real(node, own_nodes=own_nodes)

    monkeypatch.setattr(F, "serialize_node", moved)
    with pytest.warns(UserWarning, match=r"masklint: keras private API keras\.src\.models\.functional .* failed "
                                         r"\(RuntimeError: moved in this Keras\); the nested model 'encoder'"):
        live = analyse(model)
    assert live.graph is not None and [f.code for f in live.findings] == []


def test_private_api_failure_in_layer_discovery_is_a_warning(monkeypatch):
    """Custom layers are found with Layer._flatten_layers; when it fails, a warning says so and the
    top-level layers are still resolved."""
    model = rm.custom_masked_scale()

    def moved(*args, **kwargs):
        raise AttributeError("_flatten_layers is gone")

    monkeypatch.setattr(model, "_flatten_layers", moved)
    with pytest.warns(UserWarning, match=r"masklint: keras private API Layer\._flatten_layers failed "
                                         r"\(AttributeError: _flatten_layers is gone\); only the model's top-level"):
        live = analyse(model)
    assert live.resolved == {"MaskedScale": "propagate"} and live.findings == []


def test_check_rejects_non_models():
    with pytest.raises(LintError, match="expected a keras.Model"):
        masklint.check(keras.layers.Dense(2))


def test_imports_stay_light():
    """``import masklint`` (and the testing helpers, and the probe command's module) import no Keras."""
    code = ("import sys, masklint, masklint.testing, masklint.runtime.cli, masklint._click_app; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_rules_lists_the_runtime_rules():
    out = subprocess.run([sys.executable, "-m", "masklint", "rules"], capture_output=True, text=True, cwd=ROOT,
                         timeout=60, env={**os.environ, "NO_COLOR": "1"})
    assert out.returncode == 0
    for code, name in (("MK301", "padding-leak"), ("MK302", "runtime-mask-lost"), ("MK303", "empty-sequence-nan"),
                       ("MK304", "probe-crash")):
        assert f"{code}  {name}" in out.stdout
