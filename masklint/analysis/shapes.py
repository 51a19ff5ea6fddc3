"""Shape inference for the analysis: the output shape (and, for reshapes, the effect on the time axis)
of the layers whose shape the mask rules depend on. Shapes are tuples with None for unknown sizes."""
from __future__ import annotations

import math

from .. import knowledge as K
from ..ir import Layer
from .state import State


def embed_shape(shape, cfg):
    if shape is None:
        return None
    d = cfg.get("output_dim")
    return tuple(shape) + (d if isinstance(d, int) else None,)


def dense_shape(shape, lay: Layer):
    if shape is None:
        return None
    units = lay.config.get("units")
    if K.canonical(lay.class_name) == "Dense" and isinstance(units, int):
        return tuple(shape[:-1]) + (units,)
    return tuple(shape)


def rnn_shape(shape, lay: Layer, rs: bool):
    if shape is None or len(shape) < 3:
        return None
    cfg = lay.config
    mult = 1
    if K.canonical(lay.class_name) == "Bidirectional":
        mode = cfg.get("merge_mode", "concat")
        mult = 2 if mode == "concat" else 1
        cfg = cfg.get("layer").get("config") if isinstance(cfg.get("layer"), dict) else None
        cfg = cfg if isinstance(cfg, dict) else {}
    units = cfg.get("units") if isinstance(cfg.get("units"), int) else (
        cfg.get("filters") if isinstance(cfg.get("filters"), int) else None)
    last = units * mult if units is not None else None
    if len(shape) == 3:
        return (shape[0], shape[1], last) if rs else (shape[0], last)
    return (shape[0], shape[1]) + (None,) * (len(shape) - 2) if rs else (shape[0],) + (None,) * (len(shape) - 3)


def conv_shape(shape, lay: Layer, b: K.Behaviour):
    if shape is None:
        return None
    cfg = lay.config
    if b.time == "gpool":
        if cfg.get("keepdims"):
            return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)
        return (shape[0], shape[-1]) if len(shape) >= 3 else None
    if b.time == "flatten":
        rest = shape[1:]
        return (shape[0], math.prod(rest) if all(isinstance(x, int) for x in rest) else None)
    if b.time == "conv":
        filters = cfg.get("filters")
        same = cfg.get("padding") in ("same", "causal")
        st = K._int_tuple(cfg.get("strides", 1), 1)
        t = shape[1] if same and st is not None and st[0] == 1 and len(shape) >= 3 else None
        if len(shape) < 3:
            return None
        return (shape[0], t) + (None,) * (len(shape) - 3) + (filters if isinstance(filters, int) else None,)
    if b.time == "pool" and len(shape) >= 3:
        return (shape[0], None) + tuple(shape[2:])
    return None


def reshape_effect(s: State, lay: Layer):
    """(mixes time?, output shape, keeps the time axis?) of a Reshape."""
    target = lay.config.get("target_shape")
    shape = s.shape
    if not isinstance(target, (list, tuple)) or not all(isinstance(x, int) for x in target):
        return None, None, False
    out = (shape[0] if shape else None,) + tuple(None if x == -1 else x for x in target)
    if shape is None or len(shape) < 2:
        return None, out, False
    t_in = shape[1]
    feat_in = shape[2:]
    feat_out = tuple(target[1:])
    prod_in = math.prod(feat_in) if all(isinstance(x, int) for x in feat_in) else None
    prod_out = math.prod(feat_out) if all(isinstance(x, int) and x > 0 for x in feat_out) else None
    t_out = target[0] if target else None
    if prod_in is not None and prod_out is not None and prod_in == prod_out and (
            t_out == -1 or (t_in is not None and t_out == t_in)):
        return False, out[:1] + (t_in,) + out[2:], True
    if t_in is not None and t_out is not None and t_out != -1 and t_out != t_in:
        return True, out, False
    if prod_in is not None and prod_out is not None and prod_in != prod_out:
        return True, out, False
    if len(target) == 0:
        return True, out, False
    return None, out, False

