"""Mask producers and sequence shape, read from the live layers rather than their class names.

* A mask producer is a ``Masking`` layer (its ``mask_value``), a layer with ``mask_zero=True`` or one holding
  an embedding sublayer with ``mask_zero=True`` (KerasHub's ``TokenAndPositionEmbedding``, a user's
  ``PositionalEmbedding`` built on ``Embedding(mask_zero=True)``), or -- for a layer that reads the raw input
  and defines its own ``compute_mask`` -- one whose mask on a small probe batch is exactly the steps that are
  not the candidate pad value (0 for token ids; 0 or -1 for floats).
* The vocabulary of token ids: the smallest ``input_dim`` (or ``vocabulary_size``) of the embeddings that
  read the input, themselves or as sublayers.
* The longest sequence a model takes: the smallest integer ``sequence_length`` of a layer that reads the
  input (an absolute position table), so that the probe's padded lengths stay within it.
* Inputs merged on the feature axis: an input held constant by the plan (a fixed-length input without a
  mask) that meets a padded sequence input at a merge layer (``Concatenate`` on the feature axis, ``Add``,
  ...) where both keep the time axis is padded with it.
"""
from __future__ import annotations

import numpy as np

FLOAT_PAD_CANDIDATES = (0.0, -1.0)
MERGE_MAX_DEPTH = 64


def _sublayers(op):
    try:
        return list(op._flatten_layers(include_self=False, recursive=True))
    except Exception:  # noqa: BLE001 - not a Keras layer
        return []


def _has_own_compute_mask(op) -> bool:
    from keras.layers import Layer

    fn = getattr(type(op), "compute_mask", None)
    return fn is not None and fn is not Layer.compute_mask


def mask_zero_layer(op) -> bool:
    """``op`` makes a mask of token id 0: ``mask_zero=True`` on itself or on an embedding sublayer."""
    if getattr(op, "mask_zero", False) is True:
        return True
    if type(op).__name__ in ("Functional", "Sequential"):
        return False  # a nested model: its own layers are walked by the caller's graph walk
    return any(getattr(sub, "mask_zero", False) is True and hasattr(sub, "input_dim") for sub in _sublayers(op))


def probed_mask_value(keras, op, kind: str, step_shape: tuple):
    """The pad value whose steps ``op``'s own ``compute_mask`` masks, found on a small probe batch, or None."""
    if not _has_own_compute_mask(op):
        return None
    cands = (0.0,) if kind == "ids" else FLOAT_PAD_CANDIDATES
    for pad in cands:
        real = np.array([1, 2, 3, 1, 2, 3]) if kind == "ids" else None
        if kind == "ids":
            x = np.concatenate([real, np.zeros(3)]).astype("int32")[None, :]
        else:
            body = np.full((6,) + tuple(step_shape), 0.5) + np.arange(6).reshape((6,) + (1,) * len(step_shape))
            x = np.concatenate([body, np.full((3,) + tuple(step_shape), pad)]).astype("float32")[None]
        try:
            m = op.compute_mask(keras.ops.convert_to_tensor(x), None)
            if m is None:
                continue
            m = np.asarray(keras.ops.convert_to_numpy(m)).astype(bool)
        except Exception:  # noqa: BLE001 - the layer needs more than its raw input
            return None
        if m.shape == (1, 9) and m[0, :6].all() and not m[0, 6:].any():
            return pad
    return None


def vocab_of(op) -> int | None:
    dims = []
    for lay in [op] + _sublayers(op):
        if hasattr(lay, "input_dim") and "Embedding" in type(lay).__name__:
            dims.append(int(lay.input_dim))
        v = getattr(lay, "vocabulary_size", None)
        if isinstance(v, int) and v > 1:
            dims.append(v)
    return min(dims) if dims else None


def max_length_of(op) -> int | None:
    lens = []
    for lay in [op] + _sublayers(op):
        n = getattr(lay, "sequence_length", None)
        if isinstance(n, int) and not isinstance(n, bool) and n > 1:
            lens.append(n)
    return min(lens) if lens else None


def direct_consumers(g, tensor) -> list:
    return [n.operation for _, n in g.consumers.get(id(tensor), [])]


def _ancestor_inputs(g, tensor, cache) -> frozenset:
    """Indices of the model inputs ``tensor`` derives from."""
    key = id(tensor)
    if key in cache:
        return cache[key]
    cache[key] = frozenset()
    ins = {id(t): i for i, t in enumerate(g.inputs)}
    if key in ins:
        cache[key] = frozenset([ins[key]])
        return cache[key]
    prod = g.producer.get(key)
    out = set()
    if prod is not None:
        for t in prod[1].input_tensors:
            out |= _ancestor_inputs(g, t, cache)
    cache[key] = frozenset(out)
    return cache[key]


def _feature_merge(op) -> bool:
    """A merge layer (Concatenate on the feature axis, Add, Multiply, ...): its inputs share the time axis."""
    from keras.src.layers.merging.base_merge import Merge

    if not isinstance(op, Merge):
        return False
    axis = getattr(op, "axis", -1)
    return axis is None or axis == -1 or axis >= 2


def time_aligned_with(g, seq_indices: set) -> set:
    """Indices of the model inputs (outside ``seq_indices``) that meet a sequence input at a layer whose
    inputs all keep a time axis of one length (rank >= 3): Concatenate, Add, ... on the feature axis."""
    cache: dict = {}
    out = set()
    for n in g.nodes:
        ts = list(n.input_tensors)
        if len(ts) < 2 or not _feature_merge(n.operation):
            continue
        shapes = [tuple(t.shape) for t in ts]
        if any(len(s) < 3 for s in shapes):
            continue
        times = {s[1] for s in shapes if s[1] is not None}
        if len(times) > 1:
            continue
        origins = [_ancestor_inputs(g, t, cache) for t in ts]
        if not any(o & seq_indices for o in origins):
            continue
        for o in origins:
            out |= set(o) - seq_indices
    return out
