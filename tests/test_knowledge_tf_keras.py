"""Check the knowledge table against tf.keras 2 (``tf_keras``), as tests/test_knowledge.py does against Keras 3.

Files saved by tf.keras 2 (legacy ``.h5``, ``to_json()``) name tf.keras classes; the table must know every
public layer class of ``tf_keras.layers`` (and ``tf_keras.layers.experimental[.preprocessing]``), and where
tf.keras 2 treats a mask differently from Keras 3 the difference is recorded in
``masklint/knowledge/keras2.py`` (``KERAS2_DIFFERENCES``, each with the tf_keras source file it was read
from). Checked per class, on :func:`knowledge.keras2.lookup_keras2` (the table as tf.keras 2 sees it):

1. presence of every class (and exported alias);
2. ``call_mask``: ``call()`` has a ``mask`` parameter (tf.keras 2 fills only ``mask``: base_layer.py
   ``_call_arg_was_passed("mask")`` / ``_expects_mask_arg``);
3. ``supports_masking`` of a minimally built instance against the mask kind (``drop``/``transparent``
   -> False, ``na`` unchecked, else True), with the documented exceptions below;
4. behaviour: representative layers called eagerly on a ``Masking(0.0)`` tensor, output mask against the
   kind (propagated, dropped, error).
"""
from __future__ import annotations

import inspect
import os
import types
import warnings

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (TensorFlow 2 Keras) is not installed")

from masklint import knowledge  # noqa: E402
from masklint.knowledge.keras2 import KERAS2_DIFFERENCES, lookup_keras2  # noqa: E402

L = tf_keras.layers
Layer = L.Layer


def _public_layers() -> tuple[dict, dict]:
    """(exported name -> class, class name -> class) over tf_keras.layers and its experimental modules."""
    names, classes = {}, {}
    mods = [L, L.experimental]
    mods += [getattr(L.experimental, n) for n in dir(L.experimental)
             if isinstance(getattr(L.experimental, n), types.ModuleType)]
    for mod in mods:
        for n in dir(mod):
            v = getattr(mod, n, None)
            if not n.startswith("_") and isinstance(v, type) and issubclass(v, Layer):
                names.setdefault(n, v)
                classes.setdefault(v.__name__, v)
    return names, classes


NAMES, CLASSES = _public_layers()


def test_every_tf_keras_layer_is_in_the_table():
    missing = sorted(n for n in NAMES if knowledge.lookup(n) is None)
    assert not missing, f"exported by tf_keras.layers but missing from knowledge.LAYERS/ALIASES: {missing}"
    wrong = [f"{n} -> {knowledge.canonical(n)}, tf_keras class {c.__name__}" for n, c in NAMES.items()
             if knowledge.canonical(n) != c.__name__ and knowledge.canonical(n) not in knowledge.LAYERS]
    assert not wrong, wrong


def test_differences_name_tf_keras_classes():
    assert set(KERAS2_DIFFERENCES) <= set(CLASSES)
    for name, spec in KERAS2_DIFFERENCES.items():
        assert spec != knowledge.lookup(name), f"{name}: recorded as a difference, yet the Keras 3 row is the same"


# ---------------------------------------------------------------------------------------------------
# call_mask

@pytest.mark.parametrize("name", sorted(CLASSES))
def test_call_mask_matches_call_signature(name):
    spec = lookup_keras2(name)
    if spec.mask == "na":
        pytest.skip(f"{name}: not a data layer")
    has_mask = "mask" in inspect.signature(CLASSES[name].call).parameters
    assert spec.call_mask == has_mask, (f"{name}.call{inspect.signature(CLASSES[name].call)}: mask parameter "
                                        f"{has_mask}, table (tf.keras 2 view) call_mask {spec.call_mask}")


# ---------------------------------------------------------------------------------------------------
# supports_masking of minimal instances


def _tf():
    import tensorflow as tf  # tf_keras needs it anyway

    return tf


