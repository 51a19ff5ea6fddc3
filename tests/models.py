"""Real Keras 3 models for the tests: name -> (builder, expected rule codes).

Every builder returns a built model; ``conftest.saved_models`` saves each once per session as
``.keras`` (and a few as legacy ``.h5`` and ``to_json`` files). The expected set is exact: a model
must give these codes and no other (precision matters as much as detection).
"""
from __future__ import annotations


def _k():
    import keras
    from keras import layers as L
    from keras import ops

    return keras, L, ops


def ids_input(length=None):
    keras, L, _ = _k()
    return keras.Input((length,), dtype="int32", name="ids")


def seq_input(length=None, feat=3):
    keras, L, _ = _k()
    return keras.Input((length, feat), name="x")


# ---------------------------------------------------------------- positives
def mk101_emb_nomask_lstm():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(20, 4), L.LSTM(4), L.Dense(1)])


def mk101_emb_nomask_gap():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4)(i)
    x = L.Dense(4)(x)
    return keras.Model(i, L.Dense(1)(L.GlobalAveragePooling1D()(x)))


def mk101_emb_nomask_mha():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4)(i)
    a = L.MultiHeadAttention(2, 4)(x, x)
    return keras.Model(i, L.GlobalAveragePooling1D()(a))


def mk101_bidirectional():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(20, 4), L.Bidirectional(L.GRU(4)), L.Dense(1)])


def mk102_seed_sequential():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(5), L.Embedding(10, 5), L.Masking(mask_value=0), L.LSTM(8),
                             L.Dense(1, activation="sigmoid")])


def mk102_double_mask():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(10, 4, mask_zero=True), L.Masking(0.0), L.LSTM(4)])


def mk102_after_dense():
    keras, L, _ = _k()
    i = seq_input()
    x = L.Dense(4)(i)
    x = L.Dropout(0.1)(x)
    x = L.Masking(0.0)(x)
    return keras.Model(i, L.LSTM(4)(x))


def mk103_masking_on_ids():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Masking(0), L.Embedding(10, 4, mask_zero=True), L.LSTM(4)])


def mk103_override():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.Masking(-1.0), L.LSTM(4)])


def mk104_conv1d_kernel1():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.Conv1D(4, 1), L.LSTM(4)])


def mk104_lambda():
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = L.Lambda(lambda t: t * 2.0)(x)
    return keras.Model(i, L.LSTM(4)(x))


def mk104_ops_multiply():
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = x * 2.0
    return keras.Model(i, L.LSTM(4)(x))


def mk104_add_mixed():
    keras, L, _ = _k()
    i = seq_input()
    m = L.Masking(0.0)(i)
    c = L.Conv1D(3, 1)(m)
    x = L.Add()([m, c])
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


def mk104_concat_mixed():
    keras, L, _ = _k()
    i = seq_input()
    m = L.Masking(0.0)(i)
    c = L.Conv1D(3, 1)(m)
    x = L.Concatenate()([m, c])
    return keras.Model(i, L.LSTM(4)(x))


def mk104_einsum_dense():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.EinsumDense("abc,cd->abd", (None, 4)), L.LSTM(4)])


def mk104_rmsnorm_attention_value():
    keras, L, _ = _k()
    i = seq_input()
    m = L.Masking(0.0)(i)
    v = L.RMSNormalization()(m)
    a = L.Attention()([m, v])
    return keras.Model(i, L.Dense(1)(L.GlobalAveragePooling1D()(a)))


def mk105_masking_2d_dense():
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((5,)), L.Masking(0.0), L.Dense(1)])


def mk105_masking_rank4_convlstm():
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((6, 5, 2)), L.Masking(0.0), L.ConvLSTM1D(2, 2)])


def mk106_nan():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(float("nan")), L.LSTM(4)])


def mk106_huge():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(1e20), L.LSTM(4)])


def mk107_conv1d_kernel3():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.Conv1D(4, 3, padding="same"), L.LSTM(4)])


def mk107_global_max_pool():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(20, 4, mask_zero=True), L.GlobalMaxPooling1D(), L.Dense(1)])


