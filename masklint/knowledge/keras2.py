"""Where tf.keras 2 (``tf_keras`` 2.21) does something else to a mask than Keras 3, as data.

``LAYERS`` in :mod:`.layers` describes Keras 3; a layer named here behaves differently in tf.keras 2
(read from tf_keras' source, file cited, and checked live by ``tests/test_knowledge_tf_keras.py``).
:func:`lookup_keras2` is the table as tf.keras 2 sees it: use it for files saved by Keras 2.

In tf.keras 2 a layer without ``supports_masking`` drops the mask silently (``engine/base_layer.py``
``_set_mask_metadata`` returns early; Keras 3 warns), so the ``drop`` kind is silent there.
"""
from __future__ import annotations

from .layers import Spec, canonical, lookup

KERAS2_DIFFERENCES: dict[str, Spec] = {
    # layers/core/identity.py: no supports_masking (Keras 3's Identity propagates)
    "Identity": Spec("drop", "step", "zero"),
    # layers/preprocessing/image_preprocessing.py ``class Rescaling``: no supports_masking
    "Rescaling": Spec("drop", "step", "zero"),
    # layers/preprocessing/normalization.py: no supports_masking
    "Normalization": Spec("drop", "step", "learned"),
    # layers/normalization/group_normalization.py ``call(inputs, mask=None)``: the mask weighs the moments
    # but is first ``tf.broadcast_to`` the input shape, so a (batch, time) mask on (batch, time, features)
    # raises (measured); Keras 3 ignores the mask and mixes padding into the statistics
    "GroupNormalization": Spec("error", "norm", "learned", call_mask=True),
    # layers/attention/multi_head_attention.py ``_compute_attention_mask``: reads ``query._keras_mask``
    # and ``value._keras_mask`` itself; ``call`` has no ``query_mask``/``value_mask`` parameters
    "MultiHeadAttention": Spec("attention", "step", "learned", call_mask=False, consumer=True),
}


def lookup_keras2(class_name: str) -> Spec | None:
    """The table entry for a layer as tf.keras 2 behaves."""
    return KERAS2_DIFFERENCES.get(canonical(class_name)) or lookup(class_name)
