"""MK104 mask-dropped: a masked tensor loses its mask before a consumer that needs it -- a layer that
does not support masking, a ``keras.ops`` call or operator, ``Dot``, a merge of masked and unmasked
inputs, or (at run time) a MultiHeadAttention whose inputs' runtime masks an earlier MHA cleared."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK104", "mask-dropped", "error", "a masked tensor loses its mask before a consumer that needs it")


@record
class MaskDropped(Record):
    """``how``: ``"drops"`` (no mask support), ``"op"`` (a keras.ops call), ``"dot"``, ``"merge"`` (masked and
    unmasked inputs), ``"concat"`` (Concatenate on features: all-True), ``"mha_runtime"`` (the consumer MHA
    reads runtime masks an earlier MHA cleared; the culprit is the layer that merged them away), ``"keras316"``
    (on Keras >= 3.16 an RNN, Bidirectional or TimeDistributed consumes the mask but its output has none,
    keras-team/keras#23235: see ``knowledge/versions.py``)."""

    RULE = RULE
    HOW = "dropped"
    culprit: object
    consumer: str | None = None
    how: str | None = None
    origin: str | None = None  # path of the layer that created the lost mask
    at_class: str | None = None  # the culprit's class as the analysis saw it
    inside: object = None  # the custom layer (source) whose call dropped the mask it was given

    def _cls(self) -> str:
        return self.at_class or self.culprit.class_name

    def message(self) -> str:
        name, cls, how = q(self.culprit.path), self._cls(), self.how
        verb = {
            "drops": f"{cls} {name} does not support masking and drops the mask",
            "op": f"the keras.ops call {name} ({cls}) drops the mask silently",
            "dot": f"Dot {name} drops the mask silently",
            "merge": f"{cls} {name} merges masked and unmasked inputs, so its output has no mask",
            "concat": f"Concatenate {name} joins masked and unmasked inputs along features, so its mask is all True",
            "keras316": (f"on Keras >= 3.16, {cls} {name} no longer passes its mask on (supports_masking=False, "
                         f"keras-team/keras#23235)"),
            "mha_runtime": (f"{cls} {name} has no runtime mask because a MultiHeadAttention before it cleared "
                            f"its inputs' runtime masks (the graph still shows one)"),
        }.get(how, f"{name} drops the mask")
        if how == "mha_runtime":
            return (f"{verb} (mask from {q(self.origin)}); {q(self.consumer)} reads its masks from its inputs at "
                    f"run time and attends to padding")
        return f"{verb} (mask from {q(self.origin)})" + (f"; {q(self.consumer)} then sees padding"
                                                         if self.consumer else "")

    def fix(self) -> str:
        name, how = q(self.culprit.path), self.how
        if self.inside is not None:
            lay = self.inside
            if str(self.origin).startswith(lay.path + "/"):  # the mask is made inside the layer
                return (f"return the mask from a compute_mask method of {lay.class_name} {q(lay.path)} (e.g. "
                        f"ops.not_equal(inputs, 0) for token ids padded with 0)")
            return (f"set supports_masking = True in {lay.class_name} {q(lay.path)} if it keeps the time steps "
                    f"(Keras then puts the mask it was given back on its output), or pass the mask on yourself")
        if how == "mha_runtime":
            return (f"pass attention_mask= to {q(self.consumer)} (e.g. the padding mask of the token ids as "
                    f"mask[:, None, :]), or build the blocks with keras_hub's TransformerEncoder and padding_mask")
        if how == "keras316":
            return (f"pass the mask to {q(self.consumer) if self.consumer else 'the consumer'} yourself (mask=, e.g. "
                    f"ops.any(ops.not_equal(x, 0.0), axis=-1) of the model's input), or keep keras<3.16")
        if how in ("merge", "concat"):
            return "mask every input of the merge (e.g. apply the mask producer to each branch) or merge after the consumer"
        if how in ("op", "dot"):
            return "wrap the computation in a layer that supports masking, or apply it after the consumer"
        if self._cls() == "Lambda":
            return f"pass mask=lambda inputs, mask: mask to {name} (if it keeps time steps)"
        return f"move {name} after {q(self.consumer) if self.consumer else 'the consumer'}, or use a mask-aware layer"

    def extra(self) -> dict:
        return {"keras_versions": ">=3.16"} if self.how == "keras316" else {}

    def roles(self) -> dict:
        c = self.culprit
        return self._roles(detail=self.how, producer=(self.origin, None, None), culprit=(c.path, self._cls(), c))