def mk107_last_step_read():
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = L.LSTM(4, return_sequences=True)(x)
    x = x[:, -1]
    return keras.Model(i, L.Dense(1)(x))


def mk107_flatten():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(10), L.Embedding(20, 4, mask_zero=True), L.Flatten(), L.Dense(1)])


def mk107_layernorm_time():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(8), L.Masking(0.0), L.LayerNormalization(axis=1), L.LSTM(4)])


def mk108_softmax_layer():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(None, 4), L.Masking(0.0), L.Softmax()])


def mk109_mha_residual():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    a = L.MultiHeadAttention(2, 4)(x, x)
    x = L.Add()([x, a])
    return keras.Model(i, L.Dense(1)(x))


def mk109_reshape_head():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(10), L.Masking(0.0), L.LSTM(4, return_sequences=True), L.Dense(1),
                             L.Reshape((10,))])


def mk109_drop_before_td_output():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.LSTM(4, return_sequences=True), L.Conv1D(4, 1),
                             L.TimeDistributed(L.Dense(2))])


def mk109_repeat_vector():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(10), L.Masking(0.0), L.LSTM(8), L.RepeatVector(10),
                             L.LSTM(8, return_sequences=True), L.TimeDistributed(L.Dense(3))])


def mk001_custom_layer():
    keras, L, _ = _k()

    @keras.saving.register_keras_serializable(package="masklint_tests")
    class Scale(L.Layer):
        def call(self, x):
            return x * 2.0

    return keras.Sequential([seq_input(), L.Masking(0.0), Scale(), L.LSTM(4)])


# ---------------------------------------------------------------- negatives (near misses)
def ok_masking_lstm():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.LSTM(4), L.Dense(1)])


def ok_masking_unbuilt_input_free():
    keras, L, _ = _k()
    m = keras.Sequential([L.Masking(0.0), L.LSTM(4), L.Dense(1)])
    m.build((None, None, 3))
    return m


def ok_emb_maskzero_lstm():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(20, 4, mask_zero=True), L.LSTM(4), L.Dense(1)])


def ok_emb_bilstm_gap():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = L.Bidirectional(L.LSTM(4, return_sequences=True))(x)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(1)(x))


def ok_nested_sequential():
    keras, L, _ = _k()
    inner = keras.Sequential([L.LSTM(4, return_sequences=True), L.Dense(4)], name="inner")
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = inner(x)
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


def ok_nested_functional():
    keras, L, _ = _k()
    ii = keras.Input((None, 4))
    inner = keras.Model(ii, L.Dense(4)(L.LSTM(4, return_sequences=True)(ii)), name="encoder")
    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = inner(x)
    return keras.Model(i, L.LSTM(2)(x))


def ok_mha_padding_mask():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    a = L.MultiHeadAttention(2, 4)(x, x)
    x = L.Add()([x, a])
    x = L.LayerNormalization()(x)
    return keras.Model(i, L.Dense(1)(L.GlobalAveragePooling1D()(x)))


def ok_gqa():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    a = L.GroupQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1)(x, x)
    return keras.Model(i, L.GlobalAveragePooling1D()(a))


def ok_timedistributed_dense():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(20, 4, mask_zero=True), L.LSTM(4, return_sequences=True),
                             L.TimeDistributed(L.Dense(2))])


def ok_concat_two_masked():
    keras, L, _ = _k()
    a = ids_input()
    b = seq_input(None, 4)
    ea = L.Embedding(20, 4, mask_zero=True)(a)
    mb = L.Masking(0.0)(b)
    x = L.Concatenate()([ea, mb])
    return keras.Model([a, b], L.LSTM(4)(x))


def ok_add_both_masked():
    keras, L, _ = _k()
    i = seq_input()
    m = L.Masking(0.0)(i)
    x = L.Add()([m, L.Dense(3)(m)])
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


def ok_gap_after_mask():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.GlobalAveragePooling1D(), L.Dense(1)])


def ok_fixed_length_no_mask():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(10), L.Conv1D(4, 3), L.LSTM(4), L.Dense(1)])


def ok_float_variable_no_evidence():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.LSTM(4), L.Dense(1)])


