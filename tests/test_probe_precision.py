"""Probe precision (issue 14): the mask contract is post-padding invariance plus batch-composition invariance.

* 0 findings on correct post-padded models: absolute-position Transformers (a keras-io style
  ``PositionalEmbedding`` masking id 0, KerasHub ``TokenAndPositionEmbedding`` -> ``TransformerEncoder`` /
  ``TransformerDecoder``), two-input merges, nested models (``probe_precision_models.CORRECT``).
* A change under pre-padding alone is reported only for data known to be pre-padded, naming its cause
  (the positions shift, or an unmasked causal consumer) -- never "no mask covers the padding" when one does.
* Multi-input batches fit the model; localisation names the layer inside a nested model; mask producers are
  found on the live layers (KerasHub's embedding with a fixed-length input is probed without --pad-value).
* The probe and ``masklint.check`` run on the JAX backend (a subprocess; skipped without jax).

The models are built and probed once per module (the probe is the slow part). Measured differences are
printed (``pytest -rP``).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import probe_precision_models as pm  # noqa: E402
import runtime_models as rm  # noqa: E402
from masklint.runtime.probe import probe_report  # noqa: E402

HUB = pm.hub_layers() is not None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _probe(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.set_random_seed(0)
        return probe_report(model, **kw)


@pytest.fixture(scope="module")
def correct_reports():
    """name -> (model, report of the default probe) for every correct model that can be built here."""
    out = {}
    for name, build in pm.CORRECT.items():
        if name in pm.HUB and not HUB:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras.utils.set_random_seed(0)
            model = build()
        out[name] = (model, _probe(model, label=name))
    return out


@pytest.mark.parametrize("name", sorted(pm.CORRECT))
def test_correct_post_padded_models_give_no_finding(name, correct_reports):
    if name in pm.HUB and not HUB:
        pytest.skip("keras_hub is not installed")
    _, rep = correct_reports[name]
    print(f"{name}: largest |difference| {rep.largest}; notes {rep.notes}")
    assert rep.probed and rep.all_findings() == [], rep.text()
    post = [v for v in rep.variants if v["side"] == "post"]
    assert post and not any(v["changed"] for v in post), post
    if not rep.fixed:  # the largest differences the contract judges (fixed lengths: post against pre)
        for d, tol, _ in rep.largest.values():
            assert d <= tol, rep.largest


def test_twenty_correct_models_including_transformers_merges_and_nested(correct_reports):
    names = set(correct_reports)
    print(f"{len(names)} correct models probed, 0 findings")
    assert len(names) >= (20 if HUB else 13)
    assert {"pos_transformer_one_block", "two_masked_ids_concat", "nested_encoder_gap"} <= names
    if HUB:
        assert {"hub_encoder_one", "hub_encoder_fixed_length", "hub_decoder_only"} <= names


def test_position_models_change_under_pre_padding_and_say_why(correct_reports):
    """The absolute-position models do change under pre-padding (measured), and the note names the cause."""
    for name in ("pos_transformer_one_block", "pos_tagger", "nested_pos_transformer") + (
            ("hub_encoder_one", "hub_decoder_only", "hub_encoder_fixed_length") if HUB else ()):
        _, rep = correct_reports[name]
        pre = [v for v in rep.variants if v["side"] == "pre" and v["changed"]]
        print(f"{name}: pre-padding |difference| up to {max(v['max_diff'] for v in pre):.3g}")
        assert pre, name
        note = next(n for n in rep.notes if n.startswith("pre-padding changes"))
        assert "absolute positions shift" in note and "no mask covers" not in note, note


def test_known_post_padding_keeps_silent_on_fixed_length_positions():
    if not HUB:
        pytest.skip("keras_hub is not installed")
    model = pm.hub_encoder_fixed_length()
    rep = _probe(model, padding_side="post")
    assert rep.probed and rep.fixed and rep.all_findings() == [], rep.text()
    # with --pad-value 0 the probe used to report MK301 asking for the mask_zero=True already set
    rep = _probe(model, pad_value=0.0)
    assert rep.all_findings() == [] and any("absolute positions shift" in n for n in rep.notes), rep.text()


def test_pre_padded_data_reports_the_positions_shift_not_a_missing_mask():
    model = pm.pos_transformer_one_block()
    rep = _probe(model, padding_side="pre")
    (f,) = rep.findings
    assert (f.code, f.layer, f.extra["how"], f.extra["side"]) == ("MK301", "pos_embedding", "positions", "pre")
    assert "absolute positions shift under pre-padding" in f.message and "no mask covers" not in f.message
    assert "padding='post'" in f.fix and "mask_zero" not in f.fix
    # the same from a --data sample padded on the left
    ids = np.zeros((6, 10), dtype="int32")
    for r, n in enumerate((3, 5, 7, 4, 9, 6)):
        ids[r, 10 - n:] = np.arange(1, n + 1)
    rep = _probe(model, data=ids)
    assert [(f.code, f.extra["how"]) for f in rep.findings] == [("MK301", "positions")], rep.text()


def test_pre_padded_data_into_an_unmasked_causal_layer_names_it():
    model = rm.unmasked_lstm_sequences()
    rep = _probe(model)
    assert rep.findings == [] and any("no mask covers the padding that 'lstm'" in n for n in rep.notes), rep.notes
    rep = _probe(model, padding_side="pre")
    (f,) = rep.findings
    assert (f.code, f.layer, f.extra["how"]) == ("MK301", "lstm", "nomask")
    assert "post-padding leaves the real steps unchanged, and the data is pre-padded" in f.message
    assert "padding='post'" in f.fix


def test_hub_mask_producer_found_on_the_live_layer_of_a_fixed_length_input(correct_reports):
    if not HUB:
        pytest.skip("keras_hub is not installed")
    _, rep = correct_reports["hub_encoder_fixed_length"]
    (s,) = rep.inputs
    assert rep.fixed and s.producer == "tok_pos" and s.pad == 0.0 and "tok_pos" in s.pad_source
    _, rep = correct_reports["words_and_fixed_positions_concat"]  # a custom compute_mask, found on a probe batch
    assert [x.producer for x in rep.inputs] == [rep.inputs[0].producer, "char_pos"] and rep.fixed


def test_inputs_merged_on_the_feature_axis_get_one_length():
    """Unmasked per-step features concatenated to masked ids: padded with them, so the probe measures the
    leak (the merged mask marks every step real) instead of crashing on mismatched lengths."""
    rep = _probe(pm.ids_and_unmasked_fixed_features_concat())
    assert [f.code for f in rep.findings] == ["MK301"], rep.text()
    assert rep.findings[0].layer == "concat" and rep.fixed
    assert any("meets a padded sequence input on the feature axis" in n for n in rep.notes)


def test_localisation_names_the_layer_inside_a_nested_model():
    rep = _probe(pm.nested_leak())
    (f,) = rep.findings
    print(f.message)
    # Conv1D(kernel 3, "same") reads the padding at the last real step: it changes first and drops the mask
    assert (f.code, f.layer, f.extra["first_changed"]) == ("MK301", "encoder/conv", "encoder/conv"), f.message
    assert "'encoder/conv' (Conv1D) drops the mask" in f.message


JAX_SCRIPT = textwrap.dedent("""
    import json, warnings
    warnings.simplefilter("ignore")
    import keras
    import masklint
    import models
    from masklint.runtime.probe import probe_report
    out = {"backend": keras.backend.backend()}
    leak = models.mk104_conv1d_kernel1()
    out["leak"] = [(f.code, f.layer) for f in probe_report(leak).findings]
    out["check"] = sorted({f.code for f in masklint.check(leak, probe=True)})
    out["correct"] = [f.code for f in masklint.check(models.ok_emb_bilstm_gap(), probe=True)]
    print(json.dumps(out))
