"""Does a layer mix padding into the real steps? Measured on the installed Keras, per layer, against the
knowledge table's time-mixing flag (``knowledge.resolve(...).mixes_time``, from ``Spec.time``).

Every normalization layer and every layer of ``keras.layers`` whose output at one step could depend on
other steps (the table's ``time`` is not ``step``, plus the attention layers and the wrappers) is built
into one small functional model::

    x (batch, time, ...) , valid (batch, time)  ->  MaskFrom  ->  layer  ->  output

``MaskFrom`` puts the mask ``valid != 0`` on ``x`` (as Masking or ``Embedding(mask_zero=True)`` would,
but without tying the padded values to a mask value). The model is run twice on the same batch of real
sequences (two samples, 5 and 3 real steps), post-padded to 7 and then to 11 steps, the padding filled
with different random values each time: the mask contract says masked steps are don't-care, both in
number and in content. The outputs at the real steps (the whole output when the layer removes the time
axis) are compared. A layer *leaks* when they differ.

What the table must say, with ``b = knowledge.resolve(name, layer.get_config(), rank)``:

- a layer that reads the mask (``b.consumer``: RNNs, GlobalAveragePooling1D, attention) never leaks;
- any other layer leaks exactly when ``b.mixes_time`` is True.

Layers whose flag the table leaves undecided (``None``: decided by the flow analysis from shapes or
dims, or not decidable from the config) are listed in ``UNDECIDED`` with the reason, and their measured
behaviour is pinned there so that a change in Keras shows up.

Reference corrections (``/work/shared/reference/keras3-masking.md``):

- §1 lists GroupNormalization with the per-step normalizations that propagate the mask harmlessly;
  it is not one: ``group_normalization.py`` ``_apply_normalization`` reduces over every axis but the batch
  and the group axis, time included (measured below: ``GroupNormalization-*``; §11 says the same).
- §1 ("warns ... but the mask survives": ``SpectralNormalization``) and §10 "Linter implementation notes" 1 hold only when the
  wrapped layer keeps the mask (a Dense): ``SpectralNormalization(Conv1D(...))`` returns the Conv1D's
  output, which has no mask, and a kernel > 1 mixes padding into the real steps
  (``SpectralNormalization-Conv1D``).
"""
from __future__ import annotations

import math
import os
import warnings

import pytest

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
keras = pytest.importorskip("keras")

from masklint import knowledge  # noqa: E402

L = keras.layers
ops = keras.ops

REAL = (5, 3)  # real steps of the two samples
PAD_LENGTHS = (7, 11)  # total lengths of the two runs (post padding)
TOL = 1e-4