def ok_bidirectional_then_masking_zero():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.Bidirectional(L.LSTM(4, return_sequences=True)),
                             L.Masking(0.0), L.LSTM(4)])


def ok_lambda_with_mask():
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = L.Lambda(lambda t: t * 2.0, mask=lambda inputs, mask: mask)(x)
    return keras.Model(i, L.LSTM(4)(x))


def ok_attention_layer():
    keras, L, _ = _k()
    i = seq_input()
    m = L.Masking(0.0)(i)
    a = L.Attention()([m, m])
    return keras.Model(i, L.GlobalAveragePooling1D()(a))


def ok_explicit_mask_kwarg():
    keras, L, ops = _k()
    i = ids_input()
    x = L.Embedding(20, 4)(i)
    out = L.LSTM(4)(x, mask=ops.not_equal(i, 0))
    return keras.Model(i, out)


def ok_activation_softmax():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(None, 4), L.Masking(0.0), L.Activation("softmax"), L.LSTM(2)])


def ok_return_state():
    keras, L, _ = _k()
    i = seq_input()
    m = L.Masking(0.0)(i)
    out, h, c = L.LSTM(4, return_state=True)(m)
    return keras.Model(i, L.Dense(1)(L.Concatenate()([out, h, c])))


def ok_masked_conv_after_lstm():
    """The mask is consumed by the LSTM first; a Conv1D on an unmasked fixed sequence is fine."""
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = L.LSTM(4)(x)
    x = L.RepeatVector(3)(x)
    return keras.Model(i, L.Dense(1)(L.Flatten()(L.Conv1D(2, 2)(x))))


def ok_seq2seq_output_masked():
    keras, L, _ = _k()
    return keras.Sequential([ids_input(), L.Embedding(20, 4, mask_zero=True), L.Bidirectional(L.LSTM(4, return_sequences=True)),
                             L.Dropout(0.1), L.Dense(3, activation="softmax")])


POSITIVE = {
    "mk101_emb_nomask_lstm": {"MK101"},
    "mk101_emb_nomask_gap": {"MK101"},
    "mk101_emb_nomask_mha": {"MK101"},
    "mk101_bidirectional": {"MK101"},
    "mk102_seed_sequential": {"MK102"},
    "mk102_double_mask": {"MK102"},
    "mk102_after_dense": {"MK102"},
    "mk103_masking_on_ids": {"MK103"},
    "mk103_override": {"MK103"},
    "mk104_conv1d_kernel1": {"MK104"},
    "mk104_lambda": {"MK104"},
    "mk104_ops_multiply": {"MK104"},
    "mk104_add_mixed": {"MK104"},
    "mk104_concat_mixed": {"MK104"},
    "mk104_einsum_dense": {"MK104"},
    "mk104_rmsnorm_attention_value": {"MK104"},
    "mk105_masking_2d_dense": {"MK105"},
    "mk105_masking_rank4_convlstm": {"MK105"},
    "mk106_nan": {"MK106"},
    "mk106_huge": {"MK106"},
    "mk107_conv1d_kernel3": {"MK107"},
    "mk107_global_max_pool": {"MK107"},
    "mk107_last_step_read": {"MK107"},
    "mk107_flatten": {"MK107"},
    "mk107_layernorm_time": {"MK107"},
    "mk108_softmax_layer": {"MK108"},
    "mk109_mha_residual": {"MK109"},
    "mk109_reshape_head": {"MK109"},
    "mk109_drop_before_td_output": {"MK109"},
    "mk109_repeat_vector": {"MK109"},
    "mk001_custom_layer": {"MK001"},
}

NEGATIVE = [
    "ok_masking_lstm", "ok_masking_unbuilt_input_free", "ok_emb_maskzero_lstm", "ok_emb_bilstm_gap",
    "ok_nested_sequential", "ok_nested_functional", "ok_mha_padding_mask", "ok_gqa", "ok_timedistributed_dense",
    "ok_concat_two_masked", "ok_add_both_masked", "ok_gap_after_mask", "ok_fixed_length_no_mask",
    "ok_float_variable_no_evidence", "ok_bidirectional_then_masking_zero", "ok_lambda_with_mask",
    "ok_attention_layer", "ok_explicit_mask_kwarg", "ok_activation_softmax", "ok_return_state",
    "ok_masked_conv_after_lstm", "ok_seq2seq_output_masked",
]

