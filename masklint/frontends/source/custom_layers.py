"""User ``Layer`` subclasses in model code: the declared mask behaviour (:mod:`.custom_decl`) and their
``call``, followed on fresh input tensors with the sublayers built in ``__init__``/``build``, as the
inner graph of the layer (kind ``"custom layer"``). The layers made inside get paths under the outer
layer (``transformer_block/multi_head_attention``), as Keras names them in saved models. A mixin of
:class:`~.interpreter.Extractor` (which provides ``run_function``, ``call_layer``, ``layers``...).

At run time every sublayer called inside ``call`` reads the runtime mask of the tensors it gets, so
the inner graph is analysed with the outer input states; the ``mask`` argument of ``call`` is an extra
input bound to the incoming mask. What Keras then sets on the output (``Layer.__call__``): the runtime
mask the inner layers left on it; else, when the class supports masking, ``compute_mask``'s result;
else none -- the analysis (:mod:`masklint.analysis.custom`) applies it."""
from __future__ import annotations

from ...ir import INPUT, LAYER, MODEL, OP, CustomMask, Graph, Layer, Node, Unknown
from .custom_decl import call_takes_mask, compute_kind, declared_supports, find_method, is_wrapper
from .names import _snake
from .values import UNKNOWN, Const, Instance, LayerObj, Seq, Tens, _tensors

MAX_WHAT = 80


class _Pending:
    """A custom layer instance whose ``call`` is followed at its first call."""

    __slots__ = ("inst", "cls", "owned", "done")

    def __init__(self, inst, cls, owned):
        self.inst = inst
        self.cls = cls
        self.owned = owned  # the layers its __init__/build made (renamed under the outer path)
        self.done = False


