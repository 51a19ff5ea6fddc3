"""Custom ``Layer`` subclasses in source: their ``call`` followed with the sublayers built in
``__init__``, their mask declarations (``supports_masking``, ``compute_mask``, a ``mask`` argument), and
the findings inside them. Every leak claimed is measured with the installed Keras on the fixture itself
(``test_measured``: the same sequence without padding and with 4 padding steps)."""
import re
import textwrap

import pytest

from masklint.frontends.source import parse
from masklint.frontends.source.interpreter import Extractor
from masklint.source_lint import lint_source_text

HEADER = """\
import keras
from keras import layers, ops
"""

TOKPOS = """
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim{mz})
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        length = ops.shape(x)[-1]
        positions = self.pos_emb(ops.arange(0, length))
        return self.token_emb(x) + positions
{cm}"""

COMPUTE_MASK = """
    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)
"""

BLOCK = """
class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate){sm}

    def call(self, inputs, training=False):
        attn = self.drop1(self.att(inputs, inputs), training=training)
        out1 = self.norm1(inputs + attn)
        ffn_out = self.drop2(self.ffn(out1), training=training)
        return self.norm2(out1 + ffn_out)
"""

SM = "\n        self.supports_masking = True"

IDS_MODEL = """
def build_model(maxlen=12, vocab_size=50, embed_dim=8):
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    {body}
    return keras.Model(inputs, layers.Dense(1)(x))


def train(texts_ids, labels):
    x = keras.utils.pad_sequences(texts_ids, maxlen=12, padding="post")
    model = build_model()
    model.compile("adam", "binary_crossentropy")
    model.fit(x, labels, epochs=1)
"""

SEQ_MODEL = """
def build_model(steps=None, features=2):
    inputs = keras.Input(shape=(steps, features))
    x = layers.Masking(mask_value=0.0)(inputs)
    {body}
    return keras.Model(inputs, layers.Dense(1)(x))
"""


def ids_case(body, tokpos_mz="", tokpos_cm="", block_sm=""):
    return (HEADER + TOKPOS.format(mz=tokpos_mz, cm=tokpos_cm) + BLOCK.format(sm=block_sm)
            + IDS_MODEL.format(body=body))


TIMES_TWO = """
class TimesTwo(layers.Layer):{sm}
    def call(self, x):
        return x * 2.0
"""

MASKED_MEAN = """
class MaskedMean(layers.Layer):
    def call(self, x, mask=None):
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        total = ops.sum(x * weights, axis=1)
        return total / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, x, mask=None):
        return None
"""

RELU_POOL = """
class ReluPool(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pool = layers.GlobalAveragePooling1D()

    def call(self, x, mask=None):
        return self.pool(ops.relu(x){arg})
"""

RESIDUAL = """
class Residual(layers.Wrapper):
    def call(self, inputs):
        return inputs + self.layer(inputs)
"""

IDENTITY = """
class Tag(layers.Layer):
    def call(self, x):
        return x
"""

BASE_SUPPORTS = """
class MaskAware(layers.Layer):
    supports_masking = True


class Scale(MaskAware):
    def call(self, x):
        return x * 0.5
"""

OPAQUE = """
class Mystery(layers.Layer):{sm}
    def call(self, x):
        return self.transform(x)  # a method of a base class masklint does not see
"""