ALL = {**POSITIVE, **{n: set() for n in NEGATIVE}}


def mk101_float_input_ids():
    """keras.Input((None,)) is float32, yet it carries token ids into the Embedding."""
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((None,)), L.Embedding(20, 4), L.LSTM(4)])


def mk101_textvectorization():
    keras, L, _ = _k()
    tv = L.TextVectorization(max_tokens=20)
    tv.adapt(["a b c", "b c d e"])
    i = keras.Input((1,), dtype="string")
    x = L.Embedding(20, 4)(tv(i))
    return keras.Model(i, L.GRU(2)(x))


def ok_causal_conv_then_gap_masked_again():
    """Causal Conv1D drops the mask but cannot leak right padding; re-masking is exact? No: the consumer
    still needs a mask, so only an unmasked fixed-length head is correct here."""
    keras, L, _ = _k()
    return keras.Sequential([seq_input(10), L.Conv1D(4, 3, padding="causal"), L.LSTM(4)])


def mk104_causal_conv():
    keras, L, _ = _k()
    return keras.Sequential([seq_input(), L.Masking(0.0), L.Conv1D(4, 3, padding="causal"), L.LSTM(4)])


def mk104_positional_add():
    """Token + position embeddings: Add of a masked and an unmasked input loses the mask (Keras 3)."""
    keras, L, ops = _k()
    i = ids_input(12)
    tok = L.Embedding(20, 4, mask_zero=True)(i)
    pos = L.Embedding(12, 4)(ops.arange(12)[None, :] * ops.ones_like(i))
    x = L.Add()([tok, pos])
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


POSITIVE.update({
    "mk101_float_input_ids": {"MK101"},
    "mk101_textvectorization": {"MK101"},
    "mk104_causal_conv": {"MK104"},
    "mk104_positional_add": {"MK104"},
})
NEGATIVE.append("ok_causal_conv_then_gap_masked_again")
ALL.update({n: POSITIVE[n] for n in POSITIVE})
ALL.update({n: set() for n in NEGATIVE})


def mk104_ellipsis_slice():
    """x[..., :2] slices features only: the op drops the mask (MK104), it reads no time positions."""
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = L.LSTM(4, return_sequences=True)(x)
    return keras.Model(i, L.GlobalAveragePooling1D()(x[..., :2]))


def mk107_lambda_last_step():
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = L.LSTM(4, return_sequences=True)(x)
    x = L.Lambda(lambda t: t[:, -1])(x)
    return keras.Model(i, L.Dense(1)(x))


