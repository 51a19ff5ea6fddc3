"""The probe's rules: from the runs and their differences to the records of the runtime rules --
:class:`PaddingLeak` (outputs at the real positions change with the padding), :class:`RuntimeMaskLost`
(an output's runtime mask is lost), :class:`EmptySequenceNan` (NaN/inf on an all-padding sample) and
:class:`ProbeCrash` (a padded batch raises) -- rendered as findings of source ``probe``. Their texts are
the rule modules' (:mod:`masklint.rules`).

``p`` is the probe (:class:`.driver._Probe`): its label, report, taps, batches, runs and localiser.
"""
from __future__ import annotations

import math

import numpy as np

from ...findings import finding_of
from ...rules.mk204_cudnn_padding import CudnnPadding
from ...rules.mk301_padding_leak import PaddingLeak
from ...rules.mk302_runtime_mask_lost import RuntimeMaskLost
from ...rules.mk303_empty_sequence_nan import EmptySequenceNan
from ...rules.mk304_probe_crash import ProbeCrash
from ..loading import one_line
from . import contract, nested
from .batches import Batch
from .comparison import compare_runs, compare_tap


def _cudnn_right_padding(exc) -> bool:
    text = str(exc)
    return "right-padded" in text and "cuDNN" in text


def _report(p, rec) -> None:
    p.report.findings.append(finding_of(rec, p.label, "probe"))


def _tap_layer(p, tap):
    return p.layer_of(tap.name, tap.class_name)


def _named_layer(p, name):
    """The IR layer of a layer an exception names (a tap name), or None."""
    if name is None:
        return None
    tap = next((tp for tp in p.taps if tp.name == name), None)
    return p.layer_of(name, tap.class_name if tap is not None else "?")


def crash(p, batch: Batch, mode: str, exc) -> None:
    _report(p, ProbeCrash(_named_layer(p, p.where.crash_culprit(exc)), None, error=one_line(exc), mode=mode,
                          batch=batch.key, batch_label=batch.label,
                          reference=batch.key == "reference" and not p.fixed))


def describe_row(batch: Batch, row: int) -> str:
    if row < 0 or row >= len(batch.rows):
        return batch.label
    r = batch.rows[row]
    what = "post-padding" if r.side == "post" else "pre-padding"
    return f"{what} to {batch.width} steps (row {row + 1} of {len(batch.rows)}, rows shuffled)"


def _worst(p, results, out_idx):
    """(worst, eager worst) over the model outputs: (ratio, mode, key, out tap, TapDiff) or None."""
    worst = eager_worst = None
    for mode, per in results.items():
        for key, diffs in per.items():
            for k in out_idx:
                d = diffs[k]
                if not d.comparable:
                    continue
                if worst is None or d.ratio > worst[0]:
                    worst = (d.ratio, mode, key, p.taps[k], d)
                if mode == "eager" and (eager_worst is None or d.ratio > eager_worst[0]):
                    eager_worst = (d.ratio, mode, key, p.taps[k], d)
    return worst, eager_worst