def _factories():
    ex = L.experimental
    f = {
        "Activation": lambda: L.Activation("relu"), "Dense": lambda: L.Dense(2), "Embedding": lambda: L.Embedding(10, 4),
        "Dropout": lambda: L.Dropout(0.5), "AlphaDropout": lambda: L.AlphaDropout(0.5),
        "GaussianDropout": lambda: L.GaussianDropout(0.5), "GaussianNoise": lambda: L.GaussianNoise(0.5),
        "SpatialDropout1D": lambda: L.SpatialDropout1D(0.5), "SpatialDropout2D": lambda: L.SpatialDropout2D(0.5),
        "SpatialDropout3D": lambda: L.SpatialDropout3D(0.5), "Dot": lambda: L.Dot(axes=2),
        "LSTM": lambda: L.LSTM(2), "GRU": lambda: L.GRU(2), "SimpleRNN": lambda: L.SimpleRNN(2),
        "RNN": lambda: L.RNN(L.LSTMCell(2)), "Bidirectional": lambda: L.Bidirectional(L.LSTM(2)),
        "TimeDistributed": lambda: L.TimeDistributed(L.Dense(2)), "Lambda": lambda: L.Lambda(lambda x: x * 2),
        "Reshape": lambda: L.Reshape((2,)), "Permute": lambda: L.Permute((2, 1)), "RepeatVector": lambda: L.RepeatVector(2),
        "EinsumDense": lambda: L.EinsumDense("ab,bc->ac", 2), "MultiHeadAttention": lambda: L.MultiHeadAttention(2, 4),
        "CategoryEncoding": lambda: L.CategoryEncoding(4), "Discretization": lambda: L.Discretization([0.5]),
        "Hashing": lambda: L.Hashing(4), "HashedCrossing": lambda: L.HashedCrossing(4),
        "Resizing": lambda: L.Resizing(2, 2), "CenterCrop": lambda: L.CenterCrop(2, 2),
        "RandomCrop": lambda: L.RandomCrop(2, 2), "RandomRotation": lambda: L.RandomRotation(0.1),
        "RandomTranslation": lambda: L.RandomTranslation(0.1, 0.1), "RandomZoom": lambda: L.RandomZoom(0.1),
        "RandomHeight": lambda: L.RandomHeight(0.1), "RandomWidth": lambda: L.RandomWidth(0.1),
        "RandomContrast": lambda: L.RandomContrast(0.1), "RandomBrightness": lambda: L.RandomBrightness(0.1),
        "Rescaling": lambda: L.Rescaling(1.0), "TextVectorization": lambda: L.TextVectorization(vocabulary=["a"]),
        "StringLookup": lambda: L.StringLookup(vocabulary=["a"]), "IntegerLookup": lambda: L.IntegerLookup(vocabulary=[1]),
        "SpectralNormalization": lambda: L.SpectralNormalization(L.Dense(2)), "Wrapper": lambda: L.Wrapper(L.Dense(2)),
        "StackedRNNCells": lambda: L.StackedRNNCells([L.LSTMCell(2)]), "LSTMCell": lambda: L.LSTMCell(2),
        "GRUCell": lambda: L.GRUCell(2), "SimpleRNNCell": lambda: L.SimpleRNNCell(2),
        "RandomFourierFeatures": lambda: ex.RandomFourierFeatures(4),
        "DepthwiseConv1D": lambda: L.DepthwiseConv1D(3), "DepthwiseConv2D": lambda: L.DepthwiseConv2D(3),
        "Cropping1D": lambda: L.Cropping1D(1), "UpSampling1D": lambda: L.UpSampling1D(2),
        "ZeroPadding1D": lambda: L.ZeroPadding1D(1),
        # initial_vocabulary: a tensor or a dtype (dynamic_lookup.py); the dtype avoids importing tensorflow here
        "DynamicEmbedding": lambda: ex.DynamicEmbedding(10, 4, initial_vocabulary=_tf().string),
        "DynamicLookup": lambda: ex.DynamicLookup(10, initial_vocabulary=_tf().string),
    }
    for n in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
              "SeparableConv1D", "SeparableConv2D", "LocallyConnected1D", "LocallyConnected2D",
              "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
        f[n] = (lambda n=n: getattr(L, n)(2, 3))
    for n in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "MaxPooling1D", "MaxPooling2D",
              "MaxPooling3D"):
        f[n] = (lambda n=n: getattr(L, n)(2))
    return f


