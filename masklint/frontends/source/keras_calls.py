"""Keras calls in model code, as IR layers and nodes: layer constructors (their arguments become the
layer config), ``Input``, ``Sequential``/``Model``, calling a layer on tensors, ``keras.ops`` and
``tf.*`` functions on tensors, and the model methods that matter (``add``, ``build``, ``fit``...)."""
from __future__ import annotations

from ... import knowledge as K
from ...ir import INPUT, LAYER, OP, Layer, Node
from ...rules.mk203_embedding_without_padding_slot import EmbeddingWithoutPaddingSlot
from .names import FUNCTIONAL_NAMES, INPUT_NAMES, MODEL_NAMES, AutoNames, _camel, _snake, layer_class
from .values import UNKNOWN, Arr, Const, FuncModel, LayerObj, Seq, Tens, VocabLen, _plain, _tensors


class KerasCalls(AutoNames):
    """Part of the interpreter (:class:`~.interpreter.Extractor`): the Keras calls. The host provides
    ``cst`` (the libcst module), ``inline_lambda``, ``layers`` (every layer made is added), ``seqs`` and
    ``funcs`` (the models found) and ``extra_issues``."""

    _add_arg = None  # the libcst node of the argument of the `model.add(...)` being followed

    def keras_call(self, q, args, kwargs, node):
        """The value of a call of ``q`` (a canonical name) that makes a layer, an input or a model; None
        when ``q`` is none of these."""
        cls = layer_class(q)
        if cls is not None and q not in INPUT_NAMES:
            return self.make_layer(cls, args, kwargs, node)
        if q in INPUT_NAMES:
            return self.make_input(args, kwargs, node)
        if q in MODEL_NAMES:
            seq = Seq(node)
            self.seqs.append(seq)
            items = args[0] if args else kwargs.get("layers")
            seq.name = _name_kwarg(kwargs)
            if isinstance(items, Const) and isinstance(items.v, (list, tuple)):
                elems = _elements(node, self.cst)
                for i, it in enumerate(items.v):
                    self.seq_add(seq, it, elems[i] if elems and i < len(elems) else node)
            return seq
        if q in FUNCTIONAL_NAMES:
            ins = args[0] if args else kwargs.get("inputs", UNKNOWN)
            outs = args[1] if len(args) > 1 else kwargs.get("outputs", UNKNOWN)
            fm = FuncModel(_tensors(ins), _tensors(outs), node)
            fm.name = _name_kwarg(kwargs)
            if fm.outputs:
                self.funcs.append(fm)
            return fm
        return None

    def op_call(self, q, args, kwargs, node):
        """A ``keras.ops.*`` or ``tf.*`` function applied to tensors, as an op node; None otherwise."""
        if q.startswith("keras.ops.") and any(isinstance(a, Tens) for a in args):
            name = q.rsplit(".", 1)[1]
            return self.op_node(_camel(name), args, kwargs, node, module="keras.src.ops.numpy")
        if q.startswith("tensorflow.") and any(isinstance(a, Tens) for a in args):
            fn = q[len("tensorflow."):]
            return self.op_node("TFOpLambda", args, kwargs, node, function=fn)
        return None

    def seq_add(self, seq: Seq, item, cst_node=None):
        if isinstance(item, LayerObj):
            seq.layers.append(item)
            if item.layer.custom is not None:  # a user Layer subclass: Sequential calls it on one tensor
                self.follow_custom(item.layer)
        elif isinstance(item, Tens) and item.t.node.layer.kind == INPUT and not seq.layers:
            seq.input = item.t
        else:  # something masklint cannot follow: an unknown node (or a nested model)
            seq.layers.append(self.seq_item(item, cst_node))

    def model_method(self, obj, name, args, kwargs):
        """``model.fit(x, y)`` and the like (the data's padding and shape), ``Sequential.add``/``build``."""
        if isinstance(obj, (Seq, FuncModel)) and name in ("fit", "predict", "evaluate", "train_on_batch",
                                                          "predict_on_batch", "test_on_batch"):
            x = args[0] if args else kwargs.get("x")
            y = args[1] if len(args) > 1 else kwargs.get("y")
            weighted = "sample_weight" in kwargs or (name == "fit" and len(args) > 7)
            if name in ("fit", "evaluate", "train_on_batch", "test_on_batch") and isinstance(y, Arr) and \
                    y.pad is not None and y.pad not in obj.target_padding and not weighted:
                obj.target_padding.append(y.pad)
            if isinstance(x, Arr):
                if x.pad is not None and x.pad not in obj.padding:
                    obj.padding.append(x.pad)
                if isinstance(obj, Seq) and x.shape is not None and obj.data_shape is None:
                    obj.data_shape = (None,) + tuple(x.shape[1:])
            return UNKNOWN
        if isinstance(obj, Seq):
            if name == "add" and args:
                self.seq_add(obj, args[0], self._add_arg)
            elif name == "build" and args and isinstance(args[0], Const):
                shape = args[0].v
                if isinstance(shape, (list, tuple)):
                    obj.build_shape = tuple(shape)
        return UNKNOWN

    def make_layer(self, cls, args, kwargs, node):
        cfg = {}
        unknown = False
        pos = K.POSITIONAL_ARGS.get(cls, ())
        for i, a in enumerate(args):
            key = pos[i] if i < len(pos) else f"__arg{i}"
            cfg[key] = a
        cfg.update(kwargs)
        config = {}
        inner = []
        for k, v in cfg.items():
            if isinstance(v, LayerObj) and k in ("layer", "backward_layer"):
                inner.append(v.layer)
                config[k] = {"class_name": v.layer.class_name, "config": v.layer.config}
            elif isinstance(v, Const):
                config[k] = _plain(v.v)
            elif k in ("function", "mask") and cls == "Lambda":
                config[k] = {"class_name": "__source__"}  # code: read below, never run
            else:
                config[k] = None
                if k in K.BEHAVIOUR_ARGS:
                    unknown = True
        name = config.get("name") if isinstance(config.get("name"), str) else self.auto_name(_snake(cls))
        vocab = cfg.get("input_dim")
        tok_issue = isinstance(vocab, VocabLen) and vocab.plus == 0 and vocab.index.tok.num_words is None
        lay = Layer(name=name, path=name, class_name=cls, module="keras.layers", config=config, kind=LAYER,
                    inner=inner)
        if unknown:
            lay.module = None
            lay.registered_name = f"unresolved>{cls}"
        lay.cst = node
        self.layers.append(lay)
        if cls == "Embedding" and tok_issue:
            self.extra_issues.append(EmbeddingWithoutPaddingSlot(lay, None, vocab=vocab.index.text))
        obj = LayerObj(lay, node)
        if cls == "Lambda" and "mask" not in cfg:
            fn = node.args[0].value if node.args and node.args[0].keyword is None else next(
                (a.value for a in node.args if a.keyword is not None and a.keyword.value == "function"), None)
            if isinstance(fn, self.cst.Lambda):
                lay.source_lambda = fn
                self.lambda_scopes[id(lay)] = self._lambda_globals
        return obj

    def make_input(self, args, kwargs, node):
        shape = args[0] if args else kwargs.get("shape", kwargs.get("batch_shape", UNKNOWN))
        bshape = None
        if isinstance(shape, Const) and isinstance(shape.v, (list, tuple)) and all(
                x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in shape.v):
            bshape = tuple(shape.v) if "batch_shape" in kwargs else (None,) + tuple(shape.v)
        dtype = kwargs.get("dtype")
        lay = Layer(name=self.auto_name("input_layer"), path="", class_name="InputLayer", module="keras.layers",
                    config={"batch_shape": list(bshape) if bshape else None}, kind=INPUT)
        lay.path = lay.name
        lay.cst = node
        n = Node(lay)
        t = n.output(0)
        t.shape = bshape
        t.dtype = dtype.v if isinstance(dtype, Const) and isinstance(dtype.v, str) else "float32"
        return Tens(t)

    def call_layer(self, obj: LayerObj, args, kwargs, node):
        tensors = _tensors(args[0]) if args else []
        if not tensors:
            return self.keyword_layer_call(obj, kwargs, node) if not args else self.layer_on_unknown(
                obj, args, kwargs, node)
        if obj.layer.source_lambda is not None and len(args) == 1 and not kwargs:
            r = self.call_source_lambda(obj, args[0])
            if r is not None:
                return r
        extra = [a.t for a in args[1:] if isinstance(a, Tens)]
        n = Node(obj.layer, args=tensors + extra)
        if obj.layer.custom is not None:  # a user Layer subclass: its call is followed at the first call
            self.follow_custom(obj.layer, args, kwargs)
        record_kwargs(n, kwargs)
        return Tens(n.output(0))

    def op_node(self, cls, args, kwargs, node, module=None, function=None):
        tensors = []
        consts = []
        for a in args:
            ts = _tensors(a)
            if ts:
                tensors.extend(ts)
            else:
                consts.append(a.v if isinstance(a, Const) else None)
        name = self.auto_name(_snake(cls) if cls != "TFOpLambda" else "tf_op_lambda")
        cfg = {"name": name}
        cfg.update({k: v.v for k, v in kwargs.items() if isinstance(v, Const)})
        if function:
            cfg["function"] = function
        lay = Layer(name=name, path=name, class_name=cls, module=module, registered_name=cls, config=cfg, kind=OP)
        lay.cst = node
        self.layers.append(lay)
        n = Node(lay, args=tensors, consts=consts,
                 kwargs={k: v.v for k, v in kwargs.items() if isinstance(v, Const)})
        return Tens(n.output(0))

def _name_kwarg(kwargs):
    v = kwargs.get("name")
    return v.v if isinstance(v, Const) and isinstance(v.v, str) else None


def _elements(node, cst) -> list:
    """The libcst nodes of the items of ``Sequential([...])`` (for unknown items' text and line)."""
    first = node.args[0].value if node.args else None
    if isinstance(first, (cst.List, cst.Tuple)):
        return [e.value for e in first.elements]
    return []


def record_kwargs(n: Node, kwargs) -> None:
    """A layer call's keyword arguments on its node: masks (``mask``, ``*_mask``) to ``masks``, other
    tensors to ``tensor_kwargs``, known constants to ``kwargs``."""
    for k, v in kwargs.items():
        ts = _tensors(v)
        if k == "mask" or k.endswith("_mask"):
            if ts:
                n.masks[k] = ts
        elif ts:
            n.tensor_kwargs[k] = ts
        elif isinstance(v, Const):
            n.kwargs[k] = v.v