def leaks(p) -> None:
    """A padding leak: the largest output difference over the post-padded rows of every variant batch (the
    mask contract, :mod:`.contract`), localised; a change of the pre-padded rows alone is reported only as
    the contract says, with its cause. And the report's largest differences per mode and per variant."""
    rep = p.report
    n = len(p.taps)
    results = {"eager": compare_runs(p.eager, p.ref, p.variants, p.L, p.fixed, p.rtol, n),
               "predict": compare_runs(p.pred, p.ref, p.variants, p.L, p.fixed, p.rtol, n)}
    out_idx = [tp.index for tp in p.out_taps]
    shape_notes(p, out_idx)
    # the report's largest differences: over the rows the contract judges (post; pre too where it counts)
    counted = results if (p.fixed or contract.known_side(p) == "pre") else contract.side_results(
        results, p.variants, "post")
    for mode, per in results.items():
        big = None
        table = {}
        for key, diffs in per.items():
            batch = next(b for b in p.variants if b.key == key)
            for k in out_idx:
                d = diffs[k]
                if not d.comparable:
                    continue
                for j, rd in d.row_diffs:
                    side = batch.rows[j].side
                    cur = table.get((key, side))
                    if cur is None or rd > cur[0]:
                        table[(key, side)] = (rd, d.tol, p.taps[k].name)
                c = counted[mode][key][k]
                if big is None or c.ratio > big[0].ratio:
                    big = (c, key, k)
        if big is not None:
            d, key, k = big
            rep.largest[mode] = (d.diff, d.tol, f"{p.taps[k].name} {key}")
        for (key, side), (rd, tol, out) in table.items():
            width = next(b.width for b in p.variants if b.key == key)
            rep.variants.append({"mode": mode, "padded_length": width, "side": side, "max_diff": rd,
                                 "tolerance": tol, "output": out, "changed": rd > tol})
    if not any(True for per in results.values() for _ in per):
        return
    if all(not d.comparable for per in results.values() for diffs in per.values() for d in
           (diffs[k] for k in out_idx)):
        rep.notes.append("no model output could be compared (their shapes change with the padding)")
        return
    side = "post"
    sided = contract.side_results(results, p.variants, side)
    worst, eager_worst = _worst(p, sided, out_idx)
    if worst is None or worst[0] <= 1.0:
        side = "pre"
        sided = contract.side_results(results, p.variants, side)
        worst, eager_worst = _worst(p, sided, out_idx)
        if worst is None or worst[0] <= 1.0:
            return
    if worst[1] == "predict" and eager_worst is not None and eager_worst[0] > 1.0:
        worst = eager_worst  # the eager pass has the runtime masks for localisation
    _, mode, key, out_tap, d = worst
    batch = next(b for b in p.variants if b.key == key)
    diffs = sided[mode][key]
    ediffs = sided["eager"].get(batch.key, diffs)
    eager_run = p.eager.get(batch.key)
    first, culprit, how = p.where.localise(out_tap, diffs, batch, eager_run, ediffs, p.L)
    first_name, first_class = first.name, first.class_name
    first_diff = None if first is out_tap else diffs[first.index].diff
    culprit_layer = _tap_layer(p, culprit)
    first_state = contract.first_mask_state(p, first, batch, eager_run, ediffs)
    keep = {j for j, r in enumerate(batch.rows) if r.side == side}
    inner = nested.refine(p, first, batch, keep)
    if inner is not None:  # the first layer that changes is a nested model: name the layer inside it
        first_name, first_class, first_diff, first_state = (inner.first, inner.first_class, inner.first_diff,
                                                            inner.first_state)
        if culprit is first:
            culprit_layer, how = p.layer_of(inner.culprit, inner.culprit_class), inner.how
    cleared = p.where.cleared_by_attention(culprit, eager_run) if (
        how == "dropped" and eager_run is not None and eager_run.masks is not None) else None
    if side == "pre":
        how = contract.pre_cause(how, first_state)
        if not contract.report_pre(p, how):
            rep.notes.append(contract.pre_note(p, how, first_name, first_class, d.diff, out_tap.name))
            return
    elif how in ("nomask", "unknown") and first_state == "ok":
        how = "reads_own"  # the first layer that changes makes a right mask, yet reads the padding itself
    consumer = first_name if culprit_layer.path != first_name else None
    _report(p, PaddingLeak(
        culprit_layer, consumer, max_diff=d.diff, tolerance=d.tol, mode=mode, variant=describe_row(batch, d.row),
        output=out_tap.name, first_changed=first_name, first_class=first_class,
        first_diff=None if first_name == out_tap.name else first_diff, how=how, cleared=cleared,
        pad=p.seqs[0].pad if p.seqs else 0.0, side=side if side == "pre" and not p.fixed else "",
        known_pre=contract.known_side(p) == "pre"))


def shape_notes(p, out_idx) -> None:
    """Compiled predict and the eager call disagree on an output's shape (seen: TimeDistributed)."""
    for b in [p.ref] + p.variants:
        e, pr = p.eager.get(b.key), p.pred.get(b.key)
        if e is None or pr is None or e.values is None or pr.values is None:
            continue
        for k in out_idx:
            if e.values[k].shape != pr.values[k].shape:
                p.report.notes.append(
                    f"compiled predict returns output '{p.taps[k].name}' with shape {pr.values[k].shape} for "
                    f"{'the reference batch' if b is p.ref else f'the batch padded to {b.width} steps'}, "
                    f"the eager call {e.values[k].shape}: compiled and eager calls disagree "
                    f"(not a padding leak; that output is compared in eager mode only)")
                return


