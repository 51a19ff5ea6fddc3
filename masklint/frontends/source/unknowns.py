"""Never drop a model: what the interpreter cannot follow becomes an *unknown node* in the graph, so the
rest of the model is still built and analysed. An unknown node is a :class:`~masklint.ir.Layer` with
``module=None``, ``registered_name="unknown>NAME"`` and ``why`` saying what was not followed; its output
is a tensor whose mask and values are unknown to the analysis, so no rule decides anything across it
(and the unknown-mask-behaviour rule stays silent for these constructs: they are not layers).

Also here: a ``Sequential``/functional model used as a layer (a nested model node, kind MODEL) and the
layer calls the interpreter builds from keywords (``LSTM(8)(inputs=x)``, ``mha(query=q, value=v)``),
laid out as the saved-model front end lays them out (``Node.tensor_kwargs``)."""
from __future__ import annotations

from ...ir import LAYER, MODEL, Layer, Node
from .graphs import func_graph, seq_graph, short_code
from .keras_calls import record_kwargs
from .names import _snake
from .values import UNKNOWN, Const, FuncModel, Instance, LayerObj, Seq, Tens, _tensors

#: the prefix of an unknown node's ``registered_name``: the analysis keeps the unknown-mask-behaviour finding silent for these
UNKNOWN_PREFIX = "unknown>"
#: tensor attributes that are not tensors (``x.shape[1]``): they stay unknown values
TENSOR_DATA_ATTRS = frozenset({"shape", "dtype", "ndim", "name", "_keras_mask", "_keras_history"})


def all_tensors(args, kwargs) -> list:
    """The IR tensors among call arguments (positional, then keyword), in order."""
    out = []
    for v in list(args) + list(kwargs.values()):
        out.extend(_tensors(v))
    return out


class UnknownNodes:
    """Part of the interpreter (:class:`~.interpreter.Extractor`): unknown nodes, nested models and
    keyword layer calls. The host provides ``layers``, ``auto_name`` and ``make_layer``/``call_layer``."""

    def unknown_node(self, label: str, why: str, tensors, cst_node, n_outputs: int = 1):
        """A node for a construct masklint does not follow, applied to ``tensors``; its output tensor."""
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in label).strip("_") or "call"
        name = self.auto_name(f"unknown_{_snake(base)}")
        lay = Layer(name=name, path=name, class_name=label, module=None,
                    registered_name=f"{UNKNOWN_PREFIX}{label}", config={"name": name}, kind=LAYER)
        lay.why = why
        lay.cst = cst_node
        self.layers.append(lay)
        n = Node(lay, args=list(tensors))
        return Tens(n.output(0))

    def unknown_call(self, label, why, args, kwargs, cst_node):
        """The value of an unfollowed call: an unknown node when a tensor flows into it, else UNKNOWN."""
        ts = all_tensors(args, kwargs)
        if not ts:
            return UNKNOWN
        return self.unknown_node(label, why, ts, cst_node)

    def call_label(self, cst_node) -> str:
        """``foo.bar(...)`` -> ``bar``: the name an unknown call node is shown with."""
        import libcst as cst

        f = getattr(cst_node, "func", None)
        if isinstance(f, cst.Attribute):
            return f.attr.value
        if isinstance(f, cst.Name):
            return f.value
        return "call"

    # ---- calls the interpreter used to give up on
    def star_call(self, func, node, scope):
        """A call with ``*args``/``**kwargs``: a layer (or anything) applied to the tensors it can see
        becomes an unknown node; without tensors the value stays unknown."""
        vals = []
        for a in node.args:
            v = self.eval(a.value, scope)
            vals.append(v)
        ts = all_tensors(vals, {})
        if isinstance(func, LayerObj):
            label = func.layer.class_name
            if not ts:
                ts = [self.unknown_source(node)]
        else:
            label = self.call_label(node)
            if not ts:
                return UNKNOWN
        return self.unknown_node(label, "called with *args/**kwargs, which masklint does not expand", ts, node)

    def unknown_source(self, cst_node):
        """A tensor masklint cannot trace back to an input (a layer called on an unknown value)."""
        return self.unknown_node("input", "the layer's input comes from code masklint does not follow",
                                 [], cst_node).t

    def layer_on_unknown(self, obj: LayerObj, args, kwargs, node):
        """A layer called on something that is not a known tensor (``LSTM(4)(base.output)``): its input
        becomes an unknown source so the layers after it are still part of the model."""
        if args and not isinstance(args[0], (Tens, Const)) or (not args and "inputs" in kwargs):
            src = Tens(self.unknown_source(node))
            return self.call_layer(obj, [src] + list(args[1:]), {k: v for k, v in kwargs.items()
                                                                   if k != "inputs"}, node)
        return UNKNOWN

    def keyword_layer_call(self, obj: LayerObj, kwargs, node):
        """``LSTM(8)(inputs=x)``, ``mha(query=q, value=v, key=k)``: every tensor goes to
        ``tensor_kwargs`` (masks to ``masks``), as Keras 3 records a call made with keywords."""
        n = Node(obj.layer, args=[])
        record_kwargs(n, kwargs)
        if not n.tensor_kwargs:
            return self.layer_on_unknown(obj, [], kwargs, node)
        return Tens(n.output(0))

    def nested_model_call(self, model, args, node):
        """A ``Sequential`` or functional model called on tensors inside another model: a MODEL node whose
        ``graph`` is the inner model's own (built now, from what is known of it so far)."""
        ts = _tensors(args[0]) if args else []
        if not ts:
            return UNKNOWN
        g = seq_graph(model) if isinstance(model, Seq) else func_graph(model) if isinstance(model, FuncModel) \
            else None
        if g is None or len(g.inputs) != len(ts):
            return self.unknown_node("Model", "a model used as a layer whose graph masklint could not build",
                                     ts, node)
        name = model.name if isinstance(model.name, str) else self.auto_name(
            "sequential" if isinstance(model, Seq) else "functional")
        lay = Layer(name=name, path=name, class_name="Sequential" if isinstance(model, Seq) else "Functional",
                    module="keras", config={"name": name}, kind=MODEL, graph=g)
        lay.cst = node
        self.layers.append(lay)
        model.nested = True
        n = Node(lay, args=ts)
        return Tens(n.output(0))

    def seq_item(self, item, cst_node):
        """A ``Sequential`` item that is not a layer object: a nested model, or an unknown node."""
        if isinstance(item, Instance) and item.model is not None:  # a subclassed model's instance
            item = item.model
        if isinstance(item, (Seq, FuncModel)):
            g = seq_graph(item) if isinstance(item, Seq) else func_graph(item)
            if g is not None:
                name = item.name if isinstance(item.name, str) else self.auto_name("sequential")
                lay = Layer(name=name, path=name, class_name="Sequential" if isinstance(item, Seq) else "Functional",
                            module="keras", config={"name": name}, kind=MODEL, graph=g)
                lay.cst = cst_node
                self.layers.append(lay)
                item.nested = True
                return LayerObj(lay, cst_node)
        label = short_code(cst_node) if cst_node is not None else "item"
        base = label.split("(", 1)[0].rsplit(".", 1)[-1] or "item"
        name = self.auto_name(f"unknown_{_snake(''.join(c for c in base if c.isalnum() or c == '_') or 'item')}")
        lay = Layer(name=name, path=name, class_name=base, module=None, registered_name=f"{UNKNOWN_PREFIX}{base}",
                    config={"name": name}, kind=LAYER)
        lay.why = f"a Sequential item masklint cannot follow: {label}"
        lay.cst = cst_node
        self.layers.append(lay)
        return LayerObj(lay, cst_node)
