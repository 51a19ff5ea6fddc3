"""More padding evidence in code, a mixin of the interpreter (:class:`~.interpreter.Extractor`):

* ``TextVectorization(output_sequence_length=N)`` called on data -- directly or in a ``tf.data``
  ``map`` before the model -- gives token ids padded with 0 at the end (it truncates longer texts;
  measured in ``tests/test_project.py``). Inside a model the analysis knows it (``analysis/flow.py``).
* ``tf.one_hot`` / ``keras.ops.one_hot`` / ``keras.utils.to_categorical`` of padded ids: still padded
  (each pad step is the one-hot row of the pad id, not zeros), the padding fact keeps its origin.
* ``tf.data`` methods that keep the elements (``batch``, ``cache``, ``prefetch``...) keep the padding.
* Unambiguous module padding: when nothing links a model of the module to data (no ``fit``/``predict``
  call on it), and every padding fact of the module has one configuration (pad value, side, dtype), that
  padding applies to the model -- if its input goes straight into an ``Embedding``, a ``Masking`` or an
  RNN. Facts of other files (a project's ``data.py``) never apply this way: only data flow links them.
"""
from __future__ import annotations

from ...ir import PaddingFact
from .values import UNKNOWN, Arr, Const, Func, FuncModel, Seq, _tensors

ONE_HOT = {"keras.utils.to_categorical", "keras.utils.np_utils.to_categorical", "tensorflow.one_hot",
           "keras.ops.one_hot", "keras.backend.one_hot", "keras.ops.nn.one_hot"}
#: tf.data methods that keep each element as it is
DATASET_KEEP = {"batch", "cache", "prefetch", "shuffle", "repeat", "take", "skip", "with_options"}
FED = {"fit", "predict", "evaluate", "train_on_batch", "predict_on_batch", "test_on_batch"}
#: the layers an input may go straight into for the module's padding to apply to it
FIRST_LAYERS = {"Embedding", "Masking", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "RNN"}


def _key(model) -> int:
    """A model by the call that builds it: a helper's body runs once as its own entry and once per
    call, each making its own model object."""
    return id(getattr(model, "cst", None) or model)


class LambdaFn:
    """A ``lambda`` expression and the scope it closes over (followed when a dataset maps it)."""

    __slots__ = ("node", "scope")

    def __init__(self, node, scope):
        self.node = node
        self.scope = scope


class MoreEvidence:
    """The host provides ``eval``, ``run_function``, ``pad_fact``, ``closures``, ``file`` and the
    :class:`~.keras_calls.KerasCalls`/:class:`~.padding.PaddingFacts` methods this extends."""

    def _facts(self) -> dict:
        d = self.__dict__.get("_evidence")
        if d is None:
            d = self.__dict__["_evidence"] = {"facts": [], "fed": set(), "foreign": set()}
        return d

    # ---- values
    def lambda_value(self, node, scope):
        fn = LambdaFn(node, scope)
        self.closures.append(fn)
        return fn

    # ---- recording the module's padding facts and which models are fed
    def pad_fact(self, value, side, dtype, node, how):
        f = super().pad_fact(value, side, dtype, node, how)
        self._facts()["facts"].append(f)
        return f

    def pad_sequences(self, args, kwargs, node):
        r = super().pad_sequences(args, kwargs, node)
        self._facts()["facts"].append(r.pad)
        return r

    def model_method(self, obj, name, args, kwargs):
        if name in FED:
            self._facts()["fed"].add(_key(obj))
        return super().model_method(obj, name, args, kwargs)

    def keras_call(self, q, args, kwargs, node):
        r = super().keras_call(q, args, kwargs, node)
        if isinstance(r, (Seq, FuncModel)) and self.file is not None:
            self._facts()["foreign"].add(_key(r))
        return r

    # ---- new evidence
    def data_call(self, q, args, kwargs, node):
        if q in ONE_HOT and args and isinstance(args[0], Arr) and args[0].pad is not None:
            return self.one_hot_data(q, args, kwargs)
        return super().data_call(q, args, kwargs, node)

    def one_hot_data(self, q, args, kwargs):
        arr = args[0]
        pad = arr.pad
        depth = args[1] if len(args) > 1 else kwargs.get("num_classes", kwargs.get("depth", UNKNOWN))
        depth = depth.v if isinstance(depth, Const) and isinstance(depth.v, int) else None
        fact = PaddingFact(value=None, side=pad.side, dtype="float32", origin=pad.origin,
                           how=f"{pad.how} then {q.rsplit('.', 1)[1]}")
        self._facts()["facts"].append(fact)
        shape = tuple(arr.shape) + (depth,) if arr.shape is not None else None
        return Arr(shape, "float32", pad=fact)

    def call_layer(self, obj, args, kwargs, node):
        lay = obj.layer
        if lay.class_name == "TextVectorization" and args and not _tensors(args[0]):
            return self.vectorized(lay, node)
        return super().call_layer(obj, args, kwargs, node)

    def vectorized(self, lay, node):
        """A TextVectorization layer called on texts (not on a tensor of the model): ``int`` output
        padded with 0 at the end, to ``output_sequence_length`` (else to the longest text)."""
        cfg = lay.config
        if cfg.get("output_mode", "int") != "int" or cfg.get("ragged", False) is not False:
            return UNKNOWN
        osl = cfg.get("output_sequence_length")
        osl = osl if isinstance(osl, int) and not isinstance(osl, bool) else None
        return Arr((None, osl), "int64", pad=self.pad_fact(0, "post", "int64", node, "TextVectorization"))

    def array_method(self, arr, name, args):
        if name in DATASET_KEEP:
            return Arr(arr.shape, arr.dtype, pad=arr.pad)
        return super().array_method(arr, name, args)

    def padding_method(self, name, args, kwargs, node):
        if name != "map":
            return super().padding_method(name, args, kwargs, node)
        return self.dataset_map(args[0] if args else kwargs.get("map_func", UNKNOWN))

    def dataset_map(self, fn):
        """``ds.map(f)``: the padded ids ``f`` returns (first of a tuple ``(x, y)``), else unknown."""
        if isinstance(fn, LambdaFn):
            if fn.scope is None:
                return UNKNOWN
            params = fn.node.params
            scope = dict(fn.scope)
            for p in list(params.posonly_params) + list(params.params):
                scope[p.name.value] = UNKNOWN
            r = self.eval(fn.node.body, scope)
        elif isinstance(fn, Func) and fn.scope is not None:
            n = len(fn.node.params.params)
            r = self.run_function(fn.node, dict(fn.scope), args=([UNKNOWN] * n, {}))
        else:
            return UNKNOWN
        if isinstance(r, Const) and isinstance(r.v, tuple) and r.v:
            r = r.v[0]
        if isinstance(r, Arr) and r.pad is not None:
            return Arr(None, r.dtype, pad=r.pad)
        return UNKNOWN

    # ---- unambiguous module padding
    def module_padding(self, obj, g):
        """``g`` (the graph of ``obj``) with the module's padding when it is unambiguous (see above)."""
        d = self._facts()
        if g.padding or not g.inputs or _key(obj) in d["fed"] or _key(obj) in d["foreign"]:
            return g
        facts = [f for f in d["facts"] if f.origin is None or f.origin.file is None]
        configs = {(repr(f.value), f.side, f.dtype) for f in facts}
        if len(configs) != 1:
            return g
        fact = facts[0]
        if fact.value is None or fact.side is None:
            return g
        first = [n.layer.class_name for n in g.nodes if any(t is g.inputs[0] for t in n.args)]
        if first and all(c in FIRST_LAYERS for c in first):
            g.padding = [fact]
        return g
