"""``--data x.npy|x.npz``: a sample of the real padded inputs.

From the sample masklint infers how the data is padded -- the padding value and side, each row's real
length, all-padding rows -- and checks it against the model's mask producers:

* MK201: the data is padded with a value the mask producer does not mask;
* MK202: real steps (inside a row's real span) equal the mask value, so they are masked as padding;
* MK204: left padding or all-padding rows reach a masked, cuDNN-eligible LSTM/GRU.

A step is a pad candidate when all its features hold one value (``Masking`` masks a step only when
every feature equals ``mask_value``). The padding is the run of identical candidate steps at the end
(``post``) or the start (``pre``) of a row; the side and value with the most padded steps win, and they
count only when the run appears in at least two rows (or is at least two steps long in a one-row sample).
Needs numpy only (no Keras).
"""
from __future__ import annotations

import os
from collections import Counter

import numpy as np

from .._record import factory, record
from ..errors import LintError
from ..findings import Finding


@record
class Padding:
    """How one array of the sample is padded (inferred, or with a given pad value)."""

    value: float | None = None  # None: no padding found
    side: str | None = None  # "post" | "pre" | None
    lengths: object = None  # np.ndarray: real length of each row
    starts: object = None  # np.ndarray: first real step of each row
    empty_rows: int = 0
    padded_rows: int = 0  # rows with at least one padding step
    rows: int = 0
    given: bool = False  # the value came from --pad-value, not from the data
    notes: list = factory(list)

    def describe(self) -> str:
        if self.value is None:
            return "no padding found"
        side = {"post": "right (post)", "pre": "left (pre)"}.get(self.side, "unknown side")
        return (f"padded with {_fmt(self.value)} on the {side}, {self.padded_rows} of {self.rows} rows padded"
                + (f", {self.empty_rows} all-padding" if self.empty_rows else ""))


def _fmt(v) -> str:
    if v is None:
        return "?"
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def load_data(path: str) -> dict[str, np.ndarray]:
    """Arrays of a ``.npy`` (named ``""``) or ``.npz`` file; LintError with one line otherwise."""
    if not os.path.exists(path):
        raise LintError(f"--data {path}: no such file")
    try:
        obj = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise LintError(f"--data {path}: cannot read without unpickling (object arrays are refused): {exc}") from None
    except Exception as exc:  # damaged or not numpy
        raise LintError(f"--data {path}: not a .npy/.npz file ({type(exc).__name__}: {exc})") from None
    if isinstance(obj, np.ndarray):
        arrays = {"": obj}
    else:
        try:
            arrays = {k: obj[k] for k in obj.files}
        except Exception as exc:
            raise LintError(f"--data {path}: damaged .npz ({type(exc).__name__}: {exc})") from None
    if not arrays:
        raise LintError(f"--data {path}: the file holds no arrays")
    for k, a in arrays.items():
        if a.dtype.kind not in "biuf":
            raise LintError(f"--data {path}: array {k or 'x'!r} has dtype {a.dtype}; numeric data is needed")
        if a.ndim < 2 or a.shape[0] == 0:
            raise LintError(f"--data {path}: array {k or 'x'!r} has shape {a.shape}; expected (rows, time, ...)")
    return arrays


def _step_values(arr: np.ndarray) -> np.ndarray:
    """(rows, time) float64: the value of each step when all its features are equal, else NaN."""
    a = arr.astype(np.float64, copy=False)
    if a.ndim == 2:
        return a.copy()
    flat = a.reshape(a.shape[0], a.shape[1], -1)
    first = flat[..., 0]
    same = np.all(flat == first[..., None], axis=-1)
    out = np.where(same, first, np.nan)
    return out


def _runs(vals: np.ndarray, v: float, side: str) -> np.ndarray:
    """Length of the run of steps equal to ``v`` at the end (post) or start (pre) of each row."""
    eq = vals == v if v == v else np.isnan(vals)  # NaN padding is matched as NaN
    if side == "pre":
        eq = eq[:, ::-1]
    # run at the end: count trailing Trues
    rev = eq[:, ::-1]
    notv = ~rev
    first_false = np.where(notv.any(axis=1), notv.argmax(axis=1), eq.shape[1])
    return first_false.astype(np.int64)


def infer_padding(arr: np.ndarray, pad_value=None) -> Padding:
    """The padding of a sample array (rows, time, ...); ``pad_value`` fixes the value (side inferred)."""
    rows, t = arr.shape[0], arr.shape[1]
    vals = _step_values(arr)
    cands: list[tuple[int, int, str, float]] = []  # (steps, rows, side, value)
    for side, col in (("post", vals[:, -1]), ("pre", vals[:, 0])):
        if pad_value is not None:
            values = [float(pad_value)]
        else:
            finite = [float(x) for x in col if x == x]
            values = [v for v, _ in Counter(finite).most_common(3)]
        for v in values:
            run = _runs(vals, v, side)
            nonempty = run < t
            padded = int(np.count_nonzero((run > 0) & nonempty))
            cands.append((int(run[nonempty].sum()), padded, side, v))
    best = None
    for steps, padded, side, v in sorted(cands, key=lambda c: (c[0], c[1]), reverse=True):
        evidence = padded >= 2 or (rows == 1 and steps >= 2) or (pad_value is not None and padded >= 1)
        if evidence:
            best = (side, v)
            break
    p = Padding(rows=rows, given=pad_value is not None)
    if best is None:
        # nothing looks padded; with a given value, rows made only of it are still empty rows
        p.lengths = np.full(rows, t, dtype=np.int64)
        p.starts = np.zeros(rows, dtype=np.int64)
        if pad_value is not None:
            run = _runs(vals, float(pad_value), "post")
            empty = run >= t
            p.value = float(pad_value)
            p.empty_rows = int(empty.sum())
            p.lengths = np.where(empty, 0, t)
        return p
    side, v = best
    run = _runs(vals, v, side)
    p.value, p.side = v, side
    p.lengths = (t - run).astype(np.int64)
    p.starts = np.where(p.lengths == 0, 0, run if side == "pre" else 0).astype(np.int64)
    p.empty_rows = int(np.count_nonzero(p.lengths == 0))
    p.padded_rows = int(np.count_nonzero((run > 0) & (p.lengths > 0)))
    return p


