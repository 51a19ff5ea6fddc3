"""The padding probe on real models: MK301-MK304, localisation, --data checks, determinism, the CLI.

Most cases run in-process (Keras is imported once per test process); a few run the real command line.
Measured differences are printed (``pytest -rP tests/test_probe.py`` shows them) and recorded as test
properties.
"""
from __future__ import annotations

import json
import os
import textwrap
import warnings

import numpy as np
import pytest

from conftest import run_cli

keras = pytest.importorskip("keras")

import masklint  # noqa: E402
import models  # noqa: E402
import runtime_models as rm  # noqa: E402
from masklint.errors import LintError  # noqa: E402
from masklint.runtime.data import infer_padding  # noqa: E402
from masklint.runtime.probe import DEFAULT_RTOL, probe_file, probe_report  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.set_random_seed(0)
        yield


def _class_of(model, name):
    fn = getattr(model, "_functional", None) or model
    for op in fn.operations:
        if op.name == name:
            return type(op).__name__
    return None


def _largest(rep) -> str:
    return ", ".join(f"{mode} {d:.3g} (tolerance {tol:.2g})" for mode, (d, tol, _) in rep.largest.items())


# --------------------------------------------------------------------------------------------------
# every structural mistake of the catalogue that changes outputs: MK301 naming the culprit
# --------------------------------------------------------------------------------------------------
LEAKS = {
    # fixture model: (class of the culprit layer, class of the first layer whose real outputs change)
    "mk101_emb_nomask_lstm": ("LSTM", None),
    "mk101_emb_nomask_gap": ("GlobalAveragePooling1D", None),
    "mk101_emb_nomask_mha": ("MultiHeadAttention", None),
    "mk101_bidirectional": ("Bidirectional", None),
    "mk101_float_input_ids": ("LSTM", None),
    "mk102_seed_sequential": ("Masking", "LSTM"),
    "mk102_double_mask": ("Masking", "LSTM"),
    "mk102_after_dense": ("Masking", "LSTM"),
    "mk103_override": ("Masking", "LSTM"),
    "mk104_conv1d_kernel1": ("Conv1D", "LSTM"),
    "mk104_lambda": ("Lambda", "LSTM"),
    "mk104_ops_multiply": ("Multiply", "LSTM"),
    "mk104_add_mixed": ("Add", "GlobalAveragePooling1D"),
    "mk104_concat_mixed": ("Concatenate", "LSTM"),
    "mk104_einsum_dense": ("EinsumDense", "LSTM"),
    "mk104_rmsnorm_attention_value": ("RMSNormalization", "Attention"),
    "mk104_causal_conv": ("Conv1D", "LSTM"),
    "mk104_ellipsis_slice": ("GetItem", "GlobalAveragePooling1D"),
    "mk106_nan": ("Masking", "LSTM"),
    "mk107_conv1d_kernel3": ("Conv1D", "LSTM"),
    "mk107_global_max_pool": ("GlobalMaxPooling1D", None),
    "mk107_flatten": ("Flatten", None),
    "mk107_layernorm_time": ("LayerNormalization", None),
    "mk001_custom_layer": ("Scale", "LSTM"),
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_catalogue_mistakes_give_mk301_naming_the_culprit(name, record_property):
    model = getattr(models, name)()
    rep = probe_report(model, label=name)
    leaks = [f for f in rep.findings if f.code == "MK301"]
    print(f"{name}: largest |difference| {_largest(rep)}")
    record_property("largest_difference", _largest(rep))
    assert len(leaks) == 1, rep.text()
    f = leaks[0]
    culprit_cls, first_cls = LEAKS[name]
    assert _class_of(model, f.layer) == culprit_cls, f.message
    if first_cls is not None:
        assert _class_of(model, f.consumer) == first_cls, f.message
        assert f.extra["first_changed"] == f.consumer and f"'{f.consumer}'" in f.message
    else:
        assert f.consumer is None
    assert f.extra["max_diff"] > f.extra["tolerance"]
    assert f.source == "probe" and f.severity == "error" and f.fix
    if name == "mk103_override":  # the second Masking(-1.0) replaced the first one's mask
        assert model.get_layer(f.layer).mask_value == -1.0


# structural mistakes that do not change the outputs on this machine (static rules report them)
NO_CHANGE_ON_CPU = ["mk103_masking_on_ids", "mk106_huge", "mk107_last_step_read", "mk107_lambda_last_step",
                    "mk109_reshape_head", "mk109_drop_before_td_output", "mk109_repeat_vector",
                    "mk104_positional_add"]


@pytest.mark.parametrize("name", NO_CHANGE_ON_CPU)
def test_mistakes_without_output_change_give_no_mk301(name, record_property):
    rep = probe_report(getattr(models, name)(), label=name)
    print(f"{name}: largest |difference| {_largest(rep)}")
    record_property("largest_difference", _largest(rep))
    assert "MK301" not in [f.code for f in rep.findings], rep.text()


# --------------------------------------------------------------------------------------------------
# correct models: no finding at the default tolerance
# --------------------------------------------------------------------------------------------------
CORRECT = [n for n in models.NEGATIVE if n not in (
    "ok_float_variable_no_evidence",  # an unmasked LSTM on variable-length input: the probe proves it leaks
    "ok_stringlookup_mask_token", "ok_textvectorization_mask_zero",  # string inputs (tested below)
)]
CORRECT_EXTRA = {
    "transformer_explicit_mask": lambda: rm.transformer(explicit_mask=True),
    "stacked_bilstm": rm.stacked_bilstm,
    "two_inputs_side_features": rm.two_inputs_side_features,
    "mha_residual_td_head": rm.mha_residual_td_head,
    "custom_masked_scale": rm.custom_masked_scale,
    "custom_mean_pool": rm.custom_mean_pool,
}


@pytest.mark.parametrize("name", CORRECT + sorted(CORRECT_EXTRA))
def test_correct_models_give_no_finding(name, record_property):
    model = CORRECT_EXTRA[name]() if name in CORRECT_EXTRA else getattr(models, name)()
    rep = probe_report(model, label=name)
    print(f"{name}: largest |difference| {_largest(rep) or 'n/a (not probed)'}; {rep.forward_passes} passes")
    record_property("largest_difference", _largest(rep))
    assert rep.all_findings() == [], rep.text()
    for d, tol, _ in rep.largest.values():
        assert d <= tol


def test_correct_models_stay_far_below_the_tolerance():
    """The tolerance has a margin: float noise on correct models is < 1/10 of it."""
    worst = 0.0
    for name in ("ok_emb_bilstm_gap", "ok_nested_functional", "ok_activation_softmax"):
        rep = probe_report(getattr(models, name)(), label=name)
        for d, tol, _ in rep.largest.values():
            worst = max(worst, d / tol)
    rep = probe_report(rm.transformer(explicit_mask=True))
    for d, tol, _ in rep.largest.values():
        worst = max(worst, d / tol)
    print(f"largest difference / tolerance over the checked correct models: {worst:.3g}")
    assert worst < 0.1


# --------------------------------------------------------------------------------------------------
# specific behaviour
# --------------------------------------------------------------------------------------------------
# Float rounding, not a leak: |difference| <= ROUNDING_RTOL x the output scale the probe measured. Where
# nothing leaks in exact arithmetic (fresh LSTM weights through zero pre-padding: zero input and zero
# biases give gates 0.5, candidate tanh(0) = 0, so c = h = 0 exactly; post-padding is causal), the
# real steps still differ by rounding: the padded batch has another shape than the reference (T steps
# instead of L, rows shuffled) and the matmul kernels (MKL/Eigen/oneDNN blocking, FMA, cuDNN) sum the
# same products in another order. That is a few float32 ulps at the output scale (eps = 1.19e-7;
# |h| < 1, scale ~0.5): measured 1.5e-8 to 1.2e-7, i.e. 0.25 to 2 ulps, varying by machine and process.
# 1e-6 relative is ~8 ulps of room and still 10x below the probe's own tolerance (DEFAULT_RTOL = 1e-5),
# while the real pre-padding leak with perturbed weights is 0.06-0.41 (0.08-0.26 with this test's
# seed): the two are 5 orders of magnitude apart. (Exact == 0.0 failed with 1.49e-8 on other machines.)
ROUNDING_RTOL = 1e-6


def _rounding_only(rep, v) -> bool:
    scale = v["tolerance"] / rep.rtol  # the probe's tolerance is rtol x max(output scale, 1e-3)
    return v["max_diff"] <= ROUNDING_RTOL * scale


def test_pre_padding_bug_needs_perturbed_weights():
    """Unmasked LSTM(return_sequences): fresh weights keep a zero state through zero padding, so only
    the perturbed-weight probe sees the pre-padding leak (post-padding is causal: never a leak)."""
    model = rm.unmasked_lstm_sequences()
    fresh = probe_report(model, weights="trained")
    assert fresh.findings == []
    pre_fresh = [v for v in fresh.variants if v["side"] == "pre"]
    assert pre_fresh and all(_rounding_only(fresh, v) for v in pre_fresh), pre_fresh
    # post-padding never reaches the real steps of a causal layer: the change is reported for data known to be
    # pre-padded only (the mask contract, masklint/runtime/probe/contract.py); otherwise it is a note
    assert probe_report(model).findings == []
    perturbed = probe_report(model, padding_side="pre")
    print("pre-padding |difference| by padded length, perturbed weights:",
          {v["padded_length"]: round(v["max_diff"], 4) for v in perturbed.variants
           if v["side"] == "pre" and v["mode"] == "eager"})
    assert [f.code for f in perturbed.findings] == ["MK301"]
    f = perturbed.findings[0]
    assert f.layer == "lstm" and "pre-padding" in f.message
    post = [v for v in perturbed.variants if v["side"] == "post"]
    assert post and all(_rounding_only(perturbed, v) for v in post), post
    pre = [v for v in perturbed.variants if v["side"] == "pre"]
    # and the leak is no rounding: over 1000x the bound above at every padded length (measured 0.06-0.41)
    assert pre and all(v["max_diff"] > 1e3 * ROUNDING_RTOL * v["tolerance"] / perturbed.rtol for v in pre), pre
    # and the perturbation is undone: the model's weights are what they were (exact: restored by
    # assigning the saved arrays back, no arithmetic)
    before = [w.copy() for w in model.get_weights()]
    probe_report(model, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_mha_residual_gives_mk302():
    """§9.5: Embedding(mask_zero) -> MHA -> Add([x, attn]) -> Dense(1): runtime mask lost at the Add."""
    model = models.mk109_mha_residual()
    rep = probe_report(model)
    assert [f.code for f in rep.findings] == ["MK302"], rep.text()
    f = rep.findings[0]
    assert _class_of(model, f.layer) == "Add"
    assert "MultiHeadAttention" in f.message and f.severity == "warning"
    from keras.src.backend.common.masking import get_keras_mask

    out = model(np.array([[3, 4, 0, 0]]))
    assert get_keras_mask(out) is None and get_keras_mask(model.outputs[0]) is not None


def test_transformer_stack_leaks_through_the_cleared_residual_mask():
    model = rm.transformer(explicit_mask=False)
    # the static analysis names the same culprit and consumer as the probe (MK104, runtime mask lost)
    (st,) = masklint.check(model)
    assert (st.code, st.layer, st.consumer) == ("MK104", "add_0", "mha_1")
    assert masklint.check(rm.transformer(explicit_mask=True)) == []
    rep = probe_report(model)
    assert [f.code for f in rep.findings] == ["MK301"], rep.text()
    f = rep.findings[0]
    assert (f.layer, f.consumer) == ("add_0", "mha_1")
    assert "attention_mask" in f.fix
    assert probe_report(rm.transformer(explicit_mask=True)).findings == []


def test_crashes_are_mk304():
    rep = probe_report(models.mk108_softmax_layer())
    assert [f.code for f in rep.findings] == ["MK304"]
    assert "must be broadcastable" in rep.findings[0].message and rep.findings[0].layer.startswith("softmax")
    rep = probe_report(models.mk105_masking_rank4_convlstm())
    assert [f.code for f in rep.findings] == ["MK304"] and rep.findings[0].layer.startswith("conv_lstm1d")
    assert rep.forward_passes == 1  # the reference batch already fails: nothing else is run


def test_mk303_needs_empty_rows_in_the_data():
    model = rm.gap_after_masking()
    rep = probe_report(model)
    assert rep.findings == [] and any("all-padding sample" in n for n in rep.notes)
    data = np.zeros((4, 6, 3), dtype="float32")
    data[0, :4], data[1, :2], data[3, :5] = 1.5, -0.5, 2.0
    rep = probe_report(model, data=data)
    assert [(f.code, f.layer) for f in rep.all_findings()] == [("MK303", "pool")]
    assert "1 all-padding row" in rep.findings[0].message


def test_forward_passes_and_determinism():
    model = models.mk104_conv1d_kernel1()
    a = probe_report(model, seed=5)
    b = probe_report(model, seed=5)
    assert a.forward_passes == 9 and (a.eager_passes, a.predict_passes) == (5, 4)
    assert [f.message for f in a.findings] == [f.message for f in b.findings]
    assert a.variants == b.variants
    c = probe_report(model, seed=6)
    assert [f.code for f in c.findings] == ["MK301"] and c.findings[0].layer == a.findings[0].layer
    one = probe_report(model, lengths=[8])
    assert one.forward_passes == 5 and one.lengths == [8] and one.real_length == 5


def test_tolerance_and_lengths_options():
    model = models.mk102_seed_sequential()  # fixed length 5: compared post against pre
    rep = probe_report(model)
    assert rep.fixed and rep.real_length == 2
    d = rep.findings[0].extra["max_diff"]
    loose = probe_report(model, tolerance=1e6)
    assert loose.findings == [] and loose.rtol == 1e6
    assert rep.rtol == DEFAULT_RTOL and d > 0
    short = probe_report(models.ok_emb_maskzero_lstm(), lengths=[3, 4])
    assert short.real_length == 2 and short.lengths == [3, 4] and short.findings == []
    with pytest.raises(LintError, match="at least 2"):
        probe_report(models.ok_emb_maskzero_lstm(), lengths=[1])


def test_string_inputs_and_unpadded_models():
    with pytest.raises(LintError, match="takes strings"):
        probe_report(models.ok_stringlookup_mask_token())
    rep = probe_report(models.ok_fixed_length_no_mask())
    assert not rep.probed and rep.forward_passes == 0 and rep.findings == []
    rep = probe_report(models.ok_fixed_length_no_mask(), pad_value=0.0)
    assert rep.probed and rep.fixed


def test_tap_view_keeps_the_models_outputs():
    """The intermediate-output view computes the same outputs as the model itself."""
    model = models.ok_emb_bilstm_gap()
    x = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0]], dtype="int32")
    from masklint.runtime.probe.driver import _Probe

    p = _Probe(model, "m")
    p.setup()
    outs = p.tap_model([x], training=False)
    direct = model(x, training=False)
    # same layers, weights, inputs and shapes: bitwise equal on CPU; GPU kernels are not guaranteed to
    # be bitwise deterministic (reduction order), so allow float32 rounding (a few ulps of eps 1.2e-7)
    np.testing.assert_allclose(np.asarray(outs[p.out_taps[0].index]), np.asarray(direct), rtol=1e-6, atol=1e-7)


