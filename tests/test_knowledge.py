"""Check the Keras knowledge table (``masklint/knowledge/layers.py``) against the installed Keras.

The table is what the linter believes about every built-in layer. This module walks every layer class
exported by the installed ``keras.layers`` and fails when the table misses one or disagrees with the live
class. What is compared, per exported class:

1. **Presence** - every exported name resolves, either directly or through ``ALIASES`` to the canonical
   ``cls.__name__`` (``GroupQueryAttention`` -> ``GroupedQueryAttention``); every alias points at the live
   class name; and every table key that the installed Keras does not export is a documented Keras 2 /
   legacy name (catches typos in the table).
2. **call_mask** - ``Spec.call_mask`` means "Keras hands this layer the incoming mask when calling it",
   i.e. ``Layer.__call__`` step 6 (layers/layer.py) auto-fills a mask argument of ``call()``: either a
   parameter named ``mask`` (filled when the call has one tensor argument), or a parameter
   ``<arg>_mask`` where ``<arg>`` is another parameter of ``call()`` (filled from that tensor argument's
   mask: MultiHeadAttention's ``query_mask``/``value_mask``/``key_mask``). ``attention_mask`` and
   ``use_causal_mask`` are not such parameters (there is no ``attention``/``use_causal`` argument).
3. **compute_mask overridden** - whether ``cls.compute_mask is not Layer.compute_mask``, against the
   mapping ``OVERRIDES_COMPUTE_MASK`` from the table's mask kind, with documented exceptions.
4. **supports_masking** of an instance built with minimal arguments, against the kind that
   :func:`knowledge.resolve` gives for that instance's ``get_config()`` (the linter's own path):
   ``drop``/``lambda``/``transparent`` -> False, ``na`` -> not checked, anything else -> True. Plus the
   argument-dependent cases (Embedding ``mask_zero``, Lambda ``mask=``, RNN ``return_sequences``,
   Bidirectional ``zero_output``).
5. **Behaviour** - representative layers of every mask kind are called eagerly on real masked tensors
   (``Masking(0.0)`` over a (2, 6, 4) array with trailing zero steps) and the output mask, the
   "does not support masking" warning, and errors are compared with the kind the table claims.
"""
from __future__ import annotations

import inspect
import os
import warnings

import pytest

os.environ["KERAS_BACKEND"] = "tensorflow"  # the table was measured on the TensorFlow backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
keras = pytest.importorskip("keras")

from masklint import knowledge  # noqa: E402

layers = keras.layers
Layer = layers.Layer
KERAS_VERSION = tuple(int(p) for p in keras.__version__.split(".")[:2] if p.isdigit())
#: the table was measured on this version; older versions export fewer classes
MEASURED_ON = (3, 15)


def _get_mask(t):
    try:
        from keras.src.backend import get_keras_mask
    except ImportError:  # pragma: no cover - older Keras 3
        return getattr(t, "_keras_mask", None)
    return get_keras_mask(t)


def _exported() -> dict[str, type]:
    """Every name in ``keras.layers`` whose value is a Layer subclass (aliases included)."""
    out = {}
    for n in sorted(dir(layers)):
        v = getattr(layers, n, None)
        if isinstance(v, type) and issubclass(v, Layer):
            out[n] = v
    return out


EXPORTED = _exported()
#: one entry per distinct class: canonical name (cls.__name__) -> class
CLASSES = {}
for _n, _c in EXPORTED.items():
    CLASSES.setdefault(_c.__name__, _c)

#: table keys that the installed Keras 3 does not export: Keras 2 / tf.keras names found in legacy files
LEGACY_NAMES = {
    "CuDNNLSTM", "CuDNNGRU",  # Keras 2 cuDNN-only RNNs (no masking)
    "LocallyConnected1D", "LocallyConnected2D",  # removed in Keras 3
    "ThresholdedReLU",  # removed in Keras 3 (use ReLU(threshold=...))
    "RandomFourierFeatures",  # tf.keras.layers.experimental
    "RandomHeight", "RandomWidth",  # Keras 2 preprocessing, removed in Keras 3
    "DenseFeatures", "AbstractRNNCell",  # tf.keras (tf_keras) only
}


def _spec(name):
    return knowledge.lookup(name)


# ---------------------------------------------------------------------------------------------------
# 1. presence


