"""The padding probe: feed padded batches to a live model and prove whether padding leaks.

Method (see ``rules/MK301-padding-leak.md`` for the user-facing description):

1. **Inputs.** A sequence input is one with a time axis that is padded: rank >= 3 (``(batch, time,
   features...)``), or rank 2 token ids (integer dtype, or fed to an ``Embedding``); with a variable time
   axis, or a fixed one that a mask producer reads (or ``--pad-value`` / ``--data`` says it is padded).
   Its pad value: ``--pad-value``, else the one inferred from ``--data``, else the ``mask_value`` of the
   first ``Masking`` it reaches (0 for ``Embedding(mask_zero=True)``), else 0. Other inputs are held
   constant per sample.
2. **Base batch.** ``BASE_SAMPLES`` sequences of real length ``L`` (5, or one less than the shortest
   padded length): rows of ``--data`` (their real steps), or synthetic values -- token ids in
   ``[1, vocab)`` avoiding the pad id; floats kept at least 0.25 away from the pad value, half of the
   features entirely below it and half entirely above (so that padding can win a max or a min).
3. **Weights.** Trainable weights are perturbed in place with seeded noise (biases included: fresh
   zero biases hide pre-padding bugs, reference §5) and restored afterwards; ``weights="trained"`` keeps
   them as they are.
4. **Batches.** One reference batch (the unpadded sequences, ``(B, L)``), then one batch per padded
   length ``T`` holding every base sequence padded post and pre, rows shuffled (seeded); and one
   all-padding sample for MK303. Fixed-length inputs (``Input((T0, ...))``) cannot vary their length:
   the reference is post-padded to ``T0`` and the variant batch holds post and pre copies, shuffled.
   Each batch runs once eagerly (``model(x, training=False)``) and once through compiled ``predict``;
   the all-padding sample runs eagerly. Default: 5 eager + 4 predict = 9 forward passes.
5. **Taps.** The batches run through a functional view of the model whose outputs are the model's
   outputs *and* every intermediate tensor of its graph (same layers, same weights), so one pass also
   gives the intermediate outputs and their runtime masks for localisation.
6. **Comparison.** Sequence tensors (the time axis follows the padded length) are compared at the real
   positions only, aligned per side (post: ``[0, L)``, pre: ``[T - L, T)``); others as a whole, row by
   row against the reference of the same base sequence. A tensor changes when
   ``max |variant - reference| > tolerance``, ``tolerance = rtol * max(scale, 1e-3)`` with ``scale`` the
   largest ``|value|`` of the reference tensor at the real positions and ``rtol = 1e-5``
   (:data:`DEFAULT_RTOL`, ``--tolerance``). A value that becomes NaN/inf where the reference is finite is
   an infinite difference.
7. **Findings.** MK301 when a model output changes; the finding names the first layer (in graph order,
   among the output's ancestors) whose real outputs change, the largest difference and the variant,
   and, from the runtime masks of the same pass, where the mask was lost or went wrong. MK302 when an
   output has a symbolic mask but no runtime mask. MK303 when the all-padding sample gives NaN/inf (or
   raises). MK304 when a correctly padded batch raises.
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np

from .._record import factory, record
from ..errors import LintError
from ..findings import Finding
from .loading import import_keras, one_line

DEFAULT_RTOL = 1e-5
SCALE_FLOOR = 1e-3
DEFAULT_REAL_LENGTH = 5
BASE_SAMPLES = 2
DATA_BASE_SAMPLES = 4
SIDES = ("post", "pre")
MASK_CREATORS = ("Masking", "Embedding", "ReversibleEmbedding")
ATTENTION_CLEARS = ("MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention")
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")


# --------------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------------
@record
class SeqInput:
    index: int
    name: str
    kind: str  # "ids" | "float"
    time: int | None  # fixed length, or None (variable)
    step_shape: tuple
    dtype: str
    pad: float = 0.0
    pad_source: str = "default 0"
    vocab: int | None = None
    producer: str | None = None  # the mask producer this input reaches (layer path)
    producer_class: str | None = None
    mask_value: float | None = None
    data: object = None  # np.ndarray from --data
    padding: object = None  # data.Padding


@record
class OtherInput:
    index: int
    name: str
    shape: tuple  # without the batch axis
    dtype: str
    data: object = None


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


@record
class Tap:
    index: int
    tensor: object
    node: object
    name: str
    class_name: str
    topo: int


@record
class Run:
    values: list | None = None  # per tap np.ndarray
    masks: list | None = None  # per tap np.ndarray | None (eager only)
    error: BaseException | None = None


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


@record
class ProbeReport:
    """What one probe did and found; ``findings`` are the MK30x findings (source ``probe``)."""

    label: str
    findings: list = factory(list)
    data_findings: list = factory(list)
    notes: list = factory(list)
    inputs: list = factory(list)  # SeqInput
    real_length: int = 0
    lengths: list = factory(list)
    fixed: bool = False
    rows_per_batch: int = 0
    weights: str = "perturbed"
    seed: int = 0
    rtol: float = DEFAULT_RTOL
    eager_passes: int = 0
    predict_passes: int = 0
    taps: int = 0
    largest: dict = factory(dict)  # mode -> (diff, tol, description) over the model outputs
    variants: list = factory(list)  # per (mode, padded length, side): largest output difference
    empty_rows_evidence: bool = False
    probed: bool = False

    @property
    def forward_passes(self) -> int:
        return self.eager_passes + self.predict_passes

    def all_findings(self) -> list:
        return sorted(self.data_findings + self.findings, key=Finding.sort_key)

    def summary_lines(self) -> list[str]:
        out = []
        lab = self.label
        for n in self.notes:
            out.append(f"probe: {lab}: note: {n}")
        if not self.probed:
            return out
        ins = "; ".join(f"input {s.name!r} ({s.kind}) padded with {_num(s.pad)} ({s.pad_source})" for s in self.inputs)
        if self.fixed:
            shape = (f"real length {self.real_length} in {self.inputs[0].time if self.inputs else '?'} fixed steps, "
                     f"post and pre")
        else:
            shape = (f"real length {self.real_length}, padded to {'/'.join(str(t) for t in self.lengths)} steps "
                     f"post and pre")
        out.append(f"probe: {lab}: {ins}; {shape}, rows shuffled; weights {self.weights}"
                   f"{f' (seed {self.seed})' if self.weights == 'perturbed' else ''}")
        parts = []
        for mode in ("eager", "predict"):
            if mode in self.largest:
                d, tol, _ = self.largest[mode]
                parts.append(f"{_num(d)} ({mode})")
        if parts:
            _, tol, _ = next(iter(self.largest.values()))
            out.append(f"probe: {lab}: largest |difference| at the real positions of the outputs: "
                       f"{' / '.join(parts)}; tolerance {_num(tol)} = {self.rtol:g} x output scale; "
                       f"{self.forward_passes} forward passes ({self.eager_passes} eager, "
                       f"{self.predict_passes} predict)")
        return out

    def text(self) -> str:
        from ..reporters.text import format_text, summary

        lines = [format_text(f, False) for f in self.all_findings()]
        lines += self.summary_lines()
        lines.append(summary(self.all_findings(), 1, 0))
        return "\n".join(lines)


def _num(x) -> str:
    if x is None:
        return "?"
    x = float(x)
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.2g}" if abs(x) < 1e-3 or abs(x) >= 1e4 else f"{x:.4g}"


# --------------------------------------------------------------------------------------------------
# the live graph
# --------------------------------------------------------------------------------------------------
class LiveGraph:
    """Nodes of a Functional/Sequential model in topological order, with tensor producers."""

    def __init__(self, model):
        keras = import_keras()
        from keras.src.models.functional import Functional
        from keras.src.models.sequential import Sequential

        self.model = model
        fn = model
        if isinstance(model, Sequential):
            fn = getattr(model, "_functional", None)
            if fn is None:
                raise LintError("the Sequential model is not built (give it a keras.Input or call build())")
        self.functional = fn if isinstance(fn, Functional) else None
        self.nodes = []
        if self.functional is not None:
            by_depth = fn._nodes_by_depth
            for d in sorted(by_depth, reverse=True):
                self.nodes.extend(by_depth[d])
            self.inputs = list(keras.tree.flatten(fn.inputs))
            self.outputs = list(keras.tree.flatten(fn.outputs))
        else:
            self.inputs, self.outputs = [], []
        self.producer = {}
        self.consumers = {}
        for i, n in enumerate(self.nodes):
            for t in n.outputs:
                self.producer[id(t)] = (i, n)
            for t in n.input_tensors:
                self.consumers.setdefault(id(t), []).append((i, n))

    def downstream(self, tensor):
        """Nodes reachable from ``tensor``, breadth first (in graph order within a level)."""
        seen, out = set(), []
        frontier = [tensor]
        while frontier:
            nxt = []
            for t in frontier:
                for i, n in sorted(self.consumers.get(id(t), []), key=lambda p: p[0]):
                    if i in seen:
                        continue
                    seen.add(i)
                    out.append((i, n))
                    nxt.extend(n.outputs)
            frontier = nxt
        return out


def _is_input_node(node) -> bool:
    return type(node.operation).__name__ == "InputLayer"


def _dtype_name(t) -> str:
    return str(getattr(t, "dtype", "float32")).replace("<dtype: '", "").rstrip("'>")


# --------------------------------------------------------------------------------------------------
# planning the probe
# --------------------------------------------------------------------------------------------------
def _mask_producer(g: LiveGraph, tensor):
    """(layer, mask value) of the first Masking / Embedding(mask_zero=True) downstream of an input."""
    for _, n in g.downstream(tensor):
        op = n.operation
        cls = type(op).__name__
        if cls == "Masking":
            return op, float(op.mask_value) if op.mask_value is not None else None
        if cls in ("Embedding", "ReversibleEmbedding") and getattr(op, "mask_zero", False):
            return op, 0.0
    return None, None


def _embedding_vocab(g: LiveGraph, tensor) -> int | None:
    dims = [n.operation.input_dim for _, n in g.consumers.get(id(tensor), [])
            if type(n.operation).__name__ in ("Embedding", "ReversibleEmbedding")]
    return min(dims) if dims else None


def plan_inputs(g: LiveGraph, pad_value=None, arrays=None) -> tuple[list, list, list]:
    """(sequence inputs, other inputs, notes)."""
    seqs, others, notes = [], [], []
    for idx, t in enumerate(g.inputs):
        shape = tuple(t.shape)
        dtype = _dtype_name(t)
        hist = getattr(t, "_keras_history", None)
        name = (hist[0].name if hist else None) or getattr(t, "name", None) or f"input_{idx}"
        if shape and shape[0] is not None:
            raise LintError(f"input {name!r} has a fixed batch size ({shape[0]}): the probe needs a model that "
                            f"accepts any batch size")
        if "string" in dtype or dtype == "object":
            raise LintError(f"input {name!r} takes strings: the probe needs numeric inputs (probe the model "
                            f"that follows the text preprocessing)")
        data = arrays.get(name) if arrays else None
        vocab = _embedding_vocab(g, t)
        ids = "int" in dtype or (len(shape) == 2 and vocab is not None)
        prod, mv = _mask_producer(g, t)
        rank = len(shape)
        time = shape[1] if rank >= 2 else None
        is_seq = (rank >= 3 or (rank == 2 and ids)) and (
            time is None or prod is not None or pad_value is not None or data is not None)
        if not is_seq:
            if rank >= 2 and any(d is None for d in shape[1:]):
                raise LintError(f"input {name!r} has shape {shape} with unknown non-time dimensions: the probe "
                                f"cannot make inputs for it")
            others.append(OtherInput(idx, name, shape[1:], dtype, data))
            if rank >= 2 and time is not None and rank >= 3:
                notes.append(f"input {name!r} has a fixed length ({time}) and no mask: not padded by the probe "
                             f"(pass --pad-value or --data to probe it)")
            continue
        step = shape[2:]
        if any(d is None for d in step):
            raise LintError(f"input {name!r} has shape {shape}: the probe needs known feature dimensions")
        s = SeqInput(idx, name, "ids" if ids else "float", time, tuple(step), dtype, vocab=vocab, data=data)
        if prod is not None:
            s.producer, s.producer_class, s.mask_value = prod.name, type(prod).__name__, mv
        seqs.append(s)
    return seqs, others, notes


def _resolve_pads(seqs, pad_value) -> None:
    for s in seqs:
        if pad_value is not None:
            s.pad, s.pad_source = float(pad_value), "--pad-value"
        elif s.padding is not None and s.padding.value is not None:
            s.pad, s.pad_source = float(s.padding.value), f"inferred from --data, {s.padding.side or '?'} side"
        elif s.producer is not None and s.mask_value is not None:
            s.pad = s.mask_value
            s.pad_source = (f"mask_zero of '{s.producer}'" if s.producer_class != "Masking"
                            else f"mask_value of '{s.producer}'")
        else:
            s.pad, s.pad_source = 0.0, "no mask producer: 0, the pad_sequences default"


def _match_data(arrays: dict, seqs: list, others: list, path: str) -> None:
    names = {s.name for s in seqs} | {o.name for o in others}
    if "" in arrays:  # a .npy
        if len(seqs) != 1:
            raise LintError(f"--data {path}: a .npy file fits a model with one sequence input; this one has "
                            f"{len(seqs)} (use a .npz with one array per input name)")
        seqs[0].data = arrays[""]
        return
    for s in seqs:
        if s.name in arrays:
            s.data = arrays[s.name]
    for o in others:
        if o.name in arrays:
            o.data = arrays[o.name]
    if len(arrays) == 1 and len(seqs) == 1 and seqs[0].data is None:
        seqs[0].data = next(iter(arrays.values()))
    if not any(s.data is not None for s in seqs):
        raise LintError(f"--data {path}: no array named after a sequence input "
                        f"(inputs: {', '.join(sorted(names))}; arrays: {', '.join(sorted(arrays))})")


def _check_data_shape(s: SeqInput, path: str) -> None:
    a = s.data
    want = 2 + len(s.step_shape)
    if a.ndim != want or tuple(a.shape[2:]) != tuple(s.step_shape) or (s.time is not None and a.shape[1] != s.time):
        exp = ("rows", s.time if s.time is not None else "time") + tuple(s.step_shape)
        raise LintError(f"--data {path}: array for input {s.name!r} has shape {a.shape}, the input expects {exp}")


# --------------------------------------------------------------------------------------------------
# synthetic data and batches
# --------------------------------------------------------------------------------------------------
def _synth_ids(rng, n: int, vocab: int | None, pad: float) -> np.ndarray:
    hi = vocab if vocab is not None and vocab > 1 else 10
    ids = rng.integers(1, hi, size=n)
    if pad == pad and hi > 2:
        clash = ids == pad
        while clash.any():
            ids[clash] = rng.integers(1, hi, size=int(clash.sum()))
            clash = ids == pad
    return ids


def _synth_float(rng, n: int, step: tuple, pad: float) -> np.ndarray:
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


def _cast(a: np.ndarray, dtype: str) -> np.ndarray:
    if "int" in dtype:
        return a.astype(dtype if dtype in ("int32", "int64", "int16", "int8", "uint8") else "int32")
    if dtype in ("float16", "bfloat16", "float64"):
        return a.astype("float64" if dtype == "float64" else "float32")
    return a.astype("float32")


def _pad_row(content: np.ndarray, width: int, side: str, pad: float) -> np.ndarray:
    L = content.shape[0]
    out = np.full((width,) + content.shape[1:], pad, dtype=np.float64)
    if side == "post":
        out[:L] = content
    else:
        out[width - L:] = content
    return out


# --------------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------------
def _to_numpy(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _run_eager(keras, tap_model, arrays, n_taps) -> Run:
    from keras.src.backend.common.masking import get_keras_mask

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = tap_model(list(arrays), training=False)
    except Exception as exc:  # noqa: BLE001 - the model's own failure is the finding (MK304)
        return Run(error=exc)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    vals, masks = [], []
    for o in outs[:n_taps]:
        vals.append(_to_numpy(keras, o))
        m = get_keras_mask(o)
        masks.append(None if m is None else _to_numpy(keras, m))
    return Run(values=vals, masks=masks)


def _run_predict(keras, tap_model, arrays, n_taps) -> Run:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = tap_model.predict(list(arrays), batch_size=max(1, len(arrays[0])), verbose=0)
    except Exception as exc:  # noqa: BLE001
        return Run(error=exc)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    return Run(values=[np.asarray(o) for o in outs[:n_taps]])


def _perturb(keras, model, rng) -> list:
    """Add seeded noise to the trainable float weights (biases included); returns what to restore."""
    variables = list(model.trainable_weights)
    if not variables:  # a frozen model: its weights, without running statistics
        variables = [v for v in model.weights if not re.search(r"moving_|variance|mean|count", v.path or "")]
    saved, seen = [], set()
    for v in variables:
        if id(v) in seen:
            continue
        seen.add(id(v))
        w = _to_numpy(keras, v)
        if w.dtype.kind != "f" or w.size == 0:
            continue
        std = float(np.std(w)) if w.size > 1 else abs(float(w.reshape(-1)[0]))
        noise = rng.standard_normal(w.shape) * max(0.5 * std, 0.1)
        saved.append((v, w))
        v.assign((w + noise).astype(w.dtype))
    return saved


def _restore(saved) -> None:
    for v, w in saved:
        v.assign(w)


# --------------------------------------------------------------------------------------------------
# comparing
# --------------------------------------------------------------------------------------------------
def _real_slice(arr, row_idx, offset, L, aligned):
    x = arr[row_idx]
    return x[offset:offset + L] if aligned else x


def _diff_rows(Rf, Vf, ref_rows, var_rows, L, aligned) -> tuple[list, float] | None:
    """Per variant row: max |v - r| over the compared values; plus the reference scale."""
    scale = 0.0
    refs = {}
    for i, row in enumerate(ref_rows):
        r = _real_slice(Rf, i, row.offset, L, aligned)
        refs[row.base] = r
        fin = np.isfinite(r)
        if fin.any():
            scale = max(scale, float(np.max(np.abs(r[fin]))))
    out = []
    for j, row in enumerate(var_rows):
        r = refs.get(row.base)
        if r is None:
            continue
        v = _real_slice(Vf, j, row.offset, L, aligned)
        if v.shape != r.shape:
            return None
        keep = np.isfinite(r)  # where the reference itself is NaN/inf there is nothing to compare
        vv, rr = v[keep], r[keep]
        if vv.size == 0:
            continue
        d = math.inf if not np.isfinite(vv).all() else float(np.max(np.abs(vv - rr)))
        out.append((j, d))
    return out, scale


def _compare_tap(R, V, ref_rows, var_rows, L, ref_width, var_width, fixed, rtol) -> TapDiff:
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
        res = _diff_rows(Rf, Vf, ref_rows, var_rows, L, aligned)
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


def _mask_state(M, rows, L, width, aligned: bool) -> str:
    """ok / wrong / none / na: the runtime mask of a time-aligned tap against the true padding."""
    if not aligned:
        return "na"
    if M is None:
        return "none"
    M = np.asarray(M)
    if M.shape != (len(rows), width):
        return "wrong"
    expected = np.zeros((len(rows), width), dtype=bool)
    for i, r in enumerate(rows):
        expected[i, r.offset:r.offset + L] = True
    return "ok" if np.array_equal(M.astype(bool), expected) else "wrong"


# --------------------------------------------------------------------------------------------------
# the probe
# --------------------------------------------------------------------------------------------------
def _cudnn_right_padding(exc) -> bool:
    text = str(exc)
    return "right-padded" in text and "cuDNN" in text


def default_rtol(model) -> float:
    """1e-5 for float32 (and float64) models; 8 x machine epsilon for float16/bfloat16 compute."""
    dt = str(getattr(getattr(model, "dtype_policy", None), "compute_dtype", "float32"))
    eps = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}.get(dt)
    return DEFAULT_RTOL if eps is None else max(DEFAULT_RTOL, 8 * eps)


class _Probe:
    def __init__(self, model, label, *, pad_value=None, data=None, data_path=None, seed=0, tolerance=None,
                 lengths=None, weights="perturbed", live=None):
        self.keras = import_keras()
        self.model = model
        self.label = label
        self.pad_value = pad_value
        self.arrays = data
        self.data_path = data_path
        self.seed = int(seed) if seed is not None else 0
        weights = weights or "perturbed"
        self.rtol = float(tolerance) if tolerance is not None else default_rtol(model)
        if not self.rtol > 0:
            raise LintError("--tolerance must be a positive number")
        if weights not in ("perturbed", "trained"):
            raise LintError("--weights must be 'perturbed' or 'trained'")
        self.weights = weights
        self.lengths = sorted({int(x) for x in lengths}) if lengths else None
        if self.lengths is not None and (not self.lengths or self.lengths[0] < 2):
            raise LintError("--lengths: every padded length must be at least 2")
        self.live = live
        self.report = ProbeReport(label=label, weights=weights, seed=self.seed, rtol=self.rtol)

    # -- setup ------------------------------------------------------------------------------------
    def setup(self):
        keras = self.keras
        if not isinstance(self.model, keras.Model):
            raise LintError(f"expected a keras.Model, got {type(self.model).__name__}")
        self.g = LiveGraph(self.model)
        if self.g.functional is None:
            raise LintError(f"{type(self.model).__name__} is a subclassed model without a layer graph: the probe "
                            f"needs a Functional or Sequential model (build it on keras.Input)")
        seqs, others, notes = plan_inputs(self.g, self.pad_value, self.arrays)
        self.report.notes.extend(notes)
        if self.arrays is not None:
            _match_data(self.arrays, seqs, others, self.data_path or "data")
            from .data import infer_padding

            for s in seqs:
                if s.data is not None:
                    _check_data_shape(s, self.data_path or "data")
                    s.padding = infer_padding(s.data, self.pad_value)
        _resolve_pads(seqs, self.pad_value)
        self.seqs, self.others = seqs, others
        self.report.inputs = seqs
        # taps: every tensor of the graph (not inputs, not boolean masks), model outputs included
        taps, seen = [], set()
        for topo, n in enumerate(self.g.nodes):
            if _is_input_node(n):
                continue
            for t in n.outputs:
                if id(t) in seen or "bool" in _dtype_name(t):
                    continue
                seen.add(id(t))
                taps.append(Tap(len(taps), t, n, n.operation.name, type(n.operation).__name__, topo))
        self.taps = taps
        self.tap_of = {id(tp.tensor): tp for tp in taps}
        self.out_taps = [self.tap_of[id(t)] for t in self.g.outputs if id(t) in self.tap_of]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.tap_model = keras.Model(self.g.inputs, [tp.tensor for tp in taps], name="masklint_probe")
            jit = getattr(self.model, "_jit_compile", None)
            if isinstance(jit, bool):  # compiled predict as the model's own: with XLA if it was compiled so
                self.tap_model._jit_compile = jit
        except Exception:  # noqa: BLE001 - an unusual graph: probe the outputs only (no localisation)
            self.taps = self.out_taps = [Tap(i, t, self.g.producer[id(t)][1], "output", "?", i)
                                         for i, t in enumerate(self.g.outputs)]
            self.tap_of = {id(tp.tensor): tp for tp in self.taps}
            self.tap_model = self.model
            self.report.notes.append("could not build the intermediate-output view: no localisation")
        self.report.taps = len(self.taps)

    # -- batches ----------------------------------------------------------------------------------
    def make_batches(self):
        seqs = self.seqs
        fixed_lens = {s.time for s in seqs if s.time is not None}
        if len(fixed_lens) > 1:
            raise LintError(f"sequence inputs of different fixed lengths {sorted(fixed_lens)}: cannot pad them together")
        self.fixed = bool(fixed_lens)
        t0 = next(iter(fixed_lens)) if fixed_lens else None
        lengths = self.lengths
        rng = np.random.default_rng(self.seed)
        # real length and base content
        data_seqs = [s for s in seqs if s.data is not None and s.padding is not None]
        if self.fixed:
            if t0 < 2:
                raise LintError(f"the sequence input has a fixed length of {t0}: nothing to pad")
            cap = t0 - 1
            if lengths:
                self.report.notes.append(f"fixed-length input ({t0} steps): --lengths is ignored")
            lengths = [t0]
        else:
            lengths = lengths or None
            cap = (min(lengths) - 1) if lengths else None
        base_rows = None
        L = DEFAULT_REAL_LENGTH if cap is None else max(1, min(DEFAULT_REAL_LENGTH, cap))
        if self.fixed:
            L = max(1, min(DEFAULT_REAL_LENGTH, t0 // 2))
        if data_seqs:
            lens = np.min(np.stack([s.padding.lengths for s in data_seqs]), axis=0)
            nonempty = lens[lens > 0]
            if nonempty.size:
                med = int(np.median(nonempty))
                L = max(1, med if cap is None else min(med, cap))
                cand = np.flatnonzero(lens >= L)
                base_rows = [int(i) for i in cand[:DATA_BASE_SAMPLES]]
            else:
                self.report.notes.append("every row of --data is padding: synthetic sequences are used")
        if not self.fixed and not lengths:
            lengths = [L + 1, 2 * L, 4 * L]
        self.L, self.lengths_used = L, lengths
        B = len(base_rows) if base_rows else BASE_SAMPLES
        self.report.real_length, self.report.lengths, self.report.fixed = L, list(lengths), self.fixed
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
                    rows.append(_synth_ids(rng, L, s.vocab, s.pad).astype(np.float64))
                else:
                    rows.append(_synth_float(rng, L, s.step_shape, s.pad))
            content[s.index] = rows
        other_vals = {}
        for o in self.others:
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
            arrays = [None] * len(self.g.inputs)
            for s in seqs:
                arrays[s.index] = _cast(np.stack([_pad_row(content[s.index][r.base], width, r.side, s.pad)
                                                  for r in rows]), s.dtype)
            for o in self.others:
                arrays[o.index] = _cast(np.stack([other_vals[o.index][r.base] for r in rows]), o.dtype)
            return Batch(key, width, rows, arrays, label)

        if self.fixed:
            ref = build("reference", t0, [Row(b, "post", 0) for b in range(B)], f"post-padded to {t0} steps")
        else:
            ref = build("reference", L, [Row(b, "post", 0) for b in range(B)], f"unpadded, {L} steps")
        variants = []
        for T in lengths:
            rows = [Row(b, side, 0 if side == "post" else T - L) for b in range(B) for side in SIDES]
            perm = rng.permutation(len(rows))
            rows = [rows[i] for i in perm]
            variants.append(build(f"T={T}", T, rows, f"padded to {T} steps"))
        empty_w = t0 if self.fixed else L
        empty_rows = [Row(0, "post", 0)]
        empty = build("empty", empty_w, empty_rows, "all-padding sample")
        for s in seqs:  # the all-padding row: nothing but the pad value
            empty.arrays[s.index] = _cast(np.full((1, empty_w) + s.step_shape, s.pad), s.dtype)
        self.ref, self.variants, self.empty = ref, variants, empty
        self.report.rows_per_batch = len(variants[0].rows) if variants else 0

    # -- running ----------------------------------------------------------------------------------
    def run(self):
        keras = self.keras
        n = len(self.taps)
        saved = []
        if self.weights == "perturbed":
            saved = _perturb(keras, self.model, np.random.default_rng([self.seed, 1]))
        try:
            self.eager = {}
            self.pred = {}
            r = _run_eager(keras, self.tap_model, self.ref.arrays, n)
            self.report.eager_passes += 1
            self.eager["reference"] = r
            if r.error is not None:
                return
            for b in self.variants:
                self.eager[b.key] = _run_eager(keras, self.tap_model, b.arrays, n)
                self.report.eager_passes += 1
            r = _run_predict(keras, self.tap_model, self.ref.arrays, n)
            self.report.predict_passes += 1
            self.pred["reference"] = r
            if r.error is None:
                for b in self.variants:
                    self.pred[b.key] = _run_predict(keras, self.tap_model, b.arrays, n)
                    self.report.predict_passes += 1
            self.eager["empty"] = _run_eager(keras, self.tap_model, self.empty.arrays, n)
            self.report.eager_passes += 1
        finally:
            _restore(saved)

    # -- findings ---------------------------------------------------------------------------------
    def crash_culprit(self, exc) -> str | None:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
        names = {tp.name for tp in self.taps}
        for m in re.finditer(r"""layer ["']([^"']+)["']""", text):
            if m.group(1) in names:
                return m.group(1)
        m = re.search(r"Exception encountered when calling (\w+)\.call\(\)", text)
        if m:
            hits = [tp.name for tp in self.taps if tp.class_name == m.group(1)]
            if len(set(hits)) == 1:
                return hits[0]
        return None

    def finding(self, code, message, fix, layer=None, consumer=None, **extra) -> Finding:
        return Finding(code=code, message=message, fix=fix, path=self.label, layer=layer, consumer=consumer,
                       source="probe", extra=extra)

    def crash(self, batch: Batch, mode: str, exc) -> None:
        culprit = self.crash_culprit(exc)
        what = "an unpadded reference batch" if batch.key == "reference" and not self.fixed else (
            f"a correctly padded probe batch ({batch.label}, post and pre)")
        self.report.findings.append(self.finding(
            "MK304", f"the model raises on {what} in {'eager call' if mode == 'eager' else 'compiled predict'}: "
                     f"{one_line(exc)}",
            "run the model on a padded batch to see the full error; masklint's static findings for this model "
            "usually name the layer whose mask does not fit", layer=culprit, mode=mode, batch=batch.key))

    def compare(self, runs: dict) -> dict:
        """key -> [TapDiff per tap] for every variant batch that ran."""
        ref = runs.get("reference")
        out = {}
        if ref is None or ref.values is None:
            return out
        for b in self.variants:
            r = runs.get(b.key)
            if r is None or r.values is None:
                continue
            out[b.key] = [
                _compare_tap(ref.values[k], r.values[k], self.ref.rows, b.rows, self.L, self.ref.width, b.width,
                             self.fixed, self.rtol)
                for k in range(len(self.taps))]
        return out

    def ancestors(self, tap: Tap) -> set:
        """Tap indices of ``tap`` and every tap upstream of it."""
        out, stack = set(), [tap.node]
        seen = set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            for t in n.outputs:
                tp = self.tap_of.get(id(t))
                if tp is not None:
                    out.add(tp.index)
            for t in n.input_tensors:
                p = self.g.producer.get(id(t))
                if p is not None:
                    stack.append(p[1])
        return out

    def input_taps(self, tap: Tap) -> list:
        return [self.tap_of[id(t)] for t in tap.node.input_tensors if id(t) in self.tap_of]

    def localise(self, out_tap: Tap, diffs: list, batch: Batch):
        """(first changed tap, culprit tap, how) for a leak seen at ``out_tap``."""
        anc = self.ancestors(out_tap)
        changed = [self.taps[k] for k in sorted(anc, key=lambda k: self.taps[k].topo) if diffs[k].changed]
        first = changed[0] if changed else out_tap
        eager = self.eager.get(batch.key)
        if eager is None or eager.masks is None:
            return first, first, "unknown"
        ediffs = self.results["eager"].get(batch.key, diffs)

        def state(tp: Tap) -> str:
            d = ediffs[tp.index]
            return _mask_state(eager.masks[tp.index], batch.rows, self.L, batch.width, d.comparable and d.time_axis)

        up = self.ancestors(first)
        up_taps = sorted((self.taps[k] for k in up), key=lambda tp: tp.topo)
        states = {tp.index: state(tp) for tp in up_taps}
        cands = [tp for tp in up_taps if states[tp.index] in ("none", "wrong")
                 and any(states.get(i.index) == "ok" for i in self.input_taps(tp))]
        if cands:
            c = cands[-1]
            return first, c, ("dropped" if states[c.index] == "none" else "replaced")
        wrong = [tp for tp in up_taps if states[tp.index] == "wrong"]
        if wrong:
            return first, wrong[0], "wrong"
        ins = self.input_taps(first)
        if any(states.get(i.index) == "ok" for i in ins):
            return first, first, "ignores"
        return first, first, "nomask"

    def describe_row(self, batch: Batch, row: int) -> str:
        if row < 0 or row >= len(batch.rows):
            return batch.label
        r = batch.rows[row]
        what = "post-padding" if r.side == "post" else "pre-padding"
        return f"{what} to {batch.width} steps (row {row + 1} of {len(batch.rows)}, rows shuffled)"

    def leaks(self):
        rep = self.report
        self.results = results = {"eager": self.compare(self.eager), "predict": self.compare(self.pred)}
        out_idx = [tp.index for tp in self.out_taps]
        self.eager_worst = None
        self.shape_notes(out_idx)
        worst = None  # (ratio, mode, key, out tap, TapDiff)
        for mode, per in results.items():
            big = None
            table = {}
            for key, diffs in per.items():
                batch = next(b for b in self.variants if b.key == key)
                for k in out_idx:
                    d = diffs[k]
                    if not d.comparable:
                        continue
                    for j, rd in d.row_diffs:
                        side = batch.rows[j].side
                        cur = table.get((key, side))
                        if cur is None or rd > cur[0]:
                            table[(key, side)] = (rd, d.tol, self.taps[k].name)
                    if big is None or d.ratio > big[0].ratio:
                        big = (d, key, k)
                    if worst is None or d.ratio > worst[0]:
                        worst = (d.ratio, mode, key, self.taps[k], d)
                    if mode == "eager" and (self.eager_worst is None or d.ratio > self.eager_worst[0]):
                        self.eager_worst = (d.ratio, mode, key, self.taps[k], d)
            if big is not None:
                d, key, k = big
                rep.largest[mode] = (d.diff, d.tol, f"{self.taps[k].name} {key}")
            for (key, side), (rd, tol, out) in table.items():
                width = next(b.width for b in self.variants if b.key == key)
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
        if worst[1] == "predict" and self.eager_worst is not None and self.eager_worst[0] > 1.0:
            worst = self.eager_worst  # the eager pass has the runtime masks for localisation
        _, mode, key, out_tap, d = worst
        batch = next(b for b in self.variants if b.key == key)
        diffs = results[mode][key]
        first, culprit, how = self.localise(out_tap, diffs, batch)
        fd = diffs[first.index]
        variant = self.describe_row(batch, d.row)
        where = "" if first is out_tap else (
            f"; the first layer whose real outputs change is '{first.name}' ({first.class_name}, "
            f"|difference| {_num(fd.diff)})")
        msg = (f"outputs at the real positions change when only the padding changes: |difference| {_num(d.diff)} at "
               f"output '{out_tap.name}' (tolerance {_num(d.tol)}), {variant}, {mode}{where}")
        cons = first.name if culprit is not first else None
        merge = culprit.class_name in MERGES
        eager_run = self.eager.get(batch.key)
        cleared = self.cleared_by_attention(culprit, eager_run) if (
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
            pad = self.seqs[0].pad if self.seqs else 0.0
            fix = (f"mask the padding before '{first.name}': Embedding(mask_zero=True) for token ids padded with 0, "
                   f"or Masking(mask_value={_num(pad)})")
        else:
            fix = "mask the padding before the first layer that changes, and keep the mask to the consumer"
        rep.findings.append(self.finding(
            "MK301", msg, fix, layer=culprit.name, consumer=cons, max_diff=d.diff, tolerance=d.tol, mode=mode,
            variant=variant, output=out_tap.name, first_changed=first.name, how=how))

    def shape_notes(self, out_idx) -> None:
        """Compiled predict and the eager call disagree on an output's shape (seen: TimeDistributed)."""
        for b in [self.ref] + self.variants:
            e, p = self.eager.get(b.key), self.pred.get(b.key)
            if e is None or p is None or e.values is None or p.values is None:
                continue
            for k in out_idx:
                if e.values[k].shape != p.values[k].shape:
                    self.report.notes.append(
                        f"compiled predict returns output '{self.taps[k].name}' with shape {p.values[k].shape} for "
                        f"{'the reference batch' if b is self.ref else f'the batch padded to {b.width} steps'}, "
                        f"the eager call {e.values[k].shape}: compiled and eager calls disagree "
                        f"(not a padding leak; that output is compared in eager mode only)")
                    return

    def runtime_mask(self):
        """MK302: an output with a symbolic mask and no runtime mask (the loss counts padded steps)."""
        from keras.src.backend.common.masking import get_keras_mask

        if not self.variants:
            return
        batch = self.variants[-1]
        run = self.eager.get(batch.key)
        ref = self.eager.get("reference")
        if run is None or run.masks is None or ref is None or ref.values is None:
            return
        for tp in self.out_taps:
            sym = get_keras_mask(tp.tensor)
            if sym is None or run.masks[tp.index] is not None:
                continue
            d = _compare_tap(ref.values[tp.index], run.values[tp.index], self.ref.rows, batch.rows, self.L,
                             self.ref.width, batch.width, self.fixed, self.rtol)
            if not (d.comparable and d.time_axis):
                continue
            culprit = self.rt_loss(tp, run)
            cleared = self.cleared_by_attention(culprit, run)
            msg = (f"the model output '{tp.name}' has no runtime mask although its symbolic graph has one: the "
                   f"loss (and metrics) read the runtime mask, so they count padded steps; the runtime mask is "
                   f"lost at '{culprit.name}' ({culprit.class_name})")
            if cleared:
                msg += (f", whose input '{cleared[0]}' lost its runtime mask when {cleared[2]} '{cleared[1]}' was "
                        f"called on it")
            fix = ("compute the output head with TimeDistributed(...) (its recorded mask is replayed), or pass "
                   "the padding mask as sample_weight")
            self.report.findings.append(self.finding("MK302", msg, fix, layer=culprit.name, consumer=None,
                                                     output=tp.name))

    def rt_loss(self, tp: Tap, run: Run) -> Tap:
        from keras.src.backend.common.masking import get_keras_mask

        cur, seen = tp, set()
        while cur.index not in seen:
            seen.add(cur.index)
            ins = [i for i in self.input_taps(cur) if get_keras_mask(i.tensor) is not None]
            if not ins or any(run.masks[i.index] is not None for i in ins):
                return cur
            cur = ins[0]
        return cur

    def cleared_by_attention(self, tp: Tap, run: Run):
        for i in self.input_taps(tp):
            if run.masks[i.index] is not None:
                continue
            for _, n in self.g.consumers.get(id(i.tensor), []):
                cls = type(n.operation).__name__
                if cls in ATTENTION_CLEARS:
                    return i.name, n.operation.name, cls
        return None

    def empty_sample(self):
        """MK303: an all-padding sample gives NaN/inf (masked GlobalAveragePooling1D divides by zero).

        Reported only on evidence that such samples occur: a ``--data`` sample with all-padding rows.
        Without it the result is a note (most pipelines never produce empty sequences)."""
        if any(s.pad != s.pad or math.isinf(s.pad) for s in self.seqs):
            return
        run = self.eager.get("empty")
        if run is None:
            return
        empties = sum(s.padding.empty_rows for s in self.seqs if s.padding is not None)
        self.report.empty_rows_evidence = bool(empties)
        evidence = (f"; the --data sample has {empties} all-padding row{'s' if empties != 1 else ''}"
                    if empties else "")
        if run.error is not None:
            culprit = self.crash_culprit(run.error)
            if not empties:
                self.report.notes.append(f"an all-padding sample makes the model raise ({one_line(run.error)}); "
                                         f"MK303 is reported when --data shows empty rows")
                return
            self.report.findings.append(self.finding(
                "MK303", f"an all-padding sample makes the model raise: {one_line(run.error)}{evidence}",
                "drop empty sequences from the data, or make the layer handle a fully masked sample",
                layer=culprit))
            return
        bad = [tp for tp in self.out_taps if not np.isfinite(run.values[tp.index].astype(np.float64)).all()]
        if not bad:
            return
        ref = self.eager.get("reference")
        if ref is not None and ref.values is not None and not all(
                np.isfinite(ref.values[tp.index].astype(np.float64)).all() for tp in bad):
            self.report.notes.append("the reference batch already gives NaN/inf: the all-padding check is skipped")
            return
        anc = set()
        for tp in bad:
            anc |= self.ancestors(tp)
        first = next((self.taps[k] for k in sorted(anc, key=lambda k: self.taps[k].topo)
                      if not np.isfinite(run.values[k].astype(np.float64)).all()), bad[0])
        why = (" (a masked average divides by the number of valid steps, 0)"
               if first.class_name == "GlobalAveragePooling1D" else "")
        if not empties:
            because = f": {why.strip(' ()')}" if why else ""
            self.report.notes.append(
                f"an all-padding sample would give NaN/inf at output '{bad[0].name}' (from '{first.name}'"
                f"{because}); MK303 is reported when a --data sample shows empty rows")
            return
        msg = (f"an all-padding sample gives NaN/inf at output '{bad[0].name}'; the first layer that produces them "
               f"is '{first.name}' ({first.class_name}){why}{evidence}")
        fix = ("drop empty sequences from the data, or pool with a guarded average "
               "(sum(x * mask) / max(sum(mask), 1))")
        self.report.findings.append(self.finding("MK303", msg, fix, layer=first.name,
                                                 consumer=None, output=bad[0].name))

    def findings(self):
        ref = self.eager.get("reference")
        if ref is not None and ref.error is not None:
            self.crash(self.ref, "eager", ref.error)
            return
        crashed = False
        for b in self.variants:
            r = self.eager.get(b.key)
            if r is not None and r.error is not None:
                self.crash(b, "eager", r.error)
                crashed = True
                break
        if not crashed:
            pr = self.pred.get("reference")
            if pr is not None and pr.error is not None:
                self.crash(self.ref, "predict", pr.error)
            else:
                for b in self.variants:
                    r = self.pred.get(b.key)
                    if r is not None and r.error is not None:
                        if _cudnn_right_padding(r.error):
                            # the probe's own left padding, not the user's data: MK204 covers real data
                            self.report.notes.append(
                                f"compiled predict fails cuDNN's right-padding assertion on the left-padded rows "
                                f"of the batch padded to {b.width} steps (a GPU): only the eager results are "
                                f"compared there; with left-padded data this is MK204")
                            self.pred.pop(b.key, None)
                            continue
                        self.crash(b, "predict", r.error)
                        break
        self.leaks()
        self.runtime_mask()
        self.empty_sample()

    def go(self) -> ProbeReport:
        self.setup()
        if not self.seqs:
            self.report.notes.append("no padded sequence input to probe (a fixed-length input without a mask is "
                                     "not padded; pass --pad-value or --data to probe it)")
            return self.report
        self.make_batches()
        self.run()
        self.report.probed = True
        self.findings()
        self.report.findings.sort(key=Finding.sort_key)
        return self.report