def test_tap_view_failure_is_named_in_the_notes(monkeypatch):
    """When the intermediate-output view cannot be built (a keras.Model over every tensor, with the private
    Model._jit_compile copied), the probe runs on the outputs only and its notes say why."""
    from masklint.runtime.probe import driver

    def broken(*args, **kwargs):
        raise RuntimeError("no view today")

    monkeypatch.setattr(driver, "tap_view", broken)
    rep = probe_report(models.mk101_emb_nomask_lstm())
    assert "could not build the intermediate-output view (RuntimeError: no view today): no localisation" in rep.notes
    assert [f.code for f in rep.findings] == ["MK301"]


# --------------------------------------------------------------------------------------------------
# --data: padding inference and MK201 / MK202 / MK204
# --------------------------------------------------------------------------------------------------
def test_infer_padding_value_and_side():
    ids = np.array([[0, 0, 3, 4], [0, 5, 6, 7], [1, 2, 3, 4], [0, 0, 0, 0]])
    p = infer_padding(ids)
    assert (p.value, p.side) == (0.0, "pre")
    assert p.lengths.tolist() == [2, 3, 4, 0] and p.starts.tolist() == [2, 1, 0, 0] and p.empty_rows == 1
    x = np.full((3, 5, 2), -1.0)
    x[0, :2], x[1, :4], x[2, :1] = 0.5, 0.25, 3.0
    p = infer_padding(x)
    assert (p.value, p.side, p.lengths.tolist()) == (-1.0, "post", [2, 4, 1])
    unpadded = infer_padding(np.arange(12).reshape(3, 4))
    assert unpadded.value is None and unpadded.lengths.tolist() == [4, 4, 4]


