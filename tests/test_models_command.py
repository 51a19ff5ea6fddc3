"""``masklint models PATH...``: what masklint understood of each file (shared/spec/cli.md), run as the
real CLI in a subprocess on realistic sources and on models saved by the installed Keras."""
import json
import os
import re
import textwrap
import warnings

import pytest
from conftest import KERAS2_DIR, ROOT, run_cli

jsonschema = pytest.importorskip("jsonschema")

SEQUENTIAL = '''\
"""Sentiment classifier on padded review sequences."""
import keras
from keras import layers

VOCAB_SIZE = 20000
EMBED_DIM = 128


def build_classifier(units=64):
    model = keras.Sequential([
        layers.Embedding(VOCAB_SIZE, EMBED_DIM, mask_zero=True),
        layers.LSTM(units),
        layers.Dropout(0.3),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model
'''

# an argument masklint cannot compute (return_sequences from a parameter) and a custom layer
FUNCTIONAL = '''\
from tensorflow import keras
from tensorflow.keras import layers


class AttentionPool(layers.Layer):
    def build(self, input_shape):
        self.score = self.add_weight(shape=(input_shape[-1], 1), name="score")

    def call(self, x):
        w = keras.ops.softmax(keras.ops.matmul(x, self.score), axis=1)
        return keras.ops.sum(w * x, axis=1)


def build_tagger(num_tags, seq_out):
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(8000, 96, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.LSTM(48, return_sequences=seq_out))(x)
    x = AttentionPool()(x)
    x = x * 0.5
    out = layers.Dense(num_tags, activation="softmax")(x)
    return keras.Model(inputs=tokens, outputs=out)
'''

SUBCLASS = '''\
import keras
from keras import layers


class IntentModel(keras.Model):
    def __init__(self, vocab_size, num_intents):
        super().__init__()
        self.embed = layers.Embedding(vocab_size, 64, mask_zero=True)
        self.encoder = layers.GRU(64)
        self.classify = layers.Dense(num_intents, activation="softmax")

    def call(self, inputs):
        x = self.embed(inputs)
        x = self.encoder(x)
        return self.classify(x)


model = IntentModel(12000, 7)
'''

LIBRARY = '''\
"""Training helpers shared by the experiment scripts."""
import random

import numpy as np
import tensorflow as tf


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
'''

LOADS = '''\
import numpy as np
from tensorflow import keras

model = keras.models.load_model("artifacts/intent_clf.keras")
print(model.predict(np.zeros((1, 20), dtype="int32")))
'''

LAYERS_ONLY = '''\
import keras


class PositionalEmbedding(keras.layers.Layer):
    def __init__(self, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.positions = keras.layers.Embedding(max_len, dim)

    def call(self, x):
        idx = keras.ops.arange(keras.ops.shape(x)[1])
        return x + self.positions(idx)
'''

PLAIN = "def mean(xs):\n    return sum(xs) / len(xs)\n"
SKIPPED = "# masklint: skip-file\nimport keras\n\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
BROKEN = "import keras\n\ndef build(:\n    return keras.Sequential()\n"

UNKNOWN = {"type": "object", "additionalProperties": False, "required": ["what", "line", "cell", "why"],
           "properties": {"what": {"type": "string", "minLength": 1},
                          "line": {"type": ["integer", "null"], "minimum": 1},
                          "cell": {"type": ["integer", "null"], "minimum": 1},  # notebooks only
                          "why": {"type": "string", "minLength": 1}}}
MODEL = {"type": "object", "required": ["name", "kind", "line", "cell", "layers", "unknown"],
         "properties": {"name": {"type": "string", "minLength": 1},
                        "kind": {"enum": ["sequential", "functional", "subclass", "custom layer", "saved"]},
                        "line": {"type": ["integer", "null"], "minimum": 1},
                        "cell": {"type": ["integer", "null"], "minimum": 1},
                        "layers": {"type": "integer", "minimum": 0},
                        "ops": {"type": "integer", "minimum": 0},
                        "unknown": {"type": "array", "items": UNKNOWN}}}
SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["path", "models", "skipped"],
    "properties": {"path": {"type": "string"}, "models": {"type": "array", "items": MODEL},
                   "skipped": {"type": ["string", "null"]}, "error": {"type": "boolean"}},
    # a file lists models, or says why it has none
    "if": {"properties": {"models": {"maxItems": 0}}}, "then": {"properties": {"skipped": {"type": "string"}}},
    "else": {"properties": {"skipped": {"type": "null"}}}}}


@pytest.fixture
def project(tmp_path):
    for name, text in [("train_sentiment.py", SEQUENTIAL), ("tagger.py", FUNCTIONAL), ("intent.py", SUBCLASS),
                       ("utils.py", LIBRARY), ("serve.py", LOADS), ("custom_layers.py", LAYERS_ONLY),
                       ("stats.py", PLAIN), ("generated.py", SKIPPED),
                       ("intent_lib.py", SUBCLASS.replace("\n\nmodel = IntentModel(12000, 7)\n", "\n"))]:
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    with warnings.catch_warnings():
        yield _save(tmp_path_factory)