class CustomLayers:
    """The interpreter's handling of user ``Layer`` subclasses; ``custom_graphs`` holds one graph per
    class whose ``call`` was followed (for ``masklint models``)."""

    def _custom_init(self) -> None:
        if not hasattr(self, "custom_graphs"):
            self.custom_graphs: list[Graph] = []
            self._custom_pending: dict[int, _Pending] = {}
            self._custom_ctx: list[list[Unknown]] = []
            self._custom_classes: set[int] = set()

    # ---- construction
    def custom_layer(self, cls, node, args=(), kwargs=None):
        """An instance of a user's ``Layer`` subclass: its ``__init__`` (and ``build``) run on an
        :class:`Instance` so the sublayers are known; its mask declaration is read from the class."""
        self._custom_init()
        kwargs = kwargs or {}
        cname = cls.node.name.value
        nm = kwargs.get("name")
        name = nm.v if isinstance(nm, Const) and isinstance(nm.v, str) else self.auto_name(_snake(cname))
        lay = Layer(name=name, path=name, class_name=cname, module=None, registered_name=f"source>{cname}",
                    config={}, kind=LAYER)
        lay.cst = node
        self.layers.append(lay)
        start = len(self.layers)
        inst = Instance(cls)
        init, owner = find_method(cls, "__init__")
        if init is not None:
            self.run_function(init, dict(owner.scope), ([inst] + list(args), kwargs))
        if is_wrapper(cls) and "layer" not in inst.attrs:
            inst.attrs["layer"] = args[0] if args else kwargs.get("layer", UNKNOWN)
        build, owner = find_method(cls, "build")
        if build is not None:
            self.run_function(build, dict(owner.scope), ([inst, UNKNOWN], {}))
        sup = declared_supports(cls, inst.attrs)
        compute = compute_kind(cls)
        call, _ = find_method(cls, "call")
        supports = (compute != "absent") if sup == "absent" else sup
        lay.custom = CustomMask(supports=supports, compute=compute, call_mask=call_takes_mask(call))
        self._custom_pending[id(lay)] = _Pending(inst, cls, self.layers[start:])
        return LayerObj(lay, node)

    # ---- the first call: follow `call`
    def follow_custom(self, lay: Layer, args=None, kwargs=None) -> None:
        """Follow ``call`` once, on fresh tensors shaped like ``args`` (one unknown tensor when None: a
        layer added to a ``Sequential``)."""
        self._custom_init()
        pend = self._custom_pending.get(id(lay))
        if pend is None or pend.done:
            return
        pend.done = True
        cls = pend.cls
        call, owner = find_method(cls, "call")
        unknown: list[Unknown] = []
        g = Graph(name=cls.node.name.value, path=lay.path + "/", kind="custom layer", cst=cls.node,
                  unknown=unknown)
        first_of_class = id(cls.node) not in self._custom_classes
        if first_of_class:
            self._custom_classes.add(id(cls.node))
            self.custom_graphs.append(g)
        start = len(self.layers)
        why = None
        if call is None:
            why = "the class has no call method masklint could find"
        else:
            new_args, new_kwargs, inputs, mask_t = self._fresh_inputs(lay, args, kwargs, lay.custom.call_mask)
            self._custom_ctx.append(unknown)
            try:
                r = self.run_function(call, dict(owner.scope), ([pend.inst] + new_args, new_kwargs))
            finally:
                self._custom_ctx.pop()
            outs = _tensors(r)
            if not outs:
                why = (f"its call goes through {unknown[0].what}, which masklint does not follow" if unknown
                       else "its call returns something masklint could not follow")
                unknown.append(Unknown(what=f"{cls.node.name.value}.call", why=why, cst=call))
            else:
                nodes, outside = _inner_nodes(outs, {id(t.node) for t in inputs + ([mask_t] if mask_t else [])})
                if outside:
                    why = "its call reads tensors from outside the layer"
                    unknown.append(Unknown(what=f"{cls.node.name.value}.call", why=why, cst=call))
                else:
                    g.nodes, g.outputs = nodes, outs
                    g.inputs = inputs + ([mask_t] if mask_t is not None else [])
                    if mask_t is not None:
                        lay.custom.mask_uses = _mark_mask_ops(nodes, mask_t)
                    lay.graph, lay.kind = g, MODEL
        lay.why = why
        prefix = lay.path + "/"
        for sub in pend.owned + self.layers[start:]:
            if sub is not lay and not sub.path.startswith(prefix):
                sub.path = prefix + sub.path

    def _fresh_inputs(self, lay: Layer, args, kwargs, call_mask: bool):
        """The arguments ``call`` is run on: a fresh input tensor for each tensor argument (in the order
        of the outer node's ``args``), and for the ``mask`` argument; other tensors are unknown."""
        inputs = []

        def fresh(t: Tens) -> Tens:
            il = Layer(name="inputs", path=lay.path + "/inputs", class_name="InputLayer", kind=INPUT)
            n = Node(il)
            out = n.output(0)
            out.shape, out.dtype = t.t.shape, t.t.dtype
            inputs.append(out)
            return Tens(out)

        if args is None:
            il = Layer(name="inputs", path=lay.path + "/inputs", class_name="InputLayer", kind=INPUT)
            args, kwargs = [Tens(Node(il).output(0))], {}
        new_args = []
        for i, a in enumerate(args):
            if isinstance(a, Tens):
                new_args.append(fresh(a))
            elif i == 0 and _tensors(a):
                items = [fresh(x) for x in a.v]
                new_args.append(Const(items if isinstance(a.v, list) else tuple(items)))
            else:
                new_args.append(UNKNOWN if _tensors(a) else a)
        new_kwargs = {k: (UNKNOWN if _tensors(v) else v) for k, v in kwargs.items()}
        mask_t = None
        if call_mask:
            ml = Layer(name="mask", path=lay.path + "/mask", class_name="InputLayer", kind=INPUT)
            mask_t = Node(ml).output(0)
            new_kwargs["mask"] = Tens(mask_t)
        return new_args, new_kwargs, inputs, mask_t

    def layer_items(self, stmt, scope):
        """``for block in self.blocks:`` over a known short list of layers (a name or an attribute, so
        nothing is evaluated twice): the layers, else None."""
        it = stmt.iter
        if not isinstance(it, (self.cst.Name, self.cst.Attribute)):
            return None
        v = self.eval(it, scope)
        if isinstance(v, Const) and isinstance(v.v, (list, tuple)) and 0 < len(v.v) <= self.MAX_UNROLL \
                and all(isinstance(x, LayerObj) for x in v.v):
            return list(v.v)
        return None

    # ---- calls the interpreter cannot follow, and Sequential models used as layers
    def note_unfollowed(self, node, args, kwargs) -> None:
        """Inside a custom layer's ``call``: a call on tensors masklint cannot follow is recorded."""
        ctx = getattr(self, "_custom_ctx", None)
        if not ctx:
            return
        vals = list(args or []) + list((kwargs or {}).values())
        if any(_tensors(v) for v in vals):
            code = self.cst.Module([]).code_for_node(node.func) if hasattr(node, "func") else "call"
            ctx[-1].append(Unknown(what=code[:MAX_WHAT], why="a call on tensors masklint cannot follow", cst=node))

    def call_seq(self, seq: Seq, args, kwargs, node):
        """A ``Sequential`` called on a tensor: nested models are mask-transparent at run time (reference
        §9.2), so its layers are applied one after the other."""
        if not seq.layers or any(x is None for x in seq.layers) or not args or not isinstance(args[0], Tens):
            self.note_unfollowed(node, args, kwargs)
            return UNKNOWN
        t = args[0]
        for obj in seq.layers:
            t = self.call_layer(obj, [t], {}, node)
            if not isinstance(t, Tens):
                return UNKNOWN
        return t


def _inner_nodes(outs, input_ids: set[int]):
    """The nodes that compute ``outs`` in dependency order, and whether some source is not one of the
    inputs (a tensor from outside the layer)."""
    seen: set[int] = set()
    order: list[Node] = []
    outside = False
    stack = [(t.node, False) for t in reversed(outs)]
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if id(n) in seen:
            continue
        seen.add(id(n))
        srcs = list(n.args) + [t for ts in n.tensor_kwargs.values() for t in ts]
        if not srcs and n.layer.kind == INPUT and id(n) not in input_ids:
            outside = True
        stack.append((n, True))
        for t in reversed(srcs):
            if id(t.node) not in seen:
                stack.append((t.node, False))
    return order, outside


def _mark_mask_ops(nodes, mask_t) -> list:
    """Ops that compute with the ``mask`` argument are the layer's own mask handling (``plumbing``);
    returns the (node, kwarg) where it is passed on as ``mask=``."""
    derived = {id(mask_t.node)}
    uses = []
    for n in nodes:
        if n.layer.kind == OP and any(id(t.node) in derived for t in n.args):
            n.plumbing = True
            derived.add(id(n))
        for k, ts in n.masks.items():
            if any(t is not None and t is mask_t for t in ts):
                uses.append((n, k))
    return uses
