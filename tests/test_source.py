"""Source linting: models in code (Sequential, .add, functional, helper functions, subclasses),
name resolution through imports and aliases, constants, unknowns, noqa and skip-file."""
import textwrap

import pytest

from conftest import run_cli
from masklint.errors import LintError
from masklint.source_lint import lint_source_text


def lint(code: str):
    return lint_source_text(textwrap.dedent(code).encode(), "model.py")


def only(code: str):
    fs = lint(code)
    assert len(fs) == 1, [(f.code, f.line, f.message) for f in fs]
    return fs[0]


def test_sequential_list_alias_module():
    f = only("""
        import keras
        from keras import layers as L
        model = keras.Sequential([
            keras.Input((None,), dtype="int32"),
            L.Embedding(100, 8),
            L.Masking(0.0),
            L.LSTM(4),
        ])
    """)
    assert (f.code, f.line, f.column, f.layer, f.consumer) == ("MK102", 7, 5, "masking", "lstm")
    assert f.source == "source" and "(line 8)" in f.message


def test_sequential_add_tf_keras():
    f = only("""
        import tensorflow as tf
        model = tf.keras.Sequential()
        model.add(tf.keras.Input(shape=(None, 3)))
        model.add(tf.keras.layers.Masking(mask_value=0.0))
        model.add(tf.keras.layers.Conv1D(8, 1))
        model.add(tf.keras.layers.LSTM(4))
    """)
    assert (f.code, f.line, f.layer, f.consumer) == ("MK104", 6, "conv1d", "lstm")


def test_functional_from_imports_with_aliases():
    f = only("""
        from tensorflow.keras import Model, Input
        from tensorflow.keras.layers import Masking, Conv1D as C, LSTM
        inp = Input(shape=(None, 3))
        x = Masking(0.0)(inp)
        x = C(8, 3, padding="same")(x)
        out = LSTM(4)(x)
        model = Model(inp, out)
    """)
    assert (f.code, f.line, f.layer) == ("MK107", 6, "conv1d")


def test_helper_function_is_inlined():
    f = only("""
        import keras
        from keras import layers

        def conv_block(x, k):
            x = layers.Conv1D(16, k, padding="same")(x)
            return layers.ReLU()(x)

        def build(vocab):
            ids = keras.Input((None,), dtype="int32")
            x = layers.Embedding(vocab, 16, mask_zero=True)(ids)
            x = conv_block(x, 5)
            x = layers.GlobalAveragePooling1D()(x)
            return keras.Model(ids, layers.Dense(1)(x))
    """)
    assert (f.code, f.line) == ("MK107", 6)


def test_helper_returning_layer_list():
    f = only("""
        import keras
        from keras import layers

        def encoder_layers(n):
            return [layers.Embedding(n, 8), layers.Masking(0.0), layers.GRU(4)]

        model = keras.Sequential(encoder_layers(50))
    """)
    assert f.code == "MK102" and f.line == 6


def test_subclassed_model():
    f = only("""
        import keras
        from keras import layers

        class Classifier(keras.Model):
            def __init__(self, vocab):
                super().__init__()
                self.emb = layers.Embedding(vocab, 16)
                self.masking = layers.Masking(mask_value=0.0)
                self.rnn = layers.LSTM(8)
                self.out = layers.Dense(1)

            def call(self, x):
                x = self.emb(x)
                x = self.masking(x)
                return self.out(self.rnn(x))

        model = Classifier(1000)
    """)
    assert (f.code, f.line, f.layer) == ("MK102", 9, "masking")


def test_module_and_function_constants():
    fs = lint("""
        import keras
        from keras import layers
        PAD = float("nan")

        def build():
            width = 3
            return keras.Sequential([keras.Input((None, width)), layers.Masking(PAD), layers.LSTM(4)])
    """)
    assert [f.code for f in fs] == ["MK106"]


def test_unknown_values_stay_silent():
    fs = lint("""
        import keras
        from keras import layers

        def build(vocab, use_mask, cfg):
            ids = keras.Input((None,), dtype="int32")
            x = layers.Embedding(vocab, 16, mask_zero=use_mask)(ids)   # unknown: not MK101
            x = layers.LSTM(cfg.units, return_sequences=cfg.rs)(x)     # unknown return_sequences
            return keras.Model(ids, layers.Dense(1)(x))
    """)
    assert fs == []


