"""Correct (and a few deliberately wrong) models for the probe-precision tests: absolute-position
Transformers, two-input merges and nested models, built with the installed Keras (and KerasHub's layers).

Every CORRECT model is right for post-padded data: the probe must find nothing. Builders return built
models; the layers a test names are named explicitly.
"""
from __future__ import annotations

import importlib.util
import sys
import types

SEQ_LEN = 64  # the absolute position tables: longer than the probe's longest padded batch (4 x 5 steps)


def _k():
    import keras
    from keras import layers as L
    from keras import ops

    return keras, L, ops


def hub_layers():
    """KerasHub's layer classes, or None when keras_hub is not installed.

    ``import keras_hub`` imports every model and tokenizer (``regex``, ``tokenizers``, ``tensorflow-text``,
    ...); where the package was installed without them, the layer modules are imported directly (they
    need Keras only), through a bare package entry that is removed again afterwards."""
    try:
        import keras_hub

        return keras_hub.layers
    except ImportError:
        pass
    spec = importlib.util.find_spec("keras_hub")
    if spec is None or not spec.submodule_search_locations:
        return None
    saved = sys.modules.get("keras_hub")
    pkg = types.ModuleType("keras_hub")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["keras_hub"] = pkg
    try:
        from keras_hub.src.layers.modeling.token_and_position_embedding import TokenAndPositionEmbedding
        from keras_hub.src.layers.modeling.transformer_decoder import TransformerDecoder
        from keras_hub.src.layers.modeling.transformer_encoder import TransformerEncoder
    except ImportError:
        return None
    finally:
        if saved is None:
            sys.modules.pop("keras_hub", None)
        else:
            sys.modules["keras_hub"] = saved
    return types.SimpleNamespace(TokenAndPositionEmbedding=TokenAndPositionEmbedding,
                                 TransformerEncoder=TransformerEncoder, TransformerDecoder=TransformerDecoder)


# ---------------------------------------------------------------- a keras-io style position embedding
def positional_embedding_class():
    global _POS
    if "_POS" in globals():
        return _POS
    keras, L, ops = _k()

    class PositionalEmbedding(L.Layer):
        """Token embedding plus a learned absolute position embedding; masks token id 0."""

        def __init__(self, sequence_length, vocab_size, embed_dim, **kw):
            super().__init__(**kw)
            self.token_embeddings = L.Embedding(vocab_size, embed_dim)
            self.position_embeddings = L.Embedding(sequence_length, embed_dim)
            self.sequence_length = sequence_length

        def call(self, inputs):
            positions = ops.arange(0, ops.shape(inputs)[-1])
            return self.token_embeddings(inputs) + self.position_embeddings(positions)

        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)

    _POS = PositionalEmbedding
    return _POS


def _encoder_block(x, heads, dim, name):
    """Self-attention (the implicit query/value masks), residual, norm, feed-forward: one block."""
    keras, L, _ = _k()
    a = L.MultiHeadAttention(heads, dim // heads, name=f"{name}_mha")(x, x)
    x = L.LayerNormalization(name=f"{name}_norm")(L.Add(name=f"{name}_add")([x, a]))
    return L.Dense(dim, activation="relu", name=f"{name}_ffn")(x)


def pos_transformer_one_block():
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32", name="ids")
    x = positional_embedding_class()(SEQ_LEN, 40, 8, name="pos_embedding")(i)
    x = _encoder_block(x, 2, 8, "block")
    x = L.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(i, L.Dense(1, name="head")(x))


def pos_transformer_explicit_masks():
    """Two blocks, each attention given the padding mask explicitly (MHA clears the implicit one)."""
    keras, L, ops = _k()
    i = keras.Input((None,), dtype="int32", name="ids")
    x = positional_embedding_class()(SEQ_LEN, 40, 8, name="pos_embedding")(i)
    pad = ops.not_equal(i, 0)
    for b in range(2):
        a = L.MultiHeadAttention(2, 4, name=f"mha_{b}")(x, x, attention_mask=pad[:, None, :])
        x = L.LayerNormalization(name=f"norm_{b}")(L.Add(name=f"add_{b}")([x, a]))
    x = L.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(i, L.Dense(2, name="head")(x))


def pos_tagger():
    """Per-token outputs: position embedding -> masked bidirectional GRU -> Dense per step."""
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32")
    x = positional_embedding_class()(SEQ_LEN, 30, 6, name="pos_embedding")(i)
    x = L.Bidirectional(L.GRU(4, return_sequences=True))(x)
    return keras.Model(i, L.Dense(3, name="tags")(x))


def hub_encoder(blocks=1, explicit=False):
    keras, L, ops = _k()
    H = hub_layers()
    i = keras.Input((None,), dtype="int32", name="token_ids")
    x = H.TokenAndPositionEmbedding(60, SEQ_LEN, 16, mask_zero=True, name="tok_pos")(i)
    pad = ops.not_equal(i, 0) if explicit else None
    for b in range(blocks):
        enc = H.TransformerEncoder(32, 2, name=f"encoder_{b}")
        x = enc(x, padding_mask=pad) if explicit else enc(x)
    x = L.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(i, L.Dense(2, name="head")(x))


def hub_encoder_one():
    return hub_encoder(1)


def hub_encoder_two():
    return hub_encoder(2)


def hub_encoder_explicit_padding_mask():
    return hub_encoder(1, explicit=True)


def hub_encoder_fixed_length():
    """The keras-io layout: ids of a fixed length (the position table's), padded post to it."""
    keras, L, _ = _k()
    H = hub_layers()
    i = keras.Input((24,), dtype="int32")
    x = H.TokenAndPositionEmbedding(60, 24, 16, mask_zero=True, name="tok_pos")(i)
    x = H.TransformerEncoder(32, 2, name="encoder")(x)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(1, activation="sigmoid")(x))


