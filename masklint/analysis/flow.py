"""Mask-flow analysis over the IR.

For every tensor the analysis tracks whether it carries a mask and who created it (:class:`Mask`), where
a mask was lost (:class:`Lost`), whether padded steps were already mixed into valid ones, whether its
values are raw data, token ids or a learned representation, its time axis, and evidence that it is
padded. Mistakes become typed records of the rules (:mod:`masklint.rules`), keyed by root cause (rule +
culprit layer), so one mistake gives one finding however many consumers it breaks; the first consumer
reached is named. The analysis writes no English: each rule's module turns its record into words.
"""
from __future__ import annotations

from .. import knowledge as K
from .._record import replace
from ..ir import INPUT, MODEL, OP, Graph, Layer, Node, PaddingFact, Tensor
from ..rules.base import Record
from ..rules.mk001_unknown_mask_behaviour import UnknownMaskBehaviour
from ..rules.mk103_mask_replaced import MaskReplaced
from ..rules.mk104_mask_dropped import MaskDropped
from ..rules.mk105_mask_rank import MaskRank
from ..rules.mk107_padding_mixed import PaddingMixed
from ..rules.mk108_mask_crash import MaskCrash
from . import shapes
from .consumers import ConsumerChecks
from .inlined import is_inlined_lambda, visit_inlined_lambda
from .third_party import do_transformer
from .custom import CustomLayerFlow
from .producers import MaskProducers
from .state import UNKNOWN, Lost, Mask, State, Time, is_int
from .versioned import VersionedFlow


