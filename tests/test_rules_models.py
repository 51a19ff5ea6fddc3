"""Every MK1xx rule on real models saved by the installed Keras 3 and by Keras 2 (tf_keras)."""
import os

import pytest

import models
from conftest import H5_AND_JSON, KERAS2_DIR
from masklint.config_frontend import build_model_graph
from masklint.analysis import Analysis
from masklint.knowledge import resolve
from masklint.lint import lint_model_file
from masklint.loaders import load


def codes(path):
    return {f.code for f in lint_model_file(path)}


@pytest.mark.parametrize("name", sorted(models.POSITIVE))
def test_rule_fires_on_real_model(saved_models, name):
    findings = lint_model_file(saved_models[name])
    assert {f.code for f in findings} == models.POSITIVE[name], [f.message for f in findings]
    # one root cause, one finding
    assert len(findings) == 1, [f.message for f in findings]
    f = findings[0]
    assert f.layer and f.message and f.source == "model"
    if f.code != "MK001":
        assert f.fix


@pytest.mark.parametrize("name", models.NEGATIVE)
def test_correct_model_stays_silent(saved_models, name):
    findings = lint_model_file(saved_models[name])
    assert findings == [], [f"{f.code} {f.layer}: {f.message}" for f in findings]


@pytest.mark.parametrize("name", sorted(H5_AND_JSON))
@pytest.mark.parametrize("ext", [".h5", ".json"])
def test_h5_and_json_agree_with_keras_file(saved_models, name, ext):
    assert codes(saved_models[name + ext]) == models.ALL[name]


def test_culprit_and_consumer_are_named(saved_models):
    (f,) = lint_model_file(saved_models["mk104_conv1d_kernel1"])
    assert (f.layer, f.consumer) == ("conv1d", "lstm")
    (f,) = lint_model_file(saved_models["mk102_seed_sequential"])
    assert (f.layer, f.consumer) == ("masking", "lstm")
    assert "mask_zero=True" in f.fix and "embedding" in f.fix
    (f,) = lint_model_file(saved_models["mk101_emb_nomask_lstm"])
    assert (f.layer, f.consumer) == ("embedding", "lstm")
    (f,) = lint_model_file(saved_models["mk109_mha_residual"])
    assert f.layer == "add" and f.consumer is None
    (f,) = lint_model_file(saved_models["mk103_masking_on_ids"])
    assert (f.layer, f.consumer) == ("masking", "embedding")


def test_nested_model_layer_paths(saved_models, tmp_path):
    keras = pytest.importorskip("keras")
    L = keras.layers
    inner = keras.Sequential([L.Conv1D(4, 1, name="conv1d"), L.Dense(4)], name="inner")
    i = keras.Input((None, 3))
    x = L.Masking(0.0)(i)
    m = keras.Model(i, L.LSTM(2, name="lstm")(inner(x)))
    p = tmp_path / "nested_bad.keras"
    m.save(p)
    (f,) = lint_model_file(str(p))
    assert f.code == "MK104" and f.layer == "inner/conv1d" and f.consumer == "lstm"


# ------------------------------------------------------------------ Keras 2 (tf_keras) .h5 files
KERAS2_EXPECTED = {
    "k2_seq_masking_lstm.h5": set(),
    "k2_seq_emb_maskzero_lstm.h5": set(),
    "k2_seq_masking_after_embedding.h5": {"MK102"},
    "k2_seq_masking_after_embedding.json": {"MK102"},
    "k2_seq_emb_nomask_lstm.h5": {"MK101"},
    "k2_fn_masking_conv1d_lstm.h5": {"MK107"},
    "k2_fn_emb_bilstm_gap.h5": set(),
    "k2_fn_emb_bilstm_gap.json": set(),
    "k2_fn_nested.h5": set(),
    # tf.keras 2 ANDs Concatenate masks (unmasked input = all True), so the mask survives there
    "k2_fn_concat_mixed.h5": set(),
    "k2_fn_timedistributed.h5": set(),
    "k2_fn_lambda_drop.h5": {"MK104"},
}


@pytest.mark.parametrize("fname", sorted(KERAS2_EXPECTED))
def test_keras2_files(fname):
    path = os.path.join(KERAS2_DIR, fname)
    assert load(path).keras_version.startswith("2.")
    assert codes(path) == KERAS2_EXPECTED[fname]


def test_every_keras2_fixture_is_covered():
    present = {f for f in os.listdir(KERAS2_DIR) if f.endswith((".h5", ".json"))}
    assert present == set(KERAS2_EXPECTED)


# ------------------------------------------------------------------ analysis vs Keras' own record
def _recorded_vs_analysis(path):
    """For each node whose `mask` kwarg Keras recorded, compare with the analysis' mask state."""
    g = build_model_graph(load(path).config)
    a = Analysis(g).run()
    out = []

    def walk(graph):
        # only the top level: Keras records a nested model's inner graph as built alone (no masks)
        for node in graph.nodes:
            rec = node.masks.get("mask")
            if node.plumbing or not rec or not node.args or len(rec) != 1:
                continue
            src = node.args[0].node.layer
            if src.graph is not None:  # Keras records null after nested models; the mask flows anyway
                continue
            if resolve(src.class_name, src.config).mask == "transparent":  # identity Lambda, Pipeline...
                continue
            st = a.states.get(id(node.args[0]))
            # after a mixed Concatenate Keras records its all-True mask; the analysis calls it lost
            analysed = st is not None and (st.masked or (st.lost is not None and st.lost.how == "concat"))
            out.append((node.layer.path, rec[0] is not None, analysed))
    walk(g)
    return out


def test_analysis_agrees_with_keras_recorded_masks(saved_models):
    """Keras records the symbolic mask each mask-taking layer received: the analysis must agree."""
    checked = 0
    for name in models.ALL:
        if name == "ok_explicit_mask_kwarg":  # an explicit user mask, not the flowing one
            continue
        for layer, recorded, analysed in _recorded_vs_analysis(saved_models[name]):
            assert recorded == analysed, (name, layer, recorded, analysed)
            checked += 1
    assert checked >= 20