# --------------------------------------------------------------------------------------------------
# data checks (MK201/MK202/MK204) on top of the probe's input plan
# --------------------------------------------------------------------------------------------------
def _data_checks(p: _Probe, live) -> list:
    from .. import knowledge as K
    from .data import data_findings

    checks = []
    analysis = getattr(live, "analysis", None)
    graph = getattr(live, "graph", None)
    for s in p.seqs:
        if s.data is None or s.padding is None:
            continue
        consumer = None
        rnns = []
        reach = {n.operation.name for _, n in p.g.downstream(p.g.inputs[s.index])}
        if analysis is not None and graph is not None:
            from ..flow import Mask

            for st in analysis.states.values():
                m = st.mask
                if isinstance(m, Mask) and m.origin.path == s.producer and m.consumer:
                    consumer = m.consumer if m.consumer != "loss" else None
                    break
            for node in graph.nodes:
                lay = node.layer
                if lay.path not in reach or not node.args:
                    continue
                if K.canonical(lay.class_name) not in ("LSTM", "GRU", "Bidirectional"):
                    continue
                st = analysis.states.get(id(node.args[0]))
                if st is not None and st.masked and K.cudnn_eligible(lay.class_name, lay.config):
                    inner = lay.class_name
                    if inner == "Bidirectional" and lay.inner:
                        inner = f"Bidirectional({lay.inner[0].class_name})"
                    rnns.append((lay.path, inner))
        checks.append({"input": s.name, "array": s.data, "padding": s.padding, "producer": s.producer,
                       "producer_class": s.producer_class, "mask_value": s.mask_value, "consumer": consumer,
                       "rnns": rnns})
        if s.padding.value is None and not s.padding.given:
            p.report.notes.append(f"--data: no padding found in the array for input {s.name!r}")
    return data_findings(p.label, checks)


