"""Padded probe batches: base sequences (rows of ``--data`` or synthetic values kept away from the pad
value), the reference batch, one shuffled batch per padded length (post and pre), and the all-padding
sample."""
from __future__ import annotations

import numpy as np

from ..._record import record
from .plan import LengthPlan

SIDES = ("post", "pre")


@record
class Row:
    base: int
    side: str
    offset: int  # first real step in the padded row


@record
class Batch:
    key: str  # "reference", "T=10", "empty"
    width: int
    rows: list
    arrays: list  # one np.ndarray per model input
    label: str = ""


# --------------------------------------------------------------------------------------------------
# synthetic data and padding
# --------------------------------------------------------------------------------------------------
def synth_ids(rng, n: int, vocab: int | None, pad: float) -> np.ndarray:
    hi = vocab if vocab is not None and vocab > 1 else 10
    ids = rng.integers(1, hi, size=n)
    if pad == pad and hi > 2:
        clash = ids == pad
        while clash.any():
            ids[clash] = rng.integers(1, hi, size=int(clash.sum()))
            clash = ids == pad
    return ids


def synth_float(rng, n: int, step: tuple, pad: float) -> np.ndarray:
    base = rng.standard_normal((n,) + step)
    one_signed = rng.random(step) < 0.5
    sign = rng.choice([-1.0, 1.0], size=step)
    off = np.where(one_signed, sign * (0.5 + np.abs(base)), base)
    centre = pad if (pad == pad and abs(pad) < 1e6) else 0.0
    x = centre + off
    if pad == pad:
        near = np.abs(x - pad) < 0.25
        x = np.where(near, pad + 0.25 * np.where(x >= pad, 1.0, -1.0), x)
    return x


def cast(a: np.ndarray, dtype: str) -> np.ndarray:
    if "int" in dtype:
        return a.astype(dtype if dtype in ("int32", "int64", "int16", "int8", "uint8") else "int32")
    if dtype in ("float16", "bfloat16", "float64"):
        return a.astype("float64" if dtype == "float64" else "float32")
    return a.astype("float32")


def pad_row(content: np.ndarray, width: int, side: str, pad: float) -> np.ndarray:
    L = content.shape[0]
    out = np.full((width,) + content.shape[1:], pad, dtype=np.float64)
    if side == "post":
        out[:L] = content
    else:
        out[width - L:] = content
    return out


# --------------------------------------------------------------------------------------------------
# the batches
# --------------------------------------------------------------------------------------------------
def build_batches(n_inputs: int, seqs: list, others: list, plan: LengthPlan, seed: int) -> tuple:
    """(reference batch, variant batches, all-padding batch) for a model with ``n_inputs`` inputs."""
    rng = np.random.default_rng(seed)
    L, B, base_rows, t0 = plan.L, plan.B, plan.base_rows, plan.t0
    # base content per input
    content = {}
    for s in seqs:
        rows = []
        for b in range(B):
            if base_rows and s.data is not None and s.padding is not None:
                r = base_rows[b]
                st = int(s.padding.starts[r])
                rows.append(np.asarray(s.data[r, st:st + L], dtype=np.float64))
            elif s.kind == "ids":
                rows.append(synth_ids(rng, L, s.vocab, s.pad).astype(np.float64))
            else:
                rows.append(synth_float(rng, L, s.step_shape, s.pad))
        content[s.index] = rows
    other_vals = {}
    for o in others:
        vals = []
        for b in range(B):
            if o.data is not None and base_rows and o.data.shape[0] > base_rows[b]:
                vals.append(np.asarray(o.data[base_rows[b]], dtype=np.float64))
            elif "int" in o.dtype:
                vals.append(rng.integers(1, 10, size=o.shape).astype(np.float64))
            else:
                vals.append(rng.standard_normal(o.shape))
        other_vals[o.index] = vals

    def build(key, width, rows, label):
        arrays = [None] * n_inputs
        for s in seqs:
            arrays[s.index] = cast(np.stack([pad_row(content[s.index][r.base], width, r.side, s.pad)
                                             for r in rows]), s.dtype)
        for o in others:
            arrays[o.index] = cast(np.stack([other_vals[o.index][r.base] for r in rows]), o.dtype)
        return Batch(key, width, rows, arrays, label)

    if plan.fixed:
        ref = build("reference", t0, [Row(b, "post", 0) for b in range(B)], f"post-padded to {t0} steps")
    else:
        ref = build("reference", L, [Row(b, "post", 0) for b in range(B)], f"unpadded, {L} steps")
    variants = []
    for T in plan.lengths:
        rows = [Row(b, side, 0 if side == "post" else T - L) for b in range(B) for side in SIDES]
        perm = rng.permutation(len(rows))
        rows = [rows[i] for i in perm]
        variants.append(build(f"T={T}", T, rows, f"padded to {T} steps"))
    empty_w = t0 if plan.fixed else L
    empty_rows = [Row(0, "post", 0)]
    empty = build("empty", empty_w, empty_rows, "all-padding sample")
    for s in seqs:  # the all-padding row: nothing but the pad value
        empty.arrays[s.index] = cast(np.full((1, empty_w) + s.step_shape, s.pad), s.dtype)
    return ref, variants, empty
