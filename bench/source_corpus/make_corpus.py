"""Generate the Keras model-code corpus for ``bench/bench_source.py``.

Writes N (default 300) deterministic (``--seed``), varied model-building scripts of 40-200 lines, the
kind of file people write around a Keras model: imports in all the usual spellings (``import keras``,
``from tensorflow import keras``, ``tf.keras.layers.X``, ``from keras.layers import X``, ``layers as
L``), data loading and ``pad_sequences``, a model built as a ``Sequential`` list, ``Sequential()`` +
``.add``, the functional API, helper functions or a subclassed ``keras.Model``, then ``compile``/``fit``/
``evaluate`` and a command-line ``main``. About 45 % carry a masking mistake (``Masking`` after
``Embedding``, a ``Conv1D`` between the mask and the LSTM, a padding value the mask does not match,
pre-padding into a masked cuDNN LSTM, a NaN ``mask_value``, padded ids without any mask, a mask fed
into a CNN); the rest are clean of planted mistakes.

Standard library only; nothing is imported from Keras or masklint.  ``manifest.json`` (next to the
files) records what each file was meant to contain.

    python bench/source_corpus/make_corpus.py OUT_DIR [--n 300] [--seed 20261124]
"""
from __future__ import annotations

import argparse
import json
import os
import random


class Names:
    """How this file spells Keras: returns expressions and remembers what it must import."""

    STYLES = ("tf", "tf_keras", "keras", "keras_L", "from_keras", "from_tf", "tf_layers_models")

    def __init__(self, style: str, rng: random.Random):
        self.style = style
        self.rng = rng
        self.used: set[str] = set()
        self.pad_used = False
        self.np_used = True

    def L(self, name: str) -> str:
        self.used.add(name)
        s = self.style
        if s == "tf":
            return f"tf.keras.layers.{name}"
        if s in ("tf_keras", "keras", "tf_layers_models"):
            return f"layers.{name}"
        if s == "keras_L":
            return f"L.{name}"
        return name  # from-imports

    def seq(self) -> str:
        return {"tf": "tf.keras.Sequential", "tf_keras": "keras.Sequential", "keras": "keras.Sequential",
                "keras_L": "keras.models.Sequential", "tf_layers_models": "models.Sequential"}.get(
            self.style, "Sequential")

    def model(self) -> str:
        return {"tf": "tf.keras.Model", "tf_keras": "keras.Model", "keras": "keras.Model",
                "keras_L": "keras.Model", "tf_layers_models": "models.Model"}.get(self.style, "Model")

    def inp(self) -> str:
        return {"tf": "tf.keras.Input", "tf_keras": "keras.Input", "keras": "keras.Input",
                "keras_L": "keras.Input", "tf_layers_models": "keras.Input"}.get(self.style, "Input")

    def pad(self) -> str:
        self.pad_used = True
        return {"tf": "tf.keras.preprocessing.sequence.pad_sequences",
                "tf_keras": "keras.preprocessing.sequence.pad_sequences",
                "keras": "keras.utils.pad_sequences", "keras_L": "keras.utils.pad_sequences",
                "tf_layers_models": "keras.utils.pad_sequences"}.get(self.style, "pad_sequences")

    def opt(self) -> str:
        return {"tf": "tf.keras.optimizers.Adam", "tf_keras": "keras.optimizers.Adam",
                "keras": "keras.optimizers.Adam", "keras_L": "keras.optimizers.Adam",
                "tf_layers_models": "keras.optimizers.Adam", "from_keras": "keras.optimizers.Adam",
                "from_tf": "tf.keras.optimizers.Adam"}[self.style]

    def callbacks(self) -> str:
        return {"tf": "tf.keras.callbacks", "from_tf": "tf.keras.callbacks"}.get(self.style, "keras.callbacks")

    def imports(self) -> list[str]:
        s = self.style
        out = ["import numpy as np"] if self.np_used else []
        used = sorted(self.used)
        if s == "tf":
            out.append("import tensorflow as tf")
        elif s == "tf_keras":
            out += ["import tensorflow as tf", "from tensorflow import keras", "from tensorflow.keras import layers"]
        elif s == "keras":
            out += ["import keras", "from keras import layers"]
        elif s == "keras_L":
            out += ["import keras", "from keras import layers as L"]
        elif s == "tf_layers_models":
            out += ["from tensorflow import keras", "from tensorflow.keras import layers, models"]
        elif s == "from_keras":
            out += ["import keras", _wrap("from keras.layers import ", used),
                    "from keras.models import Model, Sequential", "from keras import Input"]
            if self.pad_used:
                out.append("from keras.utils import pad_sequences")
        elif s == "from_tf":
            out += ["import tensorflow as tf", _wrap("from tensorflow.keras.layers import ", used),
                    "from tensorflow.keras.models import Model, Sequential", "from tensorflow.keras import Input"]
            if self.pad_used:
                out.append("from tensorflow.keras.preprocessing.sequence import pad_sequences")
        return out


