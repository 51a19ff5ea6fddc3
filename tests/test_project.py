"""Project-level facts: imports between linted files (sibling scripts, packages, relative and absolute
imports), where findings land (the culprit's file, its ``# noqa``, once per run), tuple-returning
loaders, unambiguous module padding, and the padding evidence of TextVectorization, ragged tensors and
one-hot encoding -- with a few measurements of those claims in the installed Keras."""
import json
import os
import textwrap

import pytest

from conftest import run_cli
from masklint.runner import lint_paths
from masklint.source_lint import lint_source_text

DATA = """
import numpy as np
from tensorflow.keras.preprocessing.sequence import pad_sequences

MAXLEN = 40


def load_data(train_texts, test_texts):
    x_tr = pad_sequences(train_texts, maxlen=MAXLEN, padding="post")
    x_te = pad_sequences(test_texts, maxlen=MAXLEN, padding="post")
    return x_tr, x_te
"""

MODEL = """
from tensorflow import keras
from tensorflow.keras import layers


def build_model(vocab_size):
    inputs = keras.Input(shape=(40,), dtype="int32")
    x = layers.Embedding(vocab_size, 64)(inputs){noqa}
    x = layers.LSTM(32)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="binary_crossentropy", optimizer="adam")
    return model
"""

TRAIN = """
from data import MAXLEN, load_data
from model import build_model

x_train, x_test = load_data(train_texts, test_texts)
model = build_model(20000)
model.fit(x_train, y_train, epochs=3, validation_split=0.1)
"""


def write(root, files: dict):
    for name, code in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(code).lstrip())
    return root


def found(paths, **kw):
    res = lint_paths([str(p) for p in paths], **kw)
    assert res.errors == []
    return [(os.path.basename(f.path), f.code, f.line, f.layer) for f in res.findings], res


def sibling_project(root, noqa=""):
    return write(root, {"src/data.py": DATA, "src/model.py": MODEL.replace("{noqa}", noqa),
                        "src/train.py": TRAIN, "README.md": "a text classifier\n"})


# ---- imports between linted files ------------------------------------------------------------------

def test_sibling_scripts_padding_reaches_the_model_file(tmp_path):
    sibling_project(tmp_path)
    got, res = found([tmp_path])
    assert got == [("model.py", "MK101", 7, "embedding")]
    f = res.findings[0]
    assert f.path.endswith(os.path.join("src", "model.py")) and f.consumer == "lstm"
    assert "padded by pad_sequences (" in f.message and "data.py:8)" in f.message
    assert "(line 8)" in f.message  # the consumer's line, in the same file as the culprit
    assert "_from" not in f.extra


def test_each_file_alone_resolves_no_import(tmp_path):
    """Linting model.py or train.py alone: the index covers only the files being linted."""
    sibling_project(tmp_path)
    for name in ("model.py", "train.py", "data.py"):
        assert found([tmp_path / "src" / name])[0] == [], name
    # the two files that matter are enough
    assert found([tmp_path / "src" / "train.py", tmp_path / "src" / "model.py"])[0] == []  # data.py missing
    assert found([tmp_path / "src" / n for n in ("train.py", "model.py", "data.py")])[0] == [
        ("model.py", "MK101", 7, "embedding")]


def test_module_outside_the_linted_set_stays_silent(tmp_path):
    write(tmp_path, {"proj/train.py": TRAIN, "proj/data.py": DATA, "vendor/model.py": MODEL.replace("{noqa}", "")})
    assert found([tmp_path / "proj"])[0] == []


def test_package_relative_and_namespace_imports(tmp_path):
    write(tmp_path, {
        "textclf/__init__.py": "",
        "textclf/data.py": DATA,
        "textclf/models/rnn.py": MODEL.replace("{noqa}", ""),  # a package without __init__.py
        "textclf/training/__init__.py": "from .loop import run\n",
        "textclf/training/loop.py": """
            from ..data import load_data
            from ..models import rnn
            from ..models.rnn import build_model as build


            def run(train_texts, test_texts, labels):
                (x_train, x_test) = load_data(train_texts, test_texts)
                model = build(5000)
                model.fit(x_train, labels)
                return rnn
        """,
    })
    got, _ = found([tmp_path])
    assert got == [("rnn.py", "MK101", 7, "embedding")]


