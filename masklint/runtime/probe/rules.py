"""The probe's rules: from the runs and their differences to MK301 (padding leaks), MK302 (runtime mask
lost at an output), MK303 (NaN/inf on an all-padding sample) and MK304 (a padded batch raises).

``p`` is the probe (:class:`.driver._Probe`): its label, report, taps, batches, runs and localiser.
"""
from __future__ import annotations

import math

import numpy as np

from ...findings import Finding
from ..loading import one_line
from .batches import Batch
from .comparison import compare_runs, compare_tap
from .report import num

MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")


def _cudnn_right_padding(exc) -> bool:
    text = str(exc)
    return "right-padded" in text and "cuDNN" in text


def finding(p, code, message, fix, layer=None, consumer=None, **extra) -> Finding:
    return Finding(code=code, message=message, fix=fix, path=p.label, layer=layer, consumer=consumer,
                   source="probe", extra=extra)


def crash(p, batch: Batch, mode: str, exc) -> None:
    culprit = p.where.crash_culprit(exc)
    what = "an unpadded reference batch" if batch.key == "reference" and not p.fixed else (
        f"a correctly padded probe batch ({batch.label}, post and pre)")
    p.report.findings.append(finding(
        p, "MK304", f"the model raises on {what} in {'eager call' if mode == 'eager' else 'compiled predict'}: "
                    f"{one_line(exc)}",
        "run the model on a padded batch to see the full error; masklint's static findings for this model "
        "usually name the layer whose mask does not fit", layer=culprit, mode=mode, batch=batch.key))


def describe_row(batch: Batch, row: int) -> str:
    if row < 0 or row >= len(batch.rows):
        return batch.label
    r = batch.rows[row]
    what = "post-padding" if r.side == "post" else "pre-padding"
    return f"{what} to {batch.width} steps (row {row + 1} of {len(batch.rows)}, rows shuffled)"


def leaks(p) -> None:
    """MK301: the largest output difference over every variant batch, localised; and the report's
    largest differences per mode and per variant."""
    rep = p.report
    n = len(p.taps)
    results = {"eager": compare_runs(p.eager, p.ref, p.variants, p.L, p.fixed, p.rtol, n),
               "predict": compare_runs(p.pred, p.ref, p.variants, p.L, p.fixed, p.rtol, n)}
    out_idx = [tp.index for tp in p.out_taps]
    eager_worst = None
    shape_notes(p, out_idx)
    worst = None  # (ratio, mode, key, out tap, TapDiff)
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
                if big is None or d.ratio > big[0].ratio:
                    big = (d, key, k)
                if worst is None or d.ratio > worst[0]:
                    worst = (d.ratio, mode, key, p.taps[k], d)
                if mode == "eager" and (eager_worst is None or d.ratio > eager_worst[0]):
                    eager_worst = (d.ratio, mode, key, p.taps[k], d)
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
    if worst is None or worst[0] <= 1.0:
        return
    if worst[1] == "predict" and eager_worst is not None and eager_worst[0] > 1.0:
        worst = eager_worst  # the eager pass has the runtime masks for localisation
    _, mode, key, out_tap, d = worst
    batch = next(b for b in p.variants if b.key == key)
    diffs = results[mode][key]
    first, culprit, how = p.where.localise(out_tap, diffs, batch, p.eager.get(batch.key),
                                           results["eager"].get(batch.key, diffs), p.L)
    fd = diffs[first.index]
    variant = describe_row(batch, d.row)
    where = "" if first is out_tap else (
        f"; the first layer whose real outputs change is '{first.name}' ({first.class_name}, "
        f"|difference| {num(fd.diff)})")
    msg = (f"outputs at the real positions change when only the padding changes: |difference| {num(d.diff)} at "
           f"output '{out_tap.name}' (tolerance {num(d.tol)}), {variant}, {mode}{where}")
    cons = first.name if culprit is not first else None
    merge = culprit.class_name in MERGES
    eager_run = p.eager.get(batch.key)
    cleared = p.where.cleared_by_attention(culprit, eager_run) if (
        how == "dropped" and eager_run is not None and eager_run.masks is not None) else None
    if cleared:
        msg += (f"; '{culprit.name}' ({culprit.class_name}) takes '{cleared[0]}', whose runtime mask "
                f"{cleared[2]} '{cleared[1]}' cleared when it was called on it, so the output of "
                f"'{culprit.name}' has no mask at run time and '{first.name}' reads padding")
        fix = (f"pass the padding mask to '{first.name}' explicitly (e.g. attention_mask=pad_mask[:, None, :] "
               f"for attention, mask=pad_mask otherwise)")
    elif how == "dropped" and culprit is first:
        msg += f"; '{first.name}' ({first.class_name}) drops the mask and mixes the padding into the real steps"
        fix = (f"use a mask-aware layer instead of '{first.name}', or apply it after the layer that consumes "
               f"the mask")
    elif how in ("dropped", "replaced") and merge:
        what = "has no mask" if how == "dropped" else "has a mask that marks padding as real"
        msg += (f"; '{culprit.name}' ({culprit.class_name}) merges masked and unmasked inputs, so its output "
                f"{what}, and '{first.name}' reads padding")
        fix = (f"mask every input of '{culprit.name}' (take each branch after the mask producer), or merge "
               f"after '{first.name}'")
    elif how == "dropped":
        msg += f"; the runtime mask is lost at '{culprit.name}' ({culprit.class_name}), so '{first.name}' reads padding"
        fix = (f"make '{culprit.name}' keep the mask (a mask-aware layer, a Lambda with mask=, a custom layer "
               f"with supports_masking=True), or move it after '{first.name}'")
    elif how == "replaced":
        msg += (f"; '{culprit.name}' ({culprit.class_name}) replaces the mask with one that marks padding as "
                f"real, so '{first.name}' reads padding")
        fix = f"remove '{culprit.name}', or make it the only mask producer, on the raw padded input"
    elif how == "wrong":
        msg += (f"; the mask created by '{culprit.name}' ({culprit.class_name}) marks padding as real, "
                f"so '{first.name}' reads padding")
        fix = ("mask at the source: Embedding(mask_zero=True) for token ids, or Masking on the raw input "
               "with mask_value = the padding value")
    elif how == "ignores":
        msg += f"; '{first.name}' ({first.class_name}) receives the mask but ignores it"
        fix = f"replace '{first.name}' with a mask-aware layer (e.g. GlobalAveragePooling1D, an RNN, attention)"
    elif how == "nomask":
        msg += f"; no mask covers the padding that '{first.name}' ({first.class_name}) reads"
        pad = p.seqs[0].pad if p.seqs else 0.0
        fix = (f"mask the padding before '{first.name}': Embedding(mask_zero=True) for token ids padded with 0, "
               f"or Masking(mask_value={num(pad)})")
    else:
        fix = "mask the padding before the first layer that changes, and keep the mask to the consumer"
    rep.findings.append(finding(
        p, "MK301", msg, fix, layer=culprit.name, consumer=cons, max_diff=d.diff, tolerance=d.tol, mode=mode,
        variant=variant, output=out_tap.name, first_changed=first.name, how=how))


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
    """MK302: an output with a symbolic mask and no runtime mask (the loss counts padded steps)."""
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
        cleared = p.where.cleared_by_attention(culprit, run)
        msg = (f"the model output '{tp.name}' has no runtime mask although its symbolic graph has one: the "
               f"loss (and metrics) read the runtime mask, so they count padded steps; the runtime mask is "
               f"lost at '{culprit.name}' ({culprit.class_name})")
        if cleared:
            msg += (f", whose input '{cleared[0]}' lost its runtime mask when {cleared[2]} '{cleared[1]}' was "
                    f"called on it")
        fix = ("compute the output head with TimeDistributed(...) (its recorded mask is replayed), or pass "
               "the padding mask as sample_weight")
        p.report.findings.append(finding(p, "MK302", msg, fix, layer=culprit.name, consumer=None,
                                         output=tp.name))