def _save(tmp_path_factory):
    """A functional model with a registered custom layer, saved by the installed Keras as .keras and .h5."""
    keras = pytest.importorskip("keras")
    from keras import layers

    @keras.saving.register_keras_serializable(package="textkit")
    class MeanOverTime(layers.Layer):
        def call(self, x, mask=None):
            return keras.ops.mean(x, axis=1)

    keras.backend.clear_session()
    warnings.simplefilter("ignore")  # Keras warns that the custom layer drops the mask: that is the point
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(1000, 16, mask_zero=True, name="embed")(tokens)
    x = layers.LSTM(8, return_sequences=True, name="encoder")(x)
    x = MeanOverTime(name="pool")(x)
    out = layers.Dense(2, activation="softmax", name="head")(x)
    model = keras.Model(tokens, out, name="intent_clf")
    d = tmp_path_factory.mktemp("saved")
    model.save(d / "intent_clf.keras")
    model.save(d / "intent_clf.h5")
    return d


def _json(*args, cwd):
    r = run_cli("models", "--format", "json", *args, cwd=cwd)
    data = json.loads(r.stdout)
    jsonschema.validate(data, SCHEMA)
    return r, {f["path"]: f for f in data}


def test_source_files_json(project):
    r, files = _json(".", cwd=project)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "stats.py" not in files  # never mentions Keras: not listed, as linting skips it

    [seq] = files["train_sentiment.py"]["models"]
    assert (seq["kind"], seq["line"], seq["layers"], seq["unknown"]) == ("sequential", 10, 4, [])

    [fn] = [m for m in files["tagger.py"]["models"] if m["kind"] != "custom layer"]
    assert fn["kind"] == "functional" and fn["layers"] == 4 and fn["ops"] == 1  # Embedding, Bidirectional (its LSTM inside), AttentionPool, Dense; x * 0.5 an op
    assert fn["line"] == 21  # the keras.Model(...) call
    unknown = {u["line"]: u for u in fn["unknown"]}
    assert unknown[17]["what"] == "layers.LSTM(48, return_sequences=seq_out)"
    assert "mask behaviour" in unknown[17]["why"]
    # the custom layer: an unknown part, or (once custom layers are followed) a model of its own
    assert 18 in unknown or any(m["kind"] == "custom layer" for m in files["tagger.py"]["models"])

    sub = [m for m in files["intent.py"]["models"] if m["kind"] != "custom layer"]
    assert len(sub) == 1 and sub[0]["layers"] == 3 and sub[0]["unknown"] == []
    assert sub[0]["kind"] in ("subclass", "functional")  # "subclass" once the front end names the kind
    assert sub[0]["line"] in (5, 18)  # the instantiation (or the class, once the front end records it)

    assert files["utils.py"]["skipped"] == "only imports Keras/TensorFlow; builds no model"
    assert "load_model" in files["serve.py"]["skipped"]
    assert files["custom_layers.py"]["models"] or "PositionalEmbedding" in files["custom_layers.py"]["skipped"]
    assert files["generated.py"]["skipped"] == "skipped by '# masklint: skip-file'"
    lib = files["intent_lib.py"]
    assert lib["models"] or lib["skipped"] == "defines Model subclass IntentModel but never builds one"
    assert not any(f["error"] for f in files.values())


def test_source_files_text(project):
    r = run_cli("models", ".", cwd=project)
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    seq = next(ln for ln in lines if ln.startswith("train_sentiment.py"))
    assert re.fullmatch(r"train_sentiment\.py:10: sequential \S+ \(4 layers\)", seq)
    i = next(i for i, ln in enumerate(lines) if ln.startswith("tagger.py:21"))
    assert re.fullmatch(r"tagger\.py:21: functional \S+ \(4 layers, 1 op\)", lines[i])
    assert ("    unknown: layers.LSTM(48, return_sequences=seq_out) (line 17): an argument that decides its mask "
            "behaviour is not a value masklint can compute statically") in lines
    assert "utils.py: no model: only imports Keras/TensorFlow; builds no model" in lines
    assert not any(ln.startswith("stats.py") for ln in lines)
    assert re.fullmatch(r"Found \d+ models in \d+ files; 8 files listed, \d without a model\.", lines[-1])


def test_syntax_error_is_one_line_and_exit_2(project):
    (project / "broken.py").write_text(BROKEN)
    r = run_cli("models", "broken.py", "train_sentiment.py", cwd=project)
    assert r.returncode == 2
    err = r.stderr.splitlines()
    assert len(err) == 1 and err[0].startswith("masklint: error: broken.py: syntax error at line "), r.stderr
    assert "train_sentiment.py:10: sequential" in r.stdout  # the other file is still listed
    assert r.stdout.splitlines()[-1].endswith("1 file listed, 0 without a model, 1 could not be read.")
    r, files = _json("broken.py", "missing.py", cwd=project)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 2
    assert files["broken.py"]["error"] and files["broken.py"]["skipped"].startswith("syntax error")
    assert files["missing.py"]["error"] and files["missing.py"]["models"] == []