#: name -> (source, findings as (code, layer, consumer); measured difference is > 0 iff a leak is claimed)
CASES = {
    "tokpos_without_mask_zero": (
        ids_case("x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)\n"
                 "    x = TransformerBlock(embed_dim, 2, 16, name='encoder')(x)\n"
                 "    x = layers.GlobalAveragePooling1D()(x)"),
        {("MK101", "token_and_position_embedding/embedding", "encoder/multi_head_attention")}),
    "tokpos_mask_zero_dropped_by_add": (
        ids_case("x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)\n"
                 "    x = TransformerBlock(embed_dim, 2, 16, name='encoder')(x)\n"
                 "    x = layers.GlobalAveragePooling1D()(x)", tokpos_mz=", mask_zero=True", block_sm=SM),
        {("MK104", "token_and_position_embedding/add", "encoder/multi_head_attention")}),
    "block_without_mask_support": (
        ids_case("x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)\n"
                 "    x = TransformerBlock(embed_dim, 2, 16)(x)\n"
                 "    x = layers.GlobalAveragePooling1D()(x)"),
        {("MK104", "transformer_block/add", "global_average_pooling1d")}),
    "block_supports_masking": (
        ids_case("x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)\n"
                 "    x = TransformerBlock(embed_dim, 2, 16)(x)\n"
                 "    x = layers.GlobalAveragePooling1D()(x)", block_sm=SM),
        set()),
    "compute_mask_producer_avg": (
        ids_case("x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)\n"
                 "    x = TransformerBlock(embed_dim, 2, 16)(x)\n"
                 "    x = layers.GlobalAveragePooling1D()(x)", tokpos_cm=COMPUTE_MASK, block_sm=SM),
        set()),
    "compute_mask_producer_max": (
        ids_case("x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)\n"
                 "    x = layers.GlobalMaxPooling1D()(x)", tokpos_cm=COMPUTE_MASK),
        {("MK107", "global_max_pooling1d", None)}),
    "times_two_drops": (
        HEADER + TIMES_TWO.format(sm="") + SEQ_MODEL.format(body="x = layers.LSTM(4)(TimesTwo()(x))"),
        {("MK104", "times_two/multiply", "lstm")}),
    "times_two_supports_masking": (
        HEADER + TIMES_TWO.format(sm="\n    supports_masking = True\n")
        + SEQ_MODEL.format(body="x = layers.LSTM(4)(TimesTwo()(x))"),
        set()),
    "identity_keeps_runtime_mask": (
        HEADER + IDENTITY + SEQ_MODEL.format(body="x = layers.LSTM(4)(Tag()(x))"), set()),
    "inherited_supports_masking": (
        HEADER + BASE_SUPPORTS + SEQ_MODEL.format(body="x = layers.LSTM(4)(Scale()(x))"), set()),
    "masked_mean_uses_mask": (
        HEADER + MASKED_MEAN + SEQ_MODEL.format(body="x = MaskedMean()(x)"), set()),
    "pool_after_op_inside": (
        HEADER + RELU_POOL.format(arg="") + SEQ_MODEL.format(body="x = ReluPool()(x)"),
        {("MK104", "relu_pool/relu", "relu_pool/global_average_pooling1d")}),
    "pool_gets_mask_argument": (
        HEADER + RELU_POOL.format(arg=", mask=mask") + SEQ_MODEL.format(body="x = ReluPool()(x)"), set()),
    "wrapper_residual_drops": (
        HEADER + RESIDUAL + SEQ_MODEL.format(body="x = layers.LSTM(4)(Residual(layers.Dense(2))(x))"),
        {("MK104", "residual/add", "lstm")}),
}

ADD_BLOCK = """
class AttentionBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.add = layers.Add()
        self.norm = layers.LayerNormalization()

    def call(self, x):
        return self.norm(self.add([x, self.att(x, x)]))
"""

SEQUENTIAL = """
def build_model():
    return keras.Sequential([
        keras.Input(shape=(None, 2)),
        layers.Masking(mask_value=0.0),
        TimesTwo(),
        layers.LSTM(4),
        layers.Dense(1),
    ])
"""

MAX_SUMMARY = """
class MaxSummary(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(units, activation="tanh")
        self.pool = layers.GlobalMaxPooling1D()

    def call(self, x):
        return self.pool(self.proj(x))
"""

CASES.update({
    "max_pool_inside": (
        HEADER + MAX_SUMMARY + IDS_MODEL.format(
            body="x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)\n"
                 "    x = MaxSummary(4)(x)"),
        {("MK107", "max_summary/global_max_pooling1d", None)}),
    # MHA clears its inputs' runtime masks: the Add inside sees one unmasked input, so the block's
    # output has no runtime mask (reference 9.5), and the pooling after it averages the padding
    "add_layer_after_attention": (
        HEADER + ADD_BLOCK + IDS_MODEL.format(
            body="x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)\n"
                 "    x = layers.GlobalAveragePooling1D()(AttentionBlock(embed_dim, 2)(x))"),
        {("MK104", "attention_block/add", "global_average_pooling1d")}),
    "sequential_with_custom_layer": (
        HEADER + TIMES_TWO.format(sm="") + SEQUENTIAL, {("MK104", "times_two/multiply", "lstm")}),
})