def test_absolute_imports_from_the_project_root(tmp_path):
    write(tmp_path, {
        "myproj/__init__.py": "",
        "myproj/data.py": DATA,
        "myproj/model.py": MODEL.replace("{noqa}", ""),
        "scripts/train.py": """
            import myproj.model as m
            from myproj.data import load_data

            x_train, _ = load_data(texts, [])
            clf = m.build_model(300)
            clf.fit(x_train, labels)
        """,
        "scripts/evaluate.py": """
            import myproj.data
            import myproj.model

            _, x_test = myproj.data.load_data([], texts)
            net = myproj.model.build_model(300)
            net.evaluate(x_test, labels)
        """,
    })
    got, _ = found([tmp_path])
    assert got == [("model.py", "MK101", 7, "embedding")]  # found from both scripts, reported once


def test_tuple_returning_loaders(tmp_path):
    write(tmp_path, {
        "data.py": """
            from keras.utils import pad_sequences


            def load_imdb(maxlen=200):
                (x_tr, y_tr), (x_te, y_te) = raw_splits()
                x_tr = pad_sequences(x_tr, maxlen=maxlen, padding="post")
                x_te = pad_sequences(x_te, maxlen=maxlen, padding="post")
                return (x_tr, y_tr), (x_te, y_te)


            def load_all():
                return load_imdb()
        """,
        "train.py": """
            import keras
            from keras import layers
            from data import load_all, load_imdb

            (x_train, y_train), (x_test, y_test) = load_imdb()
            splits = load_all()
            x_val = splits[1][0]

            model = keras.Sequential([keras.Input((200,)), layers.Embedding(20000, 32), layers.GRU(16),
                                      layers.Dense(1)])
            model.fit(x_train, y_train)
            other = keras.Sequential([keras.Input((200,)), layers.Embedding(20000, 32),
                                      layers.GlobalAveragePooling1D(), layers.Dense(1)])
            other.evaluate(x_val, y_test)
        """,
    })
    got, _ = found([tmp_path])
    assert sorted(got) == [("train.py", "MK101", 9, "embedding"), ("train.py", "MK101", 12, "embedding_1")]


def test_import_cycle_is_guarded(tmp_path):
    write(tmp_path, {
        "a.py": """
            from b import helper_b
            import keras

            WIDTH = helper_b()


            def helper_a():
                return 1
        """,
        "b.py": """
            from a import WIDTH, helper_a
            import keras

            SIZE = helper_a() + WIDTH


            def helper_b():
                return SIZE
        """,
        "c.py": "from c import x\nimport keras\ny = x\n",
    })
    got, res = found([tmp_path])
    assert got == [] and res.files == 3


def test_noqa_in_model_py_is_honoured_and_used(tmp_path):
    sibling_project(tmp_path, noqa="  # noqa: MK101")
    assert found([tmp_path])[0] == []  # suppressed there, and that noqa is not "unused" (MK002)
    write(tmp_path, {"src/model.py": MODEL.replace("{noqa}", "  # noqa: MK101, MK104")})
    got, res = found([tmp_path])
    assert got == [("model.py", "MK002", 7, None)]
    assert "MK104" in res.findings[0].message and "MK101" not in res.findings[0].message


def test_same_finding_from_two_files_is_reported_once(tmp_path):
    write(tmp_path, {
        "model.py": """
            import keras
            from keras import layers


            def build_model():
                return keras.Sequential([
                    keras.Input((None,), dtype="int32"),
                    layers.Embedding(1000, 16),
                    layers.Masking(0.0),
                    layers.LSTM(8),
                ])
        """,
        "train.py": """
            from model import build_model

            model = build_model()
            model.fit(x, y)
        """,
    })
    got, _ = found([tmp_path])
    assert got == [("model.py", "MK102", 9, "masking")]


def test_fix_never_edits_another_file(tmp_path):
    sibling_project(tmp_path)
    before = (tmp_path / "src" / "model.py").read_text()
    r = run_cli(str(tmp_path), "--fix", "--format", "json", env={"PYTHONPATH": _root()})
    assert (tmp_path / "src" / "model.py").read_text() == before
    assert [f["code"] for f in json.loads(r.stdout)] == ["MK101"]