def test_data_mk201_pad_value_mismatch():
    model = rm.masking_lstm()
    rng = np.random.default_rng(0)
    x = np.full((8, 12, 3), -1.0)
    for i in range(8):
        n = int(rng.integers(3, 12))
        x[i, :n] = rng.normal(size=(n, 3))
    rep = probe_report(model, data=x)
    got = {(f.code, f.source, f.layer) for f in rep.all_findings()}
    assert ("MK201", "data", "masking") in got
    assert ("MK301", "probe", "masking") in got  # padded with -1, the probe proves the leak
    assert rep.inputs[0].pad == -1.0 and "inferred from --data" in rep.inputs[0].pad_source


def test_data_mk202_mk204_and_mk303(tmp_path):
    model = rm.emb_lstm_seq_gap()
    rng = np.random.default_rng(1)
    ids = np.zeros((6, 10), dtype="int32")
    for r in range(5):
        n = int(rng.integers(3, 10))
        ids[r, 10 - n:] = rng.integers(1, 30, size=n)
    ids[1, 8] = 0  # a real step with id 0 inside row 1
    path = tmp_path / "x.npy"
    np.save(path, ids)
    rep = probe_report(model, data=str(path))
    got = {(f.code, f.layer) for f in rep.all_findings()}
    assert got == {("MK202", "embedding"), ("MK204", "lstm"), ("MK303", "pool")}, rep.text()
    mk204 = next(f for f in rep.all_findings() if f.code == "MK204")
    assert "left-padded" in mk204.message and "1 all-padding row" in mk204.message


