"""Third-party layers that real sequence and Transformer code uses, as data: what each does to a mask.

A third-party layer is matched by its *package* and class, never by its class name alone (keras-io
examples define their own ``TransformerEncoder`` and ``TokenAndPositionEmbedding`` classes, which do
something else): a saved model names the package in ``registered_name`` (``keras_hub>TransformerEncoder``)
or in ``module`` (``keras_hub.src.layers.modeling.transformer_encoder``, ``tcn.tcn``); the source front end
names it in the same ``registered_name`` form (:mod:`masklint.frontends.source.more_calls`). KerasHub's old
name ``keras_nlp`` maps to ``keras_hub`` (the same classes, the same behaviour); a tf.keras ``.h5`` of
TensorFlow Addons stores ``Addons>CRF`` as its class name.

Every entry says where its behaviour comes from: keras-hub 0.32.0 is installed here and each claim is
measured in ``tests/test_knowledge_third_party.py``; keras-self-attention, keras-tcn and TensorFlow Addons
do not install here, and the test names the file each behaviour was read from.

Mask kinds beyond those of :mod:`.layers`:

``transformer``  KerasHub ``TransformerEncoder``/``TransformerDecoder`` and keras-self-attention's
    ``SeqSelfAttention``: self-attention that reads the implicit mask of its input unless an explicit
    padding/attention mask is passed (``padding_mask``, ``decoder_padding_mask``, ``encoder_padding_mask``,
    ``*_attention_mask``), and whose output carries the input's mask (``supports_masking=True``, the
    default ``compute_mask``). The decoder's self-attention is causal by default, so it reads only the
    cross-attention's (encoder) mask then.

A new time kind ``mix``: the time axis is kept and every output step depends on every input step
(FNetEncoder's Fourier transform over time).
"""
from __future__ import annotations

from .layers import Spec

#: a module's top package, or a registered-name package, -> the package the table is keyed by
PACKAGES = {
    "keras_hub": "keras_hub", "keras_nlp": "keras_hub",
    "keras_self_attention": "keras_self_attention",
    "tcn": "tcn", "keras_tcn": "tcn",
    "tensorflow_addons": "tensorflow_addons", "Addons": "tensorflow_addons", "tfa": "tensorflow_addons",
}

_EMBED = Spec("create", "embed", "learned")  # only with mask_zero=True, see third_party_spec()
_NO_MASK = Spec("drop", "step", "learned")  # supports_masking=False, per step: the mask is destroyed
_TRANSFORMER = Spec("transformer", "step", "learned", call_mask=True, consumer=True)
_S2S_ATTENTION = Spec("consume", "other", "learned", call_mask=True, consumer=True)

#: ``package>Class`` -> behaviour (for the default arguments; :func:`third_party_spec` applies the arguments)
THIRD_PARTY: dict[str, Spec] = {
    # --- KerasHub / keras_nlp (keras_hub/src/layers/modeling/*.py, measured)
    "keras_hub>TokenAndPositionEmbedding": _EMBED,  # supports_masking = token_embedding.supports_masking
    "keras_hub>ReversibleEmbedding": _EMBED,  # a keras.layers.Embedding subclass
    "keras_hub>TransformerEncoder": _TRANSFORMER,
    "keras_hub>TransformerDecoder": _TRANSFORMER,
    "keras_hub>FNetEncoder": Spec("drop", "mix", "learned"),  # FFT over time; no supports_masking
    "keras_hub>PositionEmbedding": _NO_MASK,
    "keras_hub>SinePositionEncoding": _NO_MASK,
    "keras_hub>RotaryEmbedding": _NO_MASK,
    "keras_hub>MaskedLMHead": Spec("drop", "other", "learned"),  # gathers mask_positions
    "keras_hub>StartEndPacker": Spec("drop", "other", "keep"),  # preprocessing: a padding source
    # --- keras-self-attention (CyberZHG/keras-self-attention, read)
    "keras_self_attention>SeqSelfAttention": _TRANSFORMER,
    "keras_self_attention>SeqWeightedAttention": Spec("consume", "gpool", "learned", call_mask=True,
                                                      consumer=True),
    # --- keras-tcn (philipperemy/keras-tcn tcn/tcn.py, read): no mask support
    "tcn>TCN": Spec("drop", "conv", "learned"),
    # --- TensorFlow Addons (tensorflow/addons, read)
    "tensorflow_addons>CRF": Spec("propagate", "rnn", "learned", call_mask=True, consumer=True),
    "tensorflow_addons>BahdanauAttention": _S2S_ATTENTION,
    "tensorflow_addons>LuongAttention": _S2S_ATTENTION,
    "tensorflow_addons>BahdanauMonotonicAttention": _S2S_ATTENTION,
    "tensorflow_addons>LuongMonotonicAttention": _S2S_ATTENTION,
}

