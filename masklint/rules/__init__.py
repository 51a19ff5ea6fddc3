"""The rules: one module per rule code (``mkNNN_rule_name.py``), each with its metadata, its typed record,
the record's message, fix and report roles, and any check that belongs to it alone (see base.py and
CONTRIBUTING.md). This package is the registry: every rule, by code and by name."""
from __future__ import annotations

from . import (mk001_unknown_mask_behaviour, mk002_unused_noqa, mk101_missing_mask, mk102_masking_after_embedding,
               mk103_mask_replaced, mk104_mask_dropped, mk105_mask_rank, mk106_bad_mask_value, mk107_padding_mixed,
               mk108_mask_crash, mk109_loss_sees_padding, mk201_mask_value_mismatch, mk202_real_values_masked,
               mk203_embedding_without_padding_slot, mk204_cudnn_padding, mk205_padded_targets, mk301_padding_leak,
               mk302_runtime_mask_lost, mk303_empty_sequence_nan, mk304_probe_crash)
from .base import Record, Rule

MODULES = (mk001_unknown_mask_behaviour, mk002_unused_noqa, mk101_missing_mask, mk102_masking_after_embedding,
           mk103_mask_replaced, mk104_mask_dropped, mk105_mask_rank, mk106_bad_mask_value, mk107_padding_mixed,
           mk108_mask_crash, mk109_loss_sees_padding, mk201_mask_value_mismatch, mk202_real_values_masked,
           mk203_embedding_without_padding_slot, mk204_cudnn_padding, mk205_padded_targets, mk301_padding_leak,
           mk302_runtime_mask_lost, mk303_empty_sequence_nan, mk304_probe_crash)

#: code -> Rule, in catalogue order
RULES: dict[str, Rule] = {m.RULE.code: m.RULE for m in MODULES}
#: rule name -> code
NAMES: dict[str, str] = {r.name: r.code for r in RULES.values()}

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# the records the analysis, the runtime probe and the --data checks emit, by what they mean (flow.py, the
# probe and runtime/data.py import them from here)
UnknownMaskBehaviour = mk001_unknown_mask_behaviour.UnknownMaskBehaviour
UnusedNoqa = mk002_unused_noqa.UnusedNoqa
MissingMask = mk101_missing_mask.MissingMask
MaskingAfterEmbedding = mk102_masking_after_embedding.MaskingAfterEmbedding
MaskReplaced = mk103_mask_replaced.MaskReplaced
MaskDropped = mk104_mask_dropped.MaskDropped
MaskRank = mk105_mask_rank.MaskRank
BadMaskValue = mk106_bad_mask_value.BadMaskValue
PaddingMixed = mk107_padding_mixed.PaddingMixed
MaskCrash = mk108_mask_crash.MaskCrash
LossSeesPadding = mk109_loss_sees_padding.LossSeesPadding
MaskValueMismatch = mk201_mask_value_mismatch.MaskValueMismatch
RealValuesMasked = mk202_real_values_masked.RealValuesMasked
EmbeddingWithoutPaddingSlot = mk203_embedding_without_padding_slot.EmbeddingWithoutPaddingSlot
CudnnPadding = mk204_cudnn_padding.CudnnPadding
PaddedTargets = mk205_padded_targets.PaddedTargets
PaddingLeak = mk301_padding_leak.PaddingLeak
RuntimeMaskLost = mk302_runtime_mask_lost.RuntimeMaskLost
EmptySequenceNan = mk303_empty_sequence_nan.EmptySequenceNan
ProbeCrash = mk304_probe_crash.ProbeCrash


def resolve(token: str) -> str | None:
    """A code (any case) or rule name -> its code; None when it is not a masklint rule."""
    up = token.upper()
    return up if up in RULES else NAMES.get(token.lower())


__all__ = ["MODULES", "NAMES", "RULES", "Record", "Rule", "SEVERITIES", "SEVERITY_RANK", "resolve"]