def _root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_cli_json_on_a_project_directory(tmp_path):
    sibling_project(tmp_path)
    r = run_cli(str(tmp_path / "src"), "--format", "json", env={"PYTHONPATH": _root()})
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert [(os.path.basename(f["path"]), f["code"], f["line"], f["layer"]) for f in out] == [
        ("model.py", "MK101", 7, "embedding")]
    assert set(out[0]) == {"code", "name", "severity", "message", "fix", "path", "line", "column", "layer",
                           "consumer", "source", "cell", "autofix"}


def test_cost_is_linear_in_files(tmp_path, monkeypatch):
    """N copies of a project: parses grow N-fold (each file parsed at most twice: linted, imported)."""
    from masklint.frontends.source import parse_guard

    counts = []
    real = parse_guard._parse

    def counting(text):
        counts.append(1)
        return real(text)

    monkeypatch.setattr(parse_guard, "_parse", counting)
    totals = []
    for n in (1, 4):
        root = tmp_path / f"n{n}"
        for i in range(n):
            sibling_project(root / f"copy{i}")
        counts.clear()
        got, res = found([root])
        assert len(got) == n and res.files == 3 * n
        totals.append(len(counts))
    assert totals[1] == 4 * totals[0] and totals[0] <= 2 * 3


# ---- unambiguous module padding ------------------------------------------------------------------

UNLINKED = """
import keras
from keras import layers
from keras.utils import pad_sequences

x = pad_sequences(sequences, maxlen=100, padding="{side}")
{more}
model = keras.Sequential([keras.Input((100,), dtype="int32"), layers.Embedding(5000, 32),
                          layers.LSTM(32), layers.Dense(1)])
{use}
"""


@pytest.mark.parametrize("side,more,use,expected", [
    ("post", "", "", ["MK101"]),
    ("pre", "", "", ["MK101"]),
    ("post", 'x2 = pad_sequences(other, maxlen=100, padding="pre")', "", []),  # two configurations
    ("post", 'x2 = pad_sequences(other, maxlen=100, value=-1, padding="post")', "", []),
    ("post", "", "model.fit(train_ds)", []),  # fed with data masklint cannot follow
    ("post", "", "model.fit(x, y)", ["MK101"]),  # the usual link
])
def test_unambiguous_module_padding(side, more, use, expected):
    code = UNLINKED.format(side=side, more=more, use=use)
    assert [f.code for f in lint_source_text(code.encode(), "m.py")] == expected
    fixed = code.replace("Embedding(5000, 32)", "Embedding(5000, 32, mask_zero=True)")
    assert [f.code for f in lint_source_text(fixed.encode(), "m.py")] == (["MK204"] if side == "pre" and expected
                                                                          else [])


def test_module_padding_skips_a_helper_model_fed_elsewhere():
    code = """
import keras
from keras import layers
from keras.utils import pad_sequences

x_test = pad_sequences(test_sequences, maxlen=100, padding="post")


def build():
    return keras.Sequential([keras.Input((100,), dtype="int32"), layers.Embedding(5000, 32), layers.LSTM(8)])


model = build()
model.fit(train_ds, epochs=3)
"""
    assert lint_source_text(code.encode(), "m.py") == []
    assert [f.code for f in lint_source_text(code.replace("train_ds", "x_test").encode(), "m.py")] == ["MK101"]


def test_module_padding_needs_a_sequence_input():
    code = """
import keras
from keras import layers
from keras.utils import pad_sequences

tokens = pad_sequences(sequences, maxlen=100, padding="post")
cnn = keras.Sequential([keras.Input((100,)), layers.Reshape((100, 1)), layers.Conv1D(8, 3),
                        layers.GlobalAveragePooling1D(), layers.Dense(1)])
"""
    assert lint_source_text(code.encode(), "m.py") == []


# ---- new padding evidence -----------------------------------------------------------------------

TV_IN_MODEL = """
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

vectorize_layer = layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=250)
vectorize_layer.adapt(text_ds)

text_input = keras.Input(shape=(1,), dtype=tf.string)
x = vectorize_layer(text_input)
x = layers.Embedding(20001, 64{mz})(x)
x = layers.LSTM(64)(x)
model = keras.Model(text_input, layers.Dense(1)(x))
"""


