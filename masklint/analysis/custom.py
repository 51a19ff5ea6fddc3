"""A user ``Layer`` subclass read from source (``Layer.custom``, :class:`~masklint.ir.CustomMask`): its
``call`` as an inner graph when the front end could follow it, else its declaration alone. A mixin of
:class:`~masklint.analysis.flow.Analysis`.

What Keras 3 does (``Layer.__call__``; reference §0, §9.1): inside ``call`` every sublayer reads the
runtime mask of the tensors it is given (so the inner graph starts from the outer input states, and a
``mask`` argument is bound to the incoming mask); after ``call`` an output that carries a runtime mask
keeps it; otherwise, when the class supports masking (``supports_masking``, by default "overrides
``compute_mask``"), ``compute_mask``'s result is set on it; otherwise it has none. Measured with the
installed Keras in ``tests/test_custom_layers.py``."""
from __future__ import annotations

from .._record import replace
from ..ir import Node
from ..rules.mk001_unknown_mask_behaviour import UnknownMaskBehaviour
from .state import UNKNOWN, Lost, Mask, State

_NO_DECL = "neither supports_masking nor compute_mask is declared"


class CustomLayerFlow:
    """``visit_custom``: the transfer function of a custom layer (``self.run_graph``, ``self.emit``,
    ``self.carry``... come from the analysis)."""

    def visit_custom(self, node: Node, ins: list[State]) -> None:
        lay = node.layer
        d = lay.custom
        first = ins[0]
        prev = first.mask
        if not isinstance(prev, Mask) and prev is not UNKNOWN and "mask" in node.masks:
            prev = self.explicit_mask(node, state=first) or prev
        if lay.graph is None:
            return self._custom_opaque(node, ins, prev)
        g = lay.graph
        n_data = len(g.inputs) - (1 if d.call_mask else 0)
        states = list(ins[:n_data])
        while len(states) < n_data:
            states.append(first)
        removed = []
        if d.call_mask:
            states.append(State(mask=prev if isinstance(prev, Mask) else None, values="unknown"))
            if not isinstance(prev, Mask):  # `mask` is None at run time: `mask=mask` passes nothing
                for n, key in d.mask_uses:
                    removed.append((n, key, n.masks.pop(key, None)))
        try:
            outs = self.run_graph(g, states)
        finally:
            for n, key, v in removed:
                if v is not None:
                    n.masks[key] = v
        handled = d.call_mask and any(n.plumbing for n in g.nodes)
        if handled and isinstance(prev, Mask):
            self.reach_consumer(replace(first, mask=prev), lay)
        for i, st in enumerate(outs):
            self.set_out(node, i, self._custom_out(lay, st, prev, handled))
        for i in range(len(outs), len(node.outputs)):
            self.set_out(node, i, State(mask=UNKNOWN, values="unknown"))

    def _custom_out(self, lay, st: State, prev, handled: bool) -> State:
        """The state Keras leaves on one output of the layer, from the inner output's state ``st``."""
        d = lay.custom
        if isinstance(st.mask, Mask) and st.rt_lost is None:
            return replace(st)  # the inner layers' runtime mask stays on the output
        if st.mask is UNKNOWN and not handled:
            return replace(st)
        if isinstance(st.mask, Mask):  # only the symbolic mask survived: at run time there is none
            base = replace(st, mask=None, lost=Lost(st.mask.origin, st.rt_lost, "merge"), rt_lost=None)
        elif st.mask is UNKNOWN:  # the layer computed with its `mask` argument itself
            base = replace(st, mask=None, lost=None, mixed=None, padded=None, rt_lost=None)
        else:
            base = replace(st)
        if not d.supports:
            lost, inner = base.lost, lay.path + "/"
            if lost is not None and lost.at.path.startswith(inner) and (
                    (isinstance(prev, Mask) and lost.origin is prev.origin) or lost.origin.path.startswith(inner)):
                base.lost = replace(lost, inside=lay)  # a declaration in the class would keep the mask
            return base
        return self._computed(lay, base, prev)

    def _computed(self, lay, base: State, prev) -> State:
        """``base`` with ``compute_mask``'s result set (a class that supports masking)."""
        c = lay.custom.compute
        if c in ("absent", "previous"):
            if isinstance(prev, Mask):
                return replace(base, mask=prev, lost=None, padded=None, rt_lost=None)
            return replace(base, mask=UNKNOWN) if prev is UNKNOWN else base
        if c == "none":
            return base
        if c == "create":
            shape = base.shape
            return replace(base, mask=Mask(origin=lay), lost=None, mixed=None, padded=None, rt_lost=None,
                           had_mask=lay, had_mask_len=shape[1] if shape and len(shape) > 1 else None)
        if isinstance(prev, Mask):
            self.emit(UnknownMaskBehaviour(lay, None, why="custom class whose compute_mask masklint cannot read",
                                           origin=prev.origin.path))
        return replace(base, mask=UNKNOWN, lost=None, mixed=None, padded=None)

    def _custom_opaque(self, node: Node, ins: list[State], prev) -> None:
        """A custom layer whose ``call`` was not followed: its declaration decides, else its behaviour is unknown."""
        lay = node.layer
        d = lay.custom
        first = ins[0]
        st = self.carry(ins, values="unknown", values_src=None, zero=False, shape=None, mixed=None)
        if d.supports and d.compute in ("absent", "previous", "none", "create"):
            # assumed: the call keeps the time steps; the output gets compute_mask's result
            st.lost, st.padded, st.rt_lost, st.mask = None, None, None, None
            if d.compute == "none":
                st.time = None
                if d.call_mask and isinstance(prev, Mask):
                    self.reach_consumer(replace(first, mask=prev), lay)
            st = self._computed(lay, st, prev)
        elif isinstance(prev, Mask) or prev is UNKNOWN:
            if isinstance(prev, Mask):
                why = ("custom class whose supports_masking masklint cannot read" if d.supports is None
                       else f"custom class: {lay.why or 'its call was not followed'}, and {_NO_DECL}"
                       if d.compute == "absent" else "custom class whose compute_mask masklint cannot read")
                self.emit(UnknownMaskBehaviour(lay, None, why=why, origin=prev.origin.path))
            st = replace(st, mask=UNKNOWN, lost=None, padded=None, time=None)
        else:  # nothing known of what the call does: neither a mask nor its absence
            st = replace(st, mask=UNKNOWN, lost=None, padded=None, time=None)
        for i in range(max(1, len(node.outputs))):
            self.set_out(node, i, st if i == 0 else replace(st))