def test_every_exported_layer_is_in_the_table():
    missing = [n for n in EXPORTED if knowledge.lookup(n) is None]
    assert not missing, f"exported by keras.layers but missing from knowledge.LAYERS/ALIASES: {missing}"


def test_exported_names_resolve_to_the_live_class_name():
    """``canonical(n)`` is the config class_name; if the table has the alias as its own key too, the
    two entries must agree."""
    bad = []
    for n, cls in EXPORTED.items():
        canon = knowledge.canonical(n)
        if n in knowledge.ALIASES and canon != cls.__name__:
            bad.append(f"ALIASES[{n!r}] = {canon!r}, but keras.layers.{n} is {cls.__name__}")
        if n != cls.__name__:
            if cls.__name__ not in knowledge.LAYERS:
                bad.append(f"{n} is {cls.__name__}, which is not a LAYERS key")
            elif n in knowledge.LAYERS and knowledge.LAYERS[n] != knowledge.LAYERS[cls.__name__]:
                bad.append(f"LAYERS[{n!r}] != LAYERS[{cls.__name__!r}] although they are the same class")
    assert not bad, "\n".join(bad)


def test_aliases_point_at_table_keys():
    bad = [f"{a} -> {c}" for a, c in knowledge.ALIASES.items() if c not in knowledge.LAYERS]
    assert not bad, f"aliases whose target is not a LAYERS key: {bad}"
    unknown = [a for a in knowledge.ALIASES if a not in EXPORTED and a not in LEGACY_NAMES]
    if KERAS_VERSION >= MEASURED_ON:
        assert not unknown, f"aliases that keras.layers does not export (typo?): {unknown}"


def test_table_keys_not_exported_are_documented_legacy_names():
    known = set(EXPORTED) | set(CLASSES)
    extra = sorted(k for k in knowledge.LAYERS if k not in known and k not in LEGACY_NAMES)
    if extra and KERAS_VERSION < MEASURED_ON:
        pytest.skip(f"Keras {keras.__version__} is older than the table; not exported here: {extra}")
    assert not extra, (f"LAYERS keys that Keras {keras.__version__} does not export and that are not in "
                       f"LEGACY_NAMES (typo, or a legacy name to document): {extra}")
    # the allow-list itself must stay honest: a legacy name that Keras exports again belongs elsewhere
    assert not (LEGACY_NAMES & known), f"exported by keras.layers, yet listed as legacy: {LEGACY_NAMES & known}"
    assert LEGACY_NAMES <= set(knowledge.LAYERS), "LEGACY_NAMES lists names the table does not have"


# ---------------------------------------------------------------------------------------------------
# 2. call_mask


def _auto_filled_mask_params(cls) -> list[str]:
    """The ``call()`` parameters that ``Layer.__call__`` fills from input masks (see module docstring)."""
    params = [p for p in inspect.signature(cls.call).parameters if p != "self"]
    out = []
    for p in params:
        if p == "mask":
            out.append(p)
        elif p.endswith("_mask") and p[: -len("_mask")] in params:
            out.append(p)
    return out


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_call_mask_matches_call_signature(name):
    cls = CLASSES[name]
    spec = _spec(name)
    assert spec is not None
    filled = _auto_filled_mask_params(cls)
    assert spec.call_mask == bool(filled), (
        f"{name}.call{inspect.signature(cls.call)}: mask parameters filled by Keras = {filled}, "
        f"table call_mask = {spec.call_mask}")


# ---------------------------------------------------------------------------------------------------
# 3. compute_mask overridden

