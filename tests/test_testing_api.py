"""``masklint.testing.assert_padding_invariant`` for users' own test suites, and the public API."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import masklint  # noqa: E402
import models  # noqa: E402
import runtime_models as rm  # noqa: E402
from masklint.testing import PaddingLeakError, assert_padding_invariant  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.set_random_seed(0)
        yield


def test_passes_on_a_correct_model_and_returns_the_report():
    report = assert_padding_invariant(models.ok_emb_bilstm_gap())
    assert report.probed and report.findings == [] and report.forward_passes == 9
    d, tol, _ = report.largest["eager"]
    print("\n".join(report.summary_lines()))
    assert d <= tol and "largest |difference|" in report.text()


def test_raises_with_the_report_on_a_leak():
    model = models.mk104_conv1d_kernel1()
    with pytest.raises(PaddingLeakError) as info:
        assert_padding_invariant(model)
    text = str(info.value)
    assert text.startswith("masklint found 1 padding problem in ")
    conv = model.layers[1].name
    assert f":{conv}: MK301 [error] " in text and "largest |difference|" in text
    assert isinstance(info.value, AssertionError)
    assert info.value.report.findings[0].layer == conv


def test_fail_on_and_static_findings():
    model = models.mk109_mha_residual()  # MK302 is a warning
    with pytest.raises(PaddingLeakError, match="MK302"):
        assert_padding_invariant(model)
    assert assert_padding_invariant(model, fail_on="error").findings[0].code == "MK302"
    with pytest.raises(PaddingLeakError, match="MK109"):
        assert_padding_invariant(model, fail_on="warning", include_static=True)
    with pytest.raises(ValueError):
        assert_padding_invariant(model, fail_on="loud")


def test_data_argument():
    data = np.zeros((4, 6, 3), dtype="float32")
    data[0, :4], data[1, :2], data[3, :5] = 1.5, -0.5, 2.0  # row 2: all padding
    with pytest.raises(PaddingLeakError, match="MK303"):
        assert_padding_invariant(rm.gap_after_masking(), data=data)


def test_readme_pytest_example():
    """The README's example, as a user would write it."""
    from masklint.testing import assert_padding_invariant as check_padding

    def build_model():
        inputs = keras.Input((None,), dtype="int32")
        x = keras.layers.Embedding(1000, 32, mask_zero=True)(inputs)
        x = keras.layers.Bidirectional(keras.layers.LSTM(16))(x)
        return keras.Model(inputs, keras.layers.Dense(1)(x))

    def test_model_ignores_padding():
        report = check_padding(build_model(), seed=0)
        print(report.text())

    test_model_ignores_padding()


def test_public_check_with_probe():
    model = models.mk104_conv1d_kernel1()
    found = masklint.check(model, probe=True, seed=1)
    assert [(f.code, f.source) for f in found] == [("MK104", "model"), ("MK301", "probe")]
    assert masklint.check(models.ok_emb_maskzero_lstm(), probe=True) == []