""")


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install 'jax[cpu]')")
def test_probe_and_check_run_on_the_jax_backend():
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]))
    r = subprocess.run([sys.executable, "-c", JAX_SCRIPT], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["backend"] == "jax"
    assert out["leak"] == [["MK301", "conv1d"]], out
    assert "MK301" in out["check"] and "MK104" in out["check"], out
    assert out["correct"] == [], out


def test_cli_padding_side_pre_and_the_factory_modules_padding(tmp_path):
    """``masklint probe --padding-side pre``, or a factory whose module pads with ``pad_sequences`` (Keras'
    default side is pre): the data is pre-padded, so the unmasked causal LSTM's change under pre-padding is
    a finding (without either the same probe reports nothing, see above)."""
    from conftest import run_cli

    build = textwrap.dedent("""
        import keras
        from keras import layers
        from keras.utils import pad_sequences

        def build():
            return keras.Sequential([keras.Input((None, 3)), layers.LSTM(8, return_sequences=True, name="lstm")])
    """)
    (tmp_path / "lm.py").write_text(build)
    (tmp_path / "lm_train.py").write_text(build + textwrap.dedent("""
        def train(seqs, y):
            x = pad_sequences(seqs, maxlen=40, dtype="float32")
            model = build()
            model.fit(x, y)
            return model
    """))
    for args in (("lm:build", "--padding-side", "pre"), ("lm_train:build",)):
        r = run_cli("probe", *args, "--no-static", "--format", "json", cwd=str(tmp_path))
        assert r.returncode == 1, (args, r.stderr)
        (f,) = json.loads(r.stdout)
        assert (f["code"], f["layer"]) == ("MK301", "lstm")
        assert "post-padding leaves the real steps unchanged, and the data is pre-padded" in f["message"]