def test_saved_keras_and_h5(saved):
    r, files = _json("intent_clf.keras", "intent_clf.h5", cwd=saved)
    assert r.returncode == 0, r.stderr
    for name in ("intent_clf.keras", "intent_clf.h5"):
        [m] = files[name]["models"]
        # Embedding, LSTM, the custom layer, Dense; the mask's NotEqual Keras records is not an op of the user
        assert (m["name"], m["kind"], m["line"], m["layers"], m["ops"]) == ("intent_clf", "saved", None, 4, 0)
        [u] = m["unknown"]
        assert u["what"].startswith("pool (") and "MeanOverTime" in u["what"] and u["line"] is None
        assert "custom" in u["why"]
    text = run_cli("models", "intent_clf.keras", cwd=saved).stdout.splitlines()
    assert text[0] == "intent_clf.keras: saved intent_clf (4 layers)"
    assert text[1].startswith("    unknown: pool (MeanOverTime): custom or third-party class")


def test_saved_unknown_silenced_by_known_mask_layers(saved, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.masklint.known-mask-layers]\n"textkit>MeanOverTime" = "consume"\n')
    r = run_cli("models", "--format", "json", "--config", str(tmp_path / "pyproject.toml"),
                str(saved / "intent_clf.keras"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["models"][0]["unknown"] == []


def test_keras2_fixtures_and_examples():
    r, files = _json(KERAS2_DIR, os.path.join(KERAS2_DIR, "k2_fn_emb_bilstm_gap.json"),
                     os.path.join("examples", "models", "fixed_ex3_mask_zero.keras"), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    h5 = {p: f for p, f in files.items() if p.endswith(".h5")}
    assert len(h5) >= 10 and all(f["models"][0]["kind"] == "saved" and not f["models"][0]["unknown"]
                                 for f in h5.values())
    [m] = files[os.path.join("examples", "models", "fixed_ex3_mask_zero.keras")]["models"]
    assert (m["kind"], m["layers"]) == ("saved", 3)


def test_configured_excludes_apply(project):
    (project / "pyproject.toml").write_text('[tool.masklint]\nexclude = ["tagger.py"]\n')
    r, files = _json(".", cwd=project)
    assert r.returncode == 0 and "tagger.py" not in files and "train_sentiment.py" in files


def test_malformed_model_file(tmp_path):
    (tmp_path / "weights.keras").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:00\n")
    r = run_cli("models", "weights.keras", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("masklint: error: weights.keras: ")
    assert r.stdout.splitlines() == ["No models; 0 files listed, 0 without a model, 1 could not be read."]


def test_help_mentions_models():
    assert "masklint models PATH" in run_cli("--help").stdout
    r = run_cli("models", "--help")
    assert r.returncode == 0 and "--format" in r.stdout and "could not follow" in r.stdout


def test_directory_named_models_still_lints_with_a_path_prefix(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "clf.py").write_text(SEQUENTIAL)
    lint = run_cli("./models", cwd=tmp_path)
    assert lint.returncode == 0 and "checked" in lint.stdout
    listed = run_cli("models", "models", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.startswith("models/clf.py:10: sequential")


def test_builder_called_with_arguments_is_one_model(tmp_path):
    """A builder is followed on its own (parameters unknown) and at its call: one model, as understood
    at the call (return_sequences known there); a library file with no model says so."""
    (tmp_path / "tagger.py").write_text(FUNCTIONAL + "\n\nmodel = build_tagger(12, seq_out=False)\n")
    r, files = _json("tagger.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    models = [m for m in files["tagger.py"]["models"] if m["kind"] != "custom layer"]
    assert len(models) == 1
    assert not any("LSTM" in u["what"] for u in models[0]["unknown"])


def test_not_utf8_is_an_error(tmp_path):
    (tmp_path / "legacy.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport keras\nname = 'caf\xe9'\n")
    r = run_cli("models", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "masklint: error: legacy.py: is not UTF-8 text\n"


def test_standard_input_is_refused_in_one_line(tmp_path):
    r = run_cli("models", "-", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "standard input" in r.stderr


def test_two_models_from_one_helper_are_two(tmp_path):
    (tmp_path / "encoders.py").write_text(
        "import keras\nfrom keras import layers\n\n\n"
        "def encoder_layers(units):\n"
        "    return [layers.Embedding(1000, 32, mask_zero=True), layers.LSTM(units)]\n\n\n"
        "small = keras.Sequential(encoder_layers(16))\nlarge = keras.Sequential(encoder_layers(64))\n")
    r, files = _json("encoders.py", cwd=tmp_path)
    assert [(m["line"], m["layers"]) for m in files["encoders.py"]["models"]] == [(9, 2), (10, 2)]