#: mask kind -> does the class override Layer.compute_mask? (None: not checked)
OVERRIDES_COMPUTE_MASK = {
    "create": True,  # Masking / Embedding compute a new mask
    "consume": True,  # GlobalAveragePooling1D returns None
    "rnn": True,  # RNN.compute_mask: mask if return_sequences else None
    "merge": True,  # Merge.compute_mask: OR if every input is masked
    "concat": True,  # Concatenate.compute_mask
    "drop_silent": True,  # Dot.compute_mask returns None
    "attention": True,  # Attention.compute_mask returns the query mask
    "lambda": True,  # Lambda.compute_mask uses mask=
    "propagate": False,  # the default returns previous_mask unchanged
    "drop": False,  # supports_masking=False: compute_mask is never consulted
    "td": False,  # TimeDistributed propagates through the default
    "error": False,  # Softmax: the error is in call(), the mask itself is propagated
    "transparent": False,  # Pipeline/SpectralNormalization: supports_masking=False, default compute_mask
    "na": None,
}
#: documented exceptions to the mapping above: class -> overridden?
COMPUTE_MASK_EXCEPTIONS = {
    # output mask = query mask comes from the default compute_mask: previous_mask is the first input's mask
    "MultiHeadAttention": False,
    "GroupedQueryAttention": False,  # subclass-free copy of MHA's design, same reason
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_compute_mask_override_matches_mask_kind(name):
    cls = CLASSES[name]
    spec = _spec(name)
    assert spec.mask in OVERRIDES_COMPUTE_MASK, f"unknown mask kind {spec.mask!r} for {name}"
    expected = COMPUTE_MASK_EXCEPTIONS.get(name, OVERRIDES_COMPUTE_MASK[spec.mask])
    if expected is None:
        pytest.skip(f"{name}: mask kind 'na' (not a data layer)")
    overridden = cls.compute_mask is not Layer.compute_mask
    owner = next(c.__name__ for c in cls.__mro__ if "compute_mask" in c.__dict__)
    assert overridden == expected, (
        f"{name}: table mask kind {spec.mask!r} implies compute_mask overridden={expected}, "
        f"live class has it from {owner}")


def test_compute_mask_exceptions_are_still_needed():
    for name, expected in COMPUTE_MASK_EXCEPTIONS.items():
        if name not in CLASSES:
            continue
        assert OVERRIDES_COMPUTE_MASK[_spec(name).mask] != expected, f"{name} no longer needs an exception"


# ---------------------------------------------------------------------------------------------------
# 4. supports_masking of minimal instances


def _minimal_factories():
    L = layers
    f = {
        "Activation": lambda: L.Activation("relu"),
        "AlphaDropout": lambda: L.AlphaDropout(0.1),
        "Bidirectional": lambda: L.Bidirectional(L.LSTM(2)),
        "CategoryEncoding": lambda: L.CategoryEncoding(num_tokens=3),
        "CenterCrop": lambda: L.CenterCrop(2, 2),
        "Dense": lambda: L.Dense(2),
        "Discretization": lambda: L.Discretization(bin_boundaries=[0.0]),
        "Dot": lambda: L.Dot(axes=-1),
        "Dropout": lambda: L.Dropout(0.5),
        "EinsumDense": lambda: L.EinsumDense("ab,bc->ac", 2),
        "Embedding": lambda: L.Embedding(10, 4),
        "ReversibleEmbedding": lambda: L.ReversibleEmbedding(10, 4),
        "GaussianDropout": lambda: L.GaussianDropout(0.1),
        "GaussianNoise": lambda: L.GaussianNoise(0.1),
        "GroupedQueryAttention": lambda: L.GroupQueryAttention(head_dim=4, num_query_heads=2,
                                                               num_key_value_heads=1),
        "HashedCrossing": lambda: L.HashedCrossing(num_bins=3),
        "Hashing": lambda: L.Hashing(num_bins=3),
        "InputLayer": lambda: L.InputLayer(shape=(3,)),
        "Lambda": lambda: L.Lambda(lambda x: x * 2),
        "LSTM": lambda: L.LSTM(2), "GRU": lambda: L.GRU(2), "SimpleRNN": lambda: L.SimpleRNN(2),
        "LSTMCell": lambda: L.LSTMCell(2), "GRUCell": lambda: L.GRUCell(2),
        "SimpleRNNCell": lambda: L.SimpleRNNCell(2),
        "StackedRNNCells": lambda: L.StackedRNNCells([L.LSTMCell(2)]),
        "RNN": lambda: L.RNN(L.LSTMCell(2)),
        "MaxNumBoundingBoxes": lambda: L.MaxNumBoundingBoxes(max_number=2),
        "MultiHeadAttention": lambda: L.MultiHeadAttention(2, 4),
        "Permute": lambda: L.Permute((2, 1)),
        "Pipeline": lambda: L.Pipeline([L.Dense(2)]),
        "RandomBrightness": lambda: L.RandomBrightness(0.1),
        "RandomColorDegeneration": lambda: L.RandomColorDegeneration(0.1),
        "RandomContrast": lambda: L.RandomContrast(0.1),
        "RandomCrop": lambda: L.RandomCrop(2, 2),
        "RandomHue": lambda: L.RandomHue(0.1),
        "RandomPosterization": lambda: L.RandomPosterization(4),
        "RandomRotation": lambda: L.RandomRotation(0.1),
        "RandomSaturation": lambda: L.RandomSaturation(0.1),
        "RandomSharpness": lambda: L.RandomSharpness(0.1),
        "RandomTranslation": lambda: L.RandomTranslation(0.1, 0.1),
        "RandomZoom": lambda: L.RandomZoom(0.1),
        "RepeatVector": lambda: L.RepeatVector(2),
        "Rescaling": lambda: L.Rescaling(1.0 / 255),
        "Reshape": lambda: L.Reshape((2, 2)),
        "Resizing": lambda: L.Resizing(2, 2),
        "SpatialDropout1D": lambda: L.SpatialDropout1D(0.1),
        "SpatialDropout2D": lambda: L.SpatialDropout2D(0.1),
        "SpatialDropout3D": lambda: L.SpatialDropout3D(0.1),
        "SpectralNormalization": lambda: L.SpectralNormalization(L.Dense(2)),
        "StringLookup": lambda: L.StringLookup(vocabulary=["a", "b"]),
        "IntegerLookup": lambda: L.IntegerLookup(vocabulary=[1, 2]),
        "TextVectorization": lambda: L.TextVectorization(vocabulary=["a", "b"]),
        "TimeDistributed": lambda: L.TimeDistributed(L.Dense(2)),
        "Wrapper": lambda: L.Wrapper(L.Dense(2)),
    }
    for n in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
              "SeparableConv1D", "SeparableConv2D", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
        f[n] = (lambda n=n: getattr(L, n)(2, 3))
    for n in ("DepthwiseConv1D", "DepthwiseConv2D"):
        f[n] = (lambda n=n: getattr(L, n)(3))
    for n in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D"):
        f[n] = (lambda n=n: getattr(L, n)(2))
    for n in ("AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
              "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"):
        f[n] = (lambda n=n: getattr(L, n)(2))
    return f


MINIMAL = _minimal_factories()

#: classes that cannot be built in this environment (each with the reason); everything else must build
UNBUILDABLE = {
    "JaxLayer": "needs jax and a jax call_fn",
    "FlaxLayer": "needs flax and a flax module",
    "TorchModuleWrapper": "needs torch and a torch module",
    "TFSMLayer": "needs a SavedModel on disk",
}
#: classes whose constructor may need an optional package (skipped only if the import fails)
OPTIONAL_DEPS = {"STFTSpectrogram": "scipy"}

#: table mask kind -> expected supports_masking of the instance (None: not checked)
SUPPORTS_MASKING = {"drop": False, "lambda": False, "transparent": False, "na": None}


def _build(name):
    cls = CLASSES[name]
    if name in UNBUILDABLE:
        pytest.skip(f"{name}: {UNBUILDABLE[name]}")
    if name in OPTIONAL_DEPS:
        pytest.importorskip(OPTIONAL_DEPS[name], reason=f"{name} needs {OPTIONAL_DEPS[name]}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MINIMAL[name]() if name in MINIMAL else cls()


def _config(layer):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return layer.get_config()
    except Exception:  # pragma: no cover - a layer without a usable get_config
        return {}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_supports_masking_of_minimal_instance(name):
    layer = _build(name)
    assert type(layer) is CLASSES[name]
    kind = knowledge.resolve(name, _config(layer)).mask
    expected = SUPPORTS_MASKING.get(kind, True)
    if expected is None:
        return  # 'na': built fine, supports_masking is meaningless for it
    assert layer.supports_masking is expected, (
        f"{name}: resolve() says mask kind {kind!r} (=> supports_masking {expected}), "
        f"live instance has {layer.supports_masking}")


def test_unbuildable_layers_are_not_data_layers():
    """A class skipped in the supports_masking check must be one the table marks 'na' (not checked)."""
    for name in UNBUILDABLE:
        spec = knowledge.lookup(name)
        assert spec is not None and spec.mask == "na", f"{name} is skipped, so the table must mark it 'na'"


def test_argument_dependent_masking():
    L = layers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emb = L.Embedding(10, 4, mask_zero=True)
        lam = L.Lambda(lambda x: x * 2, mask=lambda i, m: m)
        assert emb.supports_masking is True
        assert L.Embedding(10, 4).supports_masking is False
        assert lam.supports_masking is True
        assert knowledge.resolve("Embedding", emb.get_config()).mask == "create"
        assert knowledge.resolve("Embedding", {"mask_zero": False}).mask == "drop"
        assert knowledge.resolve("Lambda", lam.get_config()).mask == "propagate"
        assert knowledge.resolve("Lambda", L.Lambda(lambda x: x * 2.0).get_config()).mask == "drop"
        # an identity Lambda returns its input tensor: Keras warns, but the runtime mask survives
        assert knowledge.resolve("Lambda", L.Lambda(lambda x: x).get_config()).mask == "transparent"
        if "ReversibleEmbedding" in CLASSES:
            assert L.ReversibleEmbedding(10, 4, mask_zero=True).supports_masking is True
    assert knowledge.resolve("LSTM", {"return_sequences": True}).mask == "propagate"
    assert knowledge.resolve("LSTM", {"return_sequences": False}).mask == "consume"
    assert knowledge.resolve("LSTM", {}).mask == "consume"
    assert knowledge.resolve("LSTM", {"return_sequences": True}).zero_output is False
    assert knowledge.resolve("LSTM", {"return_sequences": True, "zero_output_for_mask": True}).zero_output
    bi = {"layer": {"class_name": "LSTM", "config": {"return_sequences": True}}}
    assert knowledge.resolve("Bidirectional", bi).mask == "propagate"
    assert knowledge.resolve("Bidirectional", bi).zero_output is True
    bi_last = {"layer": {"class_name": "LSTM", "config": {"return_sequences": False}}}
    assert knowledge.resolve("Bidirectional", bi_last).mask == "consume"
    # Bidirectional really forces zero_output_for_mask on both directions (bidirectional.py:137-143)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        live = L.Bidirectional(L.LSTM(2, return_sequences=True))
    assert live.forward_layer.zero_output_for_mask and live.backward_layer.zero_output_for_mask


# ---------------------------------------------------------------------------------------------------
# 5. behaviour on real masked tensors


def _data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, size=(2, 6, 4)).astype("float32")
    x[0, 4:] = 0.0  # sample 0: 4 valid steps
    x[1, 3:] = 0.0  # sample 1: 3 valid steps
    x2 = rng.uniform(0.5, 1.5, size=(2, 6, 4)).astype("float32")
    x2[0, 2:] = 0.0  # a second input padded differently, so OR is visible
    x2[1, 5:] = 0.0
    return x, x2


X, X2 = _data()
M1 = np.any(X != 0, axis=-1)
M2 = np.any(X2 != 0, axis=-1)


def _masked(a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return layers.Masking(0.0)(a)


def _call(layer, *args):
    """Call eagerly; return (output, mask as numpy or None, 'does not support masking' warnings, error)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = layer(*args)
        except Exception as e:  # noqa: BLE001 - the 'error' kind expects one
            return None, None, [], e
    drop_warnings = [str(w.message) for w in rec if "does not support masking" in str(w.message)
                     and f"(of type {type(layer).__name__})" in str(w.message)]
    first = out[0] if isinstance(out, (list, tuple)) else out
    m = _get_mask(first)
    return out, (None if m is None else np.asarray(m)), drop_warnings, None


def _inputs(kind):
    """inputs for a case, and the input masks in order (None = unmasked)."""
    if kind == "seq":
        return (_masked(X),), [M1]
    if kind == "pair_both":
        return ([_masked(X), _masked(X2)],), [M1, M2]
    if kind == "pair_first":
        return ([_masked(X), keras.ops.convert_to_tensor(X2)],), [M1, None]
    if kind == "pair_second":
        return ([keras.ops.convert_to_tensor(X), _masked(X2)],), [None, M2]
    if kind == "qv_first":  # MultiHeadAttention-style: query, value as separate arguments
        return (_masked(X), keras.ops.convert_to_tensor(X2)), [M1, None]
    if kind == "qv_second":
        return (keras.ops.convert_to_tensor(X), _masked(X2)), [None, M2]
    raise AssertionError(kind)


def _expected_mask(kind, masks):
    """What the table's mask kind says the output mask is, given the input masks."""
    first = masks[0]
    if kind in ("propagate", "td", "transparent", "attention"):  # attention: output mask = query mask
        return first
    if kind in ("drop", "drop_silent", "consume"):
        return None
    if kind == "merge":
        return None if any(m is None for m in masks) else np.logical_or.reduce(masks)
    if kind == "concat":  # axis=-1: unmasked inputs count as all-True, output = any over the inputs
        full = [np.ones_like(M1) if m is None else m for m in masks]
        return np.logical_or.reduce(full)
    raise AssertionError(f"no expectation for kind {kind!r}")


L_ = layers
#: (id, table name, layer factory, inputs) - representative classes of every mask kind
BEHAVIOUR_CASES = [
    ("Dense", "Dense", lambda: L_.Dense(2), "seq"),
    ("Dropout", "Dropout", lambda: L_.Dropout(0.5), "seq"),
    ("LayerNormalization", "LayerNormalization", lambda: L_.LayerNormalization(), "seq"),
    ("BatchNormalization", "BatchNormalization", lambda: L_.BatchNormalization(), "seq"),
    ("Activation", "Activation", lambda: L_.Activation("tanh"), "seq"),
    ("Conv1D", "Conv1D", lambda: L_.Conv1D(2, 3, padding="same"), "seq"),
    ("Flatten", "Flatten", lambda: L_.Flatten(), "seq"),
    ("Reshape-noop", "Reshape", lambda: L_.Reshape((6, 4)), "seq"),
    ("EinsumDense", "EinsumDense", lambda: L_.EinsumDense("abc,cd->abd", (None, 2)), "seq"),
    ("RMSNormalization", "RMSNormalization", lambda: L_.RMSNormalization(), "seq"),
    ("GlobalMaxPooling1D", "GlobalMaxPooling1D", lambda: L_.GlobalMaxPooling1D(), "seq"),
    ("MaxPooling1D", "MaxPooling1D", lambda: L_.MaxPooling1D(2), "seq"),
    ("Embedding-no-mask_zero", "Embedding", lambda: L_.Embedding(10, 4), "seq"),
    ("Lambda-no-mask", "Lambda", lambda: L_.Lambda(lambda t: t * 2), "seq"),
    ("Lambda-mask", "Lambda", lambda: L_.Lambda(lambda t: t * 2, mask=lambda i, m: m), "seq"),
    ("GlobalAveragePooling1D", "GlobalAveragePooling1D", lambda: L_.GlobalAveragePooling1D(), "seq"),
    ("LSTM", "LSTM", lambda: L_.LSTM(2), "seq"),
    ("LSTM-seq", "LSTM", lambda: L_.LSTM(2, return_sequences=True), "seq"),
    ("GRU", "GRU", lambda: L_.GRU(2), "seq"),
    ("Bidirectional-seq", "Bidirectional", lambda: L_.Bidirectional(L_.LSTM(2, return_sequences=True)), "seq"),
    ("TimeDistributed", "TimeDistributed", lambda: L_.TimeDistributed(L_.Dense(2)), "seq"),
    ("SpectralNormalization", "SpectralNormalization", lambda: L_.SpectralNormalization(L_.Dense(2)), "seq"),
    ("Pipeline", "Pipeline", lambda: L_.Pipeline([L_.Dense(2)]), "seq"),
    ("Add-both", "Add", lambda: L_.Add(), "pair_both"),
    ("Add-first", "Add", lambda: L_.Add(), "pair_first"),
    ("Multiply-second", "Multiply", lambda: L_.Multiply(), "pair_second"),
    ("Maximum-both", "Maximum", lambda: L_.Maximum(), "pair_both"),
    ("Concatenate-first", "Concatenate", lambda: L_.Concatenate(), "pair_first"),
    ("Concatenate-both", "Concatenate", lambda: L_.Concatenate(), "pair_both"),
    ("Dot", "Dot", lambda: L_.Dot(axes=2), "pair_both"),
    ("Attention-query", "Attention", lambda: L_.Attention(), "pair_first"),
    ("Attention-value", "Attention", lambda: L_.Attention(), "pair_second"),
    ("AdditiveAttention-query", "AdditiveAttention", lambda: L_.AdditiveAttention(), "pair_first"),
    ("MultiHeadAttention-query", "MultiHeadAttention", lambda: L_.MultiHeadAttention(2, 4), "qv_first"),
    ("MultiHeadAttention-value", "MultiHeadAttention", lambda: L_.MultiHeadAttention(2, 4), "qv_second"),
    # GQA's inner EinsumDense 'query' emits a spurious "does not support masking" warning; _call only
    # counts warnings about the layer under test, so it is not mistaken for a drop
    ("GroupQueryAttention-query", "GroupQueryAttention",
     lambda: L_.GroupQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1), "qv_first"),
]


@pytest.mark.parametrize("case", BEHAVIOUR_CASES, ids=[c[0] for c in BEHAVIOUR_CASES])
def test_behaviour_matches_table(case):
    _id, name, factory, inputs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = factory()
    kind = knowledge.resolve(name, _config(layer)).mask
    args, masks = _inputs(inputs)
    out, mask, drop_warnings, err = _call(layer, *args)
    assert err is None, f"{_id}: unexpected error {err!r}"
    expected = _expected_mask(kind, masks)
    if expected is None:
        assert mask is None, f"{_id}: table kind {kind!r} says no output mask, live output has {mask}"
    else:
        assert mask is not None, f"{_id}: table kind {kind!r} says a mask, live output has none"
        assert mask.shape == expected.shape and (mask == expected).all(), (
            f"{_id}: table kind {kind!r}, expected {expected.tolist()}, live {mask.tolist()}")
    # 'drop' and 'transparent' warn ("does not support masking"); every other kind is silent
    warns = kind in ("drop", "transparent") and any(m is not None for m in masks)
    assert bool(drop_warnings) == warns, f"{_id}: kind {kind!r}, warnings: {drop_warnings}"


def test_create_kind():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = layers.Masking(0.0)(X)
        assert (np.asarray(_get_mask(out)) == M1).all()
        ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]], dtype="int32")
        emb = layers.Embedding(10, 4, mask_zero=True)
        assert knowledge.resolve("Embedding", emb.get_config()).mask == "create"
        assert (np.asarray(_get_mask(emb(ids))) == (ids != 0)).all()