def steps_equal(arr: np.ndarray, v: float) -> np.ndarray:
    """(rows, time) bool: steps whose features all equal ``v`` (what Masking(v) masks)."""
    a = arr.astype(np.float64, copy=False)
    eq = a == v
    if a.ndim > 2:
        eq = eq.reshape(a.shape[0], a.shape[1], -1).all(axis=-1)
    return eq


def real_steps_equal(arr: np.ndarray, pad: Padding, v: float) -> tuple[int, int, tuple | None]:
    """(steps, rows, first (row, step)) of real steps (inside each row's real span) equal to ``v``."""
    eq = steps_equal(arr, v)
    t = arr.shape[1]
    pos = np.arange(t)[None, :]
    starts = pad.starts[:, None]
    inside = (pos >= starts) & (pos < starts + pad.lengths[:, None])
    hit = eq & inside
    n = int(hit.sum())
    if not n:
        return 0, 0, None
    r, s = np.argwhere(hit)[0]
    return n, int(hit.any(axis=1).sum()), (int(r), int(s))


def data_findings(path: str, checks: list[dict]) -> list[Finding]:
    """MK201/MK202/MK204 from the per-input facts gathered by the probe (see probe.plan_data_checks).

    Each check: ``input`` (name), ``array``, ``padding`` (Padding), ``producer`` (layer path or None),
    ``producer_class``, ``mask_value`` (float or None), ``consumer`` (first consumer or None), ``rnns``
    (paths of masked cuDNN-eligible LSTM/GRU layers fed by this input, with their class names).
    """
    out: list[Finding] = []
    for c in checks:
        pad: Padding = c["padding"]
        arr = c["array"]
        mv = c.get("mask_value")
        prod = c.get("producer")
        cons = c.get("consumer")
        what = f"input {c['input']!r}" if c.get("input") else "the input"
        mask_zero = c.get("producer_class") in ("Embedding", "ReversibleEmbedding")
        producer_txt = (f"Embedding '{prod}' with mask_zero=True masks id 0" if mask_zero
                        else f"Masking '{prod}' masks steps equal to {_fmt(mv)}")
        if prod is not None and mv is not None and mv == mv and pad.value is not None and not pad.given \
                and pad.value == pad.value and float(pad.value) != float(mv):
            out.append(Finding(
                code="MK201", path=path, layer=prod, consumer=cons, source="data",
                message=(f"the data sample for {what} is {pad.describe()}, but {producer_txt}: padded steps are "
                         f"not masked" + (f"; '{cons}' sees padding" if cons else "")),
                fix=("pad with 0 (and keep 0 for padding only)" if mask_zero else
                     f"use Masking(mask_value={_fmt(pad.value)}) or pad the data with {_fmt(mv)}"),
                extra={"pad_value": pad.value, "mask_value": mv, "side": pad.side}))
        if prod is not None and mv is not None and mv == mv and pad.lengths is not None:
            n, nrows, first = real_steps_equal(arr, pad, float(mv))
            if n:
                where = f" (first: row {first[0]}, step {first[1]})" if first else ""
                thing = "token id 0" if mask_zero else f"all features equal to {_fmt(mv)}"
                out.append(Finding(
                    code="MK202", path=path, layer=prod, consumer=cons, source="data",
                    message=(f"{n} real step{'s' if n != 1 else ''} in {nrows} row{'s' if nrows != 1 else ''} of the "
                             f"data sample for {what} hold{'s' if n == 1 else ''} {thing}{where}: {producer_txt}, so "
                             f"{'it is' if n == 1 else 'they are'} silently skipped as padding"),
                    fix=("reserve id 0 for padding: number the vocabulary from 1 and size the Embedding "
                         "len(vocab) + 1" if mask_zero else
                         "pad with a value no real step can take and use it as Masking's mask_value"),
                    extra={"steps": n, "rows": nrows}))
        if pad.side == "pre" or pad.empty_rows:
            why = []
            if pad.side == "pre":
                why.append("left-padded")
            if pad.empty_rows:
                why.append(f"has {pad.empty_rows} all-padding row{'s' if pad.empty_rows != 1 else ''}")
            for rnn, cls in c.get("rnns", ()):
                out.append(Finding(
                    code="MK204", path=path, layer=rnn, consumer=None, source="data",
                    message=(f"the data sample for {what} is {' and '.join(why)}, and it reaches the masked, "
                             f"cuDNN-eligible {cls} '{rnn}': on a GPU, compiled fit/predict fail cuDNN's "
                             f"right-padding assertion"),
                    fix=f"pad with padding='post' and drop empty rows, or pass use_cudnn=False to '{rnn}'",
                    extra={"side": pad.side, "empty_rows": pad.empty_rows}))
    return out
