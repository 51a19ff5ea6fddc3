"""Comparing a variant batch with the reference: the tolerance, and per tap the largest difference at
the real positions (aligned per padding side) or of the whole tensor, row against row."""
from __future__ import annotations

import math

import numpy as np

from ..._record import factory, record
from .batches import Batch

DEFAULT_RTOL = 1e-5
SCALE_FLOOR = 1e-3


@record
class TapDiff:
    diff: float = 0.0
    tol: float = 0.0
    row: int = -1
    aligned: bool = False
    comparable: bool = True
    row_diffs: list = factory(list)  # (variant row, max |difference|) per compared row
    time_axis: bool = False  # axis 1 can be the padded time axis (for the mask checks)

    @property
    def ratio(self) -> float:
        if not self.comparable:
            return 0.0
        if math.isinf(self.diff):
            return math.inf
        return self.diff / self.tol if self.tol > 0 else (math.inf if self.diff > 0 else 0.0)

    @property
    def changed(self) -> bool:
        return self.comparable and self.diff > self.tol


def default_rtol(model) -> float:
    """1e-5 for float32 (and float64) models; 8 x machine epsilon for float16/bfloat16 compute."""
    dt = str(getattr(getattr(model, "dtype_policy", None), "compute_dtype", "float32"))
    eps = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}.get(dt)
    return DEFAULT_RTOL if eps is None else max(DEFAULT_RTOL, 8 * eps)


def real_slice(arr, row_idx, offset, L, aligned):
    x = arr[row_idx]
    return x[offset:offset + L] if aligned else x


def diff_rows(Rf, Vf, ref_rows, var_rows, L, aligned) -> tuple[list, float] | None:
    """Per variant row: max |v - r| over the compared values; plus the reference scale."""
    scale = 0.0
    refs = {}
    for i, row in enumerate(ref_rows):
        r = real_slice(Rf, i, row.offset, L, aligned)
        refs[row.base] = r
        fin = np.isfinite(r)
        if fin.any():
            scale = max(scale, float(np.max(np.abs(r[fin]))))
    out = []
    for j, row in enumerate(var_rows):
        r = refs.get(row.base)
        if r is None:
            continue
        v = real_slice(Vf, j, row.offset, L, aligned)
        if v.shape != r.shape:
            return None
        keep = np.isfinite(r)  # where the reference itself is NaN/inf there is nothing to compare
        vv, rr = v[keep], r[keep]
        if vv.size == 0:
            continue
        d = math.inf if not np.isfinite(vv).all() else float(np.max(np.abs(vv - rr)))
        out.append((j, d))
    return out, scale


def compare_tap(R, V, ref_rows, var_rows, L, ref_width, var_width, fixed, rtol) -> TapDiff:
    """Largest difference of one tap between the reference batch and one variant batch.

    A tensor whose axis 1 follows the padded length is compared at the real positions, aligned per
    side; a tensor of the same shape in both batches as a whole, row against row. When both readings
    are possible (fixed-length inputs: is axis 1 the input's time axis or a new one, as after
    ``RepeatVector``?) the one with the smaller difference counts: a change must show in both.
    """
    if R is None or V is None:
        return TapDiff(comparable=False)
    R = np.asarray(R)
    V = np.asarray(V)
    if R.ndim == 0 or V.ndim == 0 or R.shape[0] != len(ref_rows) or V.shape[0] != len(var_rows):
        return TapDiff(comparable=False)
    can_align = (R.ndim >= 2 and V.ndim >= 2 and R.shape[1] == ref_width and V.shape[1] == var_width
                 and R.shape[2:] == V.shape[2:])
    can_whole = R.shape[1:] == V.shape[1:] and (fixed or not can_align)
    Rf = R.astype(np.float64)
    Vf = V.astype(np.float64)
    best = None
    for aligned in ([True] if can_align else []) + ([False] if can_whole else []):
        res = diff_rows(Rf, Vf, ref_rows, var_rows, L, aligned)
        if res is None:
            continue
        rows, scale = res
        tol = rtol * max(scale, SCALE_FLOOR)
        d = TapDiff(tol=tol, aligned=aligned, row_diffs=rows)
        for j, x in rows:
            if x > d.diff or d.row < 0:
                d.diff, d.row = x, j
        if best is None or d.ratio < best.ratio:
            best = d
    if best is None:
        return TapDiff(comparable=False)
    best.time_axis = can_align
    return best


def compare_runs(runs: dict, ref: Batch, variants: list, L: int, fixed: bool, rtol: float, n_taps: int) -> dict:
    """key -> [TapDiff per tap] for every variant batch that ran."""
    ref_run = runs.get("reference")
    out = {}
    if ref_run is None or ref_run.values is None:
        return out
    for b in variants:
        r = runs.get(b.key)
        if r is None or r.values is None:
            continue
        out[b.key] = [
            compare_tap(ref_run.values[k], r.values[k], ref.rows, b.rows, L, ref.width, b.width, fixed, rtol)
            for k in range(n_taps)]
    return out
