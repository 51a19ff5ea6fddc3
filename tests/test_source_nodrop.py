"""Never drop a model (issue 12): constructs the source interpreter does not follow become unknown nodes,
merge functions, third-party layers, keyword calls, models in classes and nested models are followed,
and an inlined Lambda is named as the Lambda the user wrote (as the saved model names it)."""
import textwrap

import pytest

from masklint.frontends.source import extract
from masklint.source_lint import lint_source_text


def graphs(code: str):
    return extract(textwrap.dedent(code), "model.py")[0]


def lint(code: str):
    return lint_source_text(textwrap.dedent(code).encode(), "model.py")


def codes(code: str):
    return sorted((f.code, f.layer, f.consumer) for f in lint(code))


def without(code: str, needle: str) -> str:
    """``code`` without its lines that contain ``needle``."""
    return "\n".join(line for line in code.splitlines() if needle not in line)


def classes(g):
    return [n.layer.class_name for n in g.nodes]


# ---- unknown nodes -------------------------------------------------------------------------------

HELPER_CALL = """
    import tensorflow as tf
    from tensorflow.keras import layers
    from text_utils import add_positional_encoding

    tokens = tf.keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(20000, 128, mask_zero=True)(tokens)
    x = add_positional_encoding(x, max_len=512)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    probs = layers.Dense(5, activation="softmax")(x)
    classifier = tf.keras.Model(tokens, probs, name="intent_classifier")
"""


def test_unknown_function_keeps_the_model():
    (g,) = graphs(HELPER_CALL)
    assert (g.name, g.kind) == ("intent_classifier", "functional")
    assert classes(g) == ["InputLayer", "Embedding", "add_positional_encoding", "Bidirectional", "Dense"]
    unk = g.nodes[2].layer
    assert unk.module is None and unk.registered_name == "unknown>add_positional_encoding" and unk.why
    assert [u.what for u in g.unknown] == ["add_positional_encoding(x, max_len=512)"]
    assert g.cst is not None
    # not a layer: no MK001, and nothing decided across it
    assert lint(HELPER_CALL) == []


def test_findings_before_an_unknown_node_are_kept():
    code = """
        import keras
        from keras import layers
        import signal_ops

        frames = keras.Input((None, 40))
        x = layers.Masking(mask_value=0.0)(frames)
        x = layers.Conv1D(64, 5, padding="same", activation="relu")(x)
        x = signal_ops.delta_features(x)
        x = layers.LSTM(32)(x)
        model = keras.Model(frames, layers.Dense(10)(x))
    """
    (g,) = graphs(code)
    assert len(g.nodes) == 6
    assert codes(code) == [("MK107", "conv1d", None)]
    # the same model without the helper: the same culprit (the LSTM is then named as consumer)
    plain = without(code, "delta_features")
    assert [(c, lay) for c, lay, _ in codes(plain)] == [("MK107", "conv1d")]


def test_no_finding_is_invented_across_an_unknown_node():
    code = """
        import keras
        from keras import layers
        from audio_front import normalise_frames

        frames = keras.Input((None, 40))
        x = layers.Masking(mask_value=0.0)(frames)
        x = normalise_frames(x)
        x = layers.Conv1D(64, 5, padding="same")(x)
        x = layers.GlobalAveragePooling1D()(x)
        model = keras.Model(frames, layers.Dense(3)(x))
    """
    (g,) = graphs(code)
    assert len(g.nodes) == 6
    assert lint(code) == []
    # control: without the unknown helper the Conv1D does mix padding in
    assert [c for c, *_ in codes(without(code, "= normalise_frames"))] == ["MK107"]


def test_padding_facts_do_not_cross_an_unknown_node():
    code = """
        import keras
        from keras import layers
        from keras.utils import pad_sequences
        from vocab_tools import shift_ids

        x = pad_sequences(token_ids, padding="post", value=-1)
        ids = keras.Input((None,), dtype="int32")
        h = shift_ids(ids)
        h = layers.Embedding(20001, 64, mask_zero=True)(h)
        h = layers.LSTM(32, use_cudnn=False)(h)
        model = keras.Model(ids, layers.Dense(1)(h))
        model.fit(x, y)
    """
    (g,) = graphs(code)
    assert g.padding and g.padding[0].value == -1
    assert lint(code) == []  # shift_ids may well map -1 to 0: not decided
    # control: fed straight to the Embedding, the -1 padding is not masked
    assert [f.code for f in lint(code.replace("h = shift_ids(ids)", "h = ids"))] == ["MK201"]