# ---- more fixtures: attention pooling with and without the mask (measured) ------------------------
ATTENTION_POOL = """
class AttentionPool(layers.Layer):
    def build(self, input_shape):
        self.score = layers.Dense(1)

    def call(self, x{param}):
        logits = ops.squeeze(self.score(x), -1){use}
        weights = ops.softmax(logits, axis=1)
        return ops.sum(x * ops.expand_dims(weights, -1), axis=1)
"""

USE_MASK = """
        if mask is not None:
            logits = ops.where(mask, logits, -1e9)"""

CASES.update({
    "attention_pool_uses_mask": (
        HEADER + ATTENTION_POOL.format(param=", mask=None", use=USE_MASK)
        + SEQ_MODEL.format(body="x = AttentionPool()(layers.LSTM(4, return_sequences=True)(x))"),
        set()),
    "attention_pool_ignores_mask": (
        HEADER + ATTENTION_POOL.format(param="", use="")
        + SEQ_MODEL.format(body="x = AttentionPool()(layers.LSTM(4, return_sequences=True)(x))"),
        {("MK104", "attention_pool/squeeze", "attention_pool/softmax")}),
})


MASKED_BLOCK = """
class MaskedBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.norm = layers.LayerNormalization(){sm}

    def call(self, x, mask=None):
        attention_mask = None
        if mask is not None:
            attention_mask = ops.cast(mask[:, None, :], "int32")
        return self.norm(x + self.att(x, x, attention_mask=attention_mask))
"""

CASES.update({
    # the block passes the padding mask to attention itself and declares supports_masking: silent
    "block_with_attention_mask": (
        HEADER + MASKED_BLOCK.format(sm=SM) + IDS_MODEL.format(
            body="x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)\n"
                 "    x = layers.GlobalAveragePooling1D()(MaskedBlock(embed_dim, 2)(x))"),
        set()),
    # the same block without supports_masking: the `+` drops the mask before the pooling
    "block_with_attention_mask_no_support": (
        HEADER + MASKED_BLOCK.format(sm="") + IDS_MODEL.format(
            body="x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)\n"
                 "    x = layers.GlobalAveragePooling1D()(MaskedBlock(embed_dim, 2)(x))"),
        {("MK104", "masked_block/add", "global_average_pooling1d")}),
})


#: cases linted only (no runtime claim): what masklint assumes when it cannot follow ``call``
STATIC_ONLY = {
    "opaque_without_declaration": (
        HEADER + OPAQUE.format(sm="") + SEQ_MODEL.format(body="x = layers.LSTM(4)(Mystery()(x))"),
        {("MK001", "mystery", None)}),
    "opaque_supports_masking": (
        HEADER + OPAQUE.format(sm="\n    supports_masking = True\n")
        + SEQ_MODEL.format(body="x = layers.LSTM(4)(Mystery()(x))"),
        set()),
}


def lint(code: str):
    return lint_source_text(code.encode(), "model.py")


def _base(path):
    """A layer path without Keras' per-file counters (a builder run twice names ``lstm_1``)."""
    return None if path is None else re.sub(r"_\d+(?=/|$)", "", path)


def triples(found):
    return {(f.code, _base(f.layer), _base(f.consumer)) for f in found}


@pytest.mark.parametrize("name", sorted(CASES) + sorted(STATIC_ONLY))
def test_findings(name):
    code, expected = CASES.get(name) or STATIC_ONLY[name]
    found = lint(code)
    assert triples(found) == expected, [f.message for f in found]


def test_finding_inside_the_class_is_located_there():
    code, _ = CASES["block_without_mask_support"]
    (f,) = lint(code)
    line = code.splitlines()[f.line - 1]
    assert "inputs + attn" in line, line
    assert "'transformer_block/add'" in f.message


def test_mk001_says_what_was_assumed():
    code, _ = STATIC_ONLY["opaque_without_declaration"]
    (f,) = lint(code)
    assert "self.transform" in f.message and "neither supports_masking nor compute_mask" in f.message
    assert "assumed nothing" in f.message