def test_text_vectorization_inside_the_model():
    fs = lint_source_text(TV_IN_MODEL.format(mz="").encode(), "tv.py")
    assert [(f.code, f.line, f.layer) for f in fs] == [("MK101", 11, "embedding")]
    assert "padded by TextVectorization (line 6)" in fs[0].message
    assert lint_source_text(TV_IN_MODEL.format(mz=", mask_zero=True").encode(), "tv.py") == []


TV_MAP = """
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

vectorize_layer = layers.TextVectorization(max_tokens=10000, output_sequence_length=120{ragged})
vectorize_layer.adapt(raw_train_ds.map(lambda text, label: text))


def vectorize_text(text, label):
    text = tf.expand_dims(text, -1)
    return vectorize_layer(text), label


train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)
val_ds = raw_val_ds.map(lambda x, y: (vectorize_layer(x), y))

model = keras.Sequential([
    layers.Embedding(10001, 16{mz}),
    layers.Bidirectional(layers.LSTM(16)),
    layers.Dense(1),
])
model.fit(train_ds, validation_data=val_ds, epochs=10)
model.evaluate(val_ds)
"""


@pytest.mark.parametrize("mz,ragged,expected", [
    ("", "", ["MK101"]), (", mask_zero=True", "", []), ("", ", ragged=True", []),
])
def test_text_vectorization_in_a_dataset_map(mz, ragged, expected):
    fs = lint_source_text(TV_MAP.format(mz=mz, ragged=ragged).encode(), "tv.py")
    assert [f.code for f in fs] == expected
    if expected:
        assert fs[0].layer == "embedding" and "padded by TextVectorization (line 12)" in fs[0].message


RAGGED = """
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

x = tf.ragged.constant(token_ids).to_tensor({default})
model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(500, 8, mask_zero=True),
                          layers.LSTM(8)])
model.fit(x, y)
"""


@pytest.mark.parametrize("default,expected", [("", []), ("default_value=0", []), ("default_value=-1", ["MK201"]),
                                              ("0", [])])
def test_ragged_to_tensor(default, expected):
    assert [f.code for f in lint_source_text(RAGGED.format(default=default).encode(), "r.py")] == expected


ONE_HOT = """
import keras
from keras import layers
from keras.utils import pad_sequences, to_categorical
import tensorflow as tf

ids = pad_sequences(char_ids, maxlen=60, padding="post")
x = {encode}
model = keras.Sequential([keras.Input((60, 40)), layers.{consumer}, layers.Dense(5)])
model.fit(x, to_categorical(labels, 5))
"""


@pytest.mark.parametrize("encode,consumer,expected", [
    ("to_categorical(ids, 40)", "LSTM(32)", ["MK101"]),
    ("tf.one_hot(ids, 40)", "GRU(32)", ["MK101"]),
    ("keras.ops.one_hot(ids, 40)", "GlobalAveragePooling1D()", ["MK101"]),
    ("to_categorical(labels, 40)", "LSTM(32)", []),  # not padded ids
])
def test_one_hot_of_padded_ids(encode, consumer, expected):
    fs = lint_source_text(ONE_HOT.format(encode=encode, consumer=consumer).encode(), "oh.py")
    assert [f.code for f in fs] == expected
    if expected:
        assert "padded by pad_sequences then " in fs[0].message and "(line 7)" in fs[0].message
        assert "Masking(0.0) does not mask" in fs[0].fix


# ---- measurements in the installed Keras ------------------------------------------------------------

@pytest.fixture(scope="module")
def keras_mod():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    return keras


def test_measured_text_vectorization_pads_post_with_zero_and_truncates(keras_mod):
    import numpy as np

    tv = keras_mod.layers.TextVectorization(output_sequence_length=4)
    tv.adapt(["the cat sat on the mat", "a dog"])
    out = np.asarray(tv(np.array(["a dog", "the cat sat on the mat"])))
    assert out.shape == (2, 4)
    assert (out[0, :2] > 0).all() and (out[0, 2:] == 0).all()  # post, with 0
    assert (out[1] > 0).all()  # longer texts are truncated to 4 ids