def _wrap(prefix: str, names: list[str]) -> str:
    line = prefix + ", ".join(names)
    if len(line) <= 100:
        return line
    body, cur = [], "    "
    for n in names:
        if len(cur) + len(n) + 2 > 96:
            body.append(cur.rstrip())
            cur = "    "
        cur += n + ", "
    body.append(cur.rstrip())
    return prefix + "(\n" + "\n".join(body) + "\n)"


DOC_TOPICS = [
    ("sentiment classifier for short product reviews", "binary"),
    ("intent detection on chat messages", "multi"),
    ("spam filter for SMS messages", "binary"),
    ("next-activity prediction from sensor windows", "multi"),
    ("anomaly scoring of variable-length transaction histories", "binary"),
    ("part-of-speech tagger", "tagging"),
    ("named-entity tagger", "tagging"),
    ("churn prediction from user event sequences", "binary"),
    ("ECG beat classification with variable-length recordings", "multi"),
    ("toxicity classifier", "binary"),
    ("protein family classification from amino-acid ids", "multi"),
    ("gesture recognition from accelerometer traces", "multi"),
    ("question topic classifier", "multi"),
    ("clickstream conversion model", "binary"),
]

MISTAKES = ("masking_after_embedding", "conv_between_mask_and_rnn", "pad_value_mismatch", "pre_padding_cudnn",
            "nan_mask_value", "missing_mask")


