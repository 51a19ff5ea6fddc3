"""The source pre-filter (masklint/frontends/source/prefilter.py): files that cannot give a finding skip
libcst, and no finding is lost. Every source in the repository (examples, the rule documents' code
blocks, the fuzz regressions, the Keras sources embedded in the tests, a slice of the benchmark's
generated corpus) lints to the same findings and errors with and without the filter; the decision
itself is checked on library-style files (skipped) and model/data files (parsed)."""
from __future__ import annotations

import ast
import glob
import os
import re
import subprocess
import sys
import textwrap
import warnings

import pytest

from conftest import ROOT
from masklint.errors import LintError
from masklint.frontends.source import parse_guard, prefilter
from masklint.source_lint import lint_source_text


def _result(raw: bytes, path: str):
    try:
        return sorted((f.code, f.line, f.column, f.message) for f in lint_source_text(raw, path))
    except LintError as exc:
        return ("error", str(exc))


def _both(raw: bytes, path: str = "m.py"):
    old = prefilter.ENABLED
    try:
        prefilter.ENABLED = False
        without = _result(raw, path)
        prefilter.ENABLED = True
        with_ = _result(raw, path)
    finally:
        prefilter.ENABLED = old
    return without, with_


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _embedded_sources() -> list[tuple[str, str]]:
    """Keras source written inside the test modules (string constants that mention keras and parse)."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "test_*.py"))):
        if os.path.basename(path) == "test_prefilter.py":
            continue
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "keras" in node.value \
                    and "\n" in node.value.strip():
                text = textwrap.dedent(node.value)
                if _parses(text):
                    out.append((f"{os.path.basename(path)}:{node.lineno}", text))
    return out


def _doc_blocks() -> list[tuple[str, str]]:
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "rules", "MK*.md"))):
        with open(path, encoding="utf-8") as fh:
            doc = fh.read()
        for i, m in enumerate(re.finditer(r"```python[^\n]*\n(.*?)```", doc, re.S)):
            out.append((f"{os.path.basename(path)}#{i}", m.group(1)))
    return out


def _repo_files() -> list[tuple[str, str]]:
    paths = sorted(glob.glob(os.path.join(ROOT, "examples", "**", "*.py"), recursive=True))
    paths += sorted(glob.glob(os.path.join(ROOT, "fuzz", "regressions", "*.py.txt")))
    out = []
    for p in paths:
        with open(p, "rb") as fh:
            out.append((os.path.relpath(p, ROOT), fh.read().decode("utf-8", "surrogatepass")))
    return out


def test_the_corpus_is_not_empty():
    embedded, docs = _embedded_sources(), _doc_blocks()
    assert len(embedded) > 50 and len(docs) > 30
    assert sum(bool(_both(t.encode("utf-8", "surrogatepass"))[0]) for _, t in embedded[:40]) > 10


@pytest.mark.parametrize("kind", ["repo_files", "doc_blocks", "embedded"])
def test_same_findings_with_and_without_the_prefilter(kind):
    sources = {"repo_files": _repo_files, "doc_blocks": _doc_blocks, "embedded": _embedded_sources}[kind]()
    differ = []
    for name, text in sources:
        without, with_ = _both(text.encode("utf-8", "surrogatepass"), "src.py")
        if without != with_:
            differ.append((name, without, with_))
    assert not differ, differ[:3]


def test_generated_model_scripts_keep_their_findings(tmp_path):
    """A slice of the benchmark's generated model scripts (half carry a planted mistake)."""
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "source_corpus", "make_corpus.py"), str(tmp_path),
                    "--n", "40"], check=True, capture_output=True, timeout=60)
    found = 0
    for p in sorted(tmp_path.glob("*.py")):
        without, with_ = _both(p.read_bytes(), str(p))
        assert without == with_, p.name
        found += bool(without)
    assert found >= 10


# ---- the decision on realistic files

