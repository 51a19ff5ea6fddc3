"""What the analysis checks where a mask is used: at mask consumers (a missing or dropped mask, left
padding into a cuDNN RNN, a wrong-rank mask, attention without its runtime mask), at Lambdas that
change the time axis, and at the model's outputs (a loss over padded steps). A mixin of
:class:`~masklint.analysis.flow.Analysis`: the records it emits are the rules' (:mod:`masklint.rules`)."""
from __future__ import annotations

from .. import knowledge as K
from ..ir import Layer, Node, Tensor
from ..rules.base import Record
from ..rules.mk001_unknown_mask_behaviour import UnknownMaskBehaviour
from ..rules.mk101_missing_mask import MissingMask
from ..rules.mk104_mask_dropped import MaskDropped
from ..rules.mk105_mask_rank import MaskRank
from ..rules.mk108_mask_crash import MaskCrash
from ..rules.mk109_loss_sees_padding import LossSeesPadding
from ..rules.mk204_cudnn_padding import CudnnPadding
from ..rules.mk205_padded_targets import PaddedTargets
from .state import UNKNOWN, Lost, Mask, State


class ConsumerChecks:
    """Checks that need the analysis' graph, records and states (``self.emit``, ``self.graph``...)."""

    def reach_consumer(self, st: State, consumer: Layer, needs_seq_mask: bool = True) -> None:
        """A mask consumer reads ``st``: report what it is missing (a dropped or missing mask) or name it."""
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
            self.report_lost(st.lost, MaskDropped, consumer.path)
            return
        if st.padded is not None:
            culprit, evidence = st.padded
            self.emit(MissingMask(culprit or consumer, consumer.path, evidence=evidence,
                                  rnn_cudnn=K.cudnn_eligible(consumer.class_name, consumer.config)))

    def report_lost(self, lost: Lost, kind: type, consumer: str) -> Record:
        """The record (``MaskDropped`` or ``LossSeesPadding``) of a lost mask, made once."""
        if lost.issue is None:
            extra = {"inside": lost.inside} if lost.inside is not None and kind is MaskDropped else {}
            lost.issue = self.emit(kind(lost.at, consumer, how=lost.how, origin=lost.origin.path,
                                        at_class=lost.at.class_name, **extra))
        else:
            lost.issue.reach(consumer)
        return lost.issue

    def check_cudnn_padding(self, s: State, lay: Layer) -> None:
        """A masked, cuDNN-eligible LSTM/GRU fed left-padded data fails its right-padding assertion in
        compiled fit/predict on a GPU."""
        fact = s.pad
        if not s.masked or fact is None or fact.side != "pre" or fact.origin is None:
            return
        if K.cudnn_eligible(lay.class_name, lay.config) and self.cudnn_applies():
            self.emit(CudnnPadding(fact.origin, lay.path, rnn_class=lay.class_name, backend=self.target.backend))

    def check_rnn_mask_rank(self, s: State, lay: Layer) -> None:
        """A (batch, time, ...) mask from Masking on rank >= 4 input crashes every consumer, which all
        need (batch, time): ConvLSTM directly, or an RNN after TimeDistributed carried the mask on."""
        m = s.mask
        if isinstance(m, Mask) and m.kind == "highrank" and m.origin.class_name == "Masking":
            iss = self.emit(MaskRank(m.origin, lay.path, why="masking_highrank", consumer_class=lay.class_name))
            if iss not in m.issues:
                m.issues.append(iss)

    def check_runtime_mask(self, q: State, v: State, lay: Layer) -> None:
        """MultiHeadAttention reads its masks from its inputs' runtime mask attributes, never from the
        replayed symbolic mask. After an earlier MHA cleared them (the residual ``Add`` of a Transformer
        block has no runtime mask), a second MHA without ``attention_mask`` attends to padding (measured:
        Embedding(mask_zero) -> 2 blocks of MHA + Add -> GAP1D changes by 0.35 when only the padding
        changes; one block does not)."""
        for s in (q, v):
            if isinstance(s.mask, Mask) and s.rt_lost is not None:
                self.emit(MaskDropped(s.rt_lost, lay.path, how="mha_runtime", origin=s.mask.origin.path,
                                      at_class=s.rt_lost.class_name))
                return

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
                self.emit(MaskCrash(lay, None, why="time_change", t_in=s.shape[1], t_out=out.shape[1]))
            else:  # the mask function may slice the mask the same way: masklint cannot read it
                self.emit(UnknownMaskBehaviour(lay, None, why="lambda_time_change", t_in=s.shape[1],
                                               t_out=out.shape[1], origin=s.mask.origin.path))

    def check_output(self, t: Tensor, st: State) -> None:
        if self.graph.target_padding and st.mask != UNKNOWN and st.time is not None and not st.masked \
                and st.had_mask is None and (st.shape is None or len(st.shape) >= 2):
            fact = self.graph.target_padding[0]
            # a missing mask already reported is the same root cause: its fix masks the output too
            if fact.origin is not None and not any(k[0] is MissingMask for k in self.issues):
                self.emit(PaddedTargets(fact.origin, "loss"))
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
                self.emit(LossSeesPadding(st.rt_lost, "loss", why="mha_residual"))
            st.mask.consumer = st.mask.consumer or "loss"
            for iss in st.mask.issues:
                iss.reach("loss")
            return
        if st.mixed is not None:
            st.mixed.reach("loss")
            return
        if st.lost is not None:
            if st.lost.issue is None:
                self.report_lost(st.lost, LossSeesPadding, "loss")
            return
        if time.head is not None:
            self.emit(LossSeesPadding(time.head, "loss", why="repeat_head", origin=st.had_mask.path))