class Gen:
    def __init__(self, idx: int, rng: random.Random):
        self.idx = idx
        self.rng = rng
        r = rng
        self.ns = Names(r.choice(Names.STYLES), r)
        self.topic, self.task = r.choice(DOC_TOPICS)
        self.kind = "tokens" if self.task == "tagging" else r.choice(("tokens", "tokens", "tokens", "floats"))
        self.build_style = r.choice(("seq_list", "seq_add", "functional", "helpers", "subclass"))
        if self.task == "tagging" and self.build_style == "subclass":
            self.build_style = "functional"
        self.arch = "rnn"
        if self.kind == "tokens" and self.build_style in ("functional", "helpers") and self.task != "tagging":
            self.arch = r.choice(("rnn", "rnn", "attention", "cnn", "two_inputs"))
        self.mistake = r.choice(MISTAKES) if r.random() < 0.4 else None
        if self.mistake in ("masking_after_embedding", "missing_mask", "pad_value_mismatch") and self.kind != "tokens":
            self.mistake = r.choice(("conv_between_mask_and_rnn", "nan_mask_value", "pre_padding_cudnn"))
        if self.mistake in ("conv_between_mask_and_rnn", "nan_mask_value") and self.kind == "tokens":
            self.mistake = "masking_after_embedding" if self.mistake == "nan_mask_value" else self.mistake
        if self.arch != "rnn" and self.mistake in ("conv_between_mask_and_rnn", "pre_padding_cudnn"):
            self.arch = "rnn"
        self.vocab = r.choice((2000, 5000, 10000, 20000, 30522))
        self.emb = r.choice((32, 64, 100, 128, 300))
        self.units = r.choice((16, 32, 64, 128))
        self.maxlen = r.choice((None, 40, 64, 100, 128, 200))
        self.features = r.choice((3, 6, 9, 12, 40))
        self.classes = {"binary": 1, "multi": r.choice((3, 5, 7, 10)), "tagging": r.choice((9, 17, 45))}[self.task]
        self.rnn = r.choice(("LSTM", "LSTM", "GRU", "SimpleRNN"))
        if self.mistake == "pre_padding_cudnn":
            self.rnn = "LSTM"
        self.bidir = r.random() < 0.4
        self.pad_value = 0
        self.float_pad = r.choice((0.0, -1.0, -99.0))
        self.padding = r.choice(("post", "post", "pre"))
        if self.mistake == "pre_padding_cudnn":
            self.padding = "pre"
        elif self.rnn == "LSTM" and self.padding == "pre" and r.random() < 0.7:
            self.padding = "post"  # clean files mostly post-pad
        self.length = r.choices(("short", "normal", "long"), weights=(2, 5, 3))[0]

    # -- small helpers -------------------------------------------------------------------------
    def rnn_layer(self, return_sequences=False, name=None) -> str:
        ns = self.ns
        args = [str(self.units)]
        if return_sequences:
            args.append("return_sequences=True")
        if self.rng.random() < 0.3:
            args.append(f"dropout={self.rng.choice((0.1, 0.2, 0.3))}")
        if name:
            args.append(f'name="{name}"')
        core = f"{ns.L(self.rnn)}({', '.join(args)})"
        if self.bidir:
            return f"{ns.L('Bidirectional')}({core})"
        return core

    def head(self) -> str:
        act = {"binary": "sigmoid", "multi": "softmax", "tagging": "softmax"}[self.task]
        return f'{self.ns.L("Dense")}({self.classes}, activation="{act}")'

    def input_expr(self) -> str:
        t = "MAXLEN" if self.maxlen else "None"
        if self.kind == "tokens":
            return f'{self.ns.inp()}(shape=({t},), dtype="int32", name="tokens")'
        return f"{self.ns.inp()}(shape=({t}, N_FEATURES))"

    def chain(self) -> list[str]:
        """The layers of a linear model (no Input), as expressions."""
        ns, r, m = self.ns, self.rng, self.mistake
        out = []
        if self.kind == "tokens":
            mz = m not in ("masking_after_embedding", "missing_mask")
            args = "VOCAB_SIZE, EMBED_DIM" + (", mask_zero=True" if mz else "")
            if self.maxlen and r.random() < 0.2:
                args += ", input_length=MAXLEN"
            out.append(f"{ns.L('Embedding')}({args})")
            if m == "masking_after_embedding":
                out.append(f"{ns.L('Masking')}(mask_value={r.choice(('0', '0.0', 'PAD_ID'))})")
            elif m == "conv_between_mask_and_rnn":
                out.append(f'{ns.L("Conv1D")}({r.choice((32, 64))}, {r.choice((3, 5))}, padding="same", '
                           f'activation="relu")')
            if r.random() < 0.3:
                out.append(f"{ns.L('SpatialDropout1D')}(0.2)")
        else:
            mv = "float('nan')" if m == "nan_mask_value" else "PAD_VALUE"
            out.append(f"{ns.L('Masking')}(mask_value={mv})")
            if m == "conv_between_mask_and_rnn":
                out.append(f'{ns.L("Conv1D")}({r.choice((16, 32, 64))}, {r.choice((3, 5))}, padding="same", '
                           f'activation="relu")')
        if self.task == "tagging":
            out.append(self.rnn_layer(return_sequences=True))
            out.append(f"{ns.L('TimeDistributed')}({self.head()})")
            return out
        if r.random() < 0.35:
            out.append(self.rnn_layer(return_sequences=True))
            if r.random() < 0.5:
                out.append(f"{ns.L('Dropout')}({r.choice((0.2, 0.3, 0.5))})")
        out.append(self.rnn_layer())
        if r.random() < 0.5:
            out.append(f'{ns.L("Dense")}({r.choice((16, 32, 64))}, activation="relu")')
        out.append(self.head())
        return out

    # -- sections ------------------------------------------------------------------------------
    def constants(self) -> list[str]:
        r = self.rng
        out = [f"SEED = {r.randint(0, 9999)}"]
        if self.kind == "tokens":
            out += [f"VOCAB_SIZE = {self.vocab}", f"EMBED_DIM = {self.emb}"]
            if self.mistake == "masking_after_embedding" or r.random() < 0.3:
                out.append("PAD_ID = 0")
        else:
            out += [f"N_FEATURES = {self.features}", f"PAD_VALUE = {self.float_pad}"]
        if self.maxlen:
            out.append(f"MAXLEN = {self.maxlen}")
        out += [f"BATCH_SIZE = {r.choice((16, 32, 64, 128))}", f"EPOCHS = {r.choice((3, 5, 10, 20))}"]
        if self.task != "binary":
            out.append(f"NUM_CLASSES = {self.classes}")
        return out

    def data_section(self) -> list[str]:
        r, ns = self.rng, self.ns
        out = []
        if self.kind == "tokens":
            maxlen = "MAXLEN" if self.maxlen else "60"
            out += ["def load_sequences(n=1000, seed=SEED):",
                    '    """Synthetic stand-in for the real dataset: lists of token ids of varying length."""',
                    "    rng = np.random.default_rng(seed)",
                    f"    lengths = rng.integers(3, {maxlen}, size=n)",
                    "    seqs = [rng.integers(1, VOCAB_SIZE, size=int(k)).tolist() for k in lengths]"]
            if self.task == "tagging":
                out += ["    tags = [rng.integers(1, NUM_CLASSES, size=len(s)).tolist() for s in seqs]",
                        "    return seqs, tags"]
            elif self.task == "binary":
                out += ["    labels = rng.integers(0, 2, size=n)", "    return seqs, labels"]
            else:
                out += ["    labels = rng.integers(0, NUM_CLASSES, size=n)", "    return seqs, labels"]
            out.append("")
            if r.random() < 0.4:
                out += ["", "def read_vocab(path):",
                        "    vocab = {}",
                        "    with open(path, encoding='utf-8') as fh:",
                        "        for i, line in enumerate(fh, start=1):",
                        "            vocab[line.strip()] = i",
                        "    return vocab", ""]
        else:
            maxlen = "MAXLEN" if self.maxlen else "80"
            out += ["def load_windows(n=500, seed=SEED):",
                    '    """Variable-length multivariate windows, as recorded by the devices."""',
                    "    rng = np.random.default_rng(seed)",
                    "    windows = []",
                    "    for _ in range(n):",
                    f"        steps = int(rng.integers(10, {maxlen}))",
                    "        windows.append(rng.normal(size=(steps, N_FEATURES)).astype('float32'))",
                    "    labels = rng.integers(0, %s, size=n)" % ("2" if self.task == "binary" else "NUM_CLASSES"),
                    "    return windows, labels", ""]
        return out

    def pad_call(self, var_in: str) -> str:
        ns, m = self.ns, self.mistake
        args = [var_in]
        if self.maxlen:
            args.append("maxlen=MAXLEN")
        if self.kind == "tokens":
            if self.padding != "pre" or self.rng.random() < 0.5:
                args.append(f'padding="{self.padding}"')
            if m == "pad_value_mismatch":
                args.append(f"value={self.rng.choice(('-1', '1', '-1.0'))}")
            elif self.rng.random() < 0.2:
                args.append("value=0")
        else:
            args += ['dtype="float32"', f'padding="{self.padding}"']
            args.append("value=PAD_VALUE" if m != "pad_value_mismatch" else "value=0.0")
        return f"{ns.pad()}({', '.join(args)})"

    def prepare(self) -> list[str]:
        """Module-level or main-level data preparation; returns lines defining x_train/y_train."""
        if self.kind == "tokens":
            out = ["seqs, labels = load_sequences()", f"x_train = {self.pad_call('seqs')}"]
            if self.task == "tagging":
                out.append(f"y_train = {self.pad_call('labels')}")
            else:
                out.append("y_train = np.asarray(labels)")
        else:
            out = ["windows, labels = load_windows()", f"x_train = {self.pad_call('windows')}",
                   "y_train = np.asarray(labels)"]
        return out

    def build_section(self) -> tuple[list[str], str]:
        """Lines defining the model builder, and the expression that builds the model."""
        st = self.build_style
        if self.arch == "attention":
            return self.build_attention()
        if self.arch == "cnn":
            return self.build_cnn()
        if self.arch == "two_inputs":
            return self.build_two_inputs()
        if st == "seq_list":
            return self.build_seq_list()
        if st == "seq_add":
            return self.build_seq_add()
        if st == "functional":
            return self.build_functional()
        if st == "helpers":
            return self.build_helpers()
        return self.build_subclass()

    def build_seq_list(self):
        ns = self.ns
        layers = [self.input_expr()] + self.chain()
        out = ["def build_model():", f"    model = {ns.seq()}(["]
        out += [f"        {e}," for e in layers]
        out += [f'    ], name="model_{self.idx:03d}")', "    return model", ""]
        return out, "build_model()"

    def build_seq_add(self):
        ns = self.ns
        out = ["def build_model():", f"    model = {ns.seq()}()", f"    model.add({self.input_expr()})"]
        for e in self.chain():
            if self.rng.random() < 0.15:
                out.append("    # " + self.rng.choice(("regularisation", "recurrent encoder", "classifier head",
                                                       "tried GRU here too", "see notebook")))
            out.append(f"    model.add({e})")
        out += ["    return model", ""]
        return out, "build_model()"

    def build_functional(self):
        ns = self.ns
        out = ["def build_model():", f"    inputs = {self.input_expr()}", "    x = inputs"]
        ch = self.chain()
        for e in ch[:-1]:
            out.append(f"    x = {e}(x)")
        out += [f"    outputs = {ch[-1]}(x)", f'    return {ns.model()}(inputs=inputs, outputs=outputs, '
                f'name="model_{self.idx:03d}")', ""]
        return out, "build_model()"

    def build_helpers(self):
        ns, r = self.ns, self.rng
        ch = self.chain()
        # the recurrent part goes into a helper, the rest stays in build_model
        split = next(i for i, e in enumerate(ch) if self.rnn in e)
        helper = ch[split:-1]
        out = ["def encoder_block(x):", '    """The recurrent encoder, shared by the experiments."""']
        for e in helper:
            out.append(f"    x = {e}(x)")
        out += ["    return x", "", ""]
        out += ["def build_model():", f"    inputs = {self.input_expr()}", "    x = inputs"]
        for e in ch[:split]:
            out.append(f"    x = {e}(x)")
        out += ["    x = encoder_block(x)", f"    outputs = {ch[-1]}(x)",
                f"    model = {ns.model()}(inputs, outputs)", "    return model", ""]
        return out, "build_model()"

    def build_subclass(self):
        ns = self.ns
        ch = self.chain()
        names = []
        for e in ch:
            base = e.split("(")[0].split(".")[-1]
            nm = "".join("_" + c.lower() if c.isupper() else c for c in base).lstrip("_")
            while nm in names:
                nm += "_2"
            names.append(nm)
        out = [f"class SequenceModel({ns.model()}):", '    """Subclassed so the training loop can be customised."""',
               "", "    def __init__(self, **kwargs):", "        super().__init__(**kwargs)"]
        out += [f"        self.{n} = {e}" for n, e in zip(names, ch)]
        out += ["", "    def call(self, inputs, training=False):", "        x = inputs"]
        for n, e in zip(names, ch):
            if "Dropout" in e:
                out.append(f"        x = self.{n}(x, training=training)")
            else:
                out.append(f"        x = self.{n}(x)")
        out += ["        return x", ""]
        return out, "SequenceModel()"

    def build_attention(self):
        ns, r = self.ns, self.rng
        mz = self.mistake not in ("missing_mask", "masking_after_embedding")
        out = ["def transformer_block(x, num_heads=4, key_dim=32):",
               f"    attn = {ns.L('MultiHeadAttention')}(num_heads=num_heads, key_dim=key_dim)(x, x)",
               f"    x = {ns.L('LayerNormalization')}()({ns.L('Add')}()([x, attn]))",
               f'    ff = {ns.L("Dense")}(EMBED_DIM, activation="relu")(x)',
               f"    return {ns.L('LayerNormalization')}()({ns.L('Add')}()([x, ff]))", "", "",
               "def build_model():", f"    inputs = {self.input_expr()}",
               f"    x = {ns.L('Embedding')}(VOCAB_SIZE, EMBED_DIM{', mask_zero=True' if mz else ''})(inputs)"]
        if self.mistake == "masking_after_embedding":
            out.append(f"    x = {ns.L('Masking')}(0.0)(x)")
        for _ in range(r.choice((1, 2))):
            out.append("    x = transformer_block(x)")
        pool = "GlobalAveragePooling1D" if r.random() < 0.7 else "GlobalMaxPooling1D"
        out += [f"    x = {ns.L(pool)}()(x)", f"    outputs = {self.head()}(x)",
                f"    return {ns.model()}(inputs, outputs)", ""]
        return out, "build_model()"

    def build_cnn(self):
        ns, r = self.ns, self.rng
        mz = self.mistake != "missing_mask" and r.random() < 0.5  # a mask in front of a CNN: MK107
        if mz:
            self.mistake = "mask_into_cnn"
        out = ["def build_model(filters=(64, 64)):", f"    inputs = {self.input_expr()}",
               f"    x = {ns.L('Embedding')}(VOCAB_SIZE, EMBED_DIM{', mask_zero=True' if mz else ''})(inputs)",
               "    for f in filters:",
               f'        x = {ns.L("Conv1D")}(f, 5, padding="same", activation="relu")(x)',
               f"    x = {ns.L('GlobalMaxPooling1D')}()(x)",
               f'    x = {ns.L("Dense")}(64, activation="relu")(x)',
               f"    outputs = {self.head()}(x)", f"    return {ns.model()}(inputs, outputs)", ""]
        return out, "build_model()"

    def build_two_inputs(self):
        ns = self.ns
        mz = self.mistake not in ("missing_mask", "masking_after_embedding")
        out = ["def build_model(n_numeric=8):", f"    tokens = {self.input_expr()}",
               f'    numeric = {ns.inp()}(shape=(n_numeric,), name="numeric")',
               f"    x = {ns.L('Embedding')}(VOCAB_SIZE, EMBED_DIM{', mask_zero=True' if mz else ''})(tokens)"]
        if self.mistake == "masking_after_embedding":
            out.append(f"    x = {ns.L('Masking')}(mask_value=0)(x)")
        out += [f"    x = {self.rnn_layer()}(x)",
                f'    y = {ns.L("Dense")}(16, activation="relu")(numeric)',
                f"    z = {ns.L('Concatenate')}()([x, y])",
                f"    outputs = {self.head()}(z)",
                f"    return {ns.model()}(inputs=[tokens, numeric], outputs=outputs)", ""]
        return out, "build_model()"

    def training(self, model_expr: str) -> list[str]:
        r, ns = self.rng, self.ns
        loss = {"binary": "binary_crossentropy", "multi": "sparse_categorical_crossentropy",
                "tagging": "sparse_categorical_crossentropy"}[self.task]
        opt = f"{ns.opt()}(learning_rate={r.choice(('1e-3', '3e-4', '0.001', '2e-3'))})" if r.random() < 0.6 else \
            '"adam"'
        out = ["def train(args):", f"    model = {model_expr}"]
        out += [f"    model.compile(optimizer={opt}, loss=\"{loss}\", metrics=[\"accuracy\"])"]
        out += ["    " + ln for ln in self.prepare()]
        if self.arch == "two_inputs":
            out += ["    numeric = np.random.default_rng(SEED).normal(size=(len(x_train), 8)).astype('float32')"]
        cbs = ""
        if r.random() < 0.5:
            out += ["    callbacks = [", f"        {ns.callbacks()}.EarlyStopping(patience=2, restore_best_weights=True),"]
            if r.random() < 0.5:
                out.append(f"        {ns.callbacks()}.ModelCheckpoint(args.checkpoint, save_best_only=True),")
            out.append("    ]")
            cbs = ", callbacks=callbacks"
        xin = "[x_train, numeric]" if self.arch == "two_inputs" else "x_train"
        out += [f"    history = model.fit({xin}, y_train, batch_size=BATCH_SIZE, epochs=args.epochs,",
                f"                        validation_split={r.choice(('0.1', '0.2'))}{cbs})"]
        if r.random() < 0.5:
            out += [f"    loss, acc = model.evaluate({xin}, y_train, verbose=0)",
                    '    logger.info("train loss %.4f, accuracy %.4f", loss, acc)']
        out += ["    return model, history", ""]
        return out

    def extras(self) -> list[list[str]]:
        """Optional blocks, to vary the length: any subset may be used."""
        ns = self.ns
        blocks = [
            ["def set_seed(seed=SEED):", '    """Make runs repeatable (as far as TensorFlow allows)."""',
             "    import random", "", "    random.seed(seed)", "    np.random.seed(seed)",
             "    os.environ['PYTHONHASHSEED'] = str(seed)", ""],
            ["def plot_history(history, path=None):", "    try:",
             "        import matplotlib.pyplot as plt", "    except ImportError:",
             '        logger.warning("matplotlib not installed; skipping the plot")', "        return",
             "    fig, ax = plt.subplots(1, 2, figsize=(10, 4))",
             "    for i, key in enumerate((\"loss\", \"accuracy\")):",
             "        ax[i].plot(history.history[key], label=\"train\")",
             "        if \"val_\" + key in history.history:",
             "            ax[i].plot(history.history[\"val_\" + key], label=\"validation\")",
             "        ax[i].set_title(key)", "        ax[i].legend()",
             "    if path:", "        fig.savefig(path, dpi=120)", "    else:", "        plt.show()", ""],
            ["def save_artifacts(model, out_dir):", "    os.makedirs(out_dir, exist_ok=True)",
             "    model.save(os.path.join(out_dir, \"model.keras\"))",
             "    with open(os.path.join(out_dir, \"summary.txt\"), \"w\") as fh:",
             "        model.summary(print_fn=lambda line: fh.write(line + \"\\n\"))",
             '    logger.info("saved to %s", out_dir)', ""],
            ["def batch_iter(x, y, batch_size=BATCH_SIZE, shuffle=True):",
             "    idx = np.arange(len(x))", "    if shuffle:", "        np.random.shuffle(idx)",
             "    for start in range(0, len(idx), batch_size):",
             "        part = idx[start:start + batch_size]", "        yield x[part], y[part]", ""],
            ["class Config:", '    """Hyper-parameters, overridable from the command line."""',
             f"    units = {self.units}", f"    dropout = {self.rng.choice((0.1, 0.2, 0.3))}",
             f"    learning_rate = {self.rng.choice(('1e-3', '3e-4'))}", "    patience = 3",
             "", "    def as_dict(self):",
             "        return {k: getattr(self, k) for k in dir(self) if not k.startswith('_') and k != 'as_dict'}",
             ""],
            ["def describe(x):", '    """Quick look at the padded batch (lengths, padding share)."""',
             "    x = np.asarray(x)", "    nonpad = (x != 0).sum(axis=1) if x.ndim == 2 else (x != 0).any(-1).sum(1)",
             "    return {", '        "shape": x.shape,', '        "mean_length": float(nonpad.mean()),',
             '        "padding_share": float(1 - nonpad.sum() / nonpad.size / x.shape[1]),', "    }", ""],
            ["def predict_texts(model, seqs):", f"    x = {self.pad_call('seqs')}",
             "    probs = model.predict(x, verbose=0)", "    return probs.argmax(-1) if probs.shape[-1] > 1 else "
             "(probs[:, 0] > 0.5).astype(int)", ""],
        ]
        return blocks

    def report_blocks(self) -> list[list[str]]:
        """Longer scripts also evaluate per class and cross-validate."""
        return [
            ["def evaluate_report(model, x, y, class_names=None):",
             '    """Per-class precision and recall on a held-out split, printed as a table."""',
             "    probs = model.predict(x, verbose=0)",
             "    if probs.shape[-1] == 1:",
             "        pred = (probs[:, 0] > 0.5).astype(int)",
             "    else:",
             "        pred = probs.argmax(-1)",
             "    y = np.asarray(y).reshape(pred.shape)",
             "    classes = np.unique(np.concatenate([y.ravel(), pred.ravel()]))",
             "    rows = []",
             "    for c in classes:",
             "        tp = int(((pred == c) & (y == c)).sum())",
             "        fp = int(((pred == c) & (y != c)).sum())",
             "        fn = int(((pred != c) & (y == c)).sum())",
             "        precision = tp / (tp + fp) if tp + fp else 0.0",
             "        recall = tp / (tp + fn) if tp + fn else 0.0",
             "        name = class_names[c] if class_names else str(c)",
             "        rows.append((name, precision, recall, tp + fn))",
             "    for name, p, rc, n in rows:",
             '        print(f"{name:>12}  precision {p:.3f}  recall {rc:.3f}  support {n}")',
             "    return rows", ""],
            ["def cross_validate(build_fn, x, y, folds=5, epochs=3):",
             "    idx = np.arange(len(x))",
             "    np.random.default_rng(SEED).shuffle(idx)",
             "    scores = []",
             "    for k, part in enumerate(np.array_split(idx, folds)):",
             "        train_idx = np.setdiff1d(idx, part)",
             "        model = build_fn()",
             '        model.compile(optimizer="adam", loss="%s", metrics=["accuracy"])' % (
                 "binary_crossentropy" if self.task == "binary" else "sparse_categorical_crossentropy"),
             "        model.fit(x[train_idx], y[train_idx], epochs=epochs, verbose=0)",
             "        _, acc = model.evaluate(x[part], y[part], verbose=0)",
             '        logger.info("fold %d: accuracy %.4f", k, acc)',
             "        scores.append(acc)",
             "    return float(np.mean(scores)), float(np.std(scores))", ""],
        ]

    def render(self) -> str:
        r = self.rng
        build, model_expr = self.build_section()
        if self.length == "short":
            return self.render_short(build, model_expr)
        train = self.training(model_expr)
        p = 0.85 if self.length == "long" else 0.35
        extras = [b for b in self.extras() if r.random() < p]
        if self.length == "long":
            extras += self.report_blocks()
        r.shuffle(extras)
        body: list[str] = []
        body += self.data_section() + [""]
        for b in extras[: len(extras) // 2]:
            body += b + [""]
        body += build + [""]
        body += train + [""]
        for b in extras[len(extras) // 2:]:
            body += b + [""]
        main = ["def main(argv=None):", "    parser = argparse.ArgumentParser(description=__doc__)",
                '    parser.add_argument("--epochs", type=int, default=EPOCHS)',
                '    parser.add_argument("--checkpoint", default="best.keras")',
                '    parser.add_argument("--out", default="artifacts")',
                "    args = parser.parse_args(argv)", "    logging.basicConfig(level=logging.INFO)",
                "    model, history = train(args)"]
        if any(b[0].startswith("def save_artifacts") for b in extras):
            main.append("    save_artifacts(model, args.out)")
        if any(b[0].startswith("def plot_history") for b in extras):
            main.append("    plot_history(history)")
        main += ["", "", 'if __name__ == "__main__":', "    main()"]
        return self.assemble(body, main)

    def render_short(self, build, model_expr) -> str:
        """A tutorial-style script: the model is built and trained at module level."""
        r, ns = self.rng, self.ns
        loss = {"binary": "binary_crossentropy", "multi": "sparse_categorical_crossentropy",
                "tagging": "sparse_categorical_crossentropy"}[self.task]
        body = self.data_section() + [""] + build + [""]
        body += [f"model = {model_expr}"]
        if self.arch == "two_inputs":
            body = body[:-1] + [f"model = {model_expr}",
                                "numeric = np.random.default_rng(SEED).normal(size=(1000, 8)).astype('float32')"]
        body += self.prepare()
        body += [f'model.compile(optimizer="adam", loss="{loss}", metrics=["accuracy"])']
        xin = "[x_train, numeric]" if self.arch == "two_inputs" else "x_train"
        body += [f"model.fit({xin}, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.1)"]
        if r.random() < 0.5:
            body += ["model.summary()"]
        return self.assemble(body, [], short=True)

    def assemble(self, body, main, short=False) -> str:
        r = self.rng
        head = [f'"""{self.topic[0].upper() + self.topic[1:]} ({self.build_style.replace("_", " ")}, '
                f'{self.rnn if self.arch == "rnn" else self.arch}).', ""]
        head += r.choice((["Trains on synthetic data by default; point --data at the real files."],
                          ["Experiment script: small model, quick to train on a laptop."],
                          ["Baseline model for the comparison in the report.", "",
                           "Usage: python train.py --epochs 5"]))
        head += ['"""']
        if short:
            imports = self.ns.imports()
            text = "\n".join(head + imports + [""] + self.constants() + ["", ""] + _squash(body)) + "\n"
            return text
        imports = ["import argparse", "import logging", "import os", ""] + self.ns.imports()
        consts = self.constants()
        text = "\n".join(head + imports + ["", 'logger = logging.getLogger(__name__)', ""] + consts + ["", ""] +
                         _squash(body) + ["", ""] + main) + "\n"
        return text


def _squash(lines: list[str]) -> list[str]:
    """Two blank lines between top-level blocks, never three."""
    out: list[str] = []
    for ln in lines:
        if ln == "" and len(out) >= 2 and out[-1] == "" and out[-2] == "":
            continue
        out.append(ln)
    while out and out[-1] == "":
        out.pop()
    return out


def generate(out_dir: str, n: int = 300, seed: int = 20261124) -> list[dict]:
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.endswith(".py"):
            os.remove(os.path.join(out_dir, f))
    master = random.Random(seed)
    manifest = []
    for i in range(n):
        for attempt in range(50):  # redraw until the file is 40-200 lines
            g = Gen(i, random.Random(master.getrandbits(64)))
            text = g.render()
            nlines = text.count("\n")
            if 40 <= nlines <= 200:
                break
        compile(text, f"model_{i:03d}.py", "exec")  # always valid Python
        name = f"model_{i:03d}.py"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as fh:
            fh.write(text)
        manifest.append({"file": name, "lines": nlines, "style": g.ns.style, "build": g.build_style, "arch": g.arch,
                         "kind": g.kind, "task": g.task, "mistake": g.mistake})
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump({"seed": seed, "n": n, "files": manifest}, fh, indent=1)
    return manifest


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261124)
    a = ap.parse_args(argv)
    man = generate(a.out_dir, a.n, a.seed)
    lines = [m["lines"] for m in man]
    print(f"{len(man)} files, {min(lines)}-{max(lines)} lines (mean {sum(lines) / len(lines):.0f}), "
          f"{sum(1 for m in man if m['mistake'])} with a planted masking mistake -> {a.out_dir}")


if __name__ == "__main__":
    main()