def test_unknown_mask_value_still_mk102_but_no_value_rules():
    fs = lint("""
        import keras
        from keras import layers

        def build(pad):
            return keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(50, 8),
                                     layers.Masking(mask_value=pad), layers.LSTM(4)])
    """)
    assert [f.code for f in fs] == ["MK102"]


@pytest.mark.parametrize("code", [
    # mask_zero + LSTM
    """
    import keras
    m = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4, mask_zero=True),
                          keras.layers.LSTM(4)])
    """,
    # Masking on 3-D float input
    """
    from keras import Input, Sequential
    from keras.layers import Masking, LSTM, Dense
    m = Sequential([Input((None, 3)), Masking(-1.0), LSTM(4), Dense(1)])
    """,
    # MHA with a padding mask, GlobalAveragePooling1D
    """
    import keras
    from keras import layers
    ids = keras.Input((None,), dtype="int32")
    x = layers.Embedding(100, 8, mask_zero=True)(ids)
    a = layers.MultiHeadAttention(2, 4)(x, x)
    x = layers.LayerNormalization()(layers.Add()([x, a]))
    model = keras.Model(ids, layers.Dense(1)(layers.GlobalAveragePooling1D()(x)))
    """,
    # Bidirectional + TimeDistributed(Dense) sequence output
    """
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(100, 8, mask_zero=True),
                              layers.Bidirectional(layers.LSTM(8, return_sequences=True)),
                              layers.TimeDistributed(layers.Dense(3))])
    """,
    # fixed-length float input without a mask: no evidence of padding
    """
    import keras
    model = keras.Sequential([keras.Input((20, 3)), keras.layers.Conv1D(4, 3), keras.layers.LSTM(4)])
    """,
    # a file that never builds a model
    """
    import keras
    def f(x):
        return keras.ops.mean(x, axis=1)
    """,
])
def test_correct_code_is_silent(code):
    assert lint(code) == []


def test_missing_mask_on_variable_ids():
    f = only("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(None,)), layers.Embedding(1000, 8), layers.LSTM(4)])
    """)
    assert (f.code, f.layer, f.consumer) == ("MK101", "embedding", "lstm")


def test_ops_and_positional_read():
    fs = lint("""
        import keras
        from keras import layers, ops
        inp = keras.Input((None, 3))
        x = layers.Masking(0.0)(inp)
        x = layers.LSTM(4, return_sequences=True)(x)
        last = x[:, -1]
        model = keras.Model(inp, layers.Dense(1)(last))
        inp2 = keras.Input((None, 3))
        y = layers.Masking(0.0)(inp2)
        y = ops.multiply(y, 2.0)
        model2 = keras.Model(inp2, layers.LSTM(2)(y))
    """)
    assert sorted((f.code, f.line) for f in fs) == [("MK104", 11), ("MK107", 7)]


def test_noqa_and_skip_file():
    base = """
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(10, 4),
                                  layers.Masking(0.0){comment}
                                  layers.LSTM(4)])
    """
    assert [f.code for f in lint(base.format(comment=","))] == ["MK102"]
    assert lint(base.format(comment=",  # noqa: MK102")) == []
    assert lint(base.format(comment=",  # noqa: masking-after-embedding")) == []
    assert lint(base.format(comment=",  # noqa")) == []
    # a code that suppresses nothing is itself reported (MK002, info), like ruff's RUF100
    assert sorted(f.code for f in lint(base.format(comment=",  # noqa: MK101"))) == ["MK002", "MK102"]
    assert [f.code for f in lint(base.format(comment=",  # noqa: MK102, MK104"))] == ["MK002"]
    # other tools' codes neither suppress masklint findings nor are judged
    assert [f.code for f in lint(base.format(comment=",  # noqa: E501"))] == ["MK102"]
    assert lint("# masklint: skip-file\n" + textwrap.dedent(base.format(comment=","))) == []


def test_prefilter_and_syntax_errors():
    assert lint("def broken(:\n  pass\n") == []  # never mentions keras: not even parsed
    with pytest.raises(LintError, match="syntax error at line"):
        lint("import keras\ndef broken(:\n  pass\n")


def test_cli_source_and_json(tmp_path):
    p = tmp_path / "train.py"
    p.write_text(textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(10, 4),
                                  layers.Masking(0.0), layers.LSTM(4)])
    """))
    r = run_cli(str(p), "--format", "json")
    assert r.returncode == 1
    import json

    (d,) = json.loads(r.stdout)
    assert (d["code"], d["line"], d["column"], d["source"]) == ("MK102", 5, 27, "source")
    bad = tmp_path / "bad.py"
    bad.write_text("import keras\nx = (\n")
    r = run_cli(str(bad), str(p))
    assert r.returncode == 2 and "bad.py: syntax error" in r.stderr and "MK102" in r.stdout


