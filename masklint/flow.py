"""Mask-flow analysis over the IR.

For every tensor the analysis tracks whether it carries a mask and who created it (:class:`Mask`), where
a mask was lost (:class:`Lost`), whether padded steps were already mixed into valid ones, whether its
values are raw data, token ids or a learned representation, its time axis, and evidence that it is
padded. Mistakes become :class:`Issue` objects keyed by root cause (rule code + culprit layer), so one
mistake gives one finding however many consumers it breaks; the first consumer reached is named.
"""
from __future__ import annotations

import math
from ._record import factory, record, replace

from . import knowledge as K
from .ir import INPUT, MODEL, OP, Graph, Layer, Node, Tensor


@record
class Issue:
    code: str
    culprit: Layer
    consumer: str | None = None
    detail: dict = factory(dict)

    def reach(self, consumer: str | None) -> None:
        if self.consumer is None and consumer:
            self.consumer = consumer


@record
class Mask:
    origin: Layer  # the layer that created the mask
    kind: str = "seq"  # "seq" (batch, time) | "sample" (batch,) | "highrank" (batch, time, more...)
    issues: list = factory(list)  # pending issues that name this mask's first consumer
    consumer: str | None = None  # the first layer (or "loss") that used this mask


UNKNOWN = "unknown"  # mask state after a layer masklint cannot analyse


@record
class Lost:
    origin: Layer  # who created the mask that was lost
    at: Layer  # who dropped it
    how: str  # "drops" | "op" | "dot" | "merge" | "concat"
    issue: Issue | None = None


@record
class Time:
    """The time axis (axis 1) of a tensor: where it came from and its length."""

    origin: str
    length: int | None = None
    head: Layer | None = None  # a layer that made a new time axis matching a masked one (RepeatVector)


@record
class State:
    shape: tuple | None = None
    dtype: str | None = None
    mask: object = None  # Mask | None | UNKNOWN
    lost: Lost | None = None
    mixed: Issue | None = None
    values: str = "data"  # "data" | "ids" | "learned" | "unknown"
    values_src: Layer | None = None
    zero: bool = False  # masked steps hold exact zeros
    padded: tuple | None = None  # (culprit Layer, evidence text)
    time: Time | None = None
    had_mask: Layer | None = None  # a mask covered this data's time axis upstream
    had_mask_len: int | None = None
    rt_lost: Layer | None = None  # runtime mask lost here although the symbolic mask exists (MHA residual)
    pad: object = None  # PaddingFact: how the data behind this tensor is padded (code or data sample)
    zero_real: Layer | None = None  # a lookup layer that gives id 0 to a real token (OOV)

    @property
    def rank(self):
        return None if self.shape is None else len(self.shape)

    @property
    def masked(self) -> bool:
        return isinstance(self.mask, Mask)