def test_tensor_method_and_star_args_become_unknown_nodes():
    code = """
        import keras
        from keras import layers

        ids = keras.Input((None,), dtype="int32")
        emb = layers.Embedding(5000, 64, mask_zero=True)(ids)
        branches = [layers.Dense(64)(emb), emb]
        x = layers.Add()(*branches)
        x = x.with_rank(3)
        x = layers.GRU(32)(x)
        model = keras.Model(ids, x)
    """
    (g,) = graphs(code)
    assert classes(g) == ["InputLayer", "Embedding", "Dense", "Add", "with_rank", "GRU"]
    assert g.nodes[3].layer.registered_name == "unknown>Add" and "*args" in g.nodes[3].layer.why
    assert len(g.unknown) == 2
    assert lint(code) == []


def test_sequential_with_an_item_it_cannot_follow():
    code = """
        from tensorflow import keras
        from tensorflow.keras import layers
        from blocks import ResidualStack

        model = keras.Sequential([
            layers.Embedding(10000, 64, mask_zero=True),
            ResidualStack(depth=3),
            layers.LSTM(64),
            layers.Dense(1, activation="sigmoid"),
        ])
    """
    (g,) = graphs(code)
    assert (g.name, g.kind, len(g.nodes)) == ("model", "sequential", 5)
    assert g.nodes[2].layer.registered_name == "unknown>ResidualStack"
    assert [u.what for u in g.unknown] == ["ResidualStack(depth=3)"]
    assert lint(code) == []


def test_sequential_add_of_an_unknown_item_keeps_later_findings():
    code = """
        import tensorflow as tf
        import custom

        model = tf.keras.Sequential(name="tagger")
        model.add(tf.keras.layers.Embedding(8000, 100, mask_zero=True))
        model.add(tf.keras.layers.LSTM(64, return_sequences=True))
        model.add(custom.make_block())
        model.add(tf.keras.layers.Masking(0.0))
        model.add(tf.keras.layers.LSTM(16))
    """
    (g,) = graphs(code)
    assert (g.name, len(g.nodes)) == ("tagger", 6)
    assert lint(code) == []  # the Masking reads an unknown block's output: not decided


def test_layer_on_a_value_it_cannot_trace():
    code = """
        import keras
        from keras import layers
        from encoders import load_encoder

        encoder = load_encoder("base")
        x = layers.Dense(256, activation="relu")(encoder.output)
        out = layers.Dense(2, activation="softmax")(x)
        model = keras.Model(encoder.input, out)
    """
    (g,) = graphs(code)
    assert len(g.nodes) == 3 and g.nodes[0].layer.registered_name == "unknown>input"
    assert lint(code) == []


def test_layers_collected_in_a_list():
    code = """
        import keras
        from keras import layers

        def build(vocab_size, depth=2):
            stack = [layers.Embedding(vocab_size, 32, mask_zero=True)]
            for _ in range(depth):
                stack.append(layers.LSTM(32, return_sequences=True))
            stack.extend([layers.Conv1D(16, 3), layers.GlobalMaxPooling1D()])
            return keras.Sequential(stack)

        inp = keras.Input((None, 4))
        heads = []
        for k in range(2):  # the start and end logits
            heads.append(layers.Dense(1)(inp))
        spans = keras.Model(inp, heads)
    """
    gs = graphs(code)
    assert sorted(len(g.nodes) for g in gs) == [3, 6]
    assert [(f.code, f.layer) for f in lint(code)] == [("MK107", "conv1d")]
    assert lint(code.replace("layers.Conv1D(16, 3), layers.GlobalMaxPooling1D()", "layers.LSTM(8)")) == []


# ---- merge functions -----------------------------------------------------------------------------

@pytest.mark.parametrize("func, cls", [("concatenate", "Concatenate"), ("add", "Add"), ("average", "Average"),
                                       ("maximum", "Maximum"), ("multiply", "Multiply")])
def test_merge_functions_are_their_layer_classes(func, cls):
    fn_code = f"""
        import tensorflow as tf
        from tensorflow.keras.layers import Input, Embedding, Conv1D, LSTM, {func}

        ids = Input(shape=(None,), dtype="int32")
        emb = Embedding(3000, 32, mask_zero=True)(ids)
        conv = Conv1D(32, 3, padding="same")(emb)
        merged = {func}([emb, conv])
        model = tf.keras.Model(ids, LSTM(16)(merged))
    """
    cls_code = fn_code.replace(f", {func}\n", f", {cls}\n").replace(f"{func}([emb", f"{cls}()([emb")
    (g,) = graphs(fn_code)
    assert classes(g) == ["InputLayer", "Embedding", "Conv1D", cls, "LSTM"]
    assert codes(fn_code) == codes(cls_code) and codes(fn_code)