def test_error_kind_softmax():
    assert knowledge.lookup("Softmax").mask == "error"
    _, _, _, err = _call(layers.Softmax(), _masked(X))
    assert isinstance(err, ValueError) and "broadcastable" in str(err)


def test_consumers_really_ignore_padding():
    """'consume'/'rnn' layers use the mask: the result on the padded batch equals the result on the
    unpadded prefix; the RNN zero_output claim from resolve() holds at masked steps."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gap = layers.GlobalAveragePooling1D()
        got = np.asarray(gap(_masked(X)))
        want = np.stack([X[0, :4].mean(0), X[1, :3].mean(0)])
        np.testing.assert_allclose(got, want, rtol=1e-5)

        lstm = layers.LSTM(2, return_sequences=True)
        seq = np.asarray(lstm(_masked(X)))
        last = np.asarray(layers.RNN(lstm.cell)(keras.ops.convert_to_tensor(X[:1, :4])))
        np.testing.assert_allclose(seq[0, 3], last[0], rtol=1e-5, atol=1e-6)
        b = knowledge.resolve("LSTM", lstm.get_config())
        assert b.zero_output is False
        np.testing.assert_allclose(seq[0, 4], seq[0, 3], rtol=1e-6)  # carried forward, not zero

        bi = layers.Bidirectional(layers.LSTM(2, return_sequences=True))
        out = np.asarray(bi(_masked(X)))
        assert knowledge.resolve("Bidirectional", bi.get_config()).zero_output is True
        assert (out[0, 4:] == 0).all() and (out[1, 3:] == 0).all()


def test_multi_head_attention_clears_input_masks():
    """knowledge.CLEARS_INPUT_MASKS: MHA's call() sets the query/value/key masks to None."""
    q = _masked(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers.MultiHeadAttention(2, 4)(q, keras.ops.convert_to_tensor(X2))
    assert _get_mask(q) is None
    assert "MultiHeadAttention" in knowledge.CLEARS_INPUT_MASKS