def test_data_file_errors(tmp_path):
    model = rm.masking_lstm()
    with pytest.raises(LintError, match="no such file"):
        probe_report(model, data=str(tmp_path / "missing.npy"))
    np.save(tmp_path / "bad.npy", np.zeros((4, 5, 7)))
    with pytest.raises(LintError, match="expects"):
        probe_report(model, data=str(tmp_path / "bad.npy"))
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 5, 3)))
    rep = probe_report(model, data=str(tmp_path / "two.npz"))  # one array, one sequence input: used
    assert rep.probed


# --------------------------------------------------------------------------------------------------
# files: safe loading, probe_file, the command line
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def probe_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("probe")
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("mk104_conv1d_kernel1", "ok_emb_bilstm_gap", "mk104_lambda", "mk001_custom_layer"):
            keras.backend.clear_session()  # layer names without the session's counters ('conv1d', not 'conv1d_7')
            keras.utils.set_random_seed(0)
            p = out / f"{name}.keras"
            getattr(models, name)().save(p)
            paths[name] = str(p)
    return paths


def test_probe_file_interface(probe_files):
    found = probe_file(probe_files["mk104_conv1d_kernel1"])
    assert [(f.code, f.source, f.path) for f in found] == [("MK301", "probe", probe_files["mk104_conv1d_kernel1"])]
    assert probe_file(probe_files["ok_emb_bilstm_gap"]) == []
    with pytest.raises(LintError, match="Lambda layers .*--unsafe"):
        probe_file(probe_files["mk104_lambda"])
    assert [f.code for f in probe_file(probe_files["mk104_lambda"], unsafe=True)] == ["MK301"]
    with pytest.raises(LintError, match="not a .keras zip|unrecognised"):
        bad = os.path.join(os.path.dirname(probe_files["mk104_lambda"]), "bad.keras")
        with open(bad, "w") as fh:
            fh.write("not a model")
        probe_file(bad)


