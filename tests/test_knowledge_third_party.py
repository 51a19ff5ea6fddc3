"""Third-party layer knowledge (issue 14): KerasHub / keras_nlp, keras-self-attention, keras-tcn and
TensorFlow Addons layers (``masklint/knowledge/third_party.py``), in saved models and in model code.

Where the behaviour comes from:

* KerasHub 0.32.0 is installed: each behaviour is checked live here (the ``live`` tests skip, with the
  reason, where ``keras_hub`` does not import) and the fixtures in ``tests/fixtures/keras_hub`` are real
  KerasHub models saved by ``make_fixtures.py``; every leak a fixture is linted for is measured by feeding
  one sequence with two amounts of post padding, and every clean fixture is measured invariant.
* keras-self-attention, keras-tcn and TensorFlow Addons do not install here; their behaviour was read from
  their public source (repository and file named at each test) and the one leak claimed for them (keras-tcn
  reading the last step) is measured on the same computation built from Keras layers.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from masklint import lint_file
from masklint.knowledge.third_party import (
    THIRD_PARTY,
    is_embedding,
    third_party_key,
    third_party_spec,
)

HUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras_hub")
with open(os.path.join(HUB, "measured.json"), encoding="utf-8") as _fh:
    MEASURED: dict = json.load(_fh)

pytestmark = pytest.mark.filterwarnings("ignore:Layer .* does not support masking:UserWarning")

LEAK_MIN = 1e-2  # a leak changes the real outputs by more than this
SAME_MAX = 1e-5  # a correct model's real outputs agree within this

#: saved KerasHub models -> the codes masklint reports (empty: correct, and measured so)
SAVED = {
    "hub_encoder_implicit_mask.keras": [],
    "hub_encoder_padding_mask.keras": [],
    "hub_encoder_decoder.keras": [],
    "hub_encoder_no_mask.keras": ["MK101"],
    "hub_encoder_padding_mask_pool_unmasked.keras": ["MK101"],
    "hub_fnet_pooling.keras": ["MK107"],
    "hub_sine_position_add.keras": ["MK104"],
}
#: model code -> (the builder function, the codes and lines masklint reports)
SOURCES = {
    "src_encoder_implicit_mask.py": ("build_classifier", []),
    "src_encoder_padding_mask.py": ("build_intent_model", []),
    "src_fnet_pooling.py": ("create_fnet_classifier", [("MK107", 20)]),
    "src_sine_position_add.py": ("build_encoder", [("MK104", 10)]),
}


def _hub_or_skip():
    try:
        import keras_hub  # noqa: F401
    except Exception as e:  # not installed, or a dependency missing (regex, tokenizers...)
        pytest.skip(f"keras_hub does not import here ({type(e).__name__}: {e}); pip install keras-hub")
    return sys.modules["keras_hub"]


def _lay(class_name, module=None, registered_name=None, **config):
    """A stand-in for an IR layer (what the front ends make)."""
    return SimpleNamespace(class_name=class_name, module=module, registered_name=registered_name, config=config,
                           is_builtin=module is not None and module.startswith("keras."))


def _measure(model, feed, length=7, pads=(2, 9), vocab=60, seed=0) -> float:
    seq = np.random.default_rng(seed).integers(1, vocab, size=length)
    outs = []
    for p in pads:
        x = np.zeros((1, length + p), "int32")
        x[0, :length] = seq
        y = np.asarray(feed(model, x))
        outs.append(y[0] if y.ndim == 2 else y[0, :length])
    return float(np.max(np.abs(outs[0] - outs[1])))


# --------------------------------------------------------------------------------------------------
# 1. matching by package, never by class name alone
# --------------------------------------------------------------------------------------------------
def test_matched_by_package_and_registered_name():
    assert third_party_key("TransformerEncoder", "keras_hub.src.layers.modeling.transformer_encoder",
                           "keras_hub>TransformerEncoder") == "keras_hub>TransformerEncoder"
    # an older keras_nlp save, and model code importing keras_nlp: the same classes
    assert third_party_key("FNetEncoder", "keras_nlp.src.layers.modeling.f_net_encoder",
                           "keras_nlp>FNetEncoder") == "keras_hub>FNetEncoder"
    assert third_party_key("TCN", "tcn.tcn", None) == "tcn>TCN"
    assert third_party_key("SeqSelfAttention", "keras_self_attention.seq_self_attention",
                           None) == "keras_self_attention>SeqSelfAttention"
    # a tf.keras .h5 stores a registered TensorFlow Addons class as "Addons>CRF" (no module)
    assert third_party_key("Addons>CRF", None, None) == "tensorflow_addons>CRF"


@pytest.mark.parametrize("cls,module,reg", [
    ("TransformerEncoder", "__main__", "Custom>TransformerEncoder"),  # keras-io defines its own
    ("TokenAndPositionEmbedding", None, None),  # a legacy .h5 custom class: a bare name
    ("TokenAndPositionEmbedding", "my_project.layers", "my_project>TokenAndPositionEmbedding"),
    ("TransformerEncoder", "keras_hub.src.layers.modeling.transformer_encoder", "keras_hub>TransformerEncoderV2"),
    ("CRF", "keras_contrib.layers.crf", None),  # keras-contrib's CRF is another layer
])
def test_user_classes_of_the_same_name_stay_unknown(cls, module, reg):
    assert third_party_key(cls, module, reg) is None


def test_arguments_decide():
    tpe = "keras_hub>TokenAndPositionEmbedding"
    assert third_party_spec(_lay("TokenAndPositionEmbedding", registered_name=tpe, mask_zero=True)).mask == "create"
    assert third_party_spec(_lay("TokenAndPositionEmbedding", registered_name=tpe)).mask == "drop"
    assert is_embedding(_lay("TokenAndPositionEmbedding", registered_name=tpe))
    assert not is_embedding(_lay("TokenAndPositionEmbedding", module="__main__"))
    # passed in model code but not resolved by masklint (None): undecided
    assert third_party_spec(_lay("TokenAndPositionEmbedding", registered_name=tpe, mask_zero=None)) is None
    tcn = {"registered_name": "tcn>TCN"}
    assert third_party_spec(_lay("TCN", **tcn)).time == "gpool"  # return_sequences=False: one step out
    assert third_party_spec(_lay("TCN", return_sequences=True, **tcn)).time == "step"  # causal
    assert third_party_spec(_lay("TCN", return_sequences=True, padding="same", **tcn)).time == "mix"


# --------------------------------------------------------------------------------------------------
# 2. KerasHub, live: the table agrees with the installed classes
# --------------------------------------------------------------------------------------------------
def test_keras_hub_table_matches_installed_classes():
    """Every KerasHub entry is a class of ``keras_hub.layers`` saved under the registered name the table is
    keyed by; layers the table says drop the mask have ``supports_masking`` False, the others True
    (TokenAndPositionEmbedding and ReversibleEmbedding only with ``mask_zero=True``)."""
    kh = _hub_or_skip()
    import keras

    made = {
        "TokenAndPositionEmbedding": lambda c, mz: c(60, 24, 16, mask_zero=mz),
        "ReversibleEmbedding": lambda c, mz: c(60, 16, mask_zero=mz),
        "TransformerEncoder": lambda c, mz: c(32, 2), "TransformerDecoder": lambda c, mz: c(32, 2),
        "FNetEncoder": lambda c, mz: c(32), "PositionEmbedding": lambda c, mz: c(24),
        "SinePositionEncoding": lambda c, mz: c(), "RotaryEmbedding": lambda c, mz: c(),
        "MaskedLMHead": lambda c, mz: c(vocabulary_size=60), "StartEndPacker": lambda c, mz: c(8),
    }
    keys = sorted(k for k in THIRD_PARTY if k.startswith("keras_hub>"))
    assert sorted(k.split(">")[1] for k in keys) == sorted(made)
    for key in keys:
        name = key.split(">")[1]
        cls = getattr(kh.layers, name)
        assert keras.saving.get_registered_name(cls) == key
        for mz in (False, True):
            layer = made[name](cls, mz)
            spec = third_party_spec(_lay(name, cls.__module__, key, **layer.get_config()))
            assert spec is not None, key
            masks = spec.mask in ("create", "transformer", "propagate")
            assert bool(layer.supports_masking) == masks, (key, mz, spec.mask)


def test_keras_hub_positional_parameters_match_the_installed_signatures():
    """``TokenAndPositionEmbedding(V, L, D)`` in model code names its arguments as the class does."""
    import inspect

    from masklint.knowledge.third_party import THIRD_PARTY_POSITIONAL

    kh = _hub_or_skip()
    for key, names in THIRD_PARTY_POSITIONAL.items():
        if key.startswith("keras_hub>"):
            params = [p for p in inspect.signature(getattr(kh.layers, key.split(">")[1]).__init__).parameters
                      if p != "self"]
            assert tuple(params[:len(names)]) == names, key


def test_keras_hub_start_end_packer_pads_as_the_source_front_end_says():
    """``StartEndPacker`` pads with 0 (no ``pad_value``) at the end, at the start with
    ``padding_side="left"``, and with ``return_padding_mask=True`` returns ``(ids, mask)``."""
    kh = _hub_or_skip()
    packer = kh.layers.StartEndPacker
    assert np.asarray(packer(sequence_length=6)([[5, 6, 7]])).tolist() == [[5, 6, 7, 0, 0, 0]]
    assert np.asarray(packer(sequence_length=6, padding_side="left")([[5, 6, 7]])).tolist() == [[0, 0, 0, 5, 6, 7]]
    assert np.asarray(packer(sequence_length=5, start_value=1, pad_value=9)([[5]])).tolist() == [[1, 5, 9, 9, 9]]
    ids, mask = packer(sequence_length=4, return_padding_mask=True)([[5, 6]])
    assert np.asarray(mask).tolist() == [[True, True, False, False]] and np.asarray(ids).tolist() == [[5, 6, 0, 0]]


# --------------------------------------------------------------------------------------------------
# 3. the KerasHub fixtures: static findings, and the leaks measured
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SAVED))
def test_saved_keras_hub_models(name):
    got = sorted(f.code for f in lint_file(os.path.join(HUB, name)))
    assert got == SAVED[name], [f.message for f in lint_file(os.path.join(HUB, name))]
    # what the generator measured agrees with the finding (re-measured in test_saved_leaks_are_real)
    leak = MEASURED[name]["leak"]
    assert (leak > LEAK_MIN) if SAVED[name] else (leak < SAME_MAX), (name, leak)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_keras_hub_model_code(name):
    findings = lint_file(os.path.join(HUB, name))
    assert sorted((f.code, f.line) for f in findings) == SOURCES[name][1], [f.message for f in findings]


def test_keras_hub_finding_messages():
    (f,) = lint_file(os.path.join(HUB, "hub_encoder_no_mask.keras"))
    assert "TokenAndPositionEmbedding" in f.message and "mask_zero=True" in f.fix
    (f,) = lint_file(os.path.join(HUB, "src_fnet_pooling.py"))
    assert "FNetEncoder" in f.message


def test_saved_leaks_are_real():
    """Each saved fixture, loaded with Keras: post padding changes the outputs of the flagged ones and
    leaves the clean ones unchanged (the encoder-decoder: only the source side is padded). The live model
    gets the findings its saved file gets (``masklint.check``: the live front end leaves KerasHub classes
    to the knowledge table rather than to what the objects' ``supports_masking`` alone says)."""
    _hub_or_skip()
    import keras

    import masklint

    tgt = np.random.default_rng(1).integers(1, 60, size=(1, 5)).astype("int32")
    for name, codes in sorted(SAVED.items()):
        model = keras.models.load_model(os.path.join(HUB, name))
        feed = (lambda m, x: m([x, tgt])) if name == "hub_encoder_decoder.keras" else (lambda m, x: m(x))
        leak = _measure(model, feed)
        assert (leak > LEAK_MIN) if codes else (leak < SAME_MAX), (name, leak)
        assert sorted(f.code for f in masklint.check(model)) == codes, name


def test_explicit_padding_mask_and_the_keras_mask_together():
    """KerasHub logs that an explicit ``padding_mask`` replaces the input's Keras mask, yet the encoder's
    inner ``MultiHeadAttention`` still reads the Keras mask of its inputs: an all-True ``padding_mask`` on a
    masked sequence does not let padding in (measured). Either way a masked input with an explicit mask is
    correct, and masklint says nothing there."""
    kh = _hub_or_skip()
    import keras

    keras.utils.set_random_seed(1)
    ids = keras.Input((None,), dtype="int32")
    x = kh.layers.TokenAndPositionEmbedding(60, 24, 16, mask_zero=True)(ids)
    y = kh.layers.TransformerEncoder(32, 2)(x, padding_mask=keras.ops.ones_like(ids, dtype="bool"))
    assert _measure(keras.Model(ids, y), lambda m, x: m(x)) < SAME_MAX


def _import_source(name):
    spec = importlib.util.spec_from_file_location(f"hub_fixture_{name[:-3]}", os.path.join(HUB, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_source_leaks_are_real(monkeypatch):
    """The model code fixtures, built with Keras (``keras_nlp`` is KerasHub's old name: aliased when absent)."""
    kh = _hub_or_skip()
    if importlib.util.find_spec("keras_nlp") is None:
        monkeypatch.setitem(sys.modules, "keras_nlp", kh)
    import keras

    for name, (builder, codes) in sorted(SOURCES.items()):
        keras.utils.set_random_seed(3)
        model = getattr(_import_source(name), builder)()
        leak = _measure(model, lambda m, x: m(x))
        assert (leak > LEAK_MIN) if codes else (leak < SAME_MAX), (name, leak)


# --------------------------------------------------------------------------------------------------
# 4. StartEndPacker as padding evidence in model code
# --------------------------------------------------------------------------------------------------
PACKED = '''\
import keras
import keras_hub
import numpy as np

packer = keras_hub.layers.StartEndPacker(sequence_length=32, start_value=1, end_value=2{extra})


def load_ids(n=64):
    rng = np.random.default_rng(0)
    return [list(rng.integers(3, 50, size=rng.integers(3, 20))) for _ in range(n)]


def build(vocab=50):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab, 16{mask})(inputs)
    x = keras.layers.LSTM(16)(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


x_train = packer(load_ids())
model = build()
model.fit(x_train, np.zeros(64), epochs=1)
'''


@pytest.mark.parametrize("extra,mask,want", [
    ("", "", [("MK101", 15)]),  # padded by the packer, no mask
    ("", ", mask_zero=True", []),  # correct
    (', padding_side="left"', ", mask_zero=True", [("MK204", 5)]),  # left padding into a cuDNN LSTM
    (", pad_value=3", ", mask_zero=True", [("MK201", 15)]),  # the mask is of id 0, the padding is 3
])
def test_start_end_packer_is_padding_evidence(tmp_path, extra, mask, want):
    p = tmp_path / "packed.py"
    p.write_text(PACKED.format(extra=extra, mask=mask))
    findings = lint_file(str(p))
    assert sorted((f.code, f.line) for f in findings) == want, [f.message for f in findings]
    if want and want[0][0] == "MK101":
        assert "StartEndPacker" in findings[0].message


MAPPED = '''\
import keras
import keras_hub
import tensorflow as tf

tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=["[PAD]", "[UNK]", "good", "bad"])
packer = keras_hub.layers.StartEndPacker(sequence_length=32)


def preprocess(text, label):
    return packer(tokenizer(text)), label


def build(vocab=4):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab, 16{mask})(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


train_ds = tf.data.Dataset.from_tensor_slices((["good", "bad bad"], [1, 0])).batch(2).map(preprocess)
model = build()
model.fit(train_ds, epochs=1)
'''


def test_start_end_packer_in_a_dataset_map(tmp_path):
    """The keras-io pattern: the packer runs in ``tf.data`` ``map``; its padding reaches the model ``fit``
    is called on."""
    p = tmp_path / "mapped.py"
    p.write_text(MAPPED.format(mask=""))
    assert [(f.code, f.line) for f in lint_file(str(p))] == [("MK101", 15)]
    p.write_text(MAPPED.format(mask=", mask_zero=True"))
    assert lint_file(str(p)) == []


# --------------------------------------------------------------------------------------------------
# 5. packages that do not install here: read from their source
# --------------------------------------------------------------------------------------------------
SELF_ATTENTION = '''\
import keras
from keras import layers
from keras_self_attention import SeqSelfAttention, SeqWeightedAttention


def build_tagger(vocab=100, tags=5):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab, 32{mask})(inputs)
    x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(x)
    x = SeqSelfAttention(attention_activation="sigmoid")(x)
    tags_out = layers.Dense(tags)(x)
    doc = SeqWeightedAttention()(x)
    return keras.Model(inputs, [tags_out, layers.Dense(1)(doc)])
'''


def test_keras_self_attention(tmp_path):
    """Read from CyberZHG/keras-self-attention, ``keras_self_attention/seq_self_attention.py``:
    ``supports_masking = True``; ``call(inputs, mask)`` multiplies the attention energies by the mask along
    both the query and the key axis (a real query never weighs a padded key), ``compute_mask`` returns the
    input mask. ``keras_self_attention/seq_weighted_attention.py``: the weights are multiplied by the mask
    before normalising over time, ``compute_mask`` returns None (it pools)."""
    p = tmp_path / "tagger.py"
    p.write_text(SELF_ATTENTION.format(mask=", mask_zero=True"))
    assert lint_file(str(p)) == []  # the mask reaches both and the tag output keeps it
    p.write_text(SELF_ATTENTION.format(mask=""))
    got = lint_file(str(p))
    assert {f.code for f in got} == {"MK101"}, [f.message for f in got]


TCN_CODE = '''\
import keras
from keras import layers
from tcn import TCN


def build(vocab=100):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab, 32, mask_zero=True)(inputs)
    x = TCN(64, 3{args})(x)
    return keras.Model(inputs, layers.Dense(1)(x))
'''


def test_keras_tcn(tmp_path):
    """Read from philipperemy/keras-tcn, ``tcn/tcn.py``: ``TCN`` sets no ``supports_masking`` and its
    ``call`` takes no mask; with ``return_sequences=False`` (the default) it returns
    ``Lambda(lambda tt: tt[:, -1, :])`` of the causal stack (the middle step with ``padding="same"``), a
    padded step under post padding. Measured below on the same computation built from Keras layers: a
    causal Conv1D and the last step."""
    p = tmp_path / "tcn_model.py"
    p.write_text(TCN_CODE.format(args=""))
    assert [f.code for f in lint_file(str(p))] == ["MK107"]
    p.write_text(TCN_CODE.format(args=", return_sequences=True"))  # causal: a real step sees no later step
    assert "MK107" not in [f.code for f in lint_file(str(p))]
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(60, 8, mask_zero=True)(inputs)
    x = layers.Conv1D(8, 3, padding="causal", dilation_rate=2)(x)
    model = keras.Model(inputs, layers.Lambda(lambda t: t[:, -1, :])(x))
    assert _measure(model, lambda m, x: m(x)) > LEAK_MIN


CRF_CODE = '''\
import tensorflow as tf
import tensorflow_addons as tfa


def build_ner(vocab=100, tags=7):
    words = tf.keras.Input(shape=(None,), dtype="int32")
    x = tf.keras.layers.Embedding(vocab, 32, mask_zero=True)(words)
    x = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(32, return_sequences=True))(x)
    decoded, potentials, lengths, kernel = tfa.layers.CRF(tags)(x)
    return tf.keras.Model(words, potentials)
'''


def test_tensorflow_addons_crf(tmp_path):
    """Read from tensorflow/addons, ``tensorflow_addons/layers/crf.py``: ``call(inputs, mask)`` turns the
    mask into sequence lengths (right padding; left padding raises only when run eagerly) and
    ``compute_mask`` returns the mask; ``seq2seq/attention_wrapper.py``: an attention mechanism masks its
    memory with the memory's Keras mask or ``memory_sequence_length`` and returns no mask."""
    p = tmp_path / "ner.py"
    p.write_text(CRF_CODE)
    assert lint_file(str(p)) == []
    spec = third_party_spec(_lay("Addons>CRF"))
    assert (spec.mask, spec.consumer) == ("propagate", True)
    spec = third_party_spec(_lay("LuongAttention", "tensorflow_addons.seq2seq.attention_wrapper"))
    assert (spec.mask, spec.consumer) == ("consume", True)


def test_a_keras_io_style_user_transformer_stays_custom(tmp_path):
    """keras-io's own ``TransformerBlock``/``TokenAndPositionEmbedding`` classes are user layers, never
    KerasHub's: the table does not apply to them."""
    p = tmp_path / "own.py"
    p.write_text('''\
import keras
from keras import layers


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = keras.ops.arange(0, keras.ops.shape(x)[-1])
        return self.token_emb(x) + self.pos_emb(positions)


def build(maxlen=40, vocab=100):
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    x = TokenAndPositionEmbedding(maxlen, vocab, 32)(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(1)(x))
''')
    assert lint_file(str(p)) == []  # followed as the user's own layer (no mask, fixed length: nothing to say)


def test_every_tf_keras_layer_is_in_the_table():
    """tf_keras (TensorFlow 2 Keras) exports two layer classes Keras 3 does not: ``DenseFeatures`` (feature
    columns, no sequence) and ``AbstractRNNCell`` (a base class); with them every exported class is known."""
    import inspect

    from masklint.knowledge import lookup

    tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (TensorFlow 2 Keras) is not installed")
    missing = [n for n, c in vars(tf_keras.layers).items()
               if inspect.isclass(c) and issubclass(c, tf_keras.layers.Layer) and lookup(n) is None]
    assert not missing
    assert lookup("DenseFeatures").mask == "drop" and lookup("AbstractRNNCell").mask == "na"
