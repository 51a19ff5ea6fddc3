"""The transfer function of third-party self-attention layers (mask kind ``transformer`` of
:mod:`masklint.knowledge.third_party`): KerasHub ``TransformerEncoder``/``TransformerDecoder`` and
keras-self-attention's ``SeqSelfAttention``.

Each reads the implicit Keras mask of the sequences it attends over unless the call passes that mask
explicitly (``padding_mask=``, ``encoder_padding_mask=``...; KerasHub's
``merge_padding_and_attention_mask`` uses the explicit one when both exist, though the inner
``MultiHeadAttention`` still applies the input's Keras mask: measured in
``tests/test_knowledge_third_party.py``); its output carries the mask of
its query sequence (``supports_masking=True`` and the default ``compute_mask``), so after an explicit
``padding_mask`` on an unmasked sequence the output has no mask and a pooling after it averages padding.
"""
from __future__ import annotations

from .. import knowledge as K
from .._record import replace
from ..knowledge.third_party import mask_reads, query_input, returns_attention


def _explicit(node, keys) -> bool:
    """One of ``keys`` passes a mask: a tensor, or a value model code computes that masklint does not
    follow (an empty entry); a recorded ``None`` is no mask."""
    for k in keys:
        ts = node.masks.get(k)
        if ts is None:
            ts = node.tensor_kwargs.get(k)
        if ts is not None and (not ts or any(t is not None for t in ts)):
            return True
    return False


def _input(an, node, ins, kw, keyword, position):
    if keyword in kw and kw[keyword]:
        return kw[keyword][0]
    if node.args and position < len(ins):
        return ins[position]
    if position == 0 and kw:
        return next(iter(kw.values()))[0]
    return None


def do_transformer(an, node, ins, b: K.Behaviour, kw) -> None:
    lay = node.layer
    for keyword, position, keys in mask_reads(lay, node.kwargs):
        s = _input(an, node, ins, kw, keyword, position)
        if s is not None and not _explicit(node, keys):
            an.reach_consumer(s, lay)
    qk, qp = query_input(lay)
    q = _input(an, node, ins, kw, qk, qp) or ins[0]
    others = [s for s in ins if s is not q]
    st = an.carry([q] + others)
    st.mask = q.mask
    if q.mask is None:
        em = an.explicit_mask(node, state=q)
        if em is not None:
            st.mask = em
    st.lost = q.lost if st.mask is None else None
    st.padded = q.padded if st.mask is None else None
    st.values, st.values_src, st.zero = "learned", lay, False
    st.shape, st.time = q.shape, q.time
    an.set_out(node, 0, st)
    for i in range(1, max(len(node.outputs), 2 if returns_attention(lay) else 1)):
        an.set_out(node, i, replace(st, mask=None, time=None, shape=None))
