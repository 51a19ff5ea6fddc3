"""Front end: a saved model config (Keras 3 or Keras 2 / tf.keras) -> :mod:`masklint.ir`.

Handles the Keras 3 ``inbound_nodes`` form (``{"args": [...], "kwargs": {...}}`` with
``__keras_tensor__`` records), the Keras 2 nested-list form (``[[["name", 0, 0, {kwargs}]]]``),
Sequential layer lists (with or without an ``InputLayer``), wrappers and nested models.
Malformed configs raise :class:`LintError`; nothing here imports Keras.
"""
from __future__ import annotations

from collections import deque

from .errors import LintError
from .ir import INPUT, LAYER, MODEL, OP, Graph, Layer, Node, Tensor

MAX_DEPTH = 64  # nested models / wrappers
MODEL_CLASSES = {"Sequential", "Functional", "Model"}
KERAS2_OP_CLASSES = {"TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer", "InstanceMethod", "InstanceProperty",
                     "ClassMethod"}
MASK_KWARGS_SUFFIX = "_mask"


def _err(msg: str) -> LintError:
    return LintError(f"malformed model config: {msg}")


def _as_dict(obj, what: str) -> dict:
    if not isinstance(obj, dict):
        raise _err(f"{what} is {type(obj).__name__}, expected an object")
    return obj


def _shape(value) -> tuple | None:
    if isinstance(value, (list, tuple)) and all(v is None or (isinstance(v, int) and not isinstance(v, bool))
                                                for v in value):
        return tuple(value)
    return None