def test_custom_graphs_for_masklint_models():
    code, _ = CASES["block_without_mask_support"]
    ex = Extractor(parse(code))
    graphs = ex.run()
    names = {g.name: g for g in ex.custom_graphs}
    assert set(names) == {"TransformerBlock"}  # TokenAndPositionEmbedding is defined, never used
    g = names["TransformerBlock"]
    assert g.kind == "custom layer" and g.cst is not None and g.cst.name.value == "TransformerBlock"
    assert any(n.layer.class_name == "MultiHeadAttention" for n in g.nodes)
    # custom graphs are not top-level models
    assert all(gr.kind != "custom layer" for gr in graphs)
    code, _ = STATIC_ONLY["opaque_without_declaration"]
    ex = Extractor(parse(code))
    ex.run()
    (g,) = ex.custom_graphs
    assert g.unknown and "self.transform" in g.unknown[0].what
    lay = next(la for la in ex.layers if la.class_name == "Mystery")
    assert lay.why and lay.graph is None


# ---- measurements: the fixture itself, built with the installed Keras -----------------------------
def _difference(code: str) -> float:
    import numpy as np

    import keras

    ns: dict = {}
    exec(compile(code, "<fixture>", "exec"), ns)  # test code: the fixture is ours
    keras.utils.set_random_seed(3)
    model = ns["build_model"]()
    ids = "int" in str(model.inputs[0].dtype)
    seq = [5, 8, 3, 9]
    outs = []
    for pad in (0, 4):  # none vs some: a max over time changes only once padding appears
        if ids:
            x = np.array([seq + [0] * pad], dtype="int32")
        else:
            x = np.array([[[v, v + 1.0] for v in seq] + [[0.0, 0.0]] * pad], dtype="float32")
        outs.append(np.asarray(model(x, training=False)).reshape(-1))
    return float(np.max(np.abs(outs[0] - outs[1])))


@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
@pytest.mark.parametrize("name", sorted(CASES))
def test_measured(name):
    code, expected = CASES[name]
    code = textwrap.dedent(code)
    if "def train(" in code:
        # the builder takes a fixed length for the static facts; the measurement varies the length
        code = code.replace("shape=(maxlen,)", "shape=(None,)")
    diff = _difference(code)
    leaks = any(code_ in ("MK101", "MK104", "MK107") for code_, _, _ in expected)
    if leaks:
        assert diff > 1e-4, diff
    else:
        assert diff < 1e-5, diff


# ---- the declaration, read from the class --------------------------------------------------------
def _decl(body: str, base: str = "layers.Layer"):
    code = HEADER + f"\nclass Custom({base}):\n" + textwrap.indent(textwrap.dedent(body), "    ") + """

def build_model():
    inputs = keras.Input((None, 2))
    return keras.Model(inputs, Custom()(inputs))
"""
    ex = Extractor(parse(code))
    ex.run()
    return next(la for la in ex.layers if la.class_name == "Custom").custom


@pytest.mark.parametrize("body, supports, compute", [
    ("def call(self, x):\n    return x\n", False, "absent"),
    ("supports_masking = True\ndef call(self, x):\n    return x\n", True, "absent"),
    ("def __init__(self, **kw):\n    super().__init__(**kw)\n    self.supports_masking = True\n", True, "absent"),
    ("def __init__(self, flag=None, **kw):\n    super().__init__(**kw)\n    self.supports_masking = flag\n",
     None, "absent"),
    ("def compute_mask(self, inputs, mask=None):\n    return None\n", True, "none"),
    ("def compute_mask(self, inputs, mask=None):\n    return mask\n", True, "previous"),
    ("def compute_mask(self, inputs, mask=None):\n    if mask is None:\n        return None\n    return mask\n",
     True, "previous"),
    ("def compute_mask(self, inputs, mask=None):\n    return ops.any(ops.not_equal(inputs, 0.0), axis=-1)\n",
     True, "create"),
    ("def compute_mask(self, x, previous_mask=None):\n    return x != 0\n", True, "create"),
    ("def compute_mask(self, inputs, mask=None):\n    return mask[:, ::2]\n", True, "unknown"),
    ("supports_masking = False\ndef compute_mask(self, inputs, mask=None):\n    return mask\n", False, "previous"),
])
def test_declaration(body, supports, compute):
    d = _decl(body)
    assert (d.supports, d.compute) == (supports, compute)