FACTORIES = _factories()
#: classes not built here, with the reason (all are 'na' or checked otherwise)
NOT_BUILT = {
    "DenseFeatures": "needs feature columns (feature_column/dense_features_v2.py); no supports_masking",
}
#: tf.keras 2 supports_masking values that differ from what the kind implies, yet mean the same
SUPPORTS_MASKING_EXCEPTIONS = {
    # lambda_layer.py: Lambda overrides compute_mask, so base_layer.py sets _supports_masking=True; its
    # compute_mask returns the ``mask`` argument (None): no mask comes out, as the table's 'drop' says
    "Lambda": True,
}
SUPPORTS_MASKING = {"drop": False, "lambda": False, "transparent": False, "na": None}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_supports_masking_of_minimal_instance(name):
    if name in NOT_BUILT:
        assert not getattr(CLASSES[name], "supports_masking", False) or lookup_keras2(name).mask == "drop"
        pytest.skip(NOT_BUILT[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = FACTORIES[name]() if name in FACTORIES else CLASSES[name]()
        cfg = layer.get_config()
    kind = knowledge.resolve(name, cfg, spec=lookup_keras2(name)).mask
    expected = SUPPORTS_MASKING_EXCEPTIONS.get(name, SUPPORTS_MASKING.get(kind, True))
    if expected is None:
        return
    assert layer.supports_masking is expected, (f"{name}: kind {kind!r} (tf.keras 2 view) implies "
                                                f"supports_masking {expected}, live {layer.supports_masking}")


# ---------------------------------------------------------------------------------------------------
# behaviour on masked tensors

def _data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, size=(2, 6, 4)).astype("float32")
    x[0, 4:] = 0.0
    x[1, 3:] = 0.0
    return x


X = _data()
M = np.any(X != 0, axis=-1)

BEHAVIOUR = [
    ("Dense", lambda: L.Dense(2)),
    ("LayerNormalization", lambda: L.LayerNormalization()),
    ("UnitNormalization", lambda: L.UnitNormalization()),
    ("SyncBatchNormalization", lambda: L.experimental.SyncBatchNormalization()),
    ("Identity", lambda: L.Identity()),
    ("Rescaling", lambda: L.Rescaling(2.0)),
    ("Normalization", lambda: L.Normalization(mean=0.0, variance=1.0)),
    ("GroupNormalization", lambda: L.GroupNormalization(groups=2)),
    ("Conv1D", lambda: L.Conv1D(2, 3, padding="same")),
    ("Lambda", lambda: L.Lambda(lambda t: t * 2)),
    ("LSTM", lambda: L.LSTM(2, return_sequences=True)),
]


@pytest.mark.parametrize("case", BEHAVIOUR, ids=[c[0] for c in BEHAVIOUR])
def test_behaviour_matches_table(case):
    name, factory = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        masked = L.Masking(0.0)(X)
        layer = factory()
        kind = knowledge.resolve(name, layer.get_config(), 3, spec=lookup_keras2(name)).mask
        try:
            out = layer(masked)
        except Exception as e:  # noqa: BLE001 - the 'error' kind expects one
            assert kind == "error", f"{name}: kind {kind!r}, yet the call raised {e!r}"
            return
    assert kind != "error", f"{name}: the table says it raises on a masked (batch, time, features) input"
    mask = getattr(out, "_keras_mask", None)
    if kind in ("propagate", "td", "transparent"):
        assert mask is not None and (np.asarray(mask) == M).all(), f"{name}: kind {kind!r}, live mask {mask}"
    else:
        assert mask is None, f"{name}: kind {kind!r} says no mask, live output has one"


# ---------------------------------------------------------------------------------------------------
# time mixing (tests/test_knowledge_behaviour.py's measurement, on tf.keras 2)


class _MaskFrom(L.Layer):
    """``[x, valid]`` -> ``x`` carrying the mask ``valid != 0``."""

    def call(self, inputs):
        return inputs[0] * 1.0

    def compute_mask(self, inputs, mask=None):
        return _tf().not_equal(inputs[1], 0)


TIME_CASES = [
    ("LayerNormalization", lambda: L.LayerNormalization()),
    ("LayerNormalization", lambda: L.LayerNormalization(axis=1, center=False, scale=False)),
    ("BatchNormalization", lambda: L.BatchNormalization()),
    ("SyncBatchNormalization", lambda: L.experimental.SyncBatchNormalization()),
    ("UnitNormalization", lambda: L.UnitNormalization()),
    ("UnitNormalization", lambda: L.UnitNormalization(axis=1)),
    ("Conv1D", lambda: L.Conv1D(3, 3, padding="same")),
    ("Conv1D", lambda: L.Conv1D(3, 3, padding="causal")),
    ("Conv1D", lambda: L.Conv1D(3, 1)),
    ("GlobalMaxPooling1D", lambda: L.GlobalMaxPooling1D()),
    ("GlobalAveragePooling1D", lambda: L.GlobalAveragePooling1D()),
    ("LSTM", lambda: L.LSTM(3, return_sequences=True)),
    ("Bidirectional", lambda: L.Bidirectional(L.GRU(3))),
    ("TimeDistributed", lambda: L.TimeDistributed(L.Dense(3))),
]


@pytest.mark.parametrize("case", TIME_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(TIME_CASES)])
def test_time_mixing_flag_matches_tf_keras(case):
    """Same real steps, post-padded to 7 and to 11 steps with different random padding: a mask reader never
    changes its real steps, any other layer changes them exactly when the table says it mixes time."""
    name, factory = case
    rng = np.random.default_rng(0)
    real = rng.uniform(0.5, 1.5, size=(2, 11, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x_in, v_in = tf_keras.Input((None, 4)), tf_keras.Input((None,), dtype="int32")
        layer = factory()
        model = tf_keras.Model([x_in, v_in], layer(_MaskFrom()([x_in, v_in])))
        outs = []
        for seed, t in ((1, 7), (2, 11)):
            x, valid = real[:, :t].copy(), np.zeros((2, t), "int32")
            for b, n in enumerate((5, 3)):
                valid[b, :n] = 1
                x[b, n:] = np.random.default_rng(seed).uniform(-3, 3, size=(t - n, 4))
            y = np.asarray(model([x, valid], training=False))
            outs.append([y[b] if y.ndim == 2 else y[b, :n] for b, n in enumerate((5, 3))])
        b = knowledge.resolve(name, layer.get_config(), 3, spec=lookup_keras2(name))
    diff = max(float(np.max(np.abs(p - q))) for p, q in zip(*outs))
    if b.consumer:
        assert diff <= 1e-4, f"{name}: reads the mask per the table, yet its real steps change by {diff:.3g}"
    else:
        assert b.mixes_time == (diff > 1e-4), f"{name}: table mixes_time={b.mixes_time}, measured change {diff:.3g}"