def test_source_and_saved_models_agree_on_every_fixture():
    """tests/models.py builds every fixture model in code: linting that code must give, inside each
    builder function, exactly the codes the saved model gives (one IR, one analysis, two front ends)."""
    import ast
    import os

    import models
    from masklint.source_lint import lint_source_file

    path = os.path.join(os.path.dirname(__file__), "models.py")
    tree = ast.parse(open(path).read())
    ranges = {n.name: (n.lineno, n.end_lineno) for n in tree.body if isinstance(n, ast.FunctionDef)}
    findings = lint_source_file(path)
    # where the code shows more than the saved model: a custom layer defined in the code is followed
    # (its `x * 2.0` drops the mask: measured in tests/test_custom_layers.py), the saved model says MK001
    source_knows_more = {"mk001_custom_layer": {"MK104"}}
    for name, expected in models.ALL.items():
        expected = source_knows_more.get(name, expected)
        lo, hi = ranges[name]
        got = {f.code for f in findings if lo <= f.line <= hi}
        assert got == expected, (name, [(f.code, f.line, f.message) for f in findings if lo <= f.line <= hi])


def test_real_code_never_errors():
    """A sample of the installed Keras package's own sources: linted without an internal error."""
    import os

    keras = pytest.importorskip("keras")
    from masklint.runner import lint_paths

    root = os.path.join(os.path.dirname(keras.__file__), "src")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".py"))[::10]
    res = lint_paths(files)
    assert res.errors == [] and res.files == len(files)


PAD_MODEL = """
import keras
from keras import layers
from keras.utils import pad_sequences
{data}
model = keras.Sequential([keras.Input({shape}), {producer}, layers.{rnn}])
model.{method}(x)
"""


@pytest.mark.parametrize("data,shape,producer,rnn,method,expected", [
    # MK201: pad value against the mask producer
    ('x = pad_sequences(s, value=-1.0, dtype="float32", padding="post")[..., None]', "(None, 1)",
     "layers.Masking(0.0)", "LSTM(4)", "fit", {"MK201"}),
    ('x = pad_sequences(s, value=-1.0, dtype="float32", padding="post")[..., None]', "(None, 1)",
     "layers.Masking(-1.0)", "LSTM(4)", "fit", set()),
    ('x = pad_sequences(s, value=7, padding="post")', '(None,), dtype="int32"',
     "layers.Embedding(10, 4, mask_zero=True)", "LSTM(4)", "predict", {"MK201"}),
    ('x = pad_sequences(s, padding="post")', '(None,), dtype="int32"',
     "layers.Embedding(10, 4, mask_zero=True)", "LSTM(4)", "evaluate", set()),
    ('x = pad_sequences(s, value=PAD, padding="post")', '(None,), dtype="int32"',  # unknown value
     "layers.Embedding(10, 4, mask_zero=True)", "LSTM(4)", "fit", set()),
    # MK204: left padding with a masked cuDNN-eligible RNN
    ("x = pad_sequences(s)", '(None,), dtype="int32"', "layers.Embedding(10, 4, mask_zero=True)",
     "LSTM(4)", "fit", {"MK204"}),
    ("x = pad_sequences(s)", '(None,), dtype="int32"', "layers.Embedding(10, 4, mask_zero=True)",
     "GRU(4, reset_after=False)", "fit", set()),
    ("x = pad_sequences(s)", '(None,), dtype="int32"', "layers.Embedding(10, 4, mask_zero=True)",
     "LSTM(4, use_cudnn=False)", "fit", set()),
    ("x = pad_sequences(s)", '(None,), dtype="int32"', "layers.Embedding(10, 4, mask_zero=True)",
     "SimpleRNN(4)", "fit", set()),
    ('x = pad_sequences(s, padding=side)', '(None,), dtype="int32"',  # unknown side
     "layers.Embedding(10, 4, mask_zero=True)", "LSTM(4)", "fit", set()),
    # MK101 where padding is proven, even at a fixed length
    ('x = pad_sequences(s, maxlen=20, padding="post")', '(20,), dtype="int32"', "layers.Embedding(10, 4)",
     "LSTM(4)", "fit", {"MK101"}),
    ('x = pad_sequences(s, maxlen=20, padding="post")', '(20,), dtype="int32"',
     "layers.Embedding(10, 4, mask_zero=True)", "LSTM(4)", "fit", set()),
])
def test_padding_facts(data, shape, producer, rnn, method, expected):
    code = PAD_MODEL.format(data=data, shape=shape, producer=producer, rnn=rnn, method=method)
    assert {f.code for f in lint(code)} == expected, code


