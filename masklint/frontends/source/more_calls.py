"""Calls that make layers without a ``keras.layers`` class name: the merge functions
(``layers.concatenate([a, b], axis=1)`` is ``Concatenate(axis=1)([a, b])``) and third-party layer
classes (``keras_hub.layers.TransformerEncoder``, ``tcn.TCN``, ``keras_self_attention.SeqSelfAttention``,
a ``CRF``...): a layer node of unknown behaviour (not built in) that names its package, so the model is
kept and a finding where a mask reaches it names the class."""
from __future__ import annotations

from ... import knowledge as K
from ...ir import LAYER, Layer
from ...knowledge.third_party import THIRD_PARTY_POSITIONAL
from .names import _snake
from .values import Const, LayerObj, _plain

#: ``keras.layers.<function>`` -> the layer class it builds, and the function's positional parameters
#: after ``inputs`` (keras/src/layers/merging/*.py)
MERGE_FUNCTIONS = {
    "concatenate": ("Concatenate", ("axis",)), "add": ("Add", ()), "subtract": ("Subtract", ()),
    "multiply": ("Multiply", ()), "average": ("Average", ()), "maximum": ("Maximum", ()),
    "minimum": ("Minimum", ()), "dot": ("Dot", ("axes", "normalize")),
}

#: third-party packages whose classes under ``.layers`` are Keras layers
LAYER_PACKAGES = ("keras_hub", "keras_nlp", "keras_cv", "keras_contrib", "tensorflow_addons")
#: third-party modules whose capitalised names are Keras layers
LAYER_MODULES = ("keras_self_attention", "tcn", "keras_tcn", "crf", "keras_crf", "tf2crf", "keras_multi_head",
                 "keras_pos_embd", "keras_transformer", "keras_layer_normalization", "keras_bert",
                 "keras_position_wise_feed_forward", "keras_embed_sim", "attention", "keras_attention",
                 "layers_attention", "tensorflow_text")


def merge_class(q: str):
    """``keras.layers.concatenate`` (any spelling) -> ("Concatenate", ("axis",)), else None."""
    parts = q.split(".")
    if len(parts) < 3 or parts[0] != "keras" or "layers" not in parts[1:-1] and parts[-2] != "merge":
        return None
    return MERGE_FUNCTIONS.get(parts[-1])


def third_party_class(q: str) -> tuple[str, str] | None:
    """(module, class) of a third-party layer class named by ``q``, else None."""
    parts = q.split(".")
    cls = parts[-1]
    if len(parts) < 2 or not cls[:1].isupper():
        return None
    top = parts[0]
    if top in LAYER_PACKAGES and "layers" in parts[1:-1]:
        return ".".join(parts[:-1]), cls
    if top in LAYER_MODULES:
        return ".".join(parts[:-1]), cls
    return None


class MoreCalls:
    """Part of the interpreter (:class:`~.interpreter.Extractor`); the host provides ``make_layer``,
    ``call_layer``, ``layers`` and ``auto_name``."""

    def more_call(self, q, args, kwargs, node):
        """The value of a merge function or a third-party layer class call; None for anything else."""
        m = merge_class(q)
        if m is not None:
            cls, params = m
            if not args and "inputs" not in kwargs:
                return None
            inputs = args[0] if args else kwargs["inputs"]
            cfg = {k: v for k, v in kwargs.items() if k != "inputs"}
            for p, v in zip(params, args[1:]):
                cfg[p] = v
            obj = self.make_layer(cls, [], cfg, node)
            return self.call_layer(obj, [inputs], {}, node)
        tp = third_party_class(q)
        if tp is not None:
            return self.third_party_layer(tp[0], tp[1], kwargs, node, args)
        return None

    def third_party_layer(self, module, cls, kwargs, node, args=()):
        name_v = kwargs.get("name")
        name = name_v.v if isinstance(name_v, Const) and isinstance(name_v.v, str) else self.auto_name(_snake(cls))
        pkg = module.split(".")[0]
        key = K.third_party_key(cls, module, f"{pkg}>{cls}")
        # positional constructor arguments, named as the package's signature names them
        config = {p: _plain(v.v) if isinstance(v, Const) else None
                  for p, v in zip(THIRD_PARTY_POSITIONAL.get(key, ()), args)}
        config.update({k: _plain(v.v) if isinstance(v, Const) else None for k, v in kwargs.items()})
        config["name"] = name
        lay = Layer(name=name, path=name, class_name=cls, module=module, registered_name=f"{pkg}>{cls}",
                    config=config, kind=LAYER)
        if K.third_party_spec(lay) is None:
            lay.why = f"third-party class {module}.{cls}: its mask behaviour is not in masklint's table"
        lay.cst = node
        self.layers.append(lay)
        return LayerObj(lay, node)