def ok_lambda_with_mask_argument_reduces_time():
    """A Lambda whose function takes the mask can reduce over time correctly: not flagged."""
    keras, L, ops = _k()

    def masked_mean(t, mask=None):
        m = ops.cast(mask, t.dtype)[..., None]
        return ops.sum(t * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

    i = ids_input()
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = L.Lambda(lambda t, mask=None: masked_mean(t, mask), output_shape=(4,))(x)
    return keras.Model(i, L.Dense(1)(x))


POSITIVE.update({"mk104_ellipsis_slice": {"MK104"}, "mk107_lambda_last_step": {"MK107"}})
NEGATIVE.append("ok_lambda_with_mask_argument_reduces_time")
ALL.update({n: POSITIVE[n] for n in POSITIVE})
ALL.update({n: set() for n in NEGATIVE})


def mk105_masking_frames_through_timedistributed():
    """Masking on video frames (rank 5): its (batch, time, h, w) mask rides TimeDistributed into the LSTM,
    which crashes at call time (measured: InvalidArgumentError ... must be broadcastable)."""
    keras, L, _ = _k()
    return keras.Sequential([keras.Input((5, 4, 4, 1)), L.Masking(0.0), L.TimeDistributed(L.Conv2D(2, 3)),
                             L.TimeDistributed(L.Flatten()), L.LSTM(3)])


def ok_identity_lambda():
    """Lambda(lambda x: x) returns its input tensor: Keras warns, yet the runtime mask survives."""
    keras, L, _ = _k()
    i = seq_input()
    x = L.Masking(0.0)(i)
    x = L.Lambda(lambda t: t)(x)
    return keras.Model(i, L.LSTM(4)(x))


POSITIVE["mk105_masking_frames_through_timedistributed"] = {"MK105"}
NEGATIVE.append("ok_identity_lambda")
ALL.update({n: POSITIVE[n] for n in POSITIVE})
ALL.update({n: set() for n in NEGATIVE})


def mk202_stringlookup_oov_zero():
    keras, L, _ = _k()
    lookup = L.StringLookup(vocabulary=["the", "cat", "sat"])
    w = keras.Input((None,), dtype="string")
    x = L.Embedding(5, 4, mask_zero=True)(lookup(w))
    return keras.Model(w, L.LSTM(4)(x))


def ok_stringlookup_mask_token():
    keras, L, _ = _k()
    lookup = L.StringLookup(vocabulary=["the", "cat", "sat"], mask_token="")
    w = keras.Input((None,), dtype="string")
    x = L.Embedding(5, 4, mask_zero=True)(lookup(w))
    return keras.Model(w, L.LSTM(4)(x))


def ok_textvectorization_mask_zero():
    """TextVectorization reserves 0 (padding) and 1 (OOV): mask_zero=True is right."""
    keras, L, _ = _k()
    tv = L.TextVectorization(max_tokens=20)
    tv.adapt(["a b c", "b c d e"])
    i = keras.Input((1,), dtype="string")
    x = L.Embedding(20, 4, mask_zero=True)(tv(i))
    return keras.Model(i, L.GRU(2)(x))


POSITIVE["mk202_stringlookup_oov_zero"] = {"MK202"}
NEGATIVE.extend(["ok_stringlookup_mask_token", "ok_textvectorization_mask_zero"])
ALL.update({n: POSITIVE[n] for n in POSITIVE})
ALL.update({n: set() for n in NEGATIVE})


def mk104_stacked_mha_runtime_mask():
    """Two Transformer blocks on Embedding(mask_zero=True): the first MHA clears the runtime masks, so
    the residual Add has none and the second MHA (which reads only runtime masks) attends to padding
    (measured: GAP1D output changes by 0.0085 between pad 5 and pad 13 with perturbed weights)."""
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(50, 8, mask_zero=True)(i)
    for _block in range(2):
        a = L.MultiHeadAttention(2, 4)(x, x)
        y = L.LayerNormalization()(L.Add()([x, a]))
        f = L.Dense(8)(L.Dense(16, activation="relu")(y))
        x = L.LayerNormalization()(L.Add()([y, f]))
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


def ok_stacked_mha_attention_mask():
    """The same two blocks with an explicit attention_mask from the token ids: padding-invariant."""
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(50, 8, mask_zero=True)(i)
    pm = keras.ops.not_equal(i, 0)
    m = keras.ops.logical_and(pm[:, :, None], pm[:, None, :])
    for _block in range(2):
        a = L.MultiHeadAttention(2, 4)(x, x, attention_mask=m)
        y = L.LayerNormalization()(L.Add()([x, a]))
        f = L.Dense(8)(L.Dense(16, activation="relu")(y))
        x = L.LayerNormalization()(L.Add()([y, f]))
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


def ok_one_mha_block():
    """One block: the first MHA reads the Embedding's runtime mask; GAP1D gets the replayed mask."""
    keras, L, _ = _k()
    i = ids_input()
    x = L.Embedding(50, 8, mask_zero=True)(i)
    a = L.MultiHeadAttention(2, 4)(x, x)
    y = L.LayerNormalization()(L.Add()([x, a]))
    f = L.Dense(8)(L.Dense(16, activation="relu")(y))
    x = L.LayerNormalization()(L.Add()([y, f]))
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


POSITIVE["mk104_stacked_mha_runtime_mask"] = {"MK104"}
NEGATIVE.extend(["ok_stacked_mha_attention_mask", "ok_one_mha_block"])
ALL.update({n: POSITIVE[n] for n in POSITIVE})
ALL.update({n: set() for n in NEGATIVE})