LAYER_FILE = '''
"""A learned position embedding, in the style of a model-zoo library."""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding of each position to its input.

    Use it after a token embedding, inside a `keras.Model` built from a
    `keras.Input(shape=(None,))`; call `model.fit(x)` as usual.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, inputs_shape):
        feature_size = inputs_shape[-1]
        self.position_embeddings = self.add_weight(
            name="embeddings", shape=[self.sequence_length, feature_size], initializer=self.initializer)
        super().build(inputs_shape)

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        positions = ops.slice(self.position_embeddings, (start_index, 0), (shape[-2], shape[-1]))
        return ops.broadcast_to(positions, shape)

    def get_config(self):
        config = super().get_config()
        config.update({"sequence_length": self.sequence_length,
                       "initializer": keras.initializers.serialize(self.initializer)})
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
'''

TEST_FILE = '''
import numpy as np
from keras import ops
from keras import random

from zoo.layers.position_embedding import PositionEmbedding
from zoo.tests.test_case import TestCase


class PositionEmbeddingTest(TestCase):
    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=PositionEmbedding,
            init_kwargs={"sequence_length": 21},
            input_data=random.uniform(shape=(4, 21, 30)),
            expected_output_shape=(4, 21, 30),
            expected_num_trainable_weights=1,
        )

    def test_start_index(self):
        layer = PositionEmbedding(sequence_length=8)
        data = random.uniform(shape=(2, 8, 16))
        full = layer(data)
        part = layer(data[:, 3:], start_index=3)
        self.assertAllClose(full[:, 3:], part)  # noqa: E501

    def test_config_round_trip(self):
        layer = PositionEmbedding(sequence_length=5, name="pos")
        clone = PositionEmbedding.from_config(layer.get_config())
        self.assertEqual(np.asarray(ops.shape(clone(np.zeros((1, 5, 3))))).tolist(), [1, 5, 3])
'''

UTILS_FILE = '''
"""Tensor helpers shared by the tokenizers and layers (no model here)."""
import contextlib

import keras
from keras import ops

try:
    import tensorflow as tf
except ImportError:
    tf = None


def is_tensor_type(x):
    return hasattr(x, "__array__") or (tf is not None and isinstance(x, tf.Tensor))


def convert_to_ragged_batch(inputs):
    """Batch a list of id lists; see `Tokenizer` and `pad_sequences` for padding."""
    unbatched = inputs.shape.rank == 1
    if unbatched:
        inputs = tf.expand_dims(inputs, 0)
    return inputs, unbatched


@contextlib.contextmanager
def no_convert_scope():
    yield


def assert_tf_backend(symbol_name):
    if keras.config.backend() != "tensorflow":
        raise RuntimeError(f"{symbol_name} needs the TensorFlow backend")  # Model/Input only on TF


def any_equal(inputs, values, padding_mask):
    output = ops.equal(inputs, values[0])
    for value in values[1:]:
        output = ops.logical_or(output, ops.equal(inputs, value))
    return ops.logical_and(output, padding_mask)
'''

MODEL_FILE = '''
import keras
from keras import layers


def build_classifier(vocab_size, units=64):
    ids = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, units, mask_zero=True)(ids)
    x = layers.LSTM(units)(x)
    return keras.Model(ids, layers.Dense(1, activation="sigmoid")(x))
'''

DATA_FILE = '''
import numpy as np
from tensorflow.keras.preprocessing.sequence import pad_sequences


def load(path, maxlen=200):
    with np.load(path, allow_pickle=True) as data:
        x_train, y_train = data["x_train"], data["y_train"]
    return pad_sequences(x_train, maxlen=maxlen, padding="post"), y_train
'''

TRAIN_FILE = '''
from tensorflow import keras

from project.models import build_classifier
from project.data import load

x, y = load("imdb.npz")
model = build_classifier(20000)
model.compile("adam", "binary_crossentropy")
model.fit(x, y, epochs=3)
'''

