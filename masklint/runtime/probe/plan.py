"""The probe's plan: which inputs are padded sequences and with what value, how long the real and the
padded sequences are, and which tensors of the graph are read and compared (the taps)."""
from __future__ import annotations

import numpy as np

from ..._record import record
from ...errors import LintError
from .graph import LiveGraph, dtype_name, is_input_node

DEFAULT_REAL_LENGTH = 5
BASE_SAMPLES = 2
DATA_BASE_SAMPLES = 4


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
    max_time: int | None = None  # the longest sequence a layer reading it takes (a position table)


@record
class OtherInput:
    index: int
    name: str
    shape: tuple  # without the batch axis
    dtype: str
    data: object = None


@record
class Tap:
    index: int
    tensor: object
    node: object
    name: str
    class_name: str
    topo: int


@record
class LengthPlan:
    fixed: bool  # the sequence inputs have a fixed length: the reference is post-padded to it
    t0: int | None  # that fixed length
    L: int  # the real length of every base sequence
    lengths: list  # the padded lengths, one variant batch each
    base_rows: list | None  # rows of --data used as base sequences, or None (synthetic)
    B: int  # the number of base sequences


# --------------------------------------------------------------------------------------------------
# inputs and pad values
# --------------------------------------------------------------------------------------------------
def mask_producer(g: LiveGraph, tensor, kind: str = "ids", step: tuple = ()):
    """(layer, mask value) of the first mask producer downstream of an input, found on the live layers
    (:mod:`.producers`): ``Masking``, ``mask_zero=True`` on a layer or its embedding sublayer, or a layer
    reading the input whose own ``compute_mask`` masks a pad value."""
    from ..loading import import_keras
    from .producers import direct_consumers, mask_zero_layer, probed_mask_value

    direct = {id(op) for op in direct_consumers(g, tensor)}
    for _, n in g.downstream(tensor):
        op = n.operation
        for lay in [op] + (_nested_layers(op) if _is_model(op) else []):
            if type(lay).__name__ == "Masking":
                return op, float(lay.mask_value) if lay.mask_value is not None else None
            if not _is_model(lay) and mask_zero_layer(lay):
                return op, 0.0
        if id(op) in direct and not _is_model(op):
            v = probed_mask_value(import_keras(), op, kind, step)
            if v is not None:
                return op, v
    return None, None


def _is_model(op) -> bool:
    return type(op).__name__ in ("Functional", "Sequential") or hasattr(op, "_nodes_by_depth")


def _nested_layers(op) -> list:
    try:
        return list(op._flatten_layers(include_self=False, recursive=True))
    except Exception:  # noqa: BLE001
        return []


def embedding_vocab(g: LiveGraph, tensor) -> int | None:
    from .producers import direct_consumers, vocab_of

    dims = [v for v in (vocab_of(op) for op in direct_consumers(g, tensor)) if v is not None]
    return min(dims) if dims else None


def plan_inputs(g: LiveGraph, pad_value=None, arrays=None) -> tuple[list, list, list]:
    """(sequence inputs, other inputs, notes)."""
    seqs, others, notes = [], [], []
    for idx, t in enumerate(g.inputs):
        shape = tuple(t.shape)
        dtype = dtype_name(t)
        hist = getattr(t, "_keras_history", None)
        name = (hist[0].name if hist else None) or getattr(t, "name", None) or f"input_{idx}"
        if shape and shape[0] is not None:
            raise LintError(f"input {name!r} has a fixed batch size ({shape[0]}): the probe needs a model that "
                            f"accepts any batch size")
        if "string" in dtype or dtype == "object":
            raise LintError(f"input {name!r} takes strings: the probe needs numeric inputs (probe the model "
                            f"that follows the text preprocessing)")
        data = arrays.get(name) if arrays else None
        vocab = embedding_vocab(g, t)
        ids = "int" in dtype or (len(shape) == 2 and vocab is not None)
        rank = len(shape)
        prod, mv = mask_producer(g, t, "ids" if ids else "float", tuple(shape[2:]))
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
        s.max_time = max_time(g, t)
        seqs.append(s)
    promote_aligned(g, seqs, others, notes)
    return seqs, others, notes


def max_time(g: LiveGraph, tensor) -> int | None:
    from .producers import max_length_of

    lens = [v for v in (max_length_of(n.operation) for _, n in g.downstream(tensor)) if v is not None]
    return min(lens) if lens else None