def test_merge_function_arguments():
    code = """
        import keras
        q = keras.Input((None, 16))
        k = keras.Input((None, 16))
        scores = keras.layers.dot([q, k], axes=2, name="scores")
        joined = keras.layers.concatenate([q, k], 1)
        model = keras.Model([q, k], [scores, joined])
    """
    (g,) = graphs(code)
    by = {n.layer.class_name: n.layer for n in g.nodes}
    assert by["Dot"].config["axes"] == 2 and by["Dot"].name == "scores"
    assert by["Concatenate"].config["axis"] == 1


# ---- third-party layers --------------------------------------------------------------------------

def test_third_party_layers_keep_the_model_and_are_named():
    code = """
        import keras
        import keras_hub
        from keras import layers
        from keras_pos_embd import TrigPosEmbedding
        from keras_self_attention import SeqSelfAttention

        ids = keras.Input((None,), dtype="int32")
        x = layers.Embedding(30000, 128, mask_zero=True)(ids)
        x = keras_hub.layers.TransformerEncoder(intermediate_dim=256, num_heads=4)(x)
        x = SeqSelfAttention(attention_activation="sigmoid")(x)
        x = TrigPosEmbedding(mode="add")(x)
        x = layers.GlobalAveragePooling1D()(x)
        model = keras.Model(ids, layers.Dense(1)(x))
    """
    (g,) = graphs(code)
    enc, att, pos = g.nodes[2].layer, g.nodes[3].layer, g.nodes[4].layer
    assert (enc.module, enc.registered_name, enc.is_builtin) == ("keras_hub.layers", "keras_hub>TransformerEncoder",
                                                                 False)
    assert (att.module, att.class_name) == ("keras_self_attention", "SeqSelfAttention")
    # KerasHub and keras-self-attention are in the knowledge table (knowledge/third_party.py); keras-pos-embd is not
    assert len(g.nodes) == 7 and len(g.unknown) == 1 and "TrigPosEmbedding" in g.unknown[0].what
    fs = lint(code)  # MK001 where the mask reaches the unknown one; nothing decided after it
    assert [(f.code, f.layer) for f in fs] == [("MK001", pos.name)]


def test_tcn_and_crf_models_are_kept():
    code = """
        from tensorflow.keras.models import Sequential
        from tensorflow.keras.layers import Embedding, Dense
        from tcn import TCN
        from keras_contrib.layers import CRF

        model = Sequential()
        model.add(Embedding(5000, 50))
        model.add(TCN(nb_filters=64, return_sequences=True))
        model.add(Dense(20))
        model.add(CRF(9))
    """
    (g,) = graphs(code)
    assert classes(g) == ["InputLayer", "Embedding", "TCN", "Dense", "CRF"]
    assert lint(code) == []


# ---- keyword calls -------------------------------------------------------------------------------

def test_keyword_calls_give_the_positional_findings():
    kw = """
        import keras
        from keras import layers
        ids = keras.Input((None,), dtype="int32")
        x = layers.Embedding(2000, 32, mask_zero=True)(ids)
        x = layers.Conv1D(32, 3, padding="same")(inputs=x)
        mha = layers.MultiHeadAttention(num_heads=2, key_dim=16)
        a = mha(query=x, value=x, key=x)
        y = layers.Dense(4)(a, training=True)
        model = keras.Model(ids, y)
    """
    pos = (kw.replace("(inputs=x)", "(x)").replace("mha(query=x, value=x, key=x)", "mha(x, x, x)")
           .replace("(a, training=True)", "(a)"))
    (g,) = graphs(kw)
    mha = g.nodes[3]
    assert mha.args == [] and sorted(mha.tensor_kwargs) == ["key", "query", "value"]
    assert g.nodes[4].kwargs == {"training": True}
    assert codes(kw) == codes(pos) == [("MK107", "conv1d", "multi_head_attention")]


