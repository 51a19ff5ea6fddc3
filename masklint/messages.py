"""Turn analysis issues into findings: one message and one fix per root cause."""
from __future__ import annotations

from .findings import Finding
from .flow import Issue


def _q(s) -> str:
    return f"'{s}'"


def _consumer_phrase(iss: Issue) -> str:
    c = iss.consumer
    if c is None:
        return ""
    if c == "loss":
        return "; the loss counts padded steps"
    return f"; {_q(c)} sees padding"


def render(iss: Issue, path: str, source: str = "model", layers=None) -> Finding:
    """The finding of one issue. ``layers`` (optional): a mapping layer path -> Layer of the analysed
    model, used only to name the classes and source lines of the producer and consumer in the
    structured mask path kept in ``Finding.extra["flow"]`` (see :func:`flow_of`)."""
    f = _render(iss, path, source)
    f.extra["flow"] = flow_of(iss, layers)
    return f


def _render(iss: Issue, path: str, source: str) -> Finding:
    d = iss.detail
    lay = iss.culprit
    name = _q(lay.path)
    cls = lay.class_name
    code = iss.code
    consumer = iss.consumer
    fix = None
    if code == "MK001" and d.get("why") == "lambda_time_change":
        msg = (f"Lambda {name} changes the time length from {d.get('t_in')} to {d.get('t_out')} and passes the "
               f"mask from {_q(d.get('origin'))} through its own mask function, which masklint cannot read: "
               f"the mask must be sliced the same way or the next mask consumer fails")
        fix = "check that the mask function slices the mask like the data (run `masklint probe` to confirm)"
    elif code == "MK001":
        msg = (f"{cls} {name} ({d.get('why')}) receives the mask from {_q(d.get('origin'))}; masklint does not "
               f"know whether it keeps, uses or drops it, so it assumed nothing and checks downstream of it "
               f"are off")
        fix = ("set supports_masking=True / compute_mask in the layer if it keeps time steps, or run "
               "`masklint probe` to check it at runtime")
    elif code == "MK101":
        ev = _evidence(d.get("evidence", "padded sequences"), cls)
        src = "" if consumer == lay.path else f" from {cls} {name}"
        msg = f"{_q(consumer)} reads {ev}{src} without a mask, so padded steps are treated as real data"
        fix = f"pass mask_zero=True to {name} (id 0 must be the padding id)" if cls in (
            "Embedding", "ReversibleEmbedding") else "add a Masking layer (or a mask) in front of it"
    elif code == "MK102":
        src = d.get("src")
        src_cls = d.get("src_class") or "a learned layer"
        msg = (f"Masking {name} is applied to the output of {src_cls} {_q(src) if src else ''}".rstrip()
               + ": learned values never equal mask_value, so nothing is masked")
        if d.get("replaced"):
            msg += f", and the real mask from {d.get('replaced_class')} {_q(d['replaced'])} is replaced by an all-True one"
        msg += _consumer_phrase(iss)
        if src_cls in ("Embedding", "ReversibleEmbedding"):
            fix = f"remove {name} and pass mask_zero=True to {_q(src)}"
        else:
            fix = f"remove {name}; put Masking on the raw input (or use Embedding(mask_zero=True))"
    elif code == "MK103":
        if d.get("why") == "before_embedding":
            msg = (f"Masking {name} runs on token ids: on a (batch, time) tensor its mask has one value per "
                   f"sample, and {_q(consumer)} {'replaces' if d.get('replaced') else 'drops'} it")
            fix = f"remove {name} and pass mask_zero=True to {_q(consumer)}"
        else:
            msg = (f"Masking {name} replaces the mask from {d.get('replaced_class')} {_q(d.get('replaced'))} with "
                   f"one computed from its own mask_value, which cannot match it")
            fix = f"remove {name}, or make it the only mask producer"
            msg += _consumer_phrase(iss)
    elif code == "MK104":
        how = d.get("how")
        at_cls = d.get("at_class", cls)
        verb = {
            "drops": f"{at_cls} {name} does not support masking and drops the mask",
            "op": f"the keras.ops call {name} ({at_cls}) drops the mask silently",
            "dot": f"Dot {name} drops the mask silently",
            "merge": f"{at_cls} {name} merges masked and unmasked inputs, so its output has no mask",
            "concat": f"Concatenate {name} joins masked and unmasked inputs along features, so its mask is all True",
            "mha_runtime": (f"{at_cls} {name} has no runtime mask because a MultiHeadAttention before it cleared "
                            f"its inputs' runtime masks (the graph still shows one)"),
        }.get(how, f"{name} drops the mask")
        msg = f"{verb} (mask from {_q(d.get('origin'))})" + (f"; {_q(consumer)} then sees padding"
                                                              if consumer else "")
        if how == "mha_runtime":
            msg = f"{verb} (mask from {_q(d.get('origin'))}); {_q(consumer)} reads its masks from its inputs at run time and attends to padding"
            fix = (f"pass attention_mask= to {_q(consumer)} (e.g. the padding mask of the token ids as "
                   f"mask[:, None, :]), or build the blocks with keras_hub's TransformerEncoder and padding_mask")
        elif how == "merge" or how == "concat":
            fix = "mask every input of the merge (e.g. apply the mask producer to each branch) or merge after the consumer"
        elif how in ("op", "dot"):
            fix = "wrap the computation in a layer that supports masking, or apply it after the consumer"
        elif at_cls == "Lambda":
            fix = f"pass mask=lambda inputs, mask: mask to {name} (if it keeps time steps)"
        else:
            fix = f"move {name} after {_q(consumer) if consumer else 'the consumer'}, or use a mask-aware layer"
    elif code == "MK105":
        why = d.get("why")
        if why == "masking_2d":
            msg = (f"Masking {name} is applied to a 2-D (batch, time) tensor{_shape(d.get('shape'))} with no "
                   f"feature axis: its mask has one value per sample, not per step")
            msg += (f"; {_q(consumer)} cannot use it" if consumer and consumer != "loss"
                    else "; whole all-padding samples drop out of the loss, padded steps are not masked")
            fix = ("give the data a feature axis (x[..., None] with Input((T, 1))), or for token ids use "
                   "Embedding(mask_zero=True)")
        elif why == "masking_highrank":
            msg = (f"Masking {name} is applied to a tensor of rank >= 4, so its mask has shape (batch, time, ...), "
                   f"not (batch, time); it is carried on unchanged (TimeDistributed keeps it) and "
                   f"{_q(consumer)} ({d.get('consumer_class')}) crashes at call time")
            fix = "compute the mask on a (batch, time, features) view, or pass an explicit (batch, time) mask"
        elif why == "embedding_float":
            msg = (f"Embedding {name} with mask_zero=True receives {d.get('dtype')} input of rank {d.get('rank')} "
                   f"(float frames), so its mask is not a (batch, time) mask")
            fix = "feed integer token ids of shape (batch, time), or use Masking on float features"
        else:
            msg = f"{name} computes a mask of the wrong rank"
    elif code == "MK106":
        msg = f"Masking {name} has mask_value={d.get('value')!r}: {d.get('why')}"
        fix = "use the value the data is actually padded with (e.g. 0.0 or -1.0)"
    elif code == "MK107":
        how = d.get("how")
        if d.get("op"):
            msg = (f"{name} ({cls}) {how} a masked sequence (mask from {_q(d.get('origin'))}) and ignores the mask")
            if d.get("rs"):
                msg += ("; masked steps of a return_sequences output hold carried or zero outputs "
                        "(cuDNN writes zeros)")
            fix = "use the RNN's return_sequences=False output (it is the last valid step), or a mask-aware pooling"
        elif how:
            msg = f"{cls} {name} {how} a masked sequence (mask from {_q(d.get('origin'))}), mixing padding into valid steps"
            fix = "normalize over the feature axis (axis=-1)"
        else:
            msg = (f"{cls} {name} mixes time steps of a masked sequence (mask from {_q(d.get('origin'))}) and "
                   f"ignores the mask, so padding leaks into valid steps")
            fix = ("use a mask-aware layer (GlobalAveragePooling1D, an RNN or attention) or zero the padding and "
                   "keep the mask")
        msg += (f"; {_q(consumer)} is affected" if consumer and consumer != "loss" else "")
    elif code == "MK108":
        why = d.get("why")
        if why == "softmax":
            msg = (f"Softmax layer {name} receives a (batch, time) mask from {_q(d.get('origin'))} on a rank-"
                   f"{d.get('rank')} tensor: the model builds, but every call raises 'The mask must be "
                   f"broadcastable to inputs'")
            fix = "use Activation('softmax'), or pass an explicit mask of the input's shape"
        elif why == "time_change":
            msg = (f"Lambda {name} passes the mask on (mask=) but changes the time length from {d.get('t_in')} "
                   f"to {d.get('t_out')}: the stale mask crashes the next mask consumer")
            fix = "slice the mask the same way in the Lambda's mask function"
        else:
            msg = f"{name} receives a mask whose shape makes the call crash"
    elif code == "MK109":
        why = d.get("why")
        if why == "mha_residual":
            msg = (f"{cls} {name} merges a tensor that MultiHeadAttention was called on: MHA clears that tensor's "
                   f"runtime mask, so the model output has no mask at run time although the graph shows one, "
                   f"and the loss averages over padded steps")
            fix = "compute the output head as TimeDistributed(...) (its recorded mask is replayed) or pass the padding mask as sample_weight"
        elif why == "repeat_head":
            msg = (f"{cls} {name} builds a new time axis for the sequence output after the mask from "
                   f"{_q(d.get('origin'))} was consumed, so the loss averages over padded steps")
            fix = "pass sample_weight=(y != pad) to fit, or mask the decoder input"
        else:
            msg = (f"{d.get('at_class', cls)} {name} drops the mask created by {_q(d.get('origin'))} before the "
                   f"model's sequence output, so the loss averages over padded steps")
            fix = "keep the mask to the output (use mask-aware layers, e.g. TimeDistributed(Dense)) or pass sample_weight"
    elif code == "MK201":
        po = d.get("pad_origin")
        where = f" (line {po.line})" if po is not None and po.line else ""
        producer = f"Embedding {name} with mask_zero=True masks id 0" if d.get("mask_zero") else (
            f"Masking {name} masks steps equal to {d.get('mask_value')!r}")
        msg = (f"the data is padded with {d.get('pad')!r} by {d.get('how')}{where}, but {producer}: padded "
               f"steps are not masked{'' if not consumer else f'; {_q(consumer)} sees padding'}")
        fix = (f"pad with 0 (value=0) or shift the ids" if d.get("mask_zero")
               else f"use Masking(mask_value={d.get('pad')!r}) or pad with value={d.get('mask_value')!r}")
    elif code == "MK204":
        msg = (f"{cls} left-pads the data fed to the masked, "
               f"cuDNN-eligible {d.get('rnn_class')} {_q(consumer)}: on a GPU, compiled fit/predict fail "
               f"cuDNN's right-padding assertion")
        fix = ("pass padding='post' to pad_sequences" if cls == "pad_sequences" else "pad after the data") + \
            ", or use_cudnn=False on the RNN"
    elif code == "MK202" and d.get("why") == "vocab_from_zero":
        msg = (f"the token ids padded here come from a vocabulary enumerated from 0, so the first word gets id 0, "
               f"and Embedding {_q(consumer)} with mask_zero=True masks it as padding")
        fix = "number the vocabulary from 1 (enumerate(words, start=1)) and size the Embedding len(words) + 1"
    elif code == "MK202" and d.get("why") == "int_truncation":
        msg = (f"pad_sequences gets fractional values but converts them to dtype={d.get('dtype')!r}: "
               f"values below 1 become 0, the padding value, and are masked or lost")
        fix = "pass dtype='float32' to pad_sequences"
    elif code == "MK202":
        msg = (f"{cls} {name} has no mask token, so index 0 is its OOV (unknown-token) index, and "
               f"Embedding {_q(consumer)} with mask_zero=True masks every unknown token as if it were padding")
        fix = f"pass mask_token='' (or 0 for IntegerLookup) to {name}, so 0 is reserved for padding"
    elif code == "MK203":
        msg = (f"Embedding {name} has input_dim=len({d.get('vocab')}), but Tokenizer ids run from 1 to "
               f"len({d.get('vocab')}) (0 is kept for padding): the largest id is out of range (an error on CPU, "
               f"silent zeros on GPU)")
        fix = f"use input_dim=len({d.get('vocab')}) + 1"
    elif code == "MK205":
        msg = (f"the targets are padded by {cls}, but the model's sequence output carries no mask: the loss "
               f"averages over the padded steps")
        fix = ("mask the input (Embedding(mask_zero=True) or Masking) so the output keeps the mask, or pass "
               "sample_weight=(y != pad) to fit")
    else:  # pragma: no cover
        msg = code
    return Finding(code=code, message=msg, fix=fix, path=path, layer=lay.path,
                   consumer=None if consumer == "loss" else consumer, source=source,
                   line=lay.line, column=lay.column)