class MaskFrom(L.Layer):
    """``[x, valid]`` -> ``x`` carrying the mask ``valid != 0``."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.supports_masking = True

    def call(self, inputs):
        x = inputs[0]
        return x * ops.cast(1, x.dtype)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs[1], 0)


#: the trailing shape of x per input kind (the time axis is axis 1; the mask is (batch, time))
KINDS = {
    "seq": (4,),  # (batch, time, features)
    "img": (4, 2),  # (batch, time, features, channels): rank 4 (2D layers, ConvLSTM1D)
    "vol": (3, 3, 2),  # rank 5 (3D layers, ConvLSTM2D)
    "vol4": (2, 2, 2, 2),  # rank 6 (ConvLSTM3D)
    "ids": (),  # (batch, time) integer ids
}


def _same(n):
    return n


def _half(n):
    return math.ceil(n / 2)


def _double(n):
    return 2 * n


def _minus1(n):
    return n - 1


def _plus1(n):
    return n + 1


def _whole(n):
    return None  # the output has no time axis: compare all of it


#: (id, table name, layer factory, input kind, real output steps for n real input steps)
CASES = [
    # --- normalizations
    ("LayerNormalization", "LayerNormalization", lambda: L.LayerNormalization(), "seq", _same),
    ("LayerNormalization-axis1", "LayerNormalization", lambda: L.LayerNormalization(axis=1, center=False, scale=False), "seq", _same),
    ("BatchNormalization", "BatchNormalization", lambda: L.BatchNormalization(), "seq", _same),
    ("GroupNormalization-groups2", "GroupNormalization", lambda: L.GroupNormalization(groups=2), "seq", _same),
    ("GroupNormalization-instance", "GroupNormalization", lambda: L.GroupNormalization(groups=-1), "seq", _same),
    ("GroupNormalization-img", "GroupNormalization", lambda: L.GroupNormalization(groups=2), "img", _same),
    # axis=1 with weights along time: a fixed length, the padding content changes between the runs
    ("LayerNormalization-axis1-fixed", "LayerNormalization", lambda: L.LayerNormalization(axis=1), "seq@fixed",
     _same),
    ("BatchNormalization-axis1-fixed", "BatchNormalization", lambda: L.BatchNormalization(axis=1), "seq@fixed",
     _same),
    # (RMSNormalization(axis=1) alone fails in Keras 3.15.1: its scale of shape (time,) does not broadcast)
    ("RMSNormalization-axes12-fixed", "RMSNormalization", lambda: L.RMSNormalization(axis=[1, 2]), "seq@fixed",
     _same),
    ("UnitNormalization", "UnitNormalization", lambda: L.UnitNormalization(), "seq", _same),
    ("UnitNormalization-axis1", "UnitNormalization", lambda: L.UnitNormalization(axis=1), "seq", _same),
    ("RMSNormalization", "RMSNormalization", lambda: L.RMSNormalization(), "seq", _same),
    # --- convolutions
    ("Conv1D-k3", "Conv1D", lambda: L.Conv1D(3, 3, padding="same"), "seq", _same),
    ("Conv1D-k1", "Conv1D", lambda: L.Conv1D(3, 1), "seq", _same),
    ("Conv1D-causal", "Conv1D", lambda: L.Conv1D(3, 3, padding="causal"), "seq", _same),
    ("Conv1D-causal-dilated", "Conv1D", lambda: L.Conv1D(3, 2, padding="causal", dilation_rate=2), "seq", _same),
    ("Conv1DTranspose-k3", "Conv1DTranspose", lambda: L.Conv1DTranspose(3, 3, padding="same"), "seq", _same),
    ("SeparableConv1D-k3", "SeparableConv1D", lambda: L.SeparableConv1D(3, 3, padding="same"), "seq", _same),
    ("DepthwiseConv1D-k3", "DepthwiseConv1D", lambda: L.DepthwiseConv1D(3, padding="same"), "seq", _same),
    ("DepthwiseConv1D-k1", "DepthwiseConv1D", lambda: L.DepthwiseConv1D(1), "seq", _same),
    ("Conv2D-k3", "Conv2D", lambda: L.Conv2D(2, 3, padding="same"), "img", _same),
    ("Conv2D-k1x3", "Conv2D", lambda: L.Conv2D(2, (1, 3), padding="same"), "img", _same),
    ("Conv2DTranspose-k3", "Conv2DTranspose", lambda: L.Conv2DTranspose(2, 3, padding="same"), "img", _same),
    ("SeparableConv2D-k3", "SeparableConv2D", lambda: L.SeparableConv2D(2, 3, padding="same"), "img", _same),
    ("DepthwiseConv2D-k3", "DepthwiseConv2D", lambda: L.DepthwiseConv2D(3, padding="same"), "img", _same),
    ("Conv3D-k3", "Conv3D", lambda: L.Conv3D(2, 3, padding="same"), "vol", _same),
    ("Conv3DTranspose-k3", "Conv3DTranspose", lambda: L.Conv3DTranspose(2, 3, padding="same"), "vol", _same),
    # --- pooling
    ("MaxPooling1D-2", "MaxPooling1D", lambda: L.MaxPooling1D(2, padding="same"), "seq", _half),
    ("MaxPooling1D-1", "MaxPooling1D", lambda: L.MaxPooling1D(1), "seq", _same),
    ("AveragePooling1D-2", "AveragePooling1D", lambda: L.AveragePooling1D(2, padding="same"), "seq", _half),
    ("MaxPooling2D-2", "MaxPooling2D", lambda: L.MaxPooling2D(2, padding="same"), "img", _half),
    ("AveragePooling2D-2", "AveragePooling2D", lambda: L.AveragePooling2D(2, padding="same"), "img", _half),
    ("MaxPooling3D-2", "MaxPooling3D", lambda: L.MaxPooling3D(2, padding="same"), "vol", _half),
    ("AveragePooling3D-2", "AveragePooling3D", lambda: L.AveragePooling3D(2, padding="same"), "vol", _half),
    # --- global and adaptive pooling (the time axis is reduced: the whole output is compared)
    ("GlobalAveragePooling1D", "GlobalAveragePooling1D", lambda: L.GlobalAveragePooling1D(), "seq", _whole),
    ("GlobalMaxPooling1D", "GlobalMaxPooling1D", lambda: L.GlobalMaxPooling1D(), "seq", _whole),
    ("GlobalAveragePooling2D", "GlobalAveragePooling2D", lambda: L.GlobalAveragePooling2D(), "img", _whole),
    ("GlobalMaxPooling2D", "GlobalMaxPooling2D", lambda: L.GlobalMaxPooling2D(), "img", _whole),
    ("GlobalAveragePooling3D", "GlobalAveragePooling3D", lambda: L.GlobalAveragePooling3D(), "vol", _whole),
    ("GlobalMaxPooling3D", "GlobalMaxPooling3D", lambda: L.GlobalMaxPooling3D(), "vol", _whole),
    ("AdaptiveAveragePooling1D", "AdaptiveAveragePooling1D", lambda: L.AdaptiveAveragePooling1D(2), "seq", _whole),
    ("AdaptiveMaxPooling1D", "AdaptiveMaxPooling1D", lambda: L.AdaptiveMaxPooling1D(2), "seq", _whole),
    ("AdaptiveAveragePooling2D", "AdaptiveAveragePooling2D", lambda: L.AdaptiveAveragePooling2D(2), "img", _whole),
    ("AdaptiveMaxPooling2D", "AdaptiveMaxPooling2D", lambda: L.AdaptiveMaxPooling2D(2), "img", _whole),
    ("AdaptiveAveragePooling3D", "AdaptiveAveragePooling3D", lambda: L.AdaptiveAveragePooling3D(2), "vol", _whole),
    ("AdaptiveMaxPooling3D", "AdaptiveMaxPooling3D", lambda: L.AdaptiveMaxPooling3D(2), "vol", _whole),
    # --- time-axis moves (crop, pad, upsample): steps move, none mixes
    ("Cropping1D", "Cropping1D", lambda: L.Cropping1D((1, 1)), "seq", _minus1),
    ("ZeroPadding1D", "ZeroPadding1D", lambda: L.ZeroPadding1D((1, 1)), "seq", _plus1),
    ("UpSampling1D", "UpSampling1D", lambda: L.UpSampling1D(2), "seq", _double),
    ("Cropping2D", "Cropping2D", lambda: L.Cropping2D(((1, 1), (0, 0))), "img", _minus1),
    ("ZeroPadding2D", "ZeroPadding2D", lambda: L.ZeroPadding2D(((1, 1), (0, 0))), "img", _plus1),
    ("UpSampling2D", "UpSampling2D", lambda: L.UpSampling2D(2), "img", _double),
    ("Cropping3D", "Cropping3D", lambda: L.Cropping3D(((1, 1), (0, 0), (0, 0))), "vol", _minus1),
    ("ZeroPadding3D", "ZeroPadding3D", lambda: L.ZeroPadding3D(((1, 1), (0, 0), (0, 0))), "vol", _plus1),
    ("UpSampling3D", "UpSampling3D", lambda: L.UpSampling3D(2), "vol", _double),
    # --- einsum
    ("EinsumDense-features", "EinsumDense", lambda: L.EinsumDense("abc,cd->abd", (None, 3)), "seq", _same),
    ("EinsumDense-time", "EinsumDense", lambda: L.EinsumDense("abc,bd->adc", (3, 4)), "seq@fixed", _whole),
    # strided, window 1: each output step is one input step (kept as mixing by the table, see CONSERVATIVE)
    ("Conv1D-k1-stride2", "Conv1D", lambda: L.Conv1D(3, 1, strides=2), "seq", _half),
    ("MaxPooling1D-1-stride2", "MaxPooling1D", lambda: L.MaxPooling1D(1, strides=2), "seq", _half),
    ("CategoryEncoding", "CategoryEncoding", lambda: L.CategoryEncoding(8, output_mode="multi_hot"), "ids",
     _whole),
    # --- recurrent: they read the mask
    ("LSTM", "LSTM", lambda: L.LSTM(3), "seq", _whole),
    ("LSTM-seq", "LSTM", lambda: L.LSTM(3, return_sequences=True), "seq", _same),
    ("GRU-seq", "GRU", lambda: L.GRU(3, return_sequences=True), "seq", _same),
    ("SimpleRNN", "SimpleRNN", lambda: L.SimpleRNN(3), "seq", _whole),
    ("RNN-cell", "RNN", lambda: L.RNN(L.GRUCell(3), return_sequences=True), "seq", _same),
    ("Bidirectional-seq", "Bidirectional", lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), "seq",
     _same),
    ("Bidirectional-last", "Bidirectional", lambda: L.Bidirectional(L.GRU(3)), "seq", _whole),
    ("ConvLSTM1D", "ConvLSTM1D", lambda: L.ConvLSTM1D(2, 3, padding="same"), "img", _whole),
    ("ConvLSTM2D-seq", "ConvLSTM2D", lambda: L.ConvLSTM2D(2, 3, padding="same", return_sequences=True), "vol",
     _same),
    ("ConvLSTM3D", "ConvLSTM3D", lambda: L.ConvLSTM3D(2, 1), "vol4", _whole),
    # --- wrappers
    ("TimeDistributed-Dense", "TimeDistributed", lambda: L.TimeDistributed(L.Dense(3)), "seq", _same),
    ("TimeDistributed-Conv1D", "TimeDistributed", lambda: L.TimeDistributed(L.Conv1D(2, 3, padding="same")),
     "img", _same),
    # SpectralNormalization calls the wrapped layer: a Conv1D inside drops the mask and mixes steps
    # (found by this test: the table had it as transparent whatever it wraps)
    ("SpectralNormalization-Dense", "SpectralNormalization", lambda: L.SpectralNormalization(L.Dense(3)), "seq",
     _same),
    ("SpectralNormalization-Conv1D", "SpectralNormalization",
     lambda: L.SpectralNormalization(L.Conv1D(3, 3, padding="same")), "seq", _same),
    ("SpectralNormalization-Conv1D-k1", "SpectralNormalization",
     lambda: L.SpectralNormalization(L.Conv1D(3, 1)), "seq", _same),
]

#: attention layers: query and value are both the masked sequence (self-attention)
ATTENTION_CASES = [
    ("Attention", "Attention", lambda: L.Attention(), "list"),
    ("AdditiveAttention", "AdditiveAttention", lambda: L.AdditiveAttention(), "list"),
    ("MultiHeadAttention", "MultiHeadAttention", lambda: L.MultiHeadAttention(2, 4), "args"),
    ("GroupedQueryAttention", "GroupedQueryAttention",
     lambda: L.GroupQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1), "args"),
]

#: id -> (measured leak, why the table leaves the flag undecided): the flow analysis decides these
UNDECIDED = {
    "Reshape-noop": (False, "decided from shapes (shapes.reshape_effect)"),
    "Permute-features": (False, "decided from dims (dims[0] == 1 keeps the time axis)"),
    # groups=-1 is saved as the channel count (here the length): whether each group is one step needs shapes
    "GroupNormalization-axis1-instance-fixed": (False, "groups equal to the time length: one step per group"),
}
UNDECIDED_CASES = [
    ("Reshape-noop", "Reshape", lambda: L.Reshape((-1, 4)), "seq", _same),
    ("Permute-features", "Permute", lambda: L.Permute((1, 3, 2)), "img", _same),
    ("GroupNormalization-axis1-instance-fixed", "GroupNormalization",
     lambda: L.GroupNormalization(groups=-1, axis=1), "seq@fixed", _same),
]


FIXED_T = 11  # layers with weights along the time axis need a fixed length: both runs pad to it


def _base(kind):
    return kind.split("@")[0]


def _batches(kind, seed):
    """The same real steps, post-padded to each of PAD_LENGTHS (``kind@fixed``: twice to FIXED_T) with fresh
    random padding."""
    fixed = kind.endswith("@fixed")
    kind = _base(kind)
    rng = np.random.default_rng(0)
    tail = KINDS[kind]
    t_max = FIXED_T if fixed else max(PAD_LENGTHS)
    if kind == "ids":
        real = rng.integers(1, 8, size=(len(REAL), t_max))
    else:
        real = rng.uniform(0.5, 1.5, size=(len(REAL), t_max) + tail).astype("float32")
    out = []
    for i, t in enumerate((FIXED_T, FIXED_T) if fixed else PAD_LENGTHS):
        prng = np.random.default_rng(seed * 10 + i + 1)
        x = real[:, :t].copy()
        valid = np.zeros((len(REAL), t), dtype="int32")
        for b, n in enumerate(REAL):
            valid[b, :n] = 1
            if kind == "ids":
                x[b, n:] = prng.integers(0, 8, size=(t - n,))
            else:
                x[b, n:] = prng.uniform(-3.0, 3.0, size=(t - n,) + tail)
        out.append((x, valid))
    return out


def _inputs(kind):
    t = FIXED_T if kind.endswith("@fixed") else None
    kind = _base(kind)
    shape = (t,) + KINDS[kind]
    x = keras.Input(shape=shape, dtype="int32" if kind == "ids" else "float32")
    valid = keras.Input(shape=(t,), dtype="int32")
    return x, valid


def _real_part(y, steps):
    if steps is None:
        return [y[b] for b in range(len(REAL))]
    return [y[b, :steps(n)] for b, n in enumerate(REAL)]


def _leaks(model, kind, steps, seed=0, training=False) -> float:
    outs = []
    for x, valid in _batches(kind, seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = model([x, valid], training=training)
        y = y[0] if isinstance(y, (list, tuple)) else y
        outs.append(_real_part(np.asarray(y), steps))
    return max(float(np.max(np.abs(a - b))) if a.size else 0.0 for a, b in zip(*outs))


def _model(factory, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = factory()
        x, valid = _inputs(kind)
        y = layer(MaskFrom()([x, valid]))
        return layer, keras.Model([x, valid], y)


def _resolve(name, layer, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = layer.get_config()
    return knowledge.resolve(name, cfg, 2 + len(KINDS[_base(kind)]))


#: cases where the table says "mixes" and no real step changes, with the reason the claim is kept
CONSERVATIVE = {
    "Conv1D-k1-stride2": "a stride resamples the time axis: no mask lines up with it any more",
    "MaxPooling1D-1-stride2": "a stride resamples the time axis: no mask lines up with it any more",
}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_time_mixing_flag_matches_measured_leak(case):
    cid, name, factory, kind, steps = case
    layer, model = _model(factory, kind)
    b = _resolve(name, layer, kind)
    diff = _leaks(model, kind, steps)
    leaks = diff > TOL
    if cid in CONSERVATIVE:
        assert b.mixes_time is True and not leaks, f"{cid}: pinned as conservative, now {b.mixes_time}/{diff:.3g}"
        return
    if b.consumer:
        assert not leaks, f"{cid}: the table says {name} reads the mask, yet its real steps change by {diff:.3g}"
        return
    assert b.mixes_time is not None, f"{cid}: the table leaves time mixing undecided (measured leak: {leaks})"
    assert b.mixes_time == leaks, (f"{cid}: table mixes_time={b.mixes_time}, measured: real steps change by "
                                   f"{diff:.3g} when only the padding changes")


def test_batch_normalization_in_training_uses_the_mask():
    """In training BatchNormalization takes batch statistics over (batch, time); with a mask it weighs
    the moments by it (batch_normalization.py ``call`` -> ``_moments(inputs, mask)``), so the table's per-step claim holds in
    training too."""
    layer, model = _model(lambda: L.BatchNormalization(), "seq")
    assert _resolve("BatchNormalization", layer, "seq").mixes_time is False
    assert _leaks(model, "seq", _same, training=True) <= TOL


@pytest.mark.parametrize("case", ATTENTION_CASES, ids=[c[0] for c in ATTENTION_CASES])
def test_attention_reads_the_mask(case):
    cid, name, factory, how = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = factory()
        x, valid = _inputs("seq")
        m = MaskFrom()([x, valid])
        y = layer([m, m]) if how == "list" else layer(m, m)
        model = keras.Model([x, valid], y)
    b = _resolve(name, layer, "seq")
    assert b.consumer and b.mask == "attention"
    diff = _leaks(model, "seq", _same)
    assert diff <= TOL, f"{cid}: reads the mask per the table, yet its real steps change by {diff:.3g}"


@pytest.mark.parametrize("case", UNDECIDED_CASES, ids=[c[0] for c in UNDECIDED_CASES])
def test_undecided_flags_are_pinned(case):
    cid, name, factory, kind, steps = case
    layer, model = _model(factory, kind)
    assert _resolve(name, layer, kind).mixes_time is None, f"{cid}: the table decides it now; move it to CASES"
    want, _why = UNDECIDED[cid]
    diff = _leaks(model, kind, steps)
    assert (diff > TOL) == want, f"{cid}: measured change {diff:.3g}, pinned leak={want}"


def test_every_time_mixing_candidate_is_measured():
    """Every class of keras.layers whose table ``time`` is not ``step`` (or that is an attention layer or a
    wrapper) has a case here, or is named in NOT_MEASURED with the reason."""
    measured = {c[1] for c in CASES} | {c[1] for c in ATTENTION_CASES} | {c[1] for c in UNDECIDED_CASES}
    classes = {}
    for n in dir(L):
        v = getattr(L, n, None)
        if isinstance(v, type) and issubclass(v, L.Layer):
            classes.setdefault(v.__name__, v)
    missing = []
    for n in sorted(classes):
        s = knowledge.lookup(n)
        if s is None:
            continue  # tests/test_knowledge.py reports it
        candidate = s.time != "step" or s.mask in ("attention", "td", "transparent", "rnn")
        if s.time == "other" and s.mask in ("drop", "na"):
            candidate = False  # images, preprocessing, not data layers
        if candidate and n not in measured and n not in NOT_MEASURED:
            missing.append(n)
    assert not missing, f"time-mixing candidates without a behaviour case: {missing}"


#: candidates deliberately not measured here, with the reason
NOT_MEASURED = {
    "Embedding": "maps ids step by step (tests/test_knowledge.py checks its mask)",
    "ReversibleEmbedding": "maps ids step by step",
    "Flatten": "its output has no time axis and its size depends on the padded length",
    "RepeatVector": "takes (batch, features): there is no time axis to pad",
    "Lambda": "decided from the function's code (masklint/knowledge/lambda_code.py)",
    "Pipeline": "a preprocessing pipeline (images/features), transparent",
    "Dot": "decided from its axes by the flow analysis; the mask is dropped silently",
}


def test_group_normalization_resolution_without_a_measurement():
    """The cases the models above cannot build (a fixed-length time axis as the channel axis, an unknown
    rank): GroupNormalization's reduction spans every axis but batch and group
    (group_normalization.py ``_apply_normalization``)."""
    r = knowledge.resolve
    assert r("GroupNormalization", {"groups": 2}, None).mixes_time is True  # any rank >= 2 mixes
    assert r("GroupNormalization", {"groups": -1}, 3).mixes_time is True  # per-channel groups, still over time
    assert r("GroupNormalization", {"groups": -1}, None).mixes_time is None  # on (batch, time) it would not
    assert r("GroupNormalization", {"groups": -1, "axis": 1}, 3).mixes_time is False  # one step per group
    assert r("GroupNormalization", {"groups": 4, "axis": 1}, 3).mixes_time is None  # unless groups == length
    assert r("GroupNormalization", {"groups": 2}, 2).mixes_time is None


def test_spectral_normalization_resolves_its_wrapped_layer():
    r = knowledge.resolve
    conv = {"layer": {"class_name": "Conv1D", "config": {"kernel_size": [3], "padding": "same"}}}
    assert (r("SpectralNormalization", conv, 3).mask, r("SpectralNormalization", conv, 3).mixes_time) == ("drop", True)
    dense = {"layer": {"class_name": "Dense", "config": {"units": 3}}}
    assert (r("SpectralNormalization", dense, 3).mask, r("SpectralNormalization", dense, 3).mixes_time) == \
        ("transparent", False)
    assert r("SpectralNormalization", {}, 3).mask == "transparent"  # nothing known of the wrapped layer
    assert r("SpectralNormalization", {"layer": {"class_name": "MyConv"}}, 3).mask == "transparent"
