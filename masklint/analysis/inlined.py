"""A ``Lambda`` whose body the source front end inlined (``Lambda(lambda t: t * 2.0 - 1.0)``): the
layer stays the node (findings name the Lambda and suggest ``mask=``, as for the saved model), while
its body -- the ops in ``layer.graph`` -- is run on a scratch analysis to learn what the function does
to the time axis: a positional read (``t[:, -1]``) or a reduction over time mixes padding into the
output; an elementwise body only drops the mask. The body's own records are not kept."""
from __future__ import annotations

from .. import knowledge as K
from .._record import replace
from ..ir import MODEL, Node


def is_inlined_lambda(node: Node) -> bool:
    lay = node.layer
    return lay.graph is not None and lay.kind != MODEL and K.canonical(lay.class_name) == "Lambda"


def visit_inlined_lambda(an, node: Node, ins: list) -> None:
    """The transfer function of an inlined Lambda, for :class:`~masklint.analysis.flow.Analysis` ``an``."""
    lay = node.layer
    scratch = type(an)(lay.graph, keras_major=an.keras_major, known=an.known)
    scratch.budget = an.budget
    body_ins = [replace(s) for s in ins]
    out = scratch.run_graph(lay.graph, body_ins)[0]
    s = ins[0]
    mixes = None
    if s.masked:
        if out.mixed is not None and out.mixed is not s.mixed:
            mixes = True  # the body reads fixed positions / mixes time steps of the masked sequence
        elif out.lost is not None or out.mask is None:
            mixes = False  # an elementwise body: the mask is dropped, nothing mixed
    b = K.resolve(lay.class_name, lay.config, s.rank)
    b.mixes_time = mixes
    getattr(an, f"do_{b.mask}")(node, ins, b, {})  # the flow's handler for this behaviour (HANDLERS)
    t = node.output(0)
    st = an.states.get(id(t))
    if st is not None and out.shape is not None:
        an.states[id(t)] = replace(st, shape=out.shape)