def test_attention_mask_keyword_is_a_mask():
    code = """
        import keras
        from keras import layers, ops
        ids = keras.Input((None,), dtype="int32")
        pad = keras.Input((None, None), dtype="bool")
        x = layers.Embedding(2000, 32)(ids)
        x = layers.MultiHeadAttention(2, 16)(x, value=x, attention_mask=pad)
        model = keras.Model([ids, pad], layers.GlobalAveragePooling1D()(x))
    """
    (g,) = graphs(code)
    mha = next(n for n in g.nodes if n.layer.class_name == "MultiHeadAttention")
    assert list(mha.masks) == ["attention_mask"] and list(mha.tensor_kwargs) == ["value"]


def test_bidirectional_with_an_explicit_mask_keyword():
    code = """
        import tensorflow as tf
        L = tf.keras.layers
        ids = tf.keras.Input((None,), dtype="int32")
        x = L.Embedding(1000, 16)(ids)
        m = tf.not_equal(ids, 0)
        x = L.Bidirectional(L.LSTM(8))(x, mask=m)
        model = tf.keras.Model(ids, x)
    """
    (g,) = graphs(code)
    bi = next(n for n in g.nodes if n.layer.class_name == "Bidirectional")
    assert list(bi.masks) == ["mask"]
    assert lint(code) == []


# ---- models in classes ---------------------------------------------------------------------------

CLASSIFIER = """
    import numpy as np
    from tensorflow import keras
    from tensorflow.keras.preprocessing.sequence import pad_sequences


    class SentimentClassifier:
        def __init__(self, vocab_size, maxlen=100):
            self.vocab_size = vocab_size
            self.maxlen = maxlen
            self.model = self.build_model()

        def build_model(self):
            model = keras.Sequential()
            model.add(keras.layers.Embedding(self.vocab_size, 64, mask_zero=True))
            model.add(keras.layers.LSTM(32, use_cudnn=False))
            model.add(keras.layers.Dense(1, activation="sigmoid"))
            model.compile("adam", "binary_crossentropy")
            return model

        def train(self, x, y):
            self.model.fit(x, y, epochs=3)


    x = pad_sequences([[4, 8, 15], [16, 23]], maxlen=100, padding="post", value=PAD)
    clf = SentimentClassifier(5000)
    clf.train(x, np.array([0, 1]))
"""


def test_model_built_in_a_plain_class_gets_the_padding_of_train():
    bad = CLASSIFIER.replace("value=PAD", "value=-1")
    gs = graphs(bad)
    assert gs and all(classes(g) == ["InputLayer", "Embedding", "LSTM", "Dense"] for g in gs)
    assert any(g.padding and g.padding[0].value == -1 for g in gs)
    assert [(f.code, f.layer) for f in lint(bad)] == [("MK201", "embedding")]
    assert lint(CLASSIFIER.replace("value=PAD", "value=0")) == []


def test_model_attribute_fitted_from_outside():
    code = """
        import tensorflow as tf
        from tensorflow.keras.preprocessing.sequence import pad_sequences

        class Trainer:
            def __init__(self):
                self.model = tf.keras.Sequential([
                    tf.keras.layers.Masking(mask_value=0.0),
                    tf.keras.layers.LSTM(16),
                ])

        x = pad_sequences(raw, padding="post", dtype="float32", value=-1.0)
        trainer = Trainer()
        trainer.model.fit(x, labels)
    """
    assert any(g.padding for g in graphs(code))
    assert "MK201" in [f.code for f in lint(code)]  # the pad value -1 is not the mask value 0
    assert "MK201" not in [f.code for f in lint(code.replace("value=-1.0", "value=0.0"))]


SUBCLASSED = """
    import keras
    from keras import layers
    from keras.utils import pad_sequences


    class Tagger(keras.Model):
        def __init__(self, vocab, tags):
            super().__init__()
            self.embed = layers.Embedding(vocab, 64, mask_zero=True)
            self.rnn = layers.LSTM(64, return_sequences=True, use_cudnn=False)
            self.out = layers.Dense(tags)

        def call(self, x):
            return self.out(self.rnn(self.embed(x)))


    x_pad = pad_sequences(sentences, padding="post", value=PAD)
    net = Tagger(1000, 9)
    net.compile("adam", "sparse_categorical_crossentropy")
    net.fit(x_pad, tags)
"""


def test_subclassed_model_instance_fit_attaches_padding():
    gs = graphs(SUBCLASSED.replace("value=PAD", "value=-1"))
    assert all((g.kind, g.name) == ("subclass", "Tagger") for g in gs)
    assert any(g.padding for g in gs)
    assert [(f.code, f.layer) for f in lint(SUBCLASSED.replace("value=PAD", "value=-1"))] == [("MK201", "embedding")]
    assert lint(SUBCLASSED.replace("value=PAD", "value=0")) == []


