"""KerasHub's ``StartEndPacker`` as padding evidence, a mixin of the interpreter
(:class:`~.interpreter.Extractor`).

``keras_hub.layers.StartEndPacker(sequence_length=N, pad_value=..., padding_side=...)`` called on token
ids (a tokenizer's output, in a ``tf.data`` ``map`` or directly) returns ids of length ``N`` padded with
``pad_value`` (0 when not given) at the end, or at the start with ``padding_side="left"``; with
``return_padding_mask=True`` it returns ``(ids, padding_mask)``
(``keras_hub/src/layers/preprocessing/start_end_packer.py``; measured in
``tests/test_knowledge_third_party.py``). ``keras_nlp.layers.StartEndPacker`` is the same class.
"""
from __future__ import annotations

from ...knowledge.third_party import layer_key
from .values import UNKNOWN, Arr, Const, _tensors

PACKER = "keras_hub>StartEndPacker"
_SIDES = {"right": "post", "left": "pre"}


class HubPadding:
    """The host provides ``pad_fact`` and the ``call_layer`` this extends."""

    def call_layer(self, obj, args, kwargs, node):
        lay = obj.layer
        if args and not _tensors(args[0]) and lay.custom is None and layer_key(lay) == PACKER:
            return self.packed(lay, node)
        return super().call_layer(obj, args, kwargs, node)

    def packed(self, lay, node):
        cfg = lay.config
        side = _SIDES.get(cfg.get("padding_side", "right"))  # unresolved or unknown: no padding fact
        if side is None:
            return UNKNOWN
        # absent: 0; passed but not resolved by masklint (None): padded with an unknown value
        value = cfg.get("pad_value", 0)
        if isinstance(value, bool) or not isinstance(value, (int, type(None))):
            return UNKNOWN  # a string pad value: ids are made later by a vocabulary lookup
        n = cfg.get("sequence_length")
        n = n if isinstance(n, int) and not isinstance(n, bool) else None
        fact = self.pad_fact(value, side, "int32", lay.cst if lay.cst is not None else node, "StartEndPacker")
        arr = Arr((None, n), "int32", pad=fact)
        rpm = cfg.get("return_padding_mask", False)
        if rpm is True:
            return Const((arr, UNKNOWN))
        return arr if rpm is False else UNKNOWN