def runtime_mask(p) -> None:
    """A runtime mask lost: an output with a symbolic mask and no runtime mask (the loss counts padded
    steps)."""
    from keras.src.backend.common.masking import get_keras_mask

    if not p.variants:
        return
    batch = p.variants[-1]
    run = p.eager.get(batch.key)
    ref = p.eager.get("reference")
    if run is None or run.masks is None or ref is None or ref.values is None:
        return
    for tp in p.out_taps:
        sym = get_keras_mask(tp.tensor)
        if sym is None or run.masks[tp.index] is not None:
            continue
        d = compare_tap(ref.values[tp.index], run.values[tp.index], p.ref.rows, batch.rows, p.L,
                        p.ref.width, batch.width, p.fixed, p.rtol)
        if not (d.comparable and d.time_axis):
            continue
        culprit = p.where.mask_lost_at(tp, run)
        _report(p, RuntimeMaskLost(_tap_layer(p, culprit), "loss", output=tp.name,
                                   cleared=p.where.cleared_by_attention(culprit, run)))


def empty_sample(p) -> None:
    """NaN/inf (or an exception) on an all-padding sample (masked GlobalAveragePooling1D divides by zero).

    Reported only on evidence that such samples occur: a ``--data`` sample with all-padding rows.
    Without it the result is a note (most pipelines never produce empty sequences)."""
    if any(s.pad != s.pad or math.isinf(s.pad) for s in p.seqs):
        return
    run = p.eager.get("empty")
    if run is None:
        return
    empties = sum(s.padding.empty_rows for s in p.seqs if s.padding is not None)
    p.report.empty_rows_evidence = bool(empties)
    if run.error is not None:
        rec = EmptySequenceNan(_named_layer(p, p.where.crash_culprit(run.error)), None, error=one_line(run.error),
                               empty_rows=empties)
    else:
        bad = [tp for tp in p.out_taps if not np.isfinite(run.values[tp.index].astype(np.float64)).all()]
        if not bad:
            return
        ref = p.eager.get("reference")
        if ref is not None and ref.values is not None and not all(
                np.isfinite(ref.values[tp.index].astype(np.float64)).all() for tp in bad):
            p.report.notes.append("the reference batch already gives NaN/inf: the all-padding check is skipped")
            return
        anc = set()
        for tp in bad:
            anc |= p.where.ancestors(tp)
        first = next((p.taps[k] for k in sorted(anc, key=lambda k: p.taps[k].topo)
                      if not np.isfinite(run.values[k].astype(np.float64)).all()), bad[0])
        rec = EmptySequenceNan(_tap_layer(p, first), None, output=bad[0].name, empty_rows=empties)
    if empties:
        _report(p, rec)
    else:
        p.report.notes.append(rec.note())


def run_rules(p) -> None:
    """A crash first (then nothing else is compared), then padding leaks, lost runtime masks and NaN on an
    all-padding sample, on the report of ``p``."""
    ref = p.eager.get("reference")
    if ref is not None and ref.error is not None:
        crash(p, p.ref, "eager", ref.error)
        return
    crashed = False
    for b in p.variants:
        r = p.eager.get(b.key)
        if r is not None and r.error is not None:
            crash(p, b, "eager", r.error)
            crashed = True
            break
    if not crashed:
        pr = p.pred.get("reference")
        if pr is not None and pr.error is not None:
            crash(p, p.ref, "predict", pr.error)
        else:
            for b in p.variants:
                r = p.pred.get(b.key)
                if r is not None and r.error is not None:
                    if _cudnn_right_padding(r.error):
                        # the probe's own left padding, not the user's data: the cuDNN-padding rule covers
                        # real data
                        p.report.notes.append(
                            f"compiled predict fails cuDNN's right-padding assertion on the left-padded rows "
                            f"of the batch padded to {b.width} steps (a GPU): only the eager results are "
                            f"compared there; with left-padded data this is {CudnnPadding.RULE.code}")
                        p.pred.pop(b.key, None)
                        continue
                    crash(p, b, "predict", r.error)
                    break
    leaks(p)
    runtime_mask(p)
    empty_sample(p)
