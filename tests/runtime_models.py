"""Real Keras 3 models for the runtime tests (probe, live front end), beyond those of ``models.py``.

Builders return built models; layers are named explicitly where a test checks the culprit.
"""
from __future__ import annotations


def _k():
    import keras
    from keras import layers as L
    from keras import ops

    return keras, L, ops


# ---------------------------------------------------------------- custom layers
def custom_layers():
    """Custom layer classes (defined once per process; registered for saving)."""
    global _CUSTOM
    if "_CUSTOM" in globals():
        return _CUSTOM
    keras, L, ops = _k()

    @keras.saving.register_keras_serializable(package="masklint_rt")
    class MaskedScale(L.Layer):
        """Scales the features; declares mask support (the default compute_mask passes it on)."""

        def __init__(self, **kw):
            super().__init__(**kw)
            self.supports_masking = True

        def call(self, x):
            return x * 2.0

    @keras.saving.register_keras_serializable(package="masklint_rt")
    class NoMaskScale(L.Layer):
        """Scales the features, no mask support: Keras drops the mask here."""

        def call(self, x):
            return x * 2.0

    @keras.saving.register_keras_serializable(package="masklint_rt")
    class MaskedMeanPool(L.Layer):
        """A mask-aware average over time (consumes the mask; safe for empty rows)."""

        def call(self, x, mask=None):
            if mask is None:
                return ops.mean(x, axis=1)
            m = ops.cast(mask, x.dtype)[..., None]
            return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

        def compute_mask(self, inputs, mask=None):
            return None

    @keras.saving.register_keras_serializable(package="masklint_rt")
    class PadMasker(L.Layer):
        """Creates a mask from the raw input (steps whose features are all -1)."""

        def call(self, x):
            return x

        def compute_mask(self, inputs, mask=None):
            return ops.any(ops.not_equal(inputs, -1.0), axis=-1)

    class Unserializable(L.Layer):
        """A custom layer whose get_config raises (such a model cannot be saved)."""

        def __init__(self, factor, **kw):
            super().__init__(**kw)
            self.factor = factor
            self.supports_masking = True

        def call(self, x):
            return x * self.factor

        def get_config(self):
            raise NotImplementedError("Unserializable has no config")

    _CUSTOM = {"MaskedScale": MaskedScale, "NoMaskScale": NoMaskScale, "MaskedMeanPool": MaskedMeanPool,
               "PadMasker": PadMasker, "Unserializable": Unserializable}
    return _CUSTOM


def custom_masked_scale():
    keras, L, _ = _k()
    c = custom_layers()
    return keras.Sequential([keras.Input((None, 3)), L.Masking(0.0), c["MaskedScale"](name="scale"),
                             L.LSTM(4, name="lstm")])


def custom_no_mask_scale():
    keras, L, _ = _k()
    c = custom_layers()
    return keras.Sequential([keras.Input((None, 3)), L.Masking(0.0), c["NoMaskScale"](name="scale"),
                             L.LSTM(4, name="lstm")])


def custom_mean_pool():
    keras, L, _ = _k()
    c = custom_layers()
    i = keras.Input((None,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = c["MaskedMeanPool"](name="pool")(x)
    return keras.Model(i, L.Dense(1)(x))


def custom_pad_masker():
    keras, L, _ = _k()
    c = custom_layers()
    return keras.Sequential([keras.Input((None, 3)), c["PadMasker"](name="masker"), L.GRU(4, name="gru")])


def custom_unserializable():
    keras, L, _ = _k()
    c = custom_layers()
    return keras.Sequential([keras.Input((None, 3)), L.Masking(0.0), c["Unserializable"](3.0, name="times3"),
                             L.LSTM(4)])


def subclassed():
    keras, L, _ = _k()

    class Tagger(keras.Model):
        def __init__(self):
            super().__init__()
            self.emb = L.Embedding(20, 4, mask_zero=True)
            self.rnn = L.LSTM(4)

        def call(self, x):
            return self.rnn(self.emb(x))

    m = Tagger()
    m(keras.ops.ones((1, 5), dtype="int32"))
    return m


# ---------------------------------------------------------------- probe cases
def unmasked_lstm_sequences():
    """An unmasked LSTM(return_sequences=True): post-padding cannot reach the real steps (causal);
    pre-padding does, but only when the weights are not fresh (zero candidate bias keeps the state 0)."""
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((None, 3)), L.LSTM(4, return_sequences=True, name="lstm")])


def transformer(explicit_mask: bool, blocks: int = 2, d: int = 8):
    """Embedding(mask_zero) -> [MHA, Add, LayerNorm] x blocks -> GAP1D -> Dense. Without an explicit
    attention mask the second block attends to the padding (MHA cleared the residual's runtime mask)."""
    keras, L, ops = _k()
    i = keras.Input((None,), dtype="int32", name="ids")
    x = L.Embedding(50, d, mask_zero=True, name="embedding")(i)
    pad = ops.not_equal(i, 0)
    for b in range(blocks):
        mha = L.MultiHeadAttention(2, d // 2, name=f"mha_{b}")
        a = mha(x, x, attention_mask=pad[:, None, :]) if explicit_mask else mha(x, x)
        x = L.LayerNormalization(name=f"norm_{b}")(L.Add(name=f"add_{b}")([x, a]))
    x = L.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(i, L.Dense(1, name="head")(x))


def mha_residual_td_head():
    """The §9.5 model with its head in TimeDistributed: the recorded mask is replayed (no MK302)."""
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(i)
    a = L.MultiHeadAttention(2, 4)(x, x)
    x = L.Add()([x, a])
    return keras.Model(i, L.TimeDistributed(L.Dense(1))(x))


def masking_lstm():
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((None, 3)), L.Masking(0.0, name="masking"), L.LSTM(4, name="lstm"),
                             L.Dense(1, name="head")])


def emb_lstm_seq_gap():
    """ids -> Embedding(mask_zero) -> LSTM(return_sequences) -> GAP1D -> Dense (cuDNN-eligible LSTM)."""
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32", name="ids")
    x = L.Embedding(30, 4, mask_zero=True, name="embedding")(i)
    x = L.LSTM(4, return_sequences=True, name="lstm")(x)
    return keras.Model(i, L.Dense(1, name="head")(L.GlobalAveragePooling1D(name="pool")(x)))


def gap_after_masking():
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((None, 3)), L.Masking(0.0, name="masking"),
                             L.GlobalAveragePooling1D(name="pool"), L.Dense(1, name="head")])


def two_inputs_side_features():
    """A sequence input plus a fixed (batch, features) side input, merged after the RNN."""
    keras, L, _ = _k()
    seq = keras.Input((None,), dtype="int32", name="tokens")
    side = keras.Input((2,), name="side")
    x = L.Embedding(20, 4, mask_zero=True)(seq)
    x = L.GRU(4)(x)
    x = L.Concatenate()([x, side])
    return keras.Model([seq, side], L.Dense(1)(x))


def stacked_bilstm():
    keras, L, _ = _k()
    i = keras.Input((None, 6))
    x = L.Masking(0.0)(i)
    x = L.Bidirectional(L.LSTM(16, return_sequences=True))(x)
    x = L.Bidirectional(L.GRU(8))(x)
    return keras.Model(i, L.Dense(2)(x))