def hub_decoder_only():
    """A GPT-style decoder (causal self-attention), next-token logits at every step."""
    keras, L, _ = _k()
    H = hub_layers()
    i = keras.Input((None,), dtype="int32")
    x = H.TokenAndPositionEmbedding(50, SEQ_LEN, 16, mask_zero=True, name="tok_pos")(i)
    x = H.TransformerDecoder(32, 2, name="decoder")(x)
    return keras.Model(i, L.Dense(50, name="lm_head")(x))


def hub_encoder_on_custom_positions():
    keras, L, _ = _k()
    H = hub_layers()
    i = keras.Input((None,), dtype="int32")
    x = positional_embedding_class()(SEQ_LEN, 40, 16, name="pos_embedding")(i)
    x = H.TransformerEncoder(16, 2, name="encoder")(x)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(1)(x))


# ---------------------------------------------------------------- two inputs
def two_masked_ids_concat():
    """Two token streams of the same length (e.g. words and their tags), embedded, concatenated."""
    keras, L, _ = _k()
    words = keras.Input((None,), dtype="int32", name="words")
    tags = keras.Input((None,), dtype="int32", name="tags")
    x = L.Concatenate(name="concat")([L.Embedding(40, 8, mask_zero=True, name="word_emb")(words),
                                      L.Embedding(12, 3, mask_zero=True, name="tag_emb")(tags)])
    x = L.LSTM(8, name="lstm")(x)
    return keras.Model([words, tags], L.Dense(1, name="head")(x))


def two_masked_floats_concat():
    keras, L, _ = _k()
    a = keras.Input((None, 3), name="audio")
    v = keras.Input((None, 2), name="video")
    x = L.Concatenate()([L.Masking(0.0)(a), L.Masking(0.0)(v)])
    x = L.GRU(6)(x)
    return keras.Model([a, v], L.Dense(2)(x))


def two_masked_ids_add_gap():
    keras, L, _ = _k()
    a = keras.Input((None,), dtype="int32")
    b = keras.Input((None,), dtype="int32")
    x = L.Add()([L.Embedding(30, 6, mask_zero=True)(a), L.Embedding(30, 6, mask_zero=True)(b)])
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model([a, b], L.Dense(1)(x))


def ids_and_float_concat_bilstm():
    keras, L, _ = _k()
    ids = keras.Input((None,), dtype="int32", name="ids")
    feats = keras.Input((None, 4), name="feats")
    x = L.Concatenate()([L.Embedding(25, 4, mask_zero=True)(ids), L.Masking(0.0)(feats)])
    x = L.Bidirectional(L.LSTM(4, return_sequences=True))(x)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model([ids, feats], L.Dense(1)(x))


def words_and_fixed_positions_concat():
    """Variable-length word ids and a second, fixed-length id stream with its own position embedding
    (masking id 0 in compute_mask), concatenated: both inputs must be padded to one length."""
    keras, L, _ = _k()
    words = keras.Input((None,), dtype="int32", name="words")
    chars = keras.Input((12,), dtype="int32", name="char_ids")
    x = L.Concatenate()([L.Embedding(25, 4, mask_zero=True)(words),
                         positional_embedding_class()(12, 30, 4, name="char_pos")(chars)])
    x = L.LSTM(5)(x)
    return keras.Model([words, chars], L.Dense(1)(x))


def ids_and_unmasked_fixed_features_concat():
    """A leak: per-step features without a mask concatenated to masked ids (the merged mask marks every
    step real). Before the aligned batches the probe fed 12 feature steps against 6 ids: a crash."""
    keras, L, _ = _k()
    ids = keras.Input((None,), dtype="int32", name="ids")
    feats = keras.Input((12, 3), name="step_features")
    x = L.Concatenate(name="concat")([L.Embedding(25, 4, mask_zero=True)(ids), feats])
    x = L.LSTM(5, name="lstm")(x)
    return keras.Model([ids, feats], L.Dense(1)(x))


