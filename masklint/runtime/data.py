"""``--data x.npy|x.npz``: a sample of the real padded inputs.

From the sample masklint infers how the data is padded -- the padding value and side, each row's real
length, all-padding rows -- and checks it against the model's mask producers, with the records of the
static rules (:mod:`masklint.rules`) built from the sample instead of code:

* ``MaskValueMismatch``: the data is padded with a value the mask producer does not mask;
* ``RealValuesMasked``: real steps (inside a row's real span) equal the mask value, so they are masked
  as padding;
* ``CudnnPadding``: left padding or all-padding rows reach a masked, cuDNN-eligible LSTM/GRU.

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
from ..findings import Finding, finding_of
from ..rules.mk201_mask_value_mismatch import MaskValueMismatch
from ..rules.mk202_real_values_masked import RealValuesMasked
from ..rules.mk204_cudnn_padding import CudnnPadding


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


def _plain(v):
    """A pad or mask value as code would write it (``-1``, not ``-1.0``), for the messages."""
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


def data_findings(path: str, checks: list[dict]) -> list[Finding]:
    """The findings of the data sample (see ``probe.data_checks``): the same records as the static analysis
    (mask-value mismatch, real values masked, cuDNN padding), built from the sample instead of code.

    Each check: ``input`` (name), ``array``, ``padding`` (Padding), ``producer`` (the IR layer of the mask
    producer, or None), ``mask_zero`` (the producer is an ``Embedding(mask_zero=True)``), ``mask_value``
    (float or None), ``consumer`` (path of the first consumer, or None), ``rnns`` ((IR layer, class as
    printed) of the masked cuDNN-eligible LSTM/GRU layers fed by this input).
    """
    out: list = []
    for c in checks:
        pad: Padding = c["padding"]
        arr = c["array"]
        mv = c.get("mask_value")
        prod = c.get("producer")
        cons = c.get("consumer")
        mask_zero = bool(c.get("mask_zero"))
        if prod is not None and mv is not None and mv == mv and pad.value is not None and not pad.given \
                and pad.value == pad.value and float(pad.value) != float(mv):
            out.append(MaskValueMismatch(prod, cons, pad=_plain(pad.value), mask_value=_plain(mv), mask_zero=mask_zero,
                                         sample=c["input"], layout=pad.describe(), side=pad.side))
        if prod is not None and mv is not None and mv == mv and pad.lengths is not None:
            n, nrows, first = real_steps_equal(arr, pad, float(mv))
            if n:
                out.append(RealValuesMasked(prod, cons, why="sample_steps", sample=c["input"], mask_value=_plain(mv),
                                            mask_zero=mask_zero, steps=n, rows=nrows, first=first))
        if pad.side == "pre" or pad.empty_rows:
            for rnn, cls in c.get("rnns", ()):
                out.append(CudnnPadding(rnn, None, rnn_class=cls, why="sample", sample=c["input"], side=pad.side,
                                        empty_rows=pad.empty_rows))
    return [finding_of(rec, path, "data") for rec in out]