def _evidence(ev, culprit_class: str) -> str:
    """MK101 evidence: a text, or a PaddingFact (formatted now that positions are known)."""
    if isinstance(ev, str):
        return ev
    origin = getattr(ev, "origin", None)
    where = f" (line {origin.line})" if origin is not None and origin.line else ""
    what = "token ids" if culprit_class in ("Embedding", "ReversibleEmbedding") else "data"
    return f"{what} padded by {getattr(ev, 'how', 'padding')}{where}"


def _shape(shape) -> str:
    if not shape:
        return ""
    return " of shape (" + ", ".join("None" if x is None else str(x) for x in shape) + ")"


# -- the mask path of a finding, as data (for the Markdown/Mermaid and SARIF reports) --------------
#
# ``how`` says what the culprit does to the mask; the report formats turn it into words and arrows.
_HOW = {
    "MK001": "unknown", "MK101": "missing", "MK102": "masks-nothing", "MK104": "dropped",
    "MK105": "wrong-rank", "MK106": "bad-value", "MK107": "mixed", "MK108": "crash", "MK201": "mismatch",
    "MK202": "real-masked", "MK203": "out-of-range", "MK204": "left-padded", "MK205": "padded-targets",
}


def flow_of(iss: Issue, layers=None) -> dict:
    """Where the mask at stake is created (``producer``), what feeds the culprit when that matters
    (``upstream``: the Embedding under a Masking, the ``pad_sequences`` call), the mask it replaces
    (``replaced``), the culprit and what it does (``how``), and the consumer that sees padding
    (``consumer``, or ``"loss"``). Each role has ``<role>`` (layer path or None), ``<role>_class`` and
    ``<role>_line`` (source positions, where known)."""
    d = iss.detail
    lay = iss.culprit
    code = iss.code
    how = _HOW.get(code, "other")
    producer = upstream = replaced = None
    upstream_layer = None
    producer_class = upstream_class = replaced_class = consumer_class = None
    why = d.get("why")
    if code in ("MK001", "MK104", "MK107") or (code == "MK108" and why == "softmax") or (
            code == "MK109" and why != "mha_residual"):
        producer = d.get("origin")
    if code == "MK109":
        how = {"mha_residual": "cleared", "repeat_head": "new-time-axis"}.get(why, "dropped")
    elif code == "MK001" and why == "lambda_time_change":
        how = "time-change"
    elif code == "MK108" and why == "time_change":
        how = "time-change"
    elif code == "MK103":
        if why == "before_embedding":
            how = "replaced" if d.get("replaced") else "dropped-by-consumer"
            producer = lay.path
        else:
            how = "replaced"
            replaced, replaced_class = d.get("replaced"), d.get("replaced_class")
            producer = lay.path
    elif code == "MK102":
        upstream, upstream_class = d.get("src"), d.get("src_class")
        upstream_layer = d.get("src_layer")
        replaced, replaced_class = d.get("replaced"), d.get("replaced_class")
        producer = lay.path
    elif code in ("MK105", "MK106") or (code == "MK201"):
        producer = lay.path
        if code == "MK201":
            upstream_layer = d.get("pad_origin")
            if upstream_layer is not None:
                upstream, upstream_class = upstream_layer.path, upstream_layer.class_name
    elif code == "MK104" and d.get("how") in ("merge", "concat"):
        how = "dropped"
    if code == "MK105" and why == "masking_highrank":
        consumer_class = d.get("consumer_class")
    consumer = iss.consumer
    flow = {"how": how, "detail": d.get("how") if isinstance(d.get("how"), str) else None}
    index = layers if layers is not None else {}

    def put(role, path, cls=None, layer=None):
        if layer is None and path is not None:
            layer = index.get(path)
        if layer is not None and cls is None:
            cls = layer.class_name
        flow[role] = path
        flow[role + "_class"] = cls
        flow[role + "_line"] = getattr(layer, "line", None)

    put("producer", producer, producer_class, lay if producer == lay.path else None)
    put("upstream", upstream, upstream_class, upstream_layer)
    put("replaced", replaced, replaced_class)
    put("culprit", lay.path, d.get("at_class") or lay.class_name, lay)
    put("consumer", consumer, consumer_class if consumer != "loss" else None)
    return flow