def encoder_decoder_states():
    """Encoder states as the decoder's initial state; both sequences masked (teacher forcing)."""
    keras, L, _ = _k()
    src = keras.Input((None,), dtype="int32", name="source")
    tgt = keras.Input((None,), dtype="int32", name="target")
    _, h, c = L.LSTM(8, return_state=True)(L.Embedding(30, 8, mask_zero=True)(src))
    y = L.LSTM(8, return_sequences=True)(L.Embedding(30, 8, mask_zero=True)(tgt), initial_state=[h, c])
    return keras.Model([src, tgt], L.Dense(30)(y))


def tokens_and_side_features():
    keras, L, _ = _k()
    tok = keras.Input((None,), dtype="int32", name="tokens")
    side = keras.Input((3,), name="meta")
    x = L.GlobalAveragePooling1D()(L.Embedding(30, 6, mask_zero=True)(tok))
    x = L.Concatenate()([x, L.Dense(4)(side)])
    return keras.Model([tok, side], L.Dense(1)(x))


# ---------------------------------------------------------------- nested models
def _inner_encoder(name="encoder"):
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32")
    x = L.Embedding(30, 6, mask_zero=True, name="emb")(i)
    x = L.LSTM(6, return_sequences=True, name="inner_lstm")(x)
    return keras.Model(i, x, name=name)


def nested_encoder_gap():
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32")
    x = _inner_encoder()(i)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(1)(x))


def nested_sequential_masking_gru():
    keras, L, _ = _k()
    inner = keras.Sequential([keras.Input((None, 3)), L.Masking(0.0), L.GRU(5, return_sequences=True)],
                             name="inner")
    i = keras.Input((None, 3))
    x = L.GRU(4)(inner(i))
    return keras.Model(i, L.Dense(1)(x))


def nested_pos_transformer():
    keras, L, _ = _k()
    inner = pos_transformer_one_block()
    i = keras.Input((None,), dtype="int32")
    return keras.Model(i, L.Dense(1, activation="sigmoid")(inner(i)))


def nested_twice():
    keras, L, _ = _k()
    mid_in = keras.Input((None,), dtype="int32")
    mid = keras.Model(mid_in, L.GRU(4, return_sequences=True)(_inner_encoder("deep")(mid_in)), name="middle")
    i = keras.Input((None,), dtype="int32")
    x = L.GlobalAveragePooling1D()(mid(i))
    return keras.Model(i, L.Dense(1)(x))


def masked_attention_pool():
    keras, L, _ = _k()
    i = keras.Input((None,), dtype="int32")
    x = L.Embedding(30, 8, mask_zero=True)(i)
    x = L.GRU(8, return_sequences=True)(x)
    x = L.Attention()([x, x])
    return keras.Model(i, L.Dense(1)(L.GlobalAveragePooling1D()(x)))


CORRECT = {
    "pos_transformer_one_block": pos_transformer_one_block,
    "pos_transformer_explicit_masks": pos_transformer_explicit_masks,
    "pos_tagger": pos_tagger,
    "hub_encoder_one": hub_encoder_one,
    "hub_encoder_two": hub_encoder_two,
    "hub_encoder_explicit_padding_mask": hub_encoder_explicit_padding_mask,
    "hub_encoder_fixed_length": hub_encoder_fixed_length,
    "hub_decoder_only": hub_decoder_only,
    "hub_encoder_on_custom_positions": hub_encoder_on_custom_positions,
    "two_masked_ids_concat": two_masked_ids_concat,
    "two_masked_floats_concat": two_masked_floats_concat,
    "two_masked_ids_add_gap": two_masked_ids_add_gap,
    "ids_and_float_concat_bilstm": ids_and_float_concat_bilstm,
    "words_and_fixed_positions_concat": words_and_fixed_positions_concat,
    "encoder_decoder_states": encoder_decoder_states,
    "tokens_and_side_features": tokens_and_side_features,
    "nested_encoder_gap": nested_encoder_gap,
    "nested_sequential_masking_gru": nested_sequential_masking_gru,
    "nested_pos_transformer": nested_pos_transformer,
    "nested_twice": nested_twice,
    "masked_attention_pool": masked_attention_pool,
}
HUB = {n for n in CORRECT if n.startswith("hub_")}


# ---------------------------------------------------------------- leaks inside nested models
def nested_leak():
    """An inner encoder whose Conv1D drops the mask before its LSTM: the leak is inside 'encoder'."""
    keras, L, _ = _k()
    ii = keras.Input((None,), dtype="int32")
    y = L.Embedding(30, 6, mask_zero=True, name="emb")(ii)
    y = L.Conv1D(6, 3, padding="same", name="conv")(y)
    y = L.LSTM(6, name="inner_lstm")(y)
    inner = keras.Model(ii, y, name="encoder")
    i = keras.Input((None,), dtype="int32")
    return keras.Model(i, L.Dense(1, name="head")(inner(i)))
