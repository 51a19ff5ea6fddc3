"""The live layer graph of a Functional/Sequential model: its nodes in topological order, and which node
produces and which nodes consume each tensor."""
from __future__ import annotations

from ...errors import LintError
from ..loading import import_keras


class LiveGraph:
    """Nodes of a Functional/Sequential model in topological order, with tensor producers."""

    def __init__(self, model):
        keras = import_keras()
        from keras.src.models.functional import Functional
        from keras.src.models.sequential import Sequential

        self.model = model
        fn = model
        if isinstance(model, Sequential):
            fn = getattr(model, "_functional", None)
            if fn is None:
                raise LintError("the Sequential model is not built (give it a keras.Input or call build())")
        self.functional = fn if isinstance(fn, Functional) else None
        self.nodes = []
        if self.functional is not None:
            by_depth = fn._nodes_by_depth
            for d in sorted(by_depth, reverse=True):
                self.nodes.extend(by_depth[d])
            self.inputs = list(keras.tree.flatten(fn.inputs))
            self.outputs = list(keras.tree.flatten(fn.outputs))
        else:
            self.inputs, self.outputs = [], []
        self.producer = {}
        self.consumers = {}
        for i, n in enumerate(self.nodes):
            for t in n.outputs:
                self.producer[id(t)] = (i, n)
            for t in n.input_tensors:
                self.consumers.setdefault(id(t), []).append((i, n))

    def downstream(self, tensor):
        """Nodes reachable from ``tensor``, breadth first (in graph order within a level)."""
        seen, out = set(), []
        frontier = [tensor]
        while frontier:
            nxt = []
            for t in frontier:
                for i, n in sorted(self.consumers.get(id(t), []), key=lambda p: p[0]):
                    if i in seen:
                        continue
                    seen.add(i)
                    out.append((i, n))
                    nxt.extend(n.outputs)
            frontier = nxt
        return out


def is_input_node(node) -> bool:
    return type(node.operation).__name__ == "InputLayer"


def dtype_name(t) -> str:
    return str(getattr(t, "dtype", "float32")).replace("<dtype: '", "").rstrip("'>")
