"""The mask contract the probe checks, and what a difference under pre-padding alone means.

The contract of a masked model is **post-padding invariance** (the outputs at the real steps do not change
when padding is appended) plus **batch-composition invariance** (a row's outputs do not depend on the other
rows of its batch: every variant batch mixes post- and pre-padded rows, shuffled). A padding leak
(padding-leak) is reported when the post-padded rows change.

A change of the pre-padded rows alone is not a leak of the mask: pre-padding moves the real steps to
other absolute positions, so a model with an absolute position embedding (a ``PositionalEmbedding`` that
masks id 0, KerasHub's ``TokenAndPositionEmbedding``) changes its outputs although its mask covers the
padding; and a causal layer without a mask (an unmasked RNN) reads pre-padding but never post-padding. Such
a change is reported only when the data is known to be pre-padded (``padding_side="pre"``, or a ``--data``
sample padded on the left), with its real cause; otherwise it is a note. Fixed-length inputs cannot vary their
padded length, so there the pre-padded rows are the only measure of a leak: a change there is still
reported unless its cause is the positions shift (the first layer that changes makes a mask that covers the
padding) and the data is not known to be pre-padded.
"""
from __future__ import annotations

from .comparison import TapDiff
from .localisation import mask_state

#: causes of a change under pre-padding alone (``PaddingLeak.how``)
POSITIONS = "positions"


def restrict(d: TapDiff, keep: set) -> TapDiff:
    """``d`` over the variant rows in ``keep`` only."""
    if not d.comparable:
        return d
    rows = [(j, x) for j, x in d.row_diffs if j in keep]
    out = TapDiff(tol=d.tol, aligned=d.aligned, row_diffs=rows, time_axis=d.time_axis)
    for j, x in rows:
        if x > out.diff or out.row < 0:
            out.diff, out.row = x, j
    return out


def side_results(results: dict, variants: list, side: str) -> dict:
    """mode -> key -> [TapDiff per tap], over the rows of each variant batch padded on ``side``."""
    keep = {b.key: {j for j, r in enumerate(b.rows) if r.side == side} for b in variants}
    return {mode: {key: [restrict(d, keep[key]) for d in diffs] for key, diffs in per.items()}
            for mode, per in results.items()}


def known_side(p) -> str | None:
    """How the real data is padded, when known: ``padding_side`` of the probe, else the ``--data`` sample's."""
    if getattr(p, "padding_side", None) in ("pre", "post"):
        return p.padding_side
    sides = {s.padding.side for s in p.seqs if s.padding is not None and s.padding.side}
    return next(iter(sides)) if len(sides) == 1 else None


def node_inputs(p, node, batch_key):
    """(value, runtime mask) of each input of ``node`` in the eager run of ``batch_key``, or None."""
    run = p.eager.get(batch_key)
    batch = p.ref if batch_key == "reference" else next(b for b in p.variants if b.key == batch_key)
    in_pos = {id(t): i for i, t in enumerate(p.g.inputs)}
    out = []
    for t in node.input_tensors:
        tp = p.tap_of.get(id(t))
        if tp is not None and run is not None and run.values is not None:
            out.append((run.values[tp.index], None if run.masks is None else run.masks[tp.index]))
        elif id(t) in in_pos:
            out.append((batch.arrays[in_pos[id(t)]], None))
        else:
            return None
    return out


def recomputed_state(keras, op, ins, rows, L, width) -> str:
    """The mask ``op`` computes from its inputs ``ins`` ((value, mask) each) against the true padding: a
    runtime mask can be cleared after the layer ran (attention clears its query's), so the mask a layer
    makes is asked of the layer itself."""
    if ins is None or not ins:
        return "na"
    try:
        xs = [keras.ops.convert_to_tensor(x) for x, _ in ins]
        ms = [None if m is None else keras.ops.convert_to_tensor(m) for _, m in ins]
        m = op.compute_mask(xs if len(xs) > 1 else xs[0], ms if len(ms) > 1 else ms[0])
        if m is None and all(x is None for x in ms):  # a layer that sets its output's mask in call()
            from keras.src.backend.common.masking import get_keras_mask

            m = get_keras_mask(op(xs if len(xs) > 1 else xs[0], training=False))
    except Exception:  # noqa: BLE001 - a layer whose compute_mask needs more than its inputs
        return "na"
    if m is None:
        return "none"
    return mask_state(keras.ops.convert_to_numpy(m), rows, L, width, True)


def first_mask_state(p, first, batch, eager, ediffs) -> str:
    """ok / wrong / none / na: the mask of the first layer that changes in the eager run (its runtime mask,
    or the one its ``compute_mask`` makes from its inputs when the runtime mask was cleared)."""
    if eager is None or eager.masks is None or first.index >= len(eager.masks):
        return "na"
    d = ediffs[first.index]
    aligned = d.comparable and d.time_axis
    state = mask_state(eager.masks[first.index], batch.rows, p.L, batch.width, aligned)
    if state == "none" and aligned:
        state = recomputed_state(p.keras, first.node.operation, node_inputs(p, first.node, batch.key), batch.rows,
                                 p.L, batch.width)
    return state


def pre_cause(how: str, first_state: str) -> str:
    """The cause of a change under pre-padding alone: the positions shift when the first layer that changes
    makes (or keeps) a mask that covers the padding and no earlier layer went wrong."""
    if how in ("nomask", "unknown") and first_state == "ok":
        return POSITIONS
    return how


def report_pre(p, cause: str) -> bool:
    """Whether a change under pre-padding alone is a finding (see the module docstring)."""
    side = known_side(p)
    if side == "pre":
        return True
    if side == "post":
        return False
    return bool(p.fixed) and cause != POSITIONS


def pre_note(p, cause: str, first_name: str, first_class: str, diff: float, output: str) -> str:
    from ...rules.base import num

    why = {POSITIONS: f"the real steps' absolute positions shift ('{first_name}' ({first_class}) makes a mask "
                      f"that covers the padding, but its outputs depend on where the real steps sit)",
           "ignores": f"'{first_name}' ({first_class}) receives the mask but its real steps depend on the "
                      f"steps before them",
           "nomask": f"no mask covers the padding that '{first_name}' ({first_class}) reads, and it is causal "
                     f"(post-padding never reaches the real steps)"}.get(
        cause, f"'{first_name}' ({first_class}) is the first layer that changes")
    known = known_side(p)
    where = ("the data is post-padded" if known == "post" else
             "the data is not known to be pre-padded (pass padding_side='pre' or a --data sample to check it)")
    return (f"pre-padding changes the outputs at the real steps (|difference| {num(diff)} at output "
            f"'{output}') but post-padding does not: {why}; not reported, {where}")