def test_declaration_is_inherited_from_user_bases():
    code = HEADER + BASE_SUPPORTS + SEQ_MODEL.format(body="x = Scale()(x)")
    ex = Extractor(parse(code))
    ex.run()
    d = next(la for la in ex.layers if la.class_name == "Scale").custom
    assert d.supports is True and d.compute == "absent"


def test_call_mask_argument_is_detected():
    code, _ = CASES["masked_mean_uses_mask"]
    ex = Extractor(parse(code))
    ex.run()
    lay = next(la for la in ex.layers if la.class_name == "MaskedMean")
    assert lay.custom.call_mask and lay.graph is not None and lay.graph.inputs[-1].node.layer.name == "mask"


# ---- subclassed models with lists of custom blocks; odd code never breaks the linter ----------------
STACK = HEADER + """
class Block(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units, activation="relu"){sm}
        self.norm = layers.LayerNormalization()

    def call(self, x):
        return self.norm(x + self.dense(x))


class Encoder(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embed = layers.Embedding(500, 16, mask_zero=True)
        self.blocks = [Block(16), Block(16)]
        self.pool = layers.GlobalAveragePooling1D()

    def call(self, ids):
        h = self.embed(ids)
        for block in self.blocks:
            h = block(h)
        return self.pool(h)


model = Encoder()
"""


def test_list_of_blocks_in_a_subclassed_model():
    assert triples(lint(STACK.format(sm=SM))) == set()
    assert triples(lint(STACK.format(sm=""))) == {("MK104", "block/add", "global_average_pooling1d")}


ODD = [
    # call calls the layer itself (recursion is not followed)
    "class Loop(layers.Layer):\n    def call(self, x):\n        return self(x)\n",
    # __init__ builds another instance of the same class
    "class Loop(layers.Layer):\n    def __init__(self, depth=2, **kw):\n        super().__init__(**kw)\n"
    "        self.inner = Loop(depth - 1) if depth else None\n    def call(self, x):\n        return self.inner(x)\n",
    # a tuple of outputs and a list input
    "class Loop(layers.Layer):\n    def call(self, inputs):\n        a, b = inputs\n        return a + b, a * b\n",
    # no call at all
    "class Loop(layers.Layer):\n    pass\n",
]


@pytest.mark.parametrize("body", ODD)
def test_odd_custom_layers_never_break(body):
    code = HEADER + body.replace("{", "{{").replace("}", "}}") + """

def build_model():
    inputs = keras.Input((None, 2))
    x = layers.Masking()(inputs)
    y = Loop()({arg})
    return keras.Model(inputs, layers.LSTM(2)(y))
"""
    found = lint(code.format(arg="[x, x]" if "a, b = inputs" in body else "x"))
    assert all(f.code in ("MK001", "MK104", "MK107") for f in found), [f.message for f in found]


def test_configured_behaviour_wins_over_the_class_body():
    """``[tool.masklint.known-mask-layers]`` names a custom class: what the user wrote is used."""
    from masklint.knowledge.layers import custom_spec

    code, _ = CASES["times_two_drops"]
    assert triples(lint(code))  # followed from source: the op drops the mask
    found = lint_source_text(code.encode(), "model.py", {"TimesTwo": custom_spec("propagate")})
    assert triples(found) == set()


def test_fix_names_the_declaration_that_keeps_the_mask():
    """The fixes are the negative cases measured above: ``times_two_supports_masking`` and
    ``compute_mask_producer_avg`` are padding-invariant."""
    (f,) = lint(CASES["times_two_drops"][0])
    assert "supports_masking = True in TimesTwo 'times_two'" in f.fix
    (f,) = lint(CASES["tokpos_mask_zero_dropped_by_add"][0])
    assert "compute_mask method of TokenAndPositionEmbedding" in f.fix
    (f,) = lint(CASES["max_pool_inside"][0])  # not a dropped mask: the usual MK107 fix
    assert "supports_masking" not in f.fix

