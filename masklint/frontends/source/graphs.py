"""The models found in source, as IR graphs: a ``Sequential`` (its layers in a chain behind an input,
given or inferred) and a functional model (the nodes that reach its outputs, in dependency order)."""
from __future__ import annotations

from ...ir import INPUT, Graph, Layer, Node, Unknown
from .values import FuncModel, Seq


MAX_WHAT = 60


def short_code(cst_node) -> str:
    """The source text of a libcst node on one line, shortened (for ``Unknown.what``)."""
    import libcst as cst

    try:
        text = cst.Module([]).code_for_node(cst_node)
    except Exception:  # a node libcst cannot print alone
        return type(cst_node).__name__
    text = " ".join(text.split())
    return text if len(text) <= MAX_WHAT else text[:MAX_WHAT - 3] + "..."


def describe(g: Graph, model) -> Graph:
    """Fill what ``masklint models`` shows: the name, the building call and the parts not followed."""
    if isinstance(getattr(model, "name", None), str):
        g.name = model.name
    g.cst = model.cst
    g.unknown = [Unknown(short_code(lay.cst) if lay.cst is not None else lay.class_name, lay.why, lay.cst) for lay in _own_layers(g) if lay.why]
    return g


def _own_layers(g: Graph):
    seen = set()
    for n in g.nodes:
        if id(n.layer) not in seen:
            seen.add(id(n.layer))
            yield n.layer


def seq_graph(seq: Seq, call=None) -> Graph | None:
    """The graph of a ``Sequential``; ``call(layer_obj, tensor)`` may build an item's node itself (an
    inlined Lambda) and return its output tensor, or None for the plain chain node."""
    if not seq.layers or any(x is None for x in seq.layers):
        return None
    g = Graph(name="sequential", path="", kind="sequential")
    if seq.input is not None:
        inp_t = seq.input
        inp_node = inp_t.node
    else:
        first = seq.layers[0].layer
        c = first.config
        shape = None
        if isinstance(c.get("batch_input_shape"), (list, tuple)):
            shape = tuple(c["batch_input_shape"])
        elif isinstance(c.get("input_shape"), (list, tuple)):
            shape = (None,) + tuple(c["input_shape"])
        elif first.class_name == "Embedding" and "input_length" in c:
            shape = (None, c["input_length"] if isinstance(c["input_length"], int) else None)
        elif seq.build_shape is not None:
            shape = seq.build_shape
        elif seq.data_shape is not None:
            shape = seq.data_shape
        lay = Layer(name="input", path="input", class_name="InputLayer", kind=INPUT)
        lay.cst = seq.cst
        inp_node = Node(lay)
        inp_t = inp_node.output(0)
        inp_t.shape = shape if shape is None or all(x is None or isinstance(x, int) for x in shape) else None
        inp_t.dtype = "int32" if first.class_name in ("Embedding",) else None
    g.nodes.append(inp_node)
    g.inputs.append(inp_t)
    prev = inp_t
    for obj in seq.layers:
        out = call(obj, prev) if call is not None else None
        if out is not None:
            if out is not prev:
                g.nodes.append(out.node)
            prev = out
            continue
        n = Node(obj.layer, args=[prev])
        g.nodes.append(n)
        prev = n.output(0)
    g.outputs.append(prev)
    g.padding = list(seq.padding)
    g.target_padding = list(seq.target_padding)
    return describe(g, seq)


def func_graph(fm: FuncModel) -> Graph | None:
    seen: dict[int, Node] = {}
    order: list[Node] = []

    def visit(n: Node, depth=0):
        if id(n) in seen or depth > 5000:
            return
        seen[id(n)] = n
        for t in n.args:
            visit(t.node, depth + 1)
        for ts in n.tensor_kwargs.values():
            for t in ts:
                visit(t.node, depth + 1)
        order.append(n)

    for t in fm.outputs:
        visit(t.node)
    if not order:
        return None
    g = Graph(name="model" if fm.kind == "functional" else "subclass", path="", kind=fm.kind, nodes=order, inputs=list(fm.inputs),
              outputs=list(fm.outputs))
    if len(fm.inputs) == 1:
        g.padding = list(fm.padding)
    if len(fm.outputs) == 1:
        g.target_padding = list(fm.target_padding)
    return describe(g, fm)