def test_cli_probe_text_and_errors(probe_files):
    r = run_cli("probe", probe_files["mk104_conv1d_kernel1"], probe_files["ok_emb_bilstm_gap"],
                probe_files["mk104_lambda"], probe_files["mk001_custom_layer"], "--seed", "0")
    assert r.returncode == 2, r.stderr
    lines = r.stdout.splitlines()
    conv = probe_files["mk104_conv1d_kernel1"]
    assert any(ln.startswith(f"{conv}:conv1d: MK301 [error] ") for ln in lines), r.stdout
    assert any(ln.startswith(f"{conv}:conv1d: MK104 [error] ") for ln in lines)  # live static analysis
    assert any(ln.startswith(f"probe: {probe_files['ok_emb_bilstm_gap']}: largest |difference|") and
               "9 forward passes" in ln for ln in lines), r.stdout
    assert lines[-1].startswith("Found 2 findings (2 errors); 2 models probed, 2 models could not be probed.")
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("masklint: error: ")]
    assert len(err) == 2, r.stderr
    assert "Lambda layers" in err[0] and "--unsafe" in err[0]
    assert "masklint_tests>Scale" in err[1] and "--import" in err[1]
    assert "Traceback" not in r.stderr


def test_cli_probe_json_options_and_factory(tmp_path, probe_files):
    pkg = tmp_path / "mymodels"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "build.py").write_text(textwrap.dedent("""
        import keras
        from keras import layers

        def good():
            return keras.Sequential([keras.Input((None,), dtype="int32"),
                                     layers.Embedding(20, 4, mask_zero=True), layers.LSTM(4)])

        def bad():
            raise RuntimeError("no weights here")
    """))
    data = tmp_path / "x.npy"
    np.save(data, np.array([[3, 4, 0, 0], [5, 0, 0, 0], [1, 2, 3, 0]], dtype="int32"))
    r = run_cli("probe", "mymodels.build:good", "--format", "json", "--seed", "3", "--lengths", "6,9",
                "--data", str(data), cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    r = run_cli("probe", "mymodels.build:bad", "mymodels.missing:f", "--format", "json", "--seed", "1",
                cwd=str(tmp_path))
    assert r.returncode == 2
    assert json.loads(r.stdout) == []
    err = r.stderr.strip().splitlines()
    assert err[-2] == "masklint: error: mymodels.build:bad: the factory raised RuntimeError: no weights here"
    assert err[-1].startswith("masklint: error: mymodels.missing:f: cannot import 'mymodels.missing'")
    # --import registers the custom class the saved model needs; the live analysis then resolves it
    (tmp_path / "mylayers.py").write_text(textwrap.dedent("""
        import keras

        @keras.saving.register_keras_serializable(package="masklint_tests")
        class Scale(keras.layers.Layer):
            def call(self, x):
                return x * 2.0
    """))
    r = run_cli("probe", probe_files["mk001_custom_layer"], "--import", "mylayers", "--format", "json",
                cwd=str(tmp_path))
    assert r.returncode == 1, r.stderr
    assert [(f["code"], f["layer"], f["source"]) for f in json.loads(r.stdout)] == [
        ("MK104", "scale", "model"), ("MK301", "scale", "probe")]
    r = run_cli("probe", probe_files["mk104_conv1d_kernel1"], "--no-static", "--fail-on", "never",
                "--weights", "trained", "--tolerance", "1e-4")
    assert r.returncode == 0 and "MK104" not in r.stdout and "MK301" in r.stdout
    r = run_cli("probe", probe_files["mk104_conv1d_kernel1"], "--lengths", "1")
    assert r.returncode == 2 and "at least 2" in r.stderr


def test_cli_plain_probe_subcommand(probe_files):
    """``masklint probe FILE`` with no option: the click-free fast path of ``masklint.cli`` must hand
    ``probe`` to the subcommand (``"probe"`` in ``options.SUBCOMMANDS``)."""
    r = run_cli("probe", probe_files["ok_emb_bilstm_gap"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "No findings; 1 model probed."



def test_probe_flag_on_a_lint_run_adds_probe_findings_quietly():
    """``masklint --probe DIR``: the lint findings plus the probe's, no TensorFlow chatter on stderr."""
    from conftest import run_cli

    r = run_cli("examples/models", "--probe", "--format", "json")
    found = json.loads(r.stdout)
    assert r.returncode == 1, r.stderr
    assert sorted({(f["code"], f["source"]) for f in found}) == [("MK102", "model"), ("MK301", "probe")]
    assert "WARNING" not in r.stderr and "Traceback" not in r.stderr
    assert run_cli("examples/models", "--seed", "1").returncode == 2  # probe options need --probe


def test_probe_command_reads_the_configuration_and_speaks_every_format(tmp_path):
    """``masklint probe`` takes its defaults (here the probe seed and fail-on) from [tool.masklint];
    the command line wins; sarif/github/markdown reports work as for a lint run."""
    import shutil

    from conftest import run_cli

    model = tmp_path / "m.keras"
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "examples", "models",
                             "seed_ex3_masking_after_embedding.keras"), model)
    (tmp_path / "pyproject.toml").write_text("[tool.masklint]\nfail-on = 'never'\n[tool.masklint.probe]\nseed = 3\n")
    r = run_cli("probe", "m.keras", "--format", "json", cwd=str(tmp_path))
    assert r.returncode == 0 and "MK301" in r.stdout, r.stderr  # fail-on = never from the configuration
    assert run_cli("probe", "m.keras", "--fail-on", "error", cwd=str(tmp_path)).returncode == 1
    r = run_cli("probe", "m.keras", "--format", "github", cwd=str(tmp_path))
    assert "::error file=m.keras" in r.stdout and "MK301" in r.stdout
    (tmp_path / "pyproject.toml").write_text("[tool.masklint.probe]\nseed = 'x'\n")
    r = run_cli("probe", "m.keras", cwd=str(tmp_path))
    assert r.returncode == 2 and "[tool.masklint] probe.seed" in r.stderr