#: constructor parameters in order (model code: ``TCN(64, 3)``, ``TokenAndPositionEmbedding(V, L, D)``)
THIRD_PARTY_POSITIONAL: dict[str, tuple[str, ...]] = {
    "keras_hub>TokenAndPositionEmbedding": ("vocabulary_size", "sequence_length", "embedding_dim",
                                            "tie_weights", "embeddings_initializer", "mask_zero"),
    "keras_hub>ReversibleEmbedding": ("input_dim", "output_dim", "tie_weights", "embeddings_initializer",
                                      "embeddings_regularizer", "embeddings_constraint", "mask_zero"),
    "keras_hub>TransformerEncoder": ("intermediate_dim", "num_heads"),
    "keras_hub>TransformerDecoder": ("intermediate_dim", "num_heads"),
    "keras_hub>FNetEncoder": ("intermediate_dim",),
    "keras_hub>StartEndPacker": ("sequence_length", "start_value", "end_value", "pad_value",
                                 "return_padding_mask"),
    "tcn>TCN": ("nb_filters", "kernel_size", "nb_stacks", "dilations", "padding", "use_skip_connections",
                "dropout_rate", "return_sequences"),
    "keras_self_attention>SeqSelfAttention": ("units", "attention_width", "attention_type", "return_attention"),
    "keras_self_attention>SeqWeightedAttention": ("use_bias", "return_attention"),
    "tensorflow_addons>CRF": ("units",),
}

#: the call's keyword arguments that give a layer its mask explicitly, per input the layer reads:
#: ``(input keyword, input position, explicit mask keywords)``; Keras' implicit mask is read otherwise
MASK_READS: dict[str, tuple[tuple[str, int, tuple[str, ...]], ...]] = {
    "keras_hub>TransformerEncoder": (("inputs", 0, ("padding_mask", "attention_mask")),),
    # the self-attention is causal unless use_causal_mask=False (see reads_decoder())
    "keras_hub>TransformerDecoder": (("encoder_sequence", 1, ("encoder_padding_mask", "encoder_attention_mask")),),
    "keras_self_attention>SeqSelfAttention": (("inputs", 0, ()),),
}
_DECODER_SELF = ("decoder_sequence", 0, ("decoder_padding_mask", "decoder_attention_mask"))

#: where the query (the sequence whose mask the output carries) is: keyword and position
QUERY_INPUT = {"keras_hub>TransformerDecoder": ("decoder_sequence", 0)}

#: arguments that change the behaviour: unresolved in model code (None), masklint does not decide
_BEHAVIOUR_ARGS = {
    "keras_hub>TokenAndPositionEmbedding": ("mask_zero",), "keras_hub>ReversibleEmbedding": ("mask_zero",),
    "tcn>TCN": ("return_sequences", "padding"),
    "keras_self_attention>SeqSelfAttention": ("return_attention", "attention_width", "history_only"),
    "keras_self_attention>SeqWeightedAttention": ("return_attention",),
}


def third_party_key(class_name, module, registered_name) -> str | None:
    """``package>Class`` of a third-party layer masklint knows, else None."""
    pkg = cls = None
    for name in (registered_name, class_name):
        if isinstance(name, str) and ">" in name:
            pkg, cls = name.split(">", 1)
            break
    if pkg is None and isinstance(module, str) and isinstance(class_name, str):
        pkg, cls = module.split(".", 1)[0], class_name
    pkg = PACKAGES.get(pkg)
    if pkg is None:
        return None
    key = f"{pkg}>{cls}"
    return key if key in THIRD_PARTY else None


def layer_key(lay) -> str | None:
    """:func:`third_party_key` of an IR layer."""
    return third_party_key(lay.class_name, lay.module, lay.registered_name)


def third_party_spec(lay) -> Spec | None:
    """The behaviour of a known third-party layer with its arguments; None when unknown or undecided."""
    key = layer_key(lay)
    if key is None:
        return None
    cfg = lay.config if isinstance(lay.config, dict) else {}
    for arg in _BEHAVIOUR_ARGS.get(key, ()):
        if arg in cfg and cfg[arg] is None:  # passed, but model code masklint could not resolve
            return None
    spec = THIRD_PARTY[key]
    if spec is _EMBED:
        return spec if cfg.get("mask_zero") is True else Spec("drop", "embed", "learned")
    if key == "tcn>TCN":
        # causal (default): an output step sees only earlier steps; with return_sequences=False (default)
        # the layer returns the last step (a padded one under post padding), or the middle one with "same"
        if not cfg.get("return_sequences", False):
            return Spec("drop", "gpool", "learned")
        return Spec("drop", "step" if cfg.get("padding", "causal") == "causal" else "mix", "learned")
    return spec


def is_embedding(lay) -> bool:
    """An Embedding-like layer (token ids -> vectors, ``mask_zero`` makes the mask): Keras' own, or KerasHub's."""
    from .layers import canonical

    if canonical(lay.class_name) in ("Embedding", "ReversibleEmbedding"):
        return True
    key = layer_key(lay)
    return key is not None and THIRD_PARTY[key] is _EMBED


def mask_reads(lay, config_kwargs: dict) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """The inputs a ``transformer`` layer attends over, with the keywords that pass their mask explicitly."""
    key = layer_key(lay)
    reads = MASK_READS.get(key, (("inputs", 0, ()),))
    if key == "keras_hub>TransformerDecoder" and config_kwargs.get("use_causal_mask", True) is not True:
        reads = (_DECODER_SELF,) + reads
    return reads


def query_input(lay) -> tuple[str, int]:
    return QUERY_INPUT.get(layer_key(lay), ("inputs", 0))


def returns_attention(lay) -> bool:
    cfg = lay.config if isinstance(lay.config, dict) else {}
    return layer_key(lay) in ("keras_self_attention>SeqSelfAttention",
                              "keras_self_attention>SeqWeightedAttention") and bool(cfg.get("return_attention"))
