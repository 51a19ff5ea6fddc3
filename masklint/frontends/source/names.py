"""What a name in model code means: imports and aliases (``tf.keras``, ``keras.layers as L``, ``from ...
import LSTM``) resolved to one canonical dotted name, the Keras names the front end knows, and the names
Keras gives layers by default."""
from __future__ import annotations

import re

from ... import knowledge as K
from .values import ClassVal, Ref

_PREFIXES = (("tensorflow.python.keras.", "keras."), ("tensorflow.keras.", "keras."), ("tf_keras.", "keras."),
             ("keras.src.", "keras."), ("tensorflow.compat.v1.keras.", "keras."), ("tensorflow.compat.v2.keras.",
                                                                                      "keras."))


def canonical_name(q: str) -> str:
    for old, new in _PREFIXES:
        if q.startswith(old):
            return new + q[len(old):]
    if q == "tensorflow.keras":
        return "keras"
    return q


def _snake(name: str) -> str:
    """Keras' own default-name rule (``Conv1D`` -> ``conv1d``, ``GlobalAveragePooling1D`` ->
    ``global_average_pooling1d``), so names match those in saved models."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


MODEL_NAMES = {"keras.Sequential", "keras.models.Sequential"}
FUNCTIONAL_NAMES = {"keras.Model", "keras.models.Model", "keras.Functional", "keras.models.Functional"}
INPUT_NAMES = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer", "keras.Input"}
TOKENIZER_NAMES = {"keras.preprocessing.text.Tokenizer", "keras.legacy.preprocessing.text.Tokenizer"}
PAD_NAMES = {"keras.utils.pad_sequences", "keras.preprocessing.sequence.pad_sequences",
             "keras.utils.data_utils.pad_sequences"}


def layer_class(q: str) -> str | None:
    """``keras.layers.LSTM`` (any spelling) -> ``LSTM`` if it is a Keras layer class."""
    if not q.startswith("keras."):
        return None
    parts = q.split(".")
    if "layers" not in parts[:-1]:
        return None
    cls = parts[-1]
    return K.canonical(cls) if K.lookup(cls) is not None else None



_BUILTINS = {"float", "int", "len", "list", "tuple", "range"}


def is_keras_layer(cls: ClassVal) -> bool:
    """A user class derived from a Keras ``Layer`` (or ``Wrapper``)."""
    return any(isinstance(b, Ref) and b.q.startswith("keras.") and b.q.split(".")[-1] in ("Layer", "Wrapper")
               for b in cls.bases)


def is_keras_model(cls: ClassVal) -> bool:
    """A user class derived from a Keras ``Model`` (a subclassed model)."""
    return any(isinstance(b, Ref) and (b.q in FUNCTIONAL_NAMES or b.q.endswith(".Model")) for b in cls.bases)


def bind_import(small, scope) -> None:
    """Bind the names an ``import``/``from ... import`` statement (libcst) defines in ``scope``."""
    import libcst as cst

    if isinstance(small, cst.Import):
        for alias in small.names:
            full = _dotted(alias.name)
            if alias.asname is not None:
                scope[alias.asname.name.value] = Ref(canonical_name(full))
            else:
                top = full.split(".")[0]
                scope[top] = Ref(top)
    elif isinstance(small, cst.ImportFrom):
        if small.module is None or small.relative:
            return None
        mod = _dotted(small.module)
        if isinstance(small.names, cst.ImportStar):
            return None
        for alias in small.names:
            name = _dotted(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            scope[local] = Ref(canonical_name(f"{mod}.{name}"))
    return None


def _dotted(node) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


class AutoNames:
    """Keras' default layer names, counted per file: ``lstm``, then ``lstm_1``, ``lstm_2``... (the host
    sets ``self.names = {}``)."""

    names: dict

    def auto_name(self, base):
        n = self.names.get(base, 0)
        self.names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"
