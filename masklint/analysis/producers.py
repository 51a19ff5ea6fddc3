"""Where masks are created: ``Embedding(mask_zero=True)``, ``Masking`` and custom layers known to create
a mask -- and what can already be wrong there (a mask on the wrong thing or of the wrong rank, a
mask value that cannot match the padding). A mixin of :class:`~masklint.analysis.flow.Analysis`."""
from __future__ import annotations

from .. import knowledge as K
from .._record import replace
from ..ir import Node
from ..rules.mk102_masking_after_embedding import MaskingAfterEmbedding
from ..rules.mk103_mask_replaced import MaskReplaced
from ..rules.mk105_mask_rank import MaskRank
from ..rules.mk106_bad_mask_value import BadMaskValue
from ..rules.mk201_mask_value_mismatch import MaskValueMismatch
from ..rules.mk202_real_values_masked import RealValuesMasked
from . import shapes
from .state import Mask, State, Time, as_float, is_int


class MaskProducers:
    """Transfer functions of the layers that create a mask (``self.carry``, ``self.emit``... come from
    the analysis)."""

    def do_create(self, node: Node, ins, b, kw) -> None:
        lay = node.layer
        name = K.canonical(lay.class_name)
        s = ins[0]
        cfg = lay.config
        if name == "Masking":
            return self.do_masking(node, s)
        if not K.is_embedding(lay):
            return self.do_custom_create(node, ins, b)
        # Embedding(mask_zero=True)
        st = self.carry([s])
        if s.masked and s.mask.origin.class_name == "Masking":
            self.emit(MaskReplaced(s.mask.origin, lay.path, why="before_embedding", replaces=True))
        mask = Mask(origin=lay)
        if s.zero_real is not None:
            mask.issues.append(self.emit(RealValuesMasked(s.zero_real, lay.path, why="lookup_oov_zero")))
        elif s.pad is not None and s.pad.ids_start == 0 and s.pad.origin is not None:
            mask.issues.append(self.emit(RealValuesMasked(s.pad.origin, lay.path, why="vocab_from_zero")))
        pv = as_float(s.pad.value) if s.pad is not None else None
        if pv is not None and pv == pv and pv != 0.0:
            mask.issues.append(self.emit(MaskValueMismatch(lay, None, pad=s.pad.value, mask_value=0, mask_zero=True,
                                                           how=s.pad.how, pad_origin=s.pad.origin)))
        if s.dtype and not is_int(s.dtype) and s.values != "ids" and s.rank is not None and s.rank >= 3:
            iss = self.emit(MaskRank(lay, None, why="embedding_float", rank=s.rank, dtype=s.dtype))
            mask.kind = "highrank"
            mask.issues.append(iss)
        st.mask = mask
        st.lost, st.mixed, st.padded, st.rt_lost = None, None, None, None
        st.values, st.values_src, st.zero = "learned", lay, False
        st.had_mask, st.had_mask_len = lay, (s.shape[1] if s.shape and len(s.shape) > 1 else None)
        if s.shape is not None and len(s.shape) == 2:
            st.time = Time(origin=(s.time.origin if s.time else lay.path), length=s.shape[1])
        st.shape = shapes.embed_shape(s.shape, cfg)
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

    def do_masking(self, node: Node, s: State) -> None:
        lay = node.layer
        mv = lay.config.get("mask_value", 0.0)  # None: written in code masklint could not resolve
        st = self.carry([s])
        st.lost, st.mixed, st.rt_lost = None, None, None
        mask = Mask(origin=lay)
        bad = K.bad_mask_value(mv, s.dtype)
        if bad:
            mask.issues.append(self.emit(BadMaskValue(lay, None, why=bad, value=mv)))
        elif s.pad is not None and s.values in ("data", "ids") and not s.zero:
            pv, m = as_float(s.pad.value), as_float(mv)
            if pv is not None and m is not None and pv == pv and pv != m:
                mask.issues.append(self.emit(MaskValueMismatch(lay, None, pad=s.pad.value, mask_value=mv,
                                                               how=s.pad.how, pad_origin=s.pad.origin)))
        rank = s.rank
        if rank == 2:
            mask.kind = "sample"  # MaskRank, unless an Embedding takes it (MaskReplaced): decided in run()
            self.sample_masks.append((mask, s.shape))
        elif rank is not None and rank >= 4:
            mask.kind = "highrank"
        prev = s.mask
        if s.values == "learned" and rank != 2:
            exact = s.zero and isinstance(mv, (int, float)) and not isinstance(mv, bool) and mv == 0
            if not exact:
                src = s.values_src
                mask.issues.append(self.emit(MaskingAfterEmbedding(
                    lay, None, src_layer=src, replaced_layer=prev.origin if isinstance(prev, Mask) else None)))
        elif isinstance(prev, Mask) and rank != 2 and mv is not None:
            same = (prev.origin.class_name == "Masking" and prev.origin.config.get("mask_value") == mv)
            exact = s.zero and isinstance(mv, (int, float)) and not isinstance(mv, bool) and mv == 0
            if not same and not exact and s.values != "unknown":
                mask.issues.append(self.emit(MaskReplaced(lay, None, why="override", replaced_layer=prev.origin)))
        st.mask = mask
        st.zero = True
        st.had_mask = lay
        st.had_mask_len = s.shape[1] if s.shape and len(s.shape) > 1 else None
        st.padded = None
        self.set_out(node, 0, st)
