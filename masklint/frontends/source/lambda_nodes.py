"""``Lambda(lambda t: ...)`` without ``mask=``: its body is followed as ops on the input (so an identity
body keeps the mask, as Keras does), but the node the model gets is the Lambda layer the user wrote,
carrying the body's ops as ``layer.graph``: findings then name the Lambda and suggest ``mask=``, as for
the saved model, and the analysis reads the body to learn whether it mixes time steps
(:mod:`masklint.analysis.inlined`)."""
from __future__ import annotations

from ...ir import Graph, Node
from .values import LayerObj, Tens, _tensors


class LambdaNodes:
    """Part of the interpreter (:class:`~.interpreter.Extractor`); the host provides ``inline_lambda``,
    ``layers`` and ``_lambda_globals`` (the scope of the call being followed)."""

    lambda_scopes: dict  # id(Lambda layer) -> the scope its lambda was written in (set by make_layer)

    def seq_lambda(self, obj: LayerObj, prev):
        """A ``Sequential`` item: a source Lambda is followed on ``prev`` like a functional call (its
        output tensor, or ``prev`` itself for an identity body); None for every other item."""
        scope = self.lambda_scopes.get(id(obj.layer))
        if obj.layer.source_lambda is None or scope is None:
            return None
        self._lambda_globals = scope
        r = self.call_source_lambda(obj, Tens(prev))
        return r.t if r is not None else None

    def call_source_lambda(self, obj: LayerObj, arg):
        """The value of ``Lambda(fn)(arg)`` with ``fn`` a source lambda; None when its body is not
        followed (the Lambda then stays an opaque node)."""
        start = len(self.layers)
        r = self.inline_lambda(obj.layer.source_lambda, arg)
        if r is None:
            return None
        ins = _tensors(arg)
        if any(r.t is t for t in ins):
            return r  # the body returns its input: the tensor, and its mask, pass unchanged
        body = {id(lay) for lay in self.layers[start:]}
        order: list[Node] = []
        seen: set[int] = set()

        def visit(n: Node, depth=0):
            if id(n) in seen or id(n.layer) not in body or depth > 500:
                return
            seen.add(id(n))
            for t in n.args:
                visit(t.node, depth + 1)
            for ts in n.tensor_kwargs.values():
                for t in ts:
                    visit(t.node, depth + 1)
            order.append(n)

        visit(r.t.node)
        if not order:
            return None
        obj.layer.graph = Graph(name=obj.layer.name, path="", kind="lambda", nodes=order, inputs=list(ins),
                                outputs=[r.t])
        n = Node(obj.layer, args=list(ins))
        return Tens(n.output(0))
