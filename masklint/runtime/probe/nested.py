"""Localisation inside a nested model: when the first layer whose real outputs change is a model called as
a layer, its own graph is run on the inputs (and runtime masks) that the outer run gave it, and the
localiser names the layer inside it (``encoder/conv``), recursively."""
from __future__ import annotations

import warnings

import numpy as np

from ..._record import record
from .batches import Batch
from .comparison import compare_tap
from .contract import node_inputs, recomputed_state, restrict
from .graph import LiveGraph
from .localisation import Localiser, mask_state
from .plan import plan_taps
from .runs import Run, perturb, restore, tap_view, to_numpy

MAX_DEPTH = 4


@record
class Inner:
    first: str  # path of the first layer that changes, "outer/inner"
    first_class: str
    first_diff: float
    first_state: str  # its runtime mask against the true padding: ok / wrong / none / na
    culprit: str
    culprit_class: str
    how: str


def _pos(outputs, tensor) -> int:
    return next((i for i, t in enumerate(outputs) if t is tensor), 0)


def is_nested(keras, op) -> bool:
    return isinstance(op, keras.Model)


def _run_inner(keras, view, ins):
    from keras.src.backend.common.masking import get_keras_mask

    xs = [x for x, _ in ins]
    ms = [m for _, m in ins]
    kwargs = {}
    if any(m is not None for m in ms):
        kwargs["mask"] = ms if len(ms) > 1 else ms[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = view(xs if len(xs) > 1 else xs[0], training=False, **kwargs)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    masks = []
    for o in outs:
        m = get_keras_mask(o)
        masks.append(None if m is None else to_numpy(keras, m))
    return Run(values=[to_numpy(keras, o) for o in outs], masks=masks)


def _refine(keras, op, pos, prefix, ref_ins, var_ins, ref: Batch, var: Batch, keep, L, fixed, rtol, depth):
    g = LiveGraph(op)
    if g.functional is None or len(g.inputs) != len(ref_ins):
        return None
    taps = plan_taps(g)
    tap_of = {id(tp.tensor): tp for tp in taps}
    if pos >= len(g.outputs) or id(g.outputs[pos]) not in tap_of:
        return None
    view = tap_view(keras, op, g.inputs, taps)
    r_run, v_run = _run_inner(keras, view, ref_ins), _run_inner(keras, view, var_ins)
    diffs = [restrict(compare_tap(r_run.values[k], v_run.values[k], ref.rows, var.rows, L, ref.width, var.width,
                                  fixed, rtol), keep) for k in range(len(taps))]
    where = Localiser(g, taps, tap_of)
    out_tap = tap_of[id(g.outputs[pos])]
    first, culprit, how = where.localise(out_tap, diffs, var, v_run, diffs, L)
    if not diffs[first.index].changed:
        return None
    d = diffs[first.index]
    state = mask_state(v_run.masks[first.index], var.rows, L, var.width, d.comparable and d.time_axis)
    if state == "none" and d.comparable and d.time_axis:
        in_pos = {id(t): i for i, t in enumerate(g.inputs)}
        ins = [(v_run.values[tap_of[id(t)].index], v_run.masks[tap_of[id(t)].index]) if id(t) in tap_of
               else var_ins[in_pos[id(t)]] if id(t) in in_pos else None for t in first.node.input_tensors]
        if all(i is not None for i in ins):
            state = recomputed_state(keras, first.node.operation, ins, var.rows, L, var.width)
    found = Inner(prefix + first.name, first.class_name, d.diff, state, prefix + culprit.name, culprit.class_name,
                  how)
    inner_op = first.node.operation
    if depth + 1 < MAX_DEPTH and is_nested(keras, inner_op):
        in_pos = {id(t): i for i, t in enumerate(g.inputs)}

        def ins_of(run, ins):
            got = []
            for t in first.node.input_tensors:
                tp = tap_of.get(id(t))
                if tp is not None:
                    got.append((run.values[tp.index], run.masks[tp.index]))
                elif id(t) in in_pos:
                    got.append(ins[in_pos[id(t)]])
                else:
                    return None
            return got

        ri, vi = ins_of(r_run, ref_ins), ins_of(v_run, var_ins)
        if ri is not None and vi is not None:
            deeper = _refine(keras, inner_op, _pos(first.node.outputs, first.tensor), found.first + "/", ri, vi,
                             ref, var, keep, L, fixed, rtol, depth + 1)
            if deeper is not None:
                if found.culprit == found.first:
                    return deeper
                found.first, found.first_class, found.first_diff, found.first_state = (
                    deeper.first, deeper.first_class, deeper.first_diff, deeper.first_state)
    return found


def refine(p, first_tap, batch: Batch, keep: set):
    """The layer inside nested model ``first_tap`` whose real outputs change first (an :class:`Inner`), or
    None when the first tap is not a nested model or its graph cannot be followed. The weights are perturbed
    again exactly as for the runs (same seed) and restored."""
    keras = p.keras
    op = first_tap.node.operation
    if not is_nested(keras, op):
        return None
    ref_ins, var_ins = node_inputs(p, first_tap.node, "reference"), node_inputs(p, first_tap.node, batch.key)
    if ref_ins is None or var_ins is None:
        return None
    saved = perturb(keras, p.model, np.random.default_rng([p.seed, 1])) if p.weights == "perturbed" else []
    try:
        return _refine(keras, op, _pos(first_tap.node.outputs, first_tap.tensor), first_tap.name + "/", ref_ins,
                       var_ins, p.ref, batch, keep, p.L, p.fixed, p.rtol, 0)
    except Exception:  # noqa: BLE001 - an inner graph the view cannot follow: keep the outer localisation
        return None
    finally:
        restore(saved)