def test_measured_ragged_to_tensor_pads_post(keras_mod):
    import tensorflow as tf

    r = tf.ragged.constant([[3, 4, 5], [6]])
    assert r.to_tensor().numpy().tolist() == [[3, 4, 5], [6, 0, 0]]
    assert r.to_tensor(default_value=-1).numpy().tolist() == [[3, 4, 5], [6, -1, -1]]


def test_measured_one_hot_padding_leaks_into_an_lstm(keras_mod):
    """The same sequence with 2 or 6 padded steps gives different outputs: the pad rows are real input."""
    import numpy as np

    keras = keras_mod
    seq = [[3, 1, 2]]
    a = keras.utils.to_categorical(keras.utils.pad_sequences(seq, maxlen=5, padding="post"), 8)
    b = keras.utils.to_categorical(keras.utils.pad_sequences(seq, maxlen=9, padding="post"), 8)
    assert a[0, 4].tolist() == [1.0] + [0.0] * 7  # a pad step is the one-hot row of id 0, not zeros
    model = keras.Sequential([keras.Input((None, 8)), keras.layers.LSTM(4)])
    assert not np.allclose(model.predict(a, verbose=0), model.predict(b, verbose=0), atol=1e-5)


def test_measured_text_vectorization_padding_leaks_without_mask_zero(keras_mod):
    import numpy as np

    keras = keras_mod
    outs = {}
    for mz in (False, True):
        keras.utils.set_random_seed(1)
        emb = keras.layers.Embedding(20, 4, mask_zero=mz)
        rnn = keras.layers.LSTM(3)
        for n in (3, 7):
            tv = keras.layers.TextVectorization(output_sequence_length=n, vocabulary=["good", "movie"])
            outs[mz, n] = np.asarray(rnn(emb(tv(np.array(["good movie"])))))
    assert not np.allclose(outs[False, 3], outs[False, 7], atol=1e-5)
    assert np.allclose(outs[True, 3], outs[True, 7], atol=1e-5)


def test_package_reexport_and_parallel_workers(tmp_path, monkeypatch):
    """``from textclf import build_model`` through the package's ``__init__.py``; forked workers get the
    index too and find the same."""
    import masklint.runner as runner

    write(tmp_path, {
        "textclf/__init__.py": "from .model import build_model\nfrom .data import load_data as load\n",
        "textclf/data.py": DATA,
        "textclf/model.py": MODEL.replace("{noqa}", ""),
        "run.py": """
            from textclf import build_model, load

            x, _ = load(texts, [])
            build_model(100).fit(x, labels)
        """,
    })
    want = [("model.py", "MK101", 7, "embedding")]
    assert found([tmp_path])[0] == want
    monkeypatch.setattr(runner, "PARALLEL_MIN_FILES", 2)
    assert found([tmp_path], jobs=2)[0] == want


def test_modules_load_lazily_and_once(tmp_path):
    """An import whose names are never used parses nothing; a module used by two files is parsed once."""
    from masklint.frontends.source.modules import ProjectIndex
    from masklint.source_lint import lint_source_file

    sibling_project(tmp_path)
    write(tmp_path, {"src/unused.py": "from data import load_data\nfrom model import build_model\nimport keras\n"})
    files = sorted(str(p) for p in (tmp_path / "src").glob("*.py"))
    idx = ProjectIndex(files, [str(tmp_path)])
    assert lint_source_file(str(tmp_path / "src" / "unused.py"), None, idx) == [] and idx.parses == 0
    assert len(lint_source_file(str(tmp_path / "src" / "train.py"), None, idx)) == 1 and idx.parses == 2
    assert len(lint_source_file(str(tmp_path / "src" / "train.py"), None, idx)) == 1 and idx.parses == 2


def test_a_project_run_imports_no_tensorflow(tmp_path):
    import subprocess
    import sys

    from test_no_tf_import import SCRIPT

    sibling_project(tmp_path)
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, cwd=_root(),
                       timeout=120)
    assert "HEAVY: \n" in r.stdout and "CODE: 1" in r.stdout, r.stdout + r.stderr