def test_subclassed_model_never_instantiated_is_found():
    code = SUBCLASSED.split("\n\n\n    x_pad")[0]
    (g,) = graphs(code)
    assert (g.kind, g.name, classes(g)) == ("subclass", "Tagger", ["InputLayer", "Embedding", "LSTM", "Dense"])


def test_subclassed_model_inside_a_sequential():
    code = SUBCLASSED.split("\n\n\n    x_pad")[0] + """

    pipeline = keras.Sequential([layers.Masking(0.0), Tagger(1000, 9)])
    """
    gs = graphs(code)
    seq = next(g for g in gs if g.kind == "sequential")
    assert seq.nodes[2].layer.kind == "model" and seq.nodes[2].layer.name == "Tagger"


def test_sequential_used_as_a_layer_is_a_nested_model():
    code = """
        import keras
        from keras import layers
        projector = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(16)], name="projector")
        frames = keras.Input((None, 8))
        x = layers.Masking(0.0)(frames)
        x = projector(x)
        x = layers.Conv1D(8, 3)(x)
        model = keras.Model(frames, layers.LSTM(8)(x))
    """
    (g,) = graphs(code)  # the inner Sequential is analysed inside the outer model only
    node = g.nodes[2]
    assert node.layer.kind == "model" and node.layer.name == "projector"
    assert classes(node.layer.graph)[1:] == ["Dense", "Dense"]
    assert [(f.code, f.layer) for f in lint(code)] == [("MK107", "conv1d")]


# ---- the Lambda the user wrote -------------------------------------------------------------------

LAMBDAS = {
    "rescale": """
        import keras
        from keras import layers
        frames = keras.Input((None, 3))
        x = layers.Masking(0.0, name="pad_mask")(frames)
        x = layers.Lambda(lambda t: t * 2.0 - 1.0, name="rescale")(x)
        x = layers.LSTM(4, name="rnn")(x)
        model = keras.Model(frames, x)
    """,
    "last": """
        import keras
        from keras import layers
        frames = keras.Input((None, 3))
        x = layers.Masking(0.0, name="pad_mask")(frames)
        x = layers.LSTM(4, return_sequences=True, name="rnn")(x)
        x = layers.Lambda(lambda t: t[:, -1], name="last")(x)
        model = keras.Model(frames, layers.Dense(1, name="head")(x))
    """,
    "identity_in_sequential": """
        import keras
        from keras import layers
        model = keras.Sequential([
            keras.Input((None, 3)),
            layers.Masking(0.0, name="pad_mask"),
            layers.Lambda(lambda t: t, name="passthrough"),
            layers.LSTM(4, name="rnn"),
        ])
    """,
    "scale_in_sequential": """
        import keras
        from keras import layers
        model = keras.Sequential([
            keras.Input((None, 3)),
            layers.Masking(0.0, name="pad_mask"),
            layers.Lambda(lambda t: t * 2.0, name="scale_in_sequential"),
            layers.LSTM(4, name="rnn"),
        ])
    """,
}


def test_identity_lambda_keeps_the_mask():
    code = LAMBDAS["rescale"].replace("lambda t: t * 2.0 - 1.0", "lambda t: t")
    assert lint(code) == []


def test_source_and_saved_model_name_the_same_lambda(tmp_path):
    import numpy as np

    from masklint.lint import lint_model_file

    for key, code in LAMBDAS.items():
        ns: dict = {}
        exec(textwrap.dedent(code), ns)  # noqa: S102 - the test's own model code
        path = tmp_path / f"{key}.keras"
        ns["model"].save(path)
        saved = [(f.code, f.layer, f.consumer, f.fix) for f in lint_model_file(str(path))]
        source = [(f.code, f.layer, f.consumer, f.fix) for f in lint(code)]
        assert saved == source, (saved, source)
        assert [f[1] for f in source] == ([] if key.startswith("identity") else [key])
        if key == "rescale":  # the dropped mask is real: the LSTM output depends on the padding
            model = ns["model"]
            seq = np.random.default_rng(0).normal(size=(1, 4, 3)).astype("float32")
            short = np.concatenate([seq, np.zeros((1, 2, 3), "float32")], axis=1)
            long = np.concatenate([seq, np.zeros((1, 6, 3), "float32")], axis=1)
            diff = np.abs(model.predict(short, verbose=0) - model.predict(long, verbose=0)).max()
            assert diff > 1e-3