def _float(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _is_int(dtype: str | None) -> bool:
    return bool(dtype) and (dtype.startswith("int") or dtype.startswith("uint"))


class Analysis:
    """Run the mask-flow analysis on a graph; ``issues`` holds the root causes found."""

    def __init__(self, graph: Graph, max_nodes: int = 2_000_000, keras_major: int = 3,
                 known: dict[str, K.Spec] | None = None):
        self.graph = graph
        #: behaviour of custom classes, by class name or registered name (configuration, live models)
        self.known = known or {}
        self.keras_major = keras_major
        self.issues: dict[tuple, Issue] = {}
        self.states: dict[int, State] = {}  # id(Tensor) -> State
        self.cleared: set[int] = set()  # tensors whose runtime mask an MHA cleared
        self.sample_masks: list[tuple[Mask, tuple | None]] = []  # Masking on (batch, time) tensors
        self.budget = max_nodes

    # -- issue bookkeeping --------------------------------------------------------------------
    def issue(self, code: str, culprit: Layer, consumer: str | None = None, **detail) -> Issue:
        key = (code, culprit.path)
        iss = self.issues.get(key)
        if iss is None:
            iss = self.issues[key] = Issue(code, culprit, consumer, detail)
        else:
            iss.reach(consumer)
            for k, v in detail.items():
                iss.detail.setdefault(k, v)
        return iss

    # -- driver -------------------------------------------------------------------------------
    def run(self) -> "Analysis":
        outs = self.run_graph(self.graph, None)
        for t, st in zip(self.graph.outputs, outs):
            self.check_output(t, st)
        for mask, shape in self.sample_masks:
            if ("MK103", mask.origin.path) not in self.issues:
                self.issue("MK105", mask.origin, mask.consumer, why="masking_2d", shape=shape)
        return self

    def run_graph(self, g: Graph, input_states: list[State] | None) -> list[State]:
        for i, t in enumerate(g.inputs):
            base = self.input_state(t)
            if i == 0 and g.padding:
                fact = g.padding[0]
                base.pad = fact
                base.padded = (None, fact)
            if input_states is not None and i < len(input_states):
                outer = input_states[i]
                base = replace(outer, shape=outer.shape if outer.shape is not None else base.shape)
            self.states[id(t)] = base
        for node in g.nodes:
            self.budget -= 1
            if self.budget < 0:
                raise RuntimeError("analysis budget exceeded")
            if node.plumbing:
                continue
            if node.layer.kind == INPUT:
                if not node.args:
                    t = node.output(0)
                    if id(t) not in self.states:
                        self.states[id(t)] = self.input_state(t)
                    continue
            self.visit(node)
        return [self.get(t) for t in g.outputs]

    def input_state(self, t: Tensor) -> State:
        shape = t.shape
        st = State(shape=shape, dtype=t.dtype)
        st.values = "ids" if _is_int(t.dtype) else "data"
        if shape is not None and (len(shape) >= 3 or (len(shape) == 2 and st.values == "ids")):
            st.time = Time(origin=t.node.layer.path, length=shape[1])
        return st

    def get(self, t: Tensor) -> State:
        st = self.states.get(id(t))
        if st is None:  # produced by a node we skipped (plumbing) or never visited
            st = State(shape=t.shape, dtype=t.dtype, mask=UNKNOWN, values="unknown")
            self.states[id(t)] = st
        if st.shape is None and t.shape is not None:
            st = replace(st, shape=t.shape)
            self.states[id(t)] = st
        return st

    def set_out(self, node: Node, index: int, st: State) -> None:
        t = node.output(index)
        if t.shape is not None:  # a recorded shape beats the inferred one
            st.shape = t.shape
        if t.dtype is not None and st.dtype is None:
            st.dtype = t.dtype
        self.states[id(t)] = st

    # -- one node -----------------------------------------------------------------------------
    def visit(self, node: Node) -> None:
        lay = node.layer
        ins = [self.get(t) for t in node.args]
        kw_ins = {k: [self.get(t) for t in ts] for k, ts in node.tensor_kwargs.items()}
        if not ins and kw_ins:
            ins = [s for v in kw_ins.values() for s in v][:1]
        if not ins:
            ins = [State(mask=UNKNOWN, values="unknown")]
        if lay.kind == OP:
            return self.visit_op(node, ins)
        if lay.kind == MODEL and lay.graph is not None:
            return self.visit_model(node, ins)
        spec = self.known_spec(lay)
        b = K.resolve(lay.class_name, lay.config, ins[0].rank, spec)
        # custom classes are unknown even when they share a built-in's name; "na" layers (cells,
        # external wrappers) are not data layers masklint can reason about
        if not b.known or b.mask == "na" or (not lay.is_builtin and spec is None):
            return self.visit_unknown(node, ins, b)
        # resolve() has turned "rnn" and "lambda" into propagate/consume/drop
        handler = getattr(self, "do_" + b.mask)
        handler(node, ins, b, kw_ins)

    # -- helpers ------------------------------------------------------------------------------
    def known_spec(self, lay: Layer) -> K.Spec | None:
        if not self.known:
            return None
        for key in (lay.registered_name, lay.class_name):
            if key and key in self.known:
                return self.known[key]
        return None

    @staticmethod
    def carry(ins: list[State], **kw) -> State:
        """An output state that inherits the lineage facts of its inputs."""
        first = ins[0]
        st = State(shape=first.shape, dtype=first.dtype, time=first.time)
        for s in ins:
            st.lost = st.lost or s.lost
            st.mixed = st.mixed or s.mixed
            st.padded = st.padded or s.padded
            st.had_mask = st.had_mask or s.had_mask
            st.had_mask_len = st.had_mask_len if st.had_mask_len is not None else s.had_mask_len
            st.rt_lost = st.rt_lost or s.rt_lost
            st.pad = st.pad or s.pad
            st.zero_real = st.zero_real or s.zero_real
        vals = {s.values for s in ins}
        st.values = "unknown" if "unknown" in vals else "learned" if "learned" in vals else first.values
        st.values_src = next((s.values_src for s in ins if s.values_src is not None), None)
        st.zero = all(s.zero for s in ins)
        for k, v in kw.items():
            setattr(st, k, v)
        return st

    def explicit_mask(self, node: Node, key: str = "mask", state: State | None = None) -> Mask | None:
        """A mask tensor recorded in the node's kwargs where the flow has none.

        Keras records the symbolic mask it auto-filled, and the user may pass ``mask=`` explicitly. After
        a drop, an op or a mixed Add-merge Keras' own symbolic mask is None, so a recorded tensor there
        was passed by the user. After a mixed ``Concatenate`` Keras records its all-True mask: ignored.
        """
        if state is not None and state.lost is not None and state.lost.how == "concat":
            return None
        ts = node.masks.get(key)
        if not ts:
            return None
        for t in ts:
            if t is not None:
                st = self.states.get(id(t))
                origin = t.node.layer
                return Mask(origin=origin, kind="seq") if st is None or not st.masked else st.mask
        return None

    def learned(self, st: State, lay: Layer, b: K.Behaviour) -> None:
        if b.values == "learned":
            st.values, st.values_src, st.zero = "learned", lay, False
        elif b.values == "keep":
            st.zero = False

    def reach_consumer(self, st: State, consumer: Layer, needs_seq_mask: bool = True) -> None:
        """A mask consumer reads ``st``: report what it is missing (MK104/MK101) or name it."""
        m = st.mask
        if m == UNKNOWN:
            return
        if isinstance(m, Mask):
            m.consumer = m.consumer or consumer.path
            for iss in m.issues:
                iss.reach(consumer.path)
            if st.mixed is not None:
                st.mixed.reach(consumer.path)
            return
        if st.mixed is not None:
            st.mixed.reach(consumer.path)
            return
        if st.lost is not None:
            self.report_lost(st.lost, "MK104", consumer.path)
            return
        if st.padded is not None:
            culprit, evidence = st.padded
            self.issue("MK101", culprit or consumer, consumer.path, evidence=evidence)

    def report_lost(self, lost: Lost, code: str, consumer: str) -> Issue:
        if lost.issue is None:
            lost.issue = self.issue(code, lost.at, consumer, how=lost.how, origin=lost.origin.path,
                                    at_class=lost.at.class_name)
        else:
            lost.issue.reach(consumer)
        return lost.issue

    # -- handlers -----------------------------------------------------------------------------
    def visit_unknown(self, node: Node, ins: list[State], b: K.Behaviour) -> None:
        lay = node.layer
        if any(s.masked for s in ins):
            origin = next(s.mask.origin for s in ins if s.masked)
            why = ("custom or third-party class" if not lay.is_builtin
                   else "Keras class missing from masklint's knowledge table")
            self.issue("MK001", lay, None, why=why, origin=origin.path)
        for i in range(max(1, len(node.outputs))):
            st = self.carry(ins, mask=UNKNOWN, lost=None, mixed=None, padded=None, values="unknown",
                            values_src=None, zero=False, shape=None, time=None)
            self.set_out(node, i, st)

    def visit_model(self, node: Node, ins: list[State]) -> None:
        """Nested models are transparent: the mask flows through their own layers at runtime."""
        g = node.layer.graph
        outs = self.run_graph(g, ins)
        for i, st in enumerate(outs):
            self.set_out(node, i, replace(st))

    def visit_op(self, node: Node, ins: list[State]) -> None:
        lay = node.layer
        first = ins[0]
        mixes, how = K.op_mixes_time(lay.registered_name or lay.class_name, lay.config, node.consts,
                                     node.kwargs, first.rank)
        st = self.carry(ins, mask=None)
        if how in ("elementwise",):
            st.values = "learned" if first.values != "unknown" else "unknown"
            st.values_src = lay
        else:
            st.shape, st.time = None, None
        if how == "positional" and mixes:
            st.shape, st.time = None, None
        masked = [s for s in ins if s.masked]
        if any(s.mask == UNKNOWN for s in ins):
            st.mask = UNKNOWN
        elif masked:
            m = masked[0].mask
            if mixes:
                desc = "reads fixed positions of" if how == "positional" else "mixes time steps of"
                iss = self.issue("MK107", lay, None, origin=m.origin.path, how=desc, op=True,
                                 rs=masked[0].values_src is not None
                                 and K.canonical(masked[0].values_src.class_name) in K.RNN_CLASSES | {"Bidirectional"})
                st.mixed, st.lost = iss, None
            else:
                st.lost = Lost(m.origin, lay, "op")
        elif mixes and first.lost is not None and first.mixed is None:
            st.mixed = self.report_lost(first.lost, "MK104", lay.path)
        self.set_out(node, 0, st)

    def do_create(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        name = K.canonical(lay.class_name)
        s = ins[0]
        cfg = lay.config
        if name == "Masking":
            return self.do_masking(node, s)
        if name not in ("Embedding", "ReversibleEmbedding"):
            return self.do_custom_create(node, ins, b)
        # Embedding(mask_zero=True)
        st = self.carry([s])
        if s.masked and s.mask.origin.class_name == "Masking":
            self.issue("MK103", s.mask.origin, lay.path, why="before_embedding", replaced=True)
        mask = Mask(origin=lay)
        if s.zero_real is not None:
            mask.issues.append(self.issue("MK202", s.zero_real, lay.path, why="lookup_oov_zero",
                                          lookup_class=s.zero_real.class_name))
        elif s.pad is not None and s.pad.ids_start == 0 and s.pad.origin is not None:
            mask.issues.append(self.issue("MK202", s.pad.origin, lay.path, why="vocab_from_zero"))
        pv = _float(s.pad.value) if s.pad is not None else None
        if pv is not None and pv == pv and pv != 0.0:
            mask.issues.append(self.issue("MK201", lay, None, pad=s.pad.value, mask_value=0, mask_zero=True,
                                          how=s.pad.how, pad_origin=s.pad.origin))
        if s.dtype and not _is_int(s.dtype) and s.values != "ids" and s.rank is not None and s.rank >= 3:
            iss = self.issue("MK105", lay, None, why="embedding_float", rank=s.rank, dtype=s.dtype)
            mask.kind = "highrank"
            mask.issues.append(iss)
        st.mask = mask
        st.lost, st.mixed, st.padded, st.rt_lost = None, None, None, None
        st.values, st.values_src, st.zero = "learned", lay, False
        st.had_mask, st.had_mask_len = lay, (s.shape[1] if s.shape and len(s.shape) > 1 else None)
        if s.shape is not None and len(s.shape) == 2:
            st.time = Time(origin=(s.time.origin if s.time else lay.path), length=s.shape[1])
        st.shape = self.embed_shape(s.shape, cfg)
        st.dtype = "float32"
        self.set_out(node, 0, st)

    def do_custom_create(self, node: Node, ins, b) -> None:
        """A custom layer known (by configuration or from the live object) to create a new mask: a
        fresh per-step mask on its output; nothing else about it is assumed."""
        lay = node.layer
        s = ins[0]
        st = self.carry(ins)
        st.mask = Mask(origin=lay)
        st.lost, st.mixed, st.padded, st.rt_lost = None, None, None, None
        self.learned(st, lay, b)
        st.had_mask = lay
        st.had_mask_len = s.shape[1] if s.shape and len(s.shape) > 1 else None
        self.set_out(node, 0, st)
        for i in range(1, len(node.outputs)):
            self.set_out(node, i, replace(st))

    @staticmethod
    def embed_shape(shape, cfg):
        if shape is None:
            return None
        d = cfg.get("output_dim")
        return tuple(shape) + (d if isinstance(d, int) else None,)

    def do_masking(self, node: Node, s: State) -> None:
        lay = node.layer
        mv = lay.config.get("mask_value", 0.0)  # None: written in code masklint could not resolve
        st = self.carry([s])
        st.lost, st.mixed, st.rt_lost = None, None, None
        mask = Mask(origin=lay)
        bad = K.bad_mask_value(mv, s.dtype)
        if bad:
            mask.issues.append(self.issue("MK106", lay, None, why=bad, value=mv))
        elif s.pad is not None and s.values in ("data", "ids") and not s.zero:
            pv, m = _float(s.pad.value), _float(mv)
            if pv is not None and m is not None and pv == pv and pv != m:
                mask.issues.append(self.issue("MK201", lay, None, pad=s.pad.value, mask_value=mv,
                                              how=s.pad.how, pad_origin=s.pad.origin))
        rank = s.rank
        if rank == 2:
            mask.kind = "sample"  # MK105, unless an Embedding takes it (MK103): decided in finish()
            self.sample_masks.append((mask, s.shape))
        elif rank is not None and rank >= 4:
            mask.kind = "highrank"
        prev = s.mask
        if s.values == "learned" and rank != 2:
            exact = s.zero and isinstance(mv, (int, float)) and not isinstance(mv, bool) and mv == 0
            if not exact:
                src = s.values_src
                mask.issues.append(self.issue(
                    "MK102", lay, None, src=src.path if src else None, src_layer=src, src_class=src.class_name if src else None,
                    replaced=prev.origin.path if isinstance(prev, Mask) else None,
                    replaced_class=prev.origin.class_name if isinstance(prev, Mask) else None))
        elif isinstance(prev, Mask) and rank != 2 and mv is not None:
            same = (prev.origin.class_name == "Masking" and prev.origin.config.get("mask_value") == mv)
            exact = s.zero and isinstance(mv, (int, float)) and not isinstance(mv, bool) and mv == 0
            if not same and not exact and s.values != "unknown":
                mask.issues.append(self.issue("MK103", lay, None, why="override", replaced=prev.origin.path,
                                              replaced_class=prev.origin.class_name))
        st.mask = mask
        st.zero = True
        st.had_mask = lay
        st.had_mask_len = s.shape[1] if s.shape and len(s.shape) > 1 else None
        st.padded = None
        self.set_out(node, 0, st)

    def do_propagate(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        s = ins[0]
        st = self.carry(ins)
        st.mask = s.mask
        if s.mask is None:
            em = self.explicit_mask(node, state=s)
            if em is not None:
                st.mask = em
        self.learned(st, lay, b)
        if K.canonical(lay.class_name) in ("Dense", "TimeDistributed") or b.time == "norm":
            st.shape = self.dense_shape(s.shape, lay)
        if b.consumer:  # RNN with return_sequences=True
            self.reach_consumer(s if st.mask is s.mask else replace(s, mask=st.mask), lay)
            self.check_rnn_mask_rank(s, lay)
            self.check_cudnn_padding(s if st.mask is s.mask else replace(s, mask=st.mask), lay)
            st.zero = b.zero_output
            st.values, st.values_src = "learned", lay
            st.shape = self.rnn_shape(s.shape, lay, True)
            if st.mask is None and s.padded is not None:
                st.padded = None  # reported at this consumer
        if st.masked and b.mixes_time:
            iss = self.issue("MK107", lay, None, origin=st.mask.origin.path, how="normalizes across time steps of",
                             axis=lay.config.get("axis"))
            st.mixed = iss
        if K.canonical(lay.class_name) == "Lambda" and st.masked:
            self.check_time_change(node, s, lay)
        if b.return_state:
            self.set_out(node, 0, st)
            for i in range(1, max(len(node.outputs), 2)):
                self.set_out(node, i, replace(st, mask=None, time=None, shape=None))
            return
        if K.canonical(lay.class_name) == "Bidirectional" and lay.config.get("merge_mode", "concat") is None:
            self.set_out(node, 0, st)
            self.set_out(node, 1, replace(st))
            return
        for i in range(max(1, len(node.outputs))):
            self.set_out(node, i, st if i == 0 else replace(st))

    def do_td(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        s = ins[0]
        st = self.carry(ins)
        st.mask = s.mask if s.mask is not None else self.explicit_mask(node, state=s)
        inner = lay.inner[0] if lay.inner else None
        if inner is not None:
            ib = K.resolve(inner.class_name, inner.config, None if s.rank is None else s.rank - 1)
            if not ib.known or not inner.is_builtin:
                st.values, st.values_src, st.zero = "unknown", lay, False
            else:
                self.learned(st, lay, ib)
            st.shape = self.dense_shape(s.shape, inner) if K.canonical(inner.class_name) == "Dense" else (
                s.shape[:2] + (None,) * (len(s.shape) - 2) if s.shape else None)
        if isinstance(st.mask, Mask) and st.rt_lost is not None:
            st.rt_lost = None  # the recorded mask is replayed: the runtime mask is back
        self.set_out(node, 0, st)

    def do_transparent(self, node: Node, ins, b, kw) -> None:
        s = ins[0]
        st = self.carry(ins)
        st.mask = s.mask
        self.learned(st, node.layer, b)
        self.set_out(node, 0, st)

    def do_consume(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        s = ins[0]
        if s.mask is None:
            em = self.explicit_mask(node, state=s)
            if em is not None:
                s = replace(s, mask=em)
        self.reach_consumer(s, lay)
        self.check_rnn_mask_rank(s, lay)
        self.check_cudnn_padding(s, lay)
        st = self.carry(ins, mask=None, time=None, lost=None, padded=None, rt_lost=None)
        if s.mixed is not None:
            st.mixed = s.mixed
        st.values, st.values_src, st.zero = "learned", lay, False
        st.shape = self.rnn_shape(s.shape, lay, False) if b.time == "rnn" else (
            (s.shape[0], s.shape[-1]) if s.shape and len(s.shape) == 3 else None)
        self.set_out(node, 0, st)
        for i in range(1, len(node.outputs)):
            self.set_out(node, i, replace(st))

    def check_cudnn_padding(self, s: State, lay: Layer) -> None:
        """MK204: a masked, cuDNN-eligible LSTM/GRU fed left-padded data fails its right-padding
        assertion in compiled fit/predict on a GPU."""
        fact = s.pad
        if not s.masked or fact is None or fact.side != "pre" or fact.origin is None:
            return
        if K.cudnn_eligible(lay.class_name, lay.config):
            self.issue("MK204", fact.origin, lay.path, rnn_class=lay.class_name)

    def check_rnn_mask_rank(self, s: State, lay: Layer) -> None:
        """A (batch, time, ...) mask from Masking on rank >= 4 input crashes every consumer, which all
        need (batch, time): ConvLSTM directly, or an RNN after TimeDistributed carried the mask on."""
        m = s.mask
        if isinstance(m, Mask) and m.kind == "highrank" and m.origin.class_name == "Masking":
            iss = self.issue("MK105", m.origin, lay.path, why="masking_highrank", consumer_class=lay.class_name)
            if iss not in m.issues:
                m.issues.append(iss)

    def do_drop(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        s = ins[0]
        name = K.canonical(lay.class_name)
        st = self.carry(ins, mask=None)
        self.learned(st, lay, b)
        if b.consumer:  # Keras 2 CuDNNLSTM / CuDNNGRU: a consumer that cannot take a mask
            self.reach_consumer(s, lay)
        mixes = b.mixes_time
        # shapes and time axis
        if name in ("Embedding", "ReversibleEmbedding"):
            return self.do_embedding_nomask(node, s, st)
        if b.time in ("gpool", "flatten", "encode", "rnn", "other"):
            st.time = None
        if name == "Lambda":
            mixes = self.lambda_reads_time(node, s)
        if b.time == "reshape":
            mixes, st.shape, keeps = self.reshape_effect(s, lay)
            if not keeps:
                st.time = None
        elif b.time == "permute":
            dims = lay.config.get("dims")
            keeps = isinstance(dims, list) and dims[:1] == [1]
            mixes = not keeps if isinstance(dims, list) else None
            if not keeps:
                st.time = None
        elif b.time == "repeat":
            n = lay.config.get("n")
            st.shape = (s.shape[0], n) + tuple(s.shape[1:]) if s.shape and len(s.shape) == 2 else None
            head = lay if (s.had_mask is not None and s.had_mask_len is not None and n == s.had_mask_len) else None
            st.time = Time(origin=lay.path, length=n if isinstance(n, int) else None, head=head)
            mixes = False
        elif b.time in ("conv", "pool", "gpool", "einsum", "encode", "other", "flatten"):
            st.shape = self.conv_shape(s.shape, lay, b)
        if name == "TextVectorization" and lay.config.get("output_mode", "int") in ("int", None):
            # integer token ids, padded with 0 up to output_sequence_length (or the longest text)
            osl = lay.config.get("output_sequence_length")
            osl = osl if isinstance(osl, int) and not isinstance(osl, bool) else None
            st.shape = (s.shape[0] if s.shape else None, osl)
            st.dtype, st.values, st.values_src = "int64", "ids", lay
            st.time = Time(origin=lay.path, length=osl)
        if name in ("StringLookup", "IntegerLookup") and lay.config.get("output_mode", "int") in ("int", None) \
                and not lay.config.get("invert"):
            st.shape = s.shape
            st.dtype, st.values, st.values_src = "int64", "ids", lay
            st.time = s.time or (Time(origin=lay.path, length=s.shape[1]) if s.shape and len(s.shape) == 2 else None)
            oov = lay.config.get("num_oov_indices", 1)
            # without a mask token, index 0 is the first OOV index: a real (unknown) token
            if lay.config.get("mask_token") is None and isinstance(oov, int) and not isinstance(oov, bool) and oov >= 1:
                st.zero_real = lay
        if s.masked:
            m = s.mask
            if mixes:
                iss = self.issue("MK107", lay, None, origin=m.origin.path, how=None)
                st.mixed, st.lost = iss, None
            else:
                st.lost = Lost(m.origin, lay, "drops")
        elif s.mask == UNKNOWN:
            st.mask = UNKNOWN
        elif mixes and s.lost is not None and s.mixed is None:
            st.mixed = self.report_lost(s.lost, "MK104", lay.path)
        for i in range(max(1, len(node.outputs))):
            self.set_out(node, i, st if i == 0 else replace(st))

    def do_embedding_nomask(self, node: Node, s: State, st: State) -> None:
        lay = node.layer
        if s.masked and s.mask.origin.class_name == "Masking":
            self.issue("MK103", s.mask.origin, lay.path, why="before_embedding", replaced=False)
            st.lost = None
        elif s.masked:
            st.lost = Lost(s.mask.origin, lay, "drops")
        st.values, st.values_src, st.zero = "learned", lay, False
        st.shape = self.embed_shape(s.shape, lay.config)
        st.dtype = "float32"
        if s.shape is not None and len(s.shape) == 2:
            st.time = Time(origin=(s.time.origin if s.time else lay.path), length=s.shape[1])
            # an Embedding reads token ids whatever the Input's dtype (Input((None,)) is float32)
            if s.shape[1] is None and not s.masked and s.mask != UNKNOWN and s.values != "unknown":
                st.padded = (lay, "variable-length token ids")
        if s.pad is not None and not s.masked and s.mask != UNKNOWN:
            st.padded = (lay, s.pad)
        self.set_out(node, 0, st)

    def do_drop_silent(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        st = self.carry(ins, mask=None, shape=None, time=None)
        self.learned(st, lay, b)
        masked = [s for s in ins if s.masked]
        if masked:
            st.lost = Lost(masked[0].mask.origin, lay, "dot")
        elif any(s.mask == UNKNOWN for s in ins):
            st.mask = UNKNOWN
        self.set_out(node, 0, st)

    def _runtime_lost(self, node: Node, ins: list[State]) -> bool:
        return any(id(t) in self.cleared for t in node.args)

    def do_merge(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        st = self.carry(ins)
        self.learned(st, lay, b)
        masks = [s.mask for s in ins]
        if any(m == UNKNOWN for m in masks):
            st.mask = UNKNOWN
        elif all(isinstance(m, Mask) for m in masks):
            st.mask = masks[0]
            st.lost = None
            if self._runtime_lost(node, ins):
                st.rt_lost = lay
        elif any(isinstance(m, Mask) for m in masks) and self.keras_major == 2:
            # tf.keras 2 _Merge.compute_mask ANDs the masks that exist: the mask survives
            st.mask = next(m for m in masks if isinstance(m, Mask))
            st.lost = None
        elif any(isinstance(m, Mask) for m in masks):
            m = next(m for m in masks if isinstance(m, Mask))
            st.mask = None
            st.lost = Lost(m.origin, lay, "merge")
        else:
            st.mask = None
        st.values = "learned" if any(s.values == "learned" for s in ins) else st.values
        self.set_out(node, 0, st)

    def do_concat(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        st = self.carry(ins)
        rank = ins[0].rank
        axis = lay.config.get("axis", -1)
        time_axis = axis == 1 or (isinstance(axis, int) and rank is not None and axis < 0 and rank + axis == 1)
        masks = [s.mask for s in ins]
        if any(m == UNKNOWN for m in masks):
            st.mask = UNKNOWN
        elif all(isinstance(m, Mask) for m in masks) or (time_axis and any(isinstance(m, Mask) for m in masks)):
            st.mask = next(m for m in masks if isinstance(m, Mask))
            st.lost = None
            if self._runtime_lost(node, ins):
                st.rt_lost = lay
        elif any(isinstance(m, Mask) for m in masks) and self.keras_major == 2:
            # tf.keras 2 ANDs the masks (unmasked inputs count as all-True): the mask survives
            st.mask = next(m for m in masks if isinstance(m, Mask))
            st.lost = None
        elif any(isinstance(m, Mask) for m in masks):
            m = next(m for m in masks if isinstance(m, Mask))
            st.mask = None
            st.lost = Lost(m.origin, lay, "concat")
        if time_axis:
            st.time = Time(origin=lay.path, length=None) if st.time else None
            st.shape = None
        elif ins[0].shape is not None and all(s.shape is not None and len(s.shape) == rank for s in ins):
            last = [s.shape[-1] for s in ins]
            st.shape = ins[0].shape[:-1] + ((sum(last) if all(isinstance(x, int) for x in last) else None),)
        self.set_out(node, 0, st)

    def do_attention(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        name = K.canonical(lay.class_name)
        q = ins[0]
        v = ins[1] if len(ins) > 1 else (kw.get("value") or [q])[0]
        k = ins[2] if len(ins) > 2 else (kw.get("key") or [v])[0]
        explicit = any(key in node.masks or key in node.tensor_kwargs
                       for key in ("attention_mask", "value_mask", "key_mask"))
        rec = node.masks.get("mask")
        if rec and len(rec) > 1 and rec[1] is not None:
            explicit = True
        if not explicit:
            self.reach_consumer(k if k.mask is not None or v.mask is None else v, lay)
            if name in K.CLEARS_INPUT_MASKS:
                self.check_runtime_mask(q, v, lay)
        st = self.carry([q] + [s for s in (v, k) if s is not q])
        st.mask = q.mask
        if q.mask is None and rec and rec[0] is not None:
            st.mask = self.explicit_mask(node)
        st.lost = q.lost if q.mask is None else None
        st.padded = q.padded if q.mask is None else None
        st.values, st.values_src, st.zero = "learned", lay, False
        st.shape = q.shape
        st.time = q.time
        if name in K.CLEARS_INPUT_MASKS:
            for t in node.args:
                self.cleared.add(id(t))
            for ts in node.tensor_kwargs.values():
                for t in ts:
                    self.cleared.add(id(t))
        self.set_out(node, 0, st)
        for i in range(1, len(node.outputs)):
            self.set_out(node, i, replace(st, mask=None, time=None))

    def check_runtime_mask(self, q: State, v: State, lay: Layer) -> None:
        """MultiHeadAttention reads its masks from its inputs' runtime mask attributes, never from the
        replayed symbolic mask. After an earlier MHA cleared them (the residual ``Add`` of a Transformer
        block has no runtime mask), a second MHA without ``attention_mask`` attends to padding (measured:
        Embedding(mask_zero) -> 2 blocks of MHA + Add -> GAP1D changes by 0.35 when only the padding
        changes; one block does not)."""
        for s in (q, v):
            if isinstance(s.mask, Mask) and s.rt_lost is not None:
                self.issue("MK104", s.rt_lost, lay.path, how="mha_runtime", origin=s.mask.origin.path,
                           at_class=s.rt_lost.class_name)
                return

    def do_error(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        s = ins[0]
        st = self.carry(ins)
        st.mask = s.mask
        self.learned(st, lay, b)
        if s.masked and s.mask.kind == "seq" and (s.rank is None or s.rank >= 3):
            if s.rank is not None:
                self.issue("MK108", lay, None, why="softmax", origin=s.mask.origin.path, rank=s.rank)
        self.set_out(node, 0, st)

    # -- shapes -------------------------------------------------------------------------------
    @staticmethod
    def dense_shape(shape, lay: Layer):
        if shape is None:
            return None
        units = lay.config.get("units")
        if K.canonical(lay.class_name) == "Dense" and isinstance(units, int):
            return tuple(shape[:-1]) + (units,)
        return tuple(shape)

    @staticmethod
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

    @staticmethod
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

    @staticmethod
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

    def lambda_reads_time(self, node: Node, s: State) -> bool | None:
        """A Lambda without ``mask=`` that removes the time axis of a masked sequence (``t[:, -1]``,
        a mean over time...) reads padded steps -- unless its function takes the mask itself."""
        out = node.outputs.get(0)
        if not s.masked or out is None or out.shape is None or s.shape is None or len(s.shape) < 3:
            return None
        if len(out.shape) >= len(s.shape):
            return None
        mentions = K.lambda_mentions_mask(node.layer.config.get("function"))
        return True if mentions is False else None

    def check_time_change(self, node: Node, s: State, lay: Layer) -> None:
        out = node.outputs.get(0)
        if out is None or out.shape is None or s.shape is None:
            return
        if len(out.shape) >= 2 and len(s.shape) >= 2 and isinstance(out.shape[1], int) and isinstance(s.shape[1], int) \
                and out.shape[1] != s.shape[1]:
            if K.is_identity_mask_fn(lay.config.get("mask")):
                self.issue("MK108", lay, None, why="time_change", t_in=s.shape[1], t_out=out.shape[1])
            else:  # the mask function may slice the mask the same way: masklint cannot read it
                self.issue("MK001", lay, None, why="lambda_time_change", t_in=s.shape[1], t_out=out.shape[1],
                           origin=s.mask.origin.path)

    # -- model outputs ------------------------------------------------------------------------
    def check_output(self, t: Tensor, st: State) -> None:
        if self.graph.target_padding and st.mask != UNKNOWN and st.time is not None and not st.masked \
                and st.had_mask is None and (st.shape is None or len(st.shape) >= 2):
            fact = self.graph.target_padding[0]
            # a missing mask already reported (MK101) is the same root cause: its fix masks the output too
            if fact.origin is not None and not any(k[0] == "MK101" for k in self.issues):
                self.issue("MK205", fact.origin, "loss", why="unmasked_output")
        if st.mask == UNKNOWN or st.had_mask is None:
            return
        shape = st.shape
        if shape is not None and len(shape) < 2:
            return
        time = st.time
        if time is None:
            return
        if st.masked:
            if st.rt_lost is not None:
                self.issue("MK109", st.rt_lost, "loss", why="mha_residual")
            st.mask.consumer = st.mask.consumer or "loss"
            for iss in st.mask.issues:
                iss.reach("loss")
            return
        if st.mixed is not None:
            st.mixed.reach("loss")
            return
        if st.lost is not None:
            if st.lost.issue is None:
                self.report_lost(st.lost, "MK109", "loss")
            return
        if time.head is not None:
            self.issue("MK109", time.head, "loss", why="repeat_head", origin=st.had_mask.path)