def empty_sample(p) -> None:
    """MK303: an all-padding sample gives NaN/inf (masked GlobalAveragePooling1D divides by zero).

    Reported only on evidence that such samples occur: a ``--data`` sample with all-padding rows.
    Without it the result is a note (most pipelines never produce empty sequences)."""
    if any(s.pad != s.pad or math.isinf(s.pad) for s in p.seqs):
        return
    run = p.eager.get("empty")
    if run is None:
        return
    empties = sum(s.padding.empty_rows for s in p.seqs if s.padding is not None)
    p.report.empty_rows_evidence = bool(empties)
    evidence = (f"; the --data sample has {empties} all-padding row{'s' if empties != 1 else ''}"
                if empties else "")
    if run.error is not None:
        culprit = p.where.crash_culprit(run.error)
        if not empties:
            p.report.notes.append(f"an all-padding sample makes the model raise ({one_line(run.error)}); "
                                  f"MK303 is reported when --data shows empty rows")
            return
        p.report.findings.append(finding(
            p, "MK303", f"an all-padding sample makes the model raise: {one_line(run.error)}{evidence}",
            "drop empty sequences from the data, or make the layer handle a fully masked sample",
            layer=culprit))
        return
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
    why = (" (a masked average divides by the number of valid steps, 0)"
           if first.class_name == "GlobalAveragePooling1D" else "")
    if not empties:
        because = f": {why.strip(' ()')}" if why else ""
        p.report.notes.append(
            f"an all-padding sample would give NaN/inf at output '{bad[0].name}' (from '{first.name}'"
            f"{because}); MK303 is reported when a --data sample shows empty rows")
        return
    msg = (f"an all-padding sample gives NaN/inf at output '{bad[0].name}'; the first layer that produces them "
           f"is '{first.name}' ({first.class_name}){why}{evidence}")
    fix = ("drop empty sequences from the data, or pool with a guarded average "
           "(sum(x * mask) / max(sum(mask), 1))")
    p.report.findings.append(finding(p, "MK303", msg, fix, layer=first.name,
                                     consumer=None, output=bad[0].name))


def run_rules(p) -> None:
    """MK304 (a crash), then MK301, MK302 and MK303, on the report of ``p``."""
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
                        # the probe's own left padding, not the user's data: MK204 covers real data
                        p.report.notes.append(
                            f"compiled predict fails cuDNN's right-padding assertion on the left-padded rows "
                            f"of the batch padded to {b.width} steps (a GPU): only the eager results are "
                            f"compared there; with left-padded data this is MK204")
                        p.pred.pop(b.key, None)
                        continue
                    crash(p, b, "predict", r.error)
                    break
    leaks(p)
    runtime_mask(p)
    empty_sample(p)
