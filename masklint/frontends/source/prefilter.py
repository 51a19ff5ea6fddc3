"""The second pre-filter of the source path: may this file give a finding at all? Decided on CPython's
``ast`` tree (which :mod:`.parse_guard` builds anyway), before libcst parses the file: libcst's parse is
~10x slower than ``ast.parse``, and most files of a real tree mention Keras without building a model
(library code, layer definitions, tests, utilities).

Every finding of a source file comes from one of two places: the analysis of a model graph the
interpreter found, or an "extra issue" the front end records without a graph (real-values-masked from
``pad_sequences``, embedding-without-padding-slot from a ``Tokenizer`` vocabulary). unused-noqa needs no
parse: a file that cannot give any other finding gets exactly the unused-noqa findings
``source_lint._unused_noqa`` computes from its text alone, so a ``# noqa`` comment is not a trigger.

A file is parsed when one of :data:`TRIGGERS` is used in its code: as a name, an attribute, or a part
of an imported name (``from keras.models import Sequential as S`` counts; a word in a docstring or a
comment does not). The list errs on the side of parsing: it also holds names that today's interpreter
only uses next to a model (``Input``, ``fit``...), so that a file that feeds or assembles a model
defined elsewhere is still parsed once other parts follow it. **When you teach the front end a new
source of findings, add its names here** with a comment; ``tests/test_prefilter.py`` checks that
every fixture lints to the same findings with and without this filter.

``MASKLINT_NO_PREFILTER=1`` (read once, at import) or :data:`ENABLED` ``= False`` turns it off (tests
and benchmarks only)."""
from __future__ import annotations

import os
import re

#: the names that make a file worth parsing, each with the reason it matters
TRIGGERS: dict[str, str] = {
    # -- models: every graph the analysis checks starts at one of these (keras_calls.keras_call:
    #    names.MODEL_NAMES / FUNCTIONAL_NAMES; interpreter.instantiate: a class deriving from Model)
    "Sequential": "keras.Sequential / keras.models.Sequential builds a model",
    "Model": "keras.Model(inputs, outputs), or a class deriving from keras.Model (a subclassed model)",
    "Functional": "keras.Functional / keras.models.Functional builds a model",
    # -- inputs: a functional graph starts at an Input; kept although a graph also needs Model, for
    #    models assembled elsewhere (super().__init__(inputs=..., outputs=...), cross-file models)
    "Input": "keras.Input / keras.layers.Input starts a functional graph",
    "InputLayer": "keras.layers.InputLayer starts a functional graph or a Sequential",
    # -- extra issues (no graph needed)
    "pad_sequences": "padding facts, and real-values-masked's float-to-int truncation record",
    "Tokenizer": "a 1-based Tokenizer vocabulary: embedding-without-padding-slot (input_dim=len(tok.word_index))",
    "word_index": "a Tokenizer vocabulary used for an Embedding's input_dim (embedding-without-padding-slot)",
    # -- padding evidence from data pipelines (padding.PaddingFacts)
    "padded_batch": "tf.data padded_batch(padding_values=...): a padding fact",
    "to_tensor": "RaggedTensor.to_tensor(default_value=...): a padding fact",
    "TextVectorization": "TextVectorization(output_sequence_length=...) pads its output: a padding fact",
    "one_hot": "keras.preprocessing.text.one_hot: 1-based ids (real values vs mask_zero)",
    # -- a model fed with data: the data's padding and shape reach the model's graph (keras_calls.model_method)
    "fit": "model.fit(x, y): padding facts of x and y",
    "predict": "model.predict(x): padding facts of x",
    "evaluate": "model.evaluate(x, y): padding facts of x and y",
    "train_on_batch": "model.train_on_batch(x, y): padding facts",
    "test_on_batch": "model.test_on_batch(x, y): padding facts",
    "predict_on_batch": "model.predict_on_batch(x): padding facts",
}

ENABLED = os.environ.get("MASKLINT_NO_PREFILTER", "") in ("", "0")

_WORDS: re.Pattern | None = None
_TRIGGER_SET: frozenset = frozenset()


def _words() -> re.Pattern:
    """The triggers as one regular expression, built on first use (and again if TRIGGERS changed)."""
    global _WORDS, _TRIGGER_SET
    if _WORDS is None or _TRIGGER_SET != frozenset(TRIGGERS):
        _TRIGGER_SET = frozenset(TRIGGERS)
        _WORDS = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, TRIGGERS))) + r")\b")
    return _WORDS


def _names(tree):
    """The names, attributes and parts of imported names used in the code of ``tree`` (an ``ast``
    module), one by one, breadth first; strings and comments are not code."""
    import ast

    name, attribute, alias, import_from = ast.Name, ast.Attribute, ast.alias, ast.ImportFrom
    for node in ast.walk(tree):
        tp = type(node)
        if tp is name:
            yield node.id
        elif tp is attribute:
            yield node.attr
        elif tp is alias:
            yield from node.name.split(".")
            if node.asname:
                yield node.asname
        elif tp is import_from and node.module:
            yield from node.module.split(".")


def used_names(tree) -> set[str]:
    """Every name :func:`needs_parse` looks at in ``tree`` (for tests and diagnostics)."""
    return set(_names(tree))


def needs_parse(tree, text: str) -> bool:
    """True when the file (``text``, and ``tree``: CPython's ``ast`` of it) may give a finding other
    than unused-noqa, so libcst must parse it; False when it cannot (see the module's doc)."""
    words = _words()
    if words.search(text) is None:  # no trigger anywhere, not even in a string: the common case
        return False
    if tree is None:  # no ast tree to confirm with: parse
        return True
    triggers = _TRIGGER_SET
    return any(n in triggers for n in _names(tree))  # stops at the first trigger used in code


def keep(tree, text: str) -> bool:
    """The hook :func:`.parse_guard.parse` calls: parse unless the pre-filter is on and rules the file out."""
    return not ENABLED or needs_parse(tree, text)