def promote_aligned(g: LiveGraph, seqs: list, others: list, notes: list) -> None:
    """Inputs held constant that meet a sequence input on the feature axis are padded with it (their time
    lengths must fit)."""
    from .producers import time_aligned_with

    if not seqs:
        return
    aligned = time_aligned_with(g, {s.index for s in seqs})
    for o in [o for o in others if o.index in aligned and len(o.shape) >= 1]:
        others.remove(o)
        kind = "ids" if "int" in o.dtype else "float"
        seqs.append(SeqInput(o.index, o.name, kind, o.shape[0], tuple(o.shape[1:]), o.dtype, data=o.data,
                             vocab=embedding_vocab(g, g.inputs[o.index])))
        notes[:] = [n for n in notes if not n.startswith(f"input {o.name!r} has a fixed length")]
        notes.append(f"input {o.name!r} meets a padded sequence input on the feature axis: padded with it")
    seqs.sort(key=lambda s: s.index)


def resolve_pads(seqs, pad_value) -> None:
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


def match_data(arrays: dict, seqs: list, others: list, path: str) -> None:
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


def check_data_shape(s: SeqInput, path: str) -> None:
    a = s.data
    want = 2 + len(s.step_shape)
    if a.ndim != want or tuple(a.shape[2:]) != tuple(s.step_shape) or (s.time is not None and a.shape[1] != s.time):
        exp = ("rows", s.time if s.time is not None else "time") + tuple(s.step_shape)
        raise LintError(f"--data {path}: array for input {s.name!r} has shape {a.shape}, the input expects {exp}")


# --------------------------------------------------------------------------------------------------
# lengths
# --------------------------------------------------------------------------------------------------
def plan_lengths(seqs: list, lengths: list | None, notes: list) -> LengthPlan:
    """Real length, padded lengths and base rows; ``lengths`` are the requested padded lengths (or None)."""
    fixed_lens = {s.time for s in seqs if s.time is not None}
    if len(fixed_lens) > 1:
        raise LintError(f"sequence inputs of different fixed lengths {sorted(fixed_lens)}: cannot pad them together")
    fixed = bool(fixed_lens)
    t0 = next(iter(fixed_lens)) if fixed_lens else None
    # real length and base content
    data_seqs = [s for s in seqs if s.data is not None and s.padding is not None]
    if fixed:
        if t0 < 2:
            raise LintError(f"the sequence input has a fixed length of {t0}: nothing to pad")
        cap = t0 - 1
        if lengths:
            notes.append(f"fixed-length input ({t0} steps): --lengths is ignored")
        lengths = [t0]
    else:
        lengths = lengths or None
        cap = (min(lengths) - 1) if lengths else None
    base_rows = None
    L = DEFAULT_REAL_LENGTH if cap is None else max(1, min(DEFAULT_REAL_LENGTH, cap))
    if fixed:
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
            notes.append("every row of --data is padding: synthetic sequences are used")
    if not fixed and not lengths:
        lengths = [L + 1, 2 * L, 4 * L]
    caps = [s.max_time for s in seqs if s.max_time is not None]
    if not fixed and caps:  # an absolute position table: no padded length beyond it
        cap_t = min(caps)
        kept = [t for t in lengths if t <= cap_t]
        if len(kept) < len(lengths):
            notes.append(f"padded lengths kept within {cap_t} steps (the longest sequence the model takes)")
        lengths = kept or [cap_t]
        L = min(L, cap_t - 1) if cap_t > 1 else L
    B = len(base_rows) if base_rows else BASE_SAMPLES
    return LengthPlan(fixed, t0, L, lengths, base_rows, B)


# --------------------------------------------------------------------------------------------------
# taps: what is read and compared
# --------------------------------------------------------------------------------------------------
def plan_taps(g: LiveGraph) -> list:
    """Every tensor of the graph (not inputs, not boolean masks), model outputs included, as taps."""
    taps, seen = [], set()
    for topo, n in enumerate(g.nodes):
        if is_input_node(n):
            continue
        for t in n.outputs:
            if id(t) in seen or "bool" in dtype_name(t):
                continue
            seen.add(id(t))
            taps.append(Tap(len(taps), t, n, n.operation.name, type(n.operation).__name__, topo))
    return taps


def output_taps(g: LiveGraph) -> list:
    """The model outputs only, as taps (when the intermediate-output view cannot be built)."""
    return [Tap(i, t, g.producer[id(t)][1], "output", "?", i) for i, t in enumerate(g.outputs)]