def _dtype(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # DTypePolicy
        cfg = value.get("config")
        if isinstance(cfg, dict) and isinstance(cfg.get("name"), str):
            name = cfg["name"]
            return name.split("_")[-1] if name.startswith("mixed_") else name
    return None


def is_op_entry(entry: dict) -> bool:
    module = entry.get("module")
    cls = entry.get("class_name")
    if not isinstance(cls, str):
        return False
    if cls in MODEL_CLASSES or (isinstance(entry.get("config"), dict) and "layers" in entry["config"]):
        return False
    if isinstance(module, str):
        return module.startswith("keras.src.ops") or module.startswith("keras.ops")
    if cls in KERAS2_OP_CLASSES:
        return True
    # legacy .h5 written by Keras 3: ops have no `module` key and no `trainable` in their config
    cfg = entry.get("config")
    reg = entry.get("registered_name")
    return (
        "module" not in entry and isinstance(cfg, dict) and "trainable" not in cfg and "dtype" not in cfg
        and cls != "InputLayer" and (reg is None or reg == cls)
    )


def make_layer(entry: object, prefix: str, depth: int) -> Layer:
    if depth > MAX_DEPTH:
        raise LintError(f"model is nested more than {MAX_DEPTH} levels deep")
    entry = _as_dict(entry, "a layer entry")
    cls = entry.get("class_name")
    if not isinstance(cls, str):
        raise _err("a layer entry has no string 'class_name'")
    cfg = entry.get("config")
    if cfg is None:
        cfg = {}
    if isinstance(cfg, list) and cls == "Sequential":  # very old Keras 2: config is the layer list
        cfg = {"layers": cfg}
    cfg = _as_dict(cfg, f"the config of a {cls} layer")
    name = entry.get("name")
    if not isinstance(name, str):
        name = cfg.get("name") if isinstance(cfg.get("name"), str) else cls.lower()
    module = entry.get("module") if isinstance(entry.get("module"), str) else None
    reg = entry.get("registered_name") if isinstance(entry.get("registered_name"), str) else None
    kind = LAYER
    if cls == "InputLayer":
        kind = INPUT
    elif is_op_entry(entry):
        kind = OP
    elif cls in MODEL_CLASSES or (isinstance(cfg.get("layers"), list) and cls not in ("Bidirectional",)):
        kind = MODEL
    layer = Layer(name=name, path=prefix + name, class_name=cls, module=module, registered_name=reg,
                  config=cfg, kind=kind)
    if isinstance(entry.get("build_config"), dict):
        layer.build_config = entry["build_config"]
    if kind == MODEL:
        layer.graph = build_graph(entry, prefix=layer.path + "/", depth=depth + 1, name=name)
    for key in ("layer", "backward_layer"):
        sub = cfg.get(key)
        if isinstance(sub, dict) and "class_name" in sub:
            layer.inner.append(make_layer(sub, layer.path + "/", depth + 1))
    return layer


class _Builder:
    def __init__(self, prefix: str, depth: int):
        self.prefix = prefix
        self.depth = depth
        self.layers: dict[str, Layer] = {}
        self.nodes: dict[str, list[Node]] = {}
        self.order: list[Node] = []
        self.pending: list[tuple[Node, dict]] = []

    # -- tensor references -------------------------------------------------------------------
    def ref(self, layer_name, node_index, tensor_index, shape=None, dtype=None) -> Tensor:
        if not isinstance(layer_name, str) or layer_name not in self.nodes:
            raise _err(f"a tensor refers to unknown layer {layer_name!r}")
        nodes = self.nodes[layer_name]
        if not nodes:
            raise _err(f"a tensor refers to layer {layer_name!r}, which is never called")
        if not isinstance(node_index, int) or isinstance(node_index, bool):
            node_index = 0
        node = nodes[node_index] if 0 <= node_index < len(nodes) else nodes[-1]
        if not isinstance(tensor_index, int) or isinstance(tensor_index, bool) or not 0 <= tensor_index < 4096:
            tensor_index = 0
        t = node.output(tensor_index)
        if shape is not None and t.shape is None:
            t.shape = shape
        if dtype is not None and t.dtype is None:
            t.dtype = dtype
        return t

    @staticmethod
    def is_history(v) -> bool:
        return (isinstance(v, list) and len(v) == 3 and isinstance(v[0], str)
                and isinstance(v[1], int) and isinstance(v[2], int))

    def value(self, v, depth=0):
        """Turn a serialized argument into tensors (recursively); returns (tensors, const)."""
        if depth > 50:
            raise LintError("a node argument is nested too deeply")
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            c = v.get("config")
            if not isinstance(c, dict) or not isinstance(c.get("keras_history"), list) or len(c["keras_history"]) < 3:
                raise _err("a __keras_tensor__ record has no keras_history")
            h = c["keras_history"]
            return [self.ref(h[0], h[1], h[2], _shape(c.get("shape")), _dtype(c.get("dtype")))], None
        if isinstance(v, (list, tuple)):
            out = []
            for item in v:
                ts, _ = self.value(item, depth + 1)
                out.extend(ts)
            return out, (None if out else v)
        if isinstance(v, dict):
            out = []
            for item in v.values():
                ts, _ = self.value(item, depth + 1)
                out.extend(ts)
            return out, (None if out else v)
        return [], v

    # -- nodes -------------------------------------------------------------------------------
    def add_layer(self, layer: Layer, inbound) -> None:
        if layer.name in self.layers:
            raise _err(f"two layers are named {layer.name!r}")
        self.layers[layer.name] = layer
        self.nodes[layer.name] = []
        if inbound is None:
            inbound = []
        if not isinstance(inbound, list):
            raise _err(f"inbound_nodes of {layer.name!r} is not a list")
        if layer.kind == INPUT and not inbound:
            n = Node(layer)
            t = n.output(0)
            c = layer.config
            t.shape = _shape(c.get("batch_shape") or c.get("batch_input_shape"))
            t.dtype = _dtype(c.get("dtype"))
            self.nodes[layer.name].append(n)
            return
        for raw in inbound:
            n = Node(layer)
            self.nodes[layer.name].append(n)
            self.pending.append((n, raw))

    def resolve(self) -> None:
        for node, raw in self.pending:
            if isinstance(raw, dict):  # Keras 3
                args = raw.get("args", [])
                kwargs = raw.get("kwargs", {})
                if not isinstance(args, list) or not isinstance(kwargs, dict):
                    raise _err(f"a node of {node.layer.name!r} has malformed args/kwargs")
                for a in args:
                    ts, const = self.value(a)
                    node.args.extend(ts)
                    if not ts:
                        node.consts.append(const)
                self._kwargs(node, kwargs)
            elif isinstance(raw, list):  # Keras 2: a list of [name, node_idx, tensor_idx, kwargs]
                for item in raw:
                    if not isinstance(item, list) or len(item) < 3 or not isinstance(item[0], str):
                        raise _err(f"a Keras 2 inbound node of {node.layer.name!r} is malformed")
                    node.args.append(self.ref(item[0], item[1], item[2]))
                    if len(item) > 3 and isinstance(item[3], dict):
                        self._kwargs(node, item[3], keras2=True)
            else:
                raise _err(f"a node of {node.layer.name!r} is neither an object nor a list")

    def _kwargs(self, node: Node, kwargs: dict, keras2: bool = False) -> None:
        for key, v in kwargs.items():
            if keras2 and self.is_history(v):
                ts = [self.ref(v[0], v[1], v[2])]
            elif keras2 and isinstance(v, list) and v and all(self.is_history(x) for x in v):
                ts = [self.ref(x[0], x[1], x[2]) for x in v]
            else:
                ts, _ = self.value(v)
            if key == "mask" or key.endswith(MASK_KWARGS_SUFFIX):
                if ts:
                    node.masks[key] = list(ts)
                elif v is None or (isinstance(v, list) and all(x is None for x in v)):
                    node.masks[key] = [None]
                else:
                    node.kwargs[key] = v
            elif ts:
                node.tensor_kwargs[key] = ts
            else:
                node.kwargs[key] = v

    def topo(self) -> list[Node]:
        all_nodes = [n for name in self.nodes for n in self.nodes[name]]
        deps = {}
        users: dict[int, list[Node]] = {}
        for n in all_nodes:
            ins = {id(t.node): t.node for t in _node_inputs(n)}
            deps[id(n)] = len(ins)
            for p in ins.values():
                users.setdefault(id(p), []).append(n)
        ready = deque(n for n in all_nodes if deps[id(n)] == 0)
        out = []
        while ready:
            n = ready.popleft()
            out.append(n)
            for u in users.get(id(n), []):
                deps[id(u)] -= 1
                if deps[id(u)] == 0:
                    ready.append(u)
        if len(out) != len(all_nodes):
            raise _err("the layer graph has a cycle")
        return out


def _node_inputs(n: Node):
    yield from n.args
    for ts in n.tensor_kwargs.values():
        yield from ts
    for ts in n.masks.values():
        for t in ts:
            if t is not None:
                yield t


def _flatten_refs(v, out, depth=0):
    if depth > 50:
        raise LintError("input/output layer lists are nested too deeply")
    if _Builder.is_history(v):
        out.append(v)
    elif isinstance(v, (list, tuple)):
        for x in v:
            _flatten_refs(x, out, depth + 1)
    elif isinstance(v, dict):
        for x in v.values():
            _flatten_refs(x, out, depth + 1)
    return out


def build_graph(model_entry: dict, prefix: str = "", depth: int = 0, name: str | None = None) -> Graph:
    """Build the graph of a model dict ``{class_name, config}`` (top level or nested)."""
    if depth > MAX_DEPTH:
        raise LintError(f"model is nested more than {MAX_DEPTH} levels deep")
    model_entry = _as_dict(model_entry, "the model")
    cls = model_entry.get("class_name")
    if not isinstance(cls, str):
        cls = ""
    cfg = model_entry.get("config")
    if isinstance(cfg, list):
        cfg = {"layers": cfg}
    cfg = _as_dict(cfg, "the model config")
    layers = cfg.get("layers")
    if not isinstance(layers, list):
        if cls in MODEL_CLASSES:
            raise _err(f"the {cls} config has no 'layers' list")
        raise LintError(f"is a config of a single {cls!r} layer, not a model")
    gname = name or (cfg.get("name") if isinstance(cfg.get("name"), str) else "model")
    has_inbound = any(isinstance(e, dict) and e.get("inbound_nodes") for e in layers)
    if cls == "Sequential" or (not has_inbound and "input_layers" not in cfg):
        return _build_sequential(cfg, layers, prefix, depth, gname)
    return _build_functional(cfg, layers, prefix, depth, gname)


def _build_sequential(cfg, layers, prefix, depth, gname) -> Graph:
    g = Graph(name=gname, path=prefix, kind="sequential")
    made = [make_layer(e, prefix, depth) for e in layers]
    seen = set()
    for lay in made:
        if lay.name in seen:
            raise _err(f"two layers are named {lay.name!r}")
        seen.add(lay.name)
    prev: Tensor | None = None
    if made and made[0].kind == INPUT:
        inp = made.pop(0)
        n = Node(inp)
        prev = n.output(0)
        prev.shape = _shape(inp.config.get("batch_shape") or inp.config.get("batch_input_shape"))
        prev.dtype = _dtype(inp.config.get("dtype"))
    else:
        shape = _shape(cfg.get("build_input_shape"))
        dtype = None
        if made:
            first = made[0].config
            shape = _shape(first.get("batch_input_shape") or first.get("batch_shape")) or shape
            if shape is not None and (first.get("batch_input_shape") or first.get("batch_shape")):
                dtype = _dtype(first.get("dtype"))
        inp = Layer(name="input", path=prefix + "input", class_name="InputLayer", kind=INPUT)
        n = Node(inp)
        prev = n.output(0)
        prev.shape = shape
        prev.dtype = dtype
    g.nodes.append(n)
    g.inputs.append(prev)
    for lay in made:
        if lay.kind == INPUT:
            continue
        # a built layer records its input shape: that is the previous layer's output shape
        bc = lay.build_config
        if prev.shape is None and isinstance(bc, dict):
            prev.shape = _shape(bc.get("input_shape"))
        node = Node(lay, args=[prev])
        g.nodes.append(node)
        prev = node.output(0)
    g.outputs.append(prev)
    return g


def _build_functional(cfg, layers, prefix, depth, gname) -> Graph:
    b = _Builder(prefix, depth)
    for e in layers:
        lay = make_layer(e, prefix, depth)
        b.add_layer(lay, e.get("inbound_nodes") if isinstance(e, dict) else None)
    b.resolve()
    g = Graph(name=gname, path=prefix, kind="functional", nodes=b.topo())
    for ref in _flatten_refs(cfg.get("input_layers"), []):
        g.inputs.append(b.ref(*ref))
    for ref in _flatten_refs(cfg.get("output_layers"), []):
        g.outputs.append(b.ref(*ref))
    if not g.outputs:
        raise _err("the functional model names no output layers")
    _mark_plumbing(g)
    return g


def _mark_plumbing(g: Graph) -> None:
    """Ops that only compute masks fed to ``mask=`` kwargs are mask plumbing, not data flow."""
    data_reach: set[int] = set()
    stack = [t.node for t in g.outputs]
    while stack:
        n = stack.pop()
        if id(n) in data_reach:
            continue
        data_reach.add(id(n))
        for t in n.args:
            stack.append(t.node)
        for ts in n.tensor_kwargs.values():
            stack.extend(t.node for t in ts)
    for n in g.nodes:
        if id(n) not in data_reach and n.layer.kind == OP:
            n.plumbing = True


def build_model_graph(model: dict) -> Graph:
    """Top-level entry point: ``{class_name, config}`` of a saved model -> Graph."""
    model = _as_dict(model, "the model")
    cls = model.get("class_name")
    if not isinstance(cls, str):
        raise _err("the model has no string 'class_name'")
    if cls not in MODEL_CLASSES and not isinstance(_as_dict(model.get("config"), "config").get("layers"), list):
        raise LintError(f"is a config of a single {cls!r} layer, not a model")
    try:
        return build_graph(model)
    except RecursionError:
        raise LintError("model config is nested too deeply") from None
