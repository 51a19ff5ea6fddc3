"""Keras knowledge, as data, in one place: what every built-in layer does to a mask and to the time axis.

* :mod:`.layers`      the layer table (:class:`Spec` per class name, aliases, constructor arguments,
  the consumer/RNN/attention class sets, custom-layer kinds), :func:`lookup`, :func:`canonical`
* :mod:`.behaviour`   :func:`resolve`: one layer's :class:`Behaviour` given its arguments
* :mod:`.axes`        whether an axis argument or an einsum equation touches the time axis
* :mod:`.ops`         :func:`op_mixes_time`: what keras.ops calls (and ``TFOpLambda``) do to the time axis
* :mod:`.lambdas`     Lambda functions read as data (mask argument, identity functions)
* :mod:`.lambda_code` the bounded reader of marshalled code objects the Lambda helpers use
* :mod:`.cudnn`       :func:`cudnn_eligible`: whether an LSTM/GRU takes the cuDNN path
* :mod:`.mask_value`  :func:`bad_mask_value`: Masking values that can never match
* :mod:`.third_party` KerasHub/keras_nlp, keras-self-attention, keras-tcn and TensorFlow Addons layers, matched
  by package (:func:`third_party_spec`)

The names below are re-exported, so ``from masklint import knowledge as K; K.lookup(...)`` works.
The Lambda helper ``lambdas.lambda_code`` is not: ``knowledge.lambda_code`` is the reader module,
loaded only when a Lambda function is first read (it imports :mod:`dataclasses`, kept off the
static path).
"""
from __future__ import annotations

from .axes import _int_tuple  # noqa: F401  (private, but flow.py uses K._int_tuple)
from .behaviour import Behaviour, resolve
from .cudnn import cudnn_eligible
from .lambdas import is_identity_fn, is_identity_mask_fn, lambda_code_bytes, lambda_mentions_mask
from .layers import (
    ALIASES,
    ATTENTION_CLASSES,
    BEHAVIOUR_ARGS,
    CLEARS_INPUT_MASKS,
    CONVLSTM_CLASSES,
    CUSTOM_KINDS,
    LAYERS,
    POSITIONAL_ARGS,
    RNN_CLASSES,
    ZERO_ACTIVATIONS,
    Spec,
    canonical,
    custom_spec,
    lookup,
)
from .mask_value import bad_mask_value
from .third_party import THIRD_PARTY, is_embedding, third_party_key, third_party_spec
from .ops import (
    OP_CONTRACT,
    OP_POSITIONAL,
    OP_REDUCE,
    OP_RESHAPE,
    TF_POSITIONAL,
    TF_REDUCE_PREFIX,
    op_mixes_time,
)

__all__ = [
    "ALIASES", "ATTENTION_CLASSES", "BEHAVIOUR_ARGS", "CLEARS_INPUT_MASKS", "CONVLSTM_CLASSES", "CUSTOM_KINDS",
    "LAYERS", "OP_CONTRACT", "OP_POSITIONAL", "OP_REDUCE", "OP_RESHAPE", "POSITIONAL_ARGS", "RNN_CLASSES",
    "TF_POSITIONAL", "TF_REDUCE_PREFIX", "THIRD_PARTY", "ZERO_ACTIVATIONS", "Behaviour", "Spec", "bad_mask_value",
    "canonical", "cudnn_eligible", "custom_spec", "is_identity_fn", "is_identity_mask_fn", "lambda_code_bytes",
    "lambda_mentions_mask", "is_embedding", "lookup", "op_mixes_time", "resolve", "third_party_key",
    "third_party_spec",
]