# --------------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------------
def probe_report(model, *, label=None, pad_value=None, data=None, seed=0, tolerance=None, lengths=None,
                 weights="perturbed", live=None, known=None) -> ProbeReport:
    """Probe a live model; ``data`` is a path to a ``.npy``/``.npz`` sample or a numpy array."""
    keras = import_keras()
    label = label or getattr(model, "name", "model")
    arrays, data_path = None, None
    if data is not None:
        if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
            from .data import load_data

            data_path = str(data)
            arrays = load_data(data_path)
        elif isinstance(data, dict):
            arrays = {k: np.asarray(v) for k, v in data.items()}
        else:
            arrays = {"": np.asarray(data)}
    if not isinstance(model, keras.Model):
        raise LintError(f"expected a keras.Model, got {type(model).__name__}")
    p = _Probe(model, label, pad_value=pad_value, data=arrays, data_path=data_path, seed=seed,
               tolerance=tolerance, lengths=lengths, weights=weights, live=live)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = p.go()
    if arrays is not None:
        if live is None:
            from .live import analyse

            try:
                live = analyse(model, label, known)
            except LintError:
                live = None
        rep.data_findings = _data_checks(p, live)
    return rep


def probe_model(model, **kw) -> list[Finding]:
    """Probe findings (and ``--data`` findings) of a live model."""
    return probe_report(model, **kw).all_findings()


def probe_file(path, *, pad_value=None, data=None, seed=0, tolerance=None, lengths=None, unsafe=False,
               imports=(), weights="perturbed", known=None) -> list[Finding]:
    """Load a model file safely and probe it; raises LintError when it cannot be probed."""
    return probe_file_report(path, pad_value=pad_value, data=data, seed=seed, tolerance=tolerance,
                             lengths=lengths, unsafe=unsafe, imports=imports, weights=weights,
                             known=known).all_findings()


def probe_file_report(path, *, pad_value=None, data=None, seed=0, tolerance=None, lengths=None, unsafe=False,
                      imports=(), weights="perturbed", known=None) -> ProbeReport:
    from .loading import load_model_file

    model = load_model_file(str(path), unsafe=unsafe, imports=imports)
    rep = probe_report(model, label=str(path), pad_value=pad_value, data=data, seed=seed, tolerance=tolerance,
                       lengths=lengths, weights=weights, known=known)
    if getattr(model, "_masklint_no_weights", False):
        rep.notes.insert(0, "a model .json holds no weights: the probe runs on freshly initialised ones")
    return rep