SUBCLASS_FILE = '''
import tensorflow as tf

L = tf.keras.layers


class Tagger(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.emb = L.Embedding(1000, 32, mask_zero=True)
        self.rnn = L.GRU(32, return_sequences=True)

    def call(self, x):
        return self.rnn(self.emb(x))
'''

ALIASED_FILE = '''
from keras.models import Sequential as S
from keras.layers import Embedding, LSTM

net = S([Embedding(100, 8), LSTM(4)])
'''

TOKENIZER_FILE = '''
from keras.preprocessing.text import Tokenizer

tok = Tokenizer()
tok.fit_on_texts(["a b", "b c"])
VOCAB = len(tok.word_index)
'''


def _decide(text: str) -> bool:
    text = textwrap.dedent(text)
    return prefilter.needs_parse(ast.parse(text), text)


@pytest.mark.parametrize("text", [LAYER_FILE, TEST_FILE, UTILS_FILE], ids=["layer", "test", "utils"])
def test_library_files_are_not_parsed(text):
    assert not _decide(text)


@pytest.mark.parametrize("text", [MODEL_FILE, DATA_FILE, TRAIN_FILE, SUBCLASS_FILE, ALIASED_FILE, TOKENIZER_FILE],
                         ids=["model", "data", "train", "subclass", "aliased_import", "tokenizer"])
def test_model_and_data_files_are_parsed(text):
    assert _decide(text)


def test_trigger_words_in_strings_and_comments_do_not_count():
    assert not _decide('import keras\n"""keras.Sequential, keras.Model, pad_sequences"""\nx = 1  # model.fit(x)\n')
    assert _decide("import keras\nbuild = keras.Sequential\n")  # a mention, not a call: parsed
    assert _decide("import keras as K\nm = K.models.Functional(i, o)\n")


def test_a_skipped_file_never_reaches_libcst(monkeypatch):
    def boom(text):
        raise AssertionError("libcst parsed a file the pre-filter rules out")

    monkeypatch.setattr(parse_guard, "_parse", boom)
    monkeypatch.setattr(prefilter, "ENABLED", True)
    for text in (LAYER_FILE, TEST_FILE, UTILS_FILE):
        assert lint_source_text(text.encode(), "lib.py") == []
    with pytest.raises(AssertionError):
        lint_source_text(MODEL_FILE.encode(), "model.py")


def test_unused_noqa_in_a_skipped_file_is_still_reported():
    text = LAYER_FILE.replace("return input_shape", "return input_shape  # noqa: MK104")
    assert not _decide(text)
    without, with_ = _both(text.encode(), "lib.py")
    assert without == with_ and [f[0] for f in with_] == ["MK002"]


def test_errors_are_unchanged_for_skipped_files():
    """Nesting libcst cannot take is still refused, and syntax errors still reported, in a file that
    would be skipped (the depth check runs before the pre-filter)."""
    deep = "import keras\nx = " + " and ".join(["a"] * 2000) + "\n"
    assert _both(deep.encode()) == (("error", _result(deep.encode(), "m.py")[1]),) * 2
    assert "nested too deeply" in _result(deep.encode(), "m.py")[1]
    broken = "import keras\ndef f(:\n    pass\n"
    assert _both(broken.encode())[1][0] == "error"


def test_the_switch(monkeypatch):
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert prefilter.keep(ast.parse(UTILS_FILE), UTILS_FILE)
    monkeypatch.setattr(prefilter, "ENABLED", True)
    assert not prefilter.keep(ast.parse(UTILS_FILE), UTILS_FILE)
    code = "from masklint.frontends.source import prefilter; print(prefilter.ENABLED)"
    env = dict(os.environ, MASKLINT_NO_PREFILTER="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_every_trigger_is_explained():
    assert all(isinstance(why, str) and why for why in prefilter.TRIGGERS.values())
    assert all(name.isidentifier() for name in prefilter.TRIGGERS)