def test_padding_reaches_model_from_builder_function():
    fs = lint("""
        import keras
        from keras import layers
        from tensorflow.keras.preprocessing.sequence import pad_sequences

        def build():
            return keras.Sequential([keras.Input((None, 2)), layers.Masking(0.0), layers.LSTM(4)])

        x = pad_sequences([[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]], value=-9.0, dtype="float32", padding="post")
        model = build()
        model.fit(x, [0, 1])
    """)
    assert [(f.code, f.line) for f in fs] == [("MK201", 7)]
    assert "(line 9)" in fs[0].message


def test_parallel_run_matches_serial(monkeypatch):
    import os

    from masklint import runner

    monkeypatch.setattr(runner, "PARALLEL_MIN_FILES", 2)
    paths = [os.path.join(os.path.dirname(__file__), "models.py"),
             os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")]
    serial = runner.lint_paths(paths, jobs=1)
    parallel = runner.lint_paths(paths, jobs=2)
    key = lambda r: sorted((f.path, f.code, f.line, f.layer) for f in r.findings)  # noqa: E731
    assert key(serial) == key(parallel) and serial.files == parallel.files and len(serial.findings) > 30


def test_tokenizer_vocabulary_size():
    base = """
        import keras
        from tensorflow.keras.preprocessing.text import Tokenizer
        tok = Tokenizer({args})
        tok.fit_on_texts(["a b", "c"])
        n = {size}
        emb = keras.layers.Embedding(n, 8)
    """
    assert [f.code for f in lint(base.format(args="", size="len(tok.word_index)"))] == ["MK203"]
    assert lint(base.format(args="", size="len(tok.word_index) + 1")) == []
    assert lint(base.format(args="num_words=1000", size="len(tok.word_index)")) == []
    assert lint(base.format(args="", size="vocab_size")) == []  # unknown


def test_padded_targets():
    base = """
        import numpy as np
        import keras
        from keras import layers
        from keras.utils import pad_sequences
        frames = np.random.rand(2, 3, 4)
        y = pad_sequences([[1, 2, 1], [2]], padding="post")
        model = keras.Sequential([keras.Input((3, 4)), {mask}layers.LSTM(8, return_sequences=True), layers.Dense(3)])
        model.fit(frames, y{weights})
    """
    assert [f.code for f in lint(base.format(mask="", weights=""))] == ["MK205"]
    assert lint(base.format(mask="layers.Masking(0.0), ", weights="")) == []
    assert lint(base.format(mask="", weights=", sample_weight=(y != 0)")) == []


@pytest.mark.parametrize("data,producer,expected", [
    # np.full filled row by row: the fill value is the padding
    ("X = np.full((2, 5, 1), -1.0)\nfor i, s in enumerate(seqs):\n    X[i, :len(s), 0] = s",
     "layers.Masking(0.0)", {"MK201"}),
    ("X = np.full((2, 5, 1), -1.0)\nfor i, s in enumerate(seqs):\n    X[i, :len(s), 0] = s",
     "layers.Masking(-1.0)", set()),
    ("X = np.zeros((2, 5, 1))\nfor i, s in enumerate(seqs):\n    X[i, -len(s):, 0] = s",
     "layers.Masking(0.0)", {"MK204"}),
    ("X = np.zeros((2, 5, 1))\nX[0] = 1.0",  # not filled per sequence: no padding evidence
     "layers.Masking(-1.0)", set()),
    # np.pad
    ("X = np.pad(np.ones((2, 3, 1)), ((0, 0), (0, 2), (0, 0)), constant_values=-1.0)",
     "layers.Masking(0.0)", {"MK201"}),
    ("X = np.pad(np.ones((2, 3, 1)), ((0, 0), (2, 0), (0, 0)))", "layers.Masking(0.0)", {"MK204"}),
    # tf.data padded_batch and RaggedTensor.to_tensor (right padding)
    ("X = dataset.padded_batch(32, padding_values=-1.0)", "layers.Masking(0.0)", {"MK201"}),
    ("X = dataset.padded_batch(32)", "layers.Masking(0.0)", set()),
    ("X = ragged.to_tensor(default_value=-1.0)", "layers.Masking(-1.0)", set()),
    ("X = ragged.to_tensor(default_value=9.0)", "layers.Masking(-1.0)", {"MK201"}),
])
def test_more_padding_sources(data, producer, expected):
    code = ("import numpy as np\nimport keras\nfrom keras import layers\nseqs = [[1.0, 2.0], [3.0]]\n" + data +
            f"\nmodel = keras.Sequential([keras.Input((None, 1)), {producer}, layers.LSTM(4)])\nmodel.fit(X, [0, 1])\n")
    assert {f.code for f in lint_source_text(code.encode(), "m.py")} == expected, code


def test_hand_built_vocabularies_and_float_truncation():
    base = """
        import keras
        from keras import layers
        from keras.utils import pad_sequences
        words = ["the", "cat"]
        vocab = {{w: i for i, w in enumerate(words{start})}}
        ids = pad_sequences([[vocab[w] for w in t.split()] for t in ["the cat", "cat"]], padding="post")
        model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(3, 4, mask_zero=True),
                                  layers.LSTM(2)])
        model.fit(ids, [0, 1])
    """
    assert [f.code for f in lint(base.format(start=""))] == ["MK202"]
    assert lint(base.format(start=", start=1")) == []
    assert lint(base.format(start=", 1")) == []
    trunc = """
        from keras.utils import pad_sequences
        x = pad_sequences([[0.5, 0.25], [0.75]]{dtype})
    """
    assert [f.code for f in lint(trunc.format(dtype=""))] == ["MK202"]
    assert lint(trunc.format(dtype=', dtype="float32"')) == []
    assert lint("from keras.utils import pad_sequences\nx = pad_sequences([[1, 2], [3]])\n") == []


@pytest.mark.parametrize("name", ["models.py", "test_source.py", "../examples/seed_ex1_masking_2d.py",
                                  "../masklint/frontends/source/interpreter.py"])
def test_fast_positions_equal_libcst_positions(name):
    """Positions come from CPython's ast (fast); they must equal libcst's PositionProvider exactly."""
    import os

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from masklint.ir import Layer
    from masklint.frontends.source.positions import _positions_from_ast

    text = open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8").read()
    text += '\nx = f"{len(\'é\')}" ; y = "é" + str(ord("é"))\n'  # non-ASCII columns, calls in f-strings
    module = cst.parse_module(text)

    class Collect(cst.CSTVisitor):
        def __init__(self):
            self.calls = []

        def visit_Call(self, node):
            self.calls.append(node)

    col = Collect()
    module.visit(col)
    layers = []
    for c in col.calls:
        lay = Layer(name="x", path="x", class_name="X")
        lay.cst = c
        layers.append(lay)
    assert _positions_from_ast(module, layers, text)
    pos = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for lay in layers:
        r = pos[lay.cst]
        assert (lay.line, lay.column) == (r.start.line, r.start.column + 1)


def test_positions_where_field_order_differs_from_source_order():
    """Decorators, conditional expressions and positional-only defaults hold calls that libcst stores
    after (or before) their neighbours in source order; positions must still be exact."""
    import masklint.frontends.source.positions as sf

    code = textwrap.dedent("""
        import functools
        import keras
        from keras import layers

        def units(n, /, scale=int(1.0)):
            return n * scale

        @functools.lru_cache(maxsize=None)
        def build(big=False):
            width = units(8) if big else units(4)
            model = keras.Sequential([
                keras.Input((None,), dtype="int32"),
                layers.Embedding(100, width),
                layers.Masking(0.0),
                layers.LSTM(units(2, scale=int(2.0)) if big else 4),
            ])
            return model
    """)
    calls = []
    orig = sf._positions_from_ast

    def spy(*a):
        calls.append(orig(*a))
        return calls[-1]

    sf._positions_from_ast = spy
    try:
        fs = lint_source_text(code.encode(), "model.py")
    finally:
        sf._positions_from_ast = orig
    assert calls and all(calls)  # the fast path paired every call, no fallback
    assert [(f.code, f.line, f.column) for f in fs] == [("MK102", 15, 9)]