class Analysis(CustomLayerFlow, MaskProducers, ConsumerChecks, VersionedFlow):
    """Run the mask-flow analysis on a graph; ``issues`` holds the root causes found (rule records)."""

    def __init__(self, graph: Graph, max_nodes: int = 2_000_000, keras_major: int = 3,
                 known: dict[str, K.Spec] | None = None, target=None):
        self.graph = graph
        self._target = target  # the Target (or a callable giving it) the model runs on: see VersionedFlow
        #: behaviour of custom classes, by class name or registered name (configuration, live models)
        self.known = known or {}
        self.keras_major = keras_major
        self.issues: dict[tuple, Record] = {}  # (record class, culprit path) -> record
        self.states: dict[int, State] = {}  # id(Tensor) -> State
        self.cleared: set[int] = set()  # tensors whose runtime mask an MHA cleared
        self.sample_masks: list[tuple[Mask, tuple | None]] = []  # Masking on (batch, time) tensors
        self.budget = max_nodes

    # -- issue bookkeeping --------------------------------------------------------------------
    def emit(self, rec: Record) -> Record:
        """Keep ``rec``, or merge it into the record already kept for the same rule and culprit."""
        key = (type(rec), rec.culprit.path)
        kept = self.issues.get(key)
        if kept is None:
            kept = self.issues[key] = rec
        else:
            kept.merge(rec)
        return kept

    # -- driver -------------------------------------------------------------------------------
    def run(self) -> "Analysis":
        outs = self.run_graph(self.graph, None)
        for t, st in zip(self.graph.outputs, outs):
            self.check_output(t, st)
        for mask, shape in self.sample_masks:
            if (MaskReplaced, mask.origin.path) not in self.issues:
                self.emit(MaskRank(mask.origin, mask.consumer, why="masking_2d", shape=shape))
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
        st.values = "ids" if is_int(t.dtype) else "data"
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
        if lay.custom is not None and self.known_spec(lay) is None:  # a user Layer subclass read from source
            return self.visit_custom(node, ins)
        if lay.kind == OP:
            return self.visit_op(node, ins)
        if lay.kind == MODEL and lay.graph is not None and lay.custom is None:
            return self.visit_model(node, ins)
        if lay.graph is not None and is_inlined_lambda(node):
            return visit_inlined_lambda(self, node, ins)
        spec = self.known_spec(lay)
        b = K.resolve(lay.class_name, lay.config, ins[0].rank, spec)
        # custom classes are unknown even when they share a built-in's name; "na" layers (cells,
        # external wrappers) are not data layers masklint can reason about
        if not b.known or b.mask == "na" or (not lay.is_builtin and spec is None):
            return self.visit_unknown(node, ins, b)
        # resolve() has turned "rnn" and "lambda" into propagate/consume/drop
        HANDLERS[b.mask](self, node, ins, b, kw_ins)
        self.versioned_outputs(node)

    # -- helpers ------------------------------------------------------------------------------
    def known_spec(self, lay: Layer) -> K.Spec | None:
        for key in (lay.registered_name, lay.class_name) if self.known else ():
            if key and key in self.known:
                return self.known[key]
        return K.third_party_spec(lay)  # KerasHub, keras-tcn... (knowledge/third_party.py)

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



    # -- handlers -----------------------------------------------------------------------------
    def visit_unknown(self, node: Node, ins: list[State], b: K.Behaviour) -> None:
        lay = node.layer
        # an unknown node for code the source front end did not follow (not a layer): silent
        untranslated = (lay.registered_name or "").startswith("unknown>")
        if any(s.masked for s in ins) and not untranslated:
            origin = next(s.mask.origin for s in ins if s.masked)
            why = ("custom or third-party class" if not lay.is_builtin
                   else "Keras class missing from masklint's knowledge table")
            self.emit(UnknownMaskBehaviour(lay, None, why=why, origin=origin.path))
        for i in range(max(1, len(node.outputs))):
            # what the unknown code does to the data is unknown too: no padding or mask fact crosses it
            st = self.carry(ins, mask=UNKNOWN, lost=None, mixed=None, padded=None, values="unknown",
                            values_src=None, zero=False, shape=None, time=None, pad=None, zero_real=None,
                            had_mask=None, had_mask_len=None, rt_lost=None)
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
                iss = self.emit(PaddingMixed(lay, None, origin=m.origin.path, how=desc, op=True,
                                             rs=masked[0].values_src is not None and K.canonical(
                                                 masked[0].values_src.class_name) in K.RNN_CLASSES | {"Bidirectional"}))
                st.mixed, st.lost = iss, None
            else:
                st.lost = Lost(m.origin, lay, "op")
        elif mixes and first.lost is not None and first.mixed is None:
            st.mixed = self.report_lost(first.lost, MaskDropped, lay.path)
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
            st.shape = shapes.dense_shape(s.shape, lay)
        if b.consumer:  # RNN with return_sequences=True
            self.reach_consumer(s if st.mask is s.mask else replace(s, mask=st.mask), lay)
            self.check_rnn_mask_rank(s, lay)
            self.check_cudnn_padding(s if st.mask is s.mask else replace(s, mask=st.mask), lay)
            st.zero = b.zero_output
            st.values, st.values_src = "learned", lay
            st.shape = shapes.rnn_shape(s.shape, lay, True)
            if st.mask is None and s.padded is not None:
                st.padded = None  # reported at this consumer
        if st.masked and b.mixes_time:
            iss = self.emit(PaddingMixed(lay, None, origin=st.mask.origin.path, how="normalizes across time steps of",
                                         axis=lay.config.get("axis")))
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
            st.shape = shapes.dense_shape(s.shape, inner) if K.canonical(inner.class_name) == "Dense" else (
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
        st.shape = shapes.rnn_shape(s.shape, lay, False) if b.time == "rnn" else (
            (s.shape[0], s.shape[-1]) if s.shape and len(s.shape) == 3 else None)
        self.set_out(node, 0, st)
        for i in range(1, len(node.outputs)):
            self.set_out(node, i, replace(st))



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
        if K.is_embedding(lay):
            return self.do_embedding_nomask(node, s, st)
        if b.time in ("gpool", "flatten", "encode", "rnn", "other"):
            st.time = None
        if name == "Lambda" and lay.graph is None:
            mixes = self.lambda_reads_time(node, s)
        if b.time == "reshape":
            mixes, st.shape, keeps = shapes.reshape_effect(s, lay)
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
            st.shape = shapes.conv_shape(s.shape, lay, b)
        if name == "TextVectorization" and lay.config.get("output_mode", "int") in ("int", None):
            # integer token ids, padded with 0 up to output_sequence_length (or the longest text)
            osl = lay.config.get("output_sequence_length")
            osl = osl if isinstance(osl, int) and not isinstance(osl, bool) else None
            st.shape = (s.shape[0] if s.shape else None, osl)
            st.dtype, st.values, st.values_src = "int64", "ids", lay
            st.time = Time(origin=lay.path, length=osl)
            if osl is not None and not lay.config.get("ragged"):  # padded with 0 at the end (measured)
                st.pad = PaddingFact(value=0, side="post", dtype="int64", origin=lay, how="TextVectorization")
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
                iss = self.emit(PaddingMixed(lay, None, origin=m.origin.path, how=None))
                st.mixed, st.lost = iss, None
            else:
                st.lost = Lost(m.origin, lay, "drops")
        elif s.mask == UNKNOWN:
            st.mask = UNKNOWN
        elif mixes and s.lost is not None and s.mixed is None:
            st.mixed = self.report_lost(s.lost, MaskDropped, lay.path)
        for i in range(max(1, len(node.outputs))):
            self.set_out(node, i, st if i == 0 else replace(st))

    def do_embedding_nomask(self, node: Node, s: State, st: State) -> None:
        lay = node.layer
        if s.masked and s.mask.origin.class_name == "Masking":
            self.emit(MaskReplaced(s.mask.origin, lay.path, why="before_embedding", replaces=False))
            st.lost = None
        elif s.masked:
            st.lost = Lost(s.mask.origin, lay, "drops")
        st.values, st.values_src, st.zero = "learned", lay, False
        st.shape = shapes.embed_shape(s.shape, lay.config)
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


    def do_error(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        s = ins[0]
        st = self.carry(ins)
        st.mask = s.mask
        self.learned(st, lay, b)
        if s.masked and s.mask.kind == "seq" and (s.rank is None or s.rank >= 3):
            if s.rank is not None:
                self.emit(MaskCrash(lay, None, why="softmax", origin=s.mask.origin.path, rank=s.rank))
        self.set_out(node, 0, st)


#: the transfer function of each mask behaviour of the knowledge table (``Behaviour.mask``)
HANDLERS = {
    "create": Analysis.do_create, "propagate": Analysis.do_propagate, "td": Analysis.do_td,
    "transparent": Analysis.do_transparent, "consume": Analysis.do_consume, "drop": Analysis.do_drop,
    "drop_silent": Analysis.do_drop_silent, "merge": Analysis.do_merge, "concat": Analysis.do_concat,
    "attention": Analysis.do_attention, "error": Analysis.do_error, "transformer": do_transformer,
}
