"""Live-model front end: a built ``keras.Model`` -> the same IR as a saved file, custom layers resolved.

The model's config is produced the way Keras saves it (Functional/Sequential ``get_config``, layer by
layer, so one layer that cannot serialize itself does not stop the rest) and goes through the static
config front end. What a saved file cannot say -- whether a custom or third-party layer supports
masking, and what its ``compute_mask`` does -- is read from the live layer objects and handed to the
analysis as ``known={class_name: Spec}``:

* ``supports_masking=False`` -> ``drop`` (Keras warns and sets no mask on the output);
* ``supports_masking=True`` and ``compute_mask`` not overridden -> ``propagate`` (the default
  ``compute_mask`` returns the incoming mask);
* ``compute_mask`` overridden -> it is called on a small concrete input: a mask from ``compute_mask(x,
  None)`` -> ``create``; ``None`` for a given mask -> ``consume`` (``call`` takes ``mask``) or ``drop``;
  the mask itself -> ``propagate``; anything else -> unknown (unknown-mask-behaviour stays).

Subclassed models (no functional graph) cannot be turned into an IR: the static part is then empty and
says so (:attr:`LiveModel.note`); the probe still runs on them.

Private Keras APIs (``keras.src``, underscored attributes) are used where no public one says enough; when
one of them fails, a ``UserWarning`` names it and says what is weaker without it (never a silent fallback).
"""
from __future__ import annotations

import inspect
import warnings

from .._record import factory, record
from ..errors import LintError


@record
class LiveModel:
    model: object
    graph: object = None  # masklint.ir.Graph, None for subclassed models
    analysis: object = None  # masklint.analysis.Analysis (the probe reads its mask states)
    known: dict = factory(dict)
    resolved: dict = factory(dict)  # custom class name -> behaviour kind read from the live object
    note: str | None = None
    findings: list = factory(list)


def _keras():
    from ..runtime.loading import import_keras

    return import_keras()


def _private_api_failed(api: str, exc: BaseException, weaker: str) -> None:
    """Say that a private Keras API failed and what masklint does without it (never silently)."""
    from ..runtime.loading import one_line

    warnings.warn(f"masklint: keras private API {api} failed ({one_line(exc)}); {weaker}", UserWarning,
                  stacklevel=3)


def _is_keras_class(cls) -> bool:
    mod = getattr(cls, "__module__", "") or ""
    return mod == "keras" or mod.startswith("keras.") or mod.startswith("tf_keras") or mod.startswith("tensorflow.")


def _safe_serialize(layer) -> dict:
    """``serialize_keras_object(layer)``, or a minimal entry (behaviour unknown) when that fails."""
    keras = _keras()
    from keras.src.models.functional import Functional
    from keras.src.models.sequential import Sequential
    from keras.src.saving import serialization_lib

    if isinstance(layer, Sequential) and type(layer) is Sequential:
        return {"module": "keras", "class_name": "Sequential", "registered_name": None,
                "config": sequential_config(layer)}
    if isinstance(layer, Functional) and not isinstance(layer, Sequential):
        try:
            cfg = functional_config(layer)
            return {"module": "keras.src.models.functional", "class_name": "Functional",
                    "registered_name": "Functional", "config": cfg}
        except Exception as exc:  # noqa: BLE001 - fall through to the plain serializer, and say so
            _private_api_failed(
                "keras.src.models.functional (make_node_key, serialize_node, Functional._nodes)", exc,
                f"the nested model {layer.name!r} is serialized by Keras' own get_config instead, which gives up "
                f"on the whole nested model (it becomes one layer of unknown behaviour) when one of its layers "
                f"cannot serialize itself")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return serialization_lib.serialize_keras_object(layer)
    except Exception:  # noqa: BLE001 - a custom layer without a working get_config
        cls = type(layer)
        try:
            reg = keras.saving.get_registered_name(cls)
        except Exception:  # noqa: BLE001
            reg = cls.__name__
        if _is_keras_class(cls):  # a built-in whose config we cannot read: make it unknown
            reg = f"{cls.__name__}@unserializable"
        return {"module": None, "class_name": cls.__name__, "registered_name": reg,
                "config": {"name": layer.name, "trainable": bool(getattr(layer, "trainable", True))}}


def sequential_config(model) -> dict:
    layers = [_safe_serialize(lay) for lay in model._layers]
    cfg = {"name": model.name, "trainable": bool(model.trainable), "layers": layers}
    if getattr(model, "_functional", None) is not None and model._layers and \
            hasattr(model._layers[0], "batch_shape"):
        cfg["build_input_shape"] = list(model._layers[0].batch_shape)
    return cfg


def functional_config(model) -> dict:
    """What ``Functional.get_config`` saves, for any Functional (subclasses too), layer by layer."""
    import keras.src.models.functional as F
    from keras import tree

    make_node_key = getattr(F, "make_node_key")
    serialize_node = getattr(F, "serialize_node")
    reindex = {}
    for op in model.operations:
        kept = 1 if issubclass(op.__class__, F.Functional) else 0
        for i, _ in enumerate(op._inbound_nodes):
            key = make_node_key(op, i)
            if key in model._nodes:
                reindex[key] = kept
                kept += 1
    layers = []
    for op in model.operations:
        inbound = []
        for i, node in enumerate(op._inbound_nodes):
            if make_node_key(op, i) in model._nodes:
                data = serialize_node(node, own_nodes=model._nodes)
                if data is not None:
                    inbound.append(data)
        entry = _safe_serialize(op)
        entry["name"] = op.name
        entry["inbound_nodes"] = inbound
        layers.append(entry)

    def tensor_ref(t):
        op, ni, ti = t._keras_history
        return [op.name, reindex[make_node_key(op, ni)], ti]

    return {"name": model.name, "trainable": bool(model.trainable), "layers": layers,
            "input_layers": tree.map_structure(tensor_ref, model._inputs_struct),
            "output_layers": tree.map_structure(tensor_ref, model._outputs_struct)}


def model_config(model) -> dict | None:
    """``{class_name, config}`` of a Functional/Sequential model; None for subclassed models."""
    from keras.src.models.functional import Functional
    from keras.src.models.sequential import Sequential

    if isinstance(model, Sequential):
        cfg = {"class_name": "Sequential", "config": sequential_config(model)}
    elif isinstance(model, Functional):
        cfg = {"class_name": "Functional", "config": functional_config(model)}
    else:
        return None
    return _as_json(cfg)


def _as_json(obj):
    """The config as it would be saved: a JSON round trip (tuples -> lists, odd objects -> text)."""
    import json

    def default(o):
        try:
            import numpy as np

            if isinstance(o, np.generic):
                return o.item()
            if isinstance(o, np.ndarray):
                return o.tolist()
        except ImportError:  # pragma: no cover
            pass
        return repr(o)

    return json.loads(json.dumps(obj, default=default))


# -- custom layers ---------------------------------------------------------------------------------
def _call_takes_mask(layer) -> bool:
    try:
        return "mask" in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False


def _overrides_compute_mask(layer) -> bool:
    from keras.src.utils.python_utils import is_default

    return not is_default(layer.compute_mask)


def _eval_compute_mask(layer) -> str | None:
    """Call an overridden ``compute_mask`` on a concrete input: create / consume / drop / propagate."""
    import numpy as np

    keras = _keras()
    nodes = getattr(layer, "_inbound_nodes", None) or []
    # the data inputs of the first call (a recorded mask kwarg is an input tensor too: skip booleans)
    data = [t for t in (nodes[0].input_tensors if nodes else []) if "bool" not in str(getattr(t, "dtype", ""))]
    if len(data) != 1:
        return None
    kt = data[0]
    shape = list(kt.shape)
    if len(shape) < 2:
        return None
    shape = [2 if i == 0 and d is None else (5 if d is None else d) for i, d in enumerate(shape)]
    t = shape[1]
    dtype = str(getattr(kt, "dtype", "float32"))
    x = keras.ops.convert_to_tensor(np.ones(shape, dtype="int32" if "int" in dtype else "float32"))
    mask = np.ones(shape[:2], dtype=bool)
    if t > 1:
        mask[0, t // 2 + 1:] = False
    m = keras.ops.convert_to_tensor(mask)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r0 = layer.compute_mask(x, None)
            r1 = layer.compute_mask(x, m)
    except Exception:  # noqa: BLE001 - user code; unknown then
        return None
    if r0 is not None:
        return "create"
    if r1 is None:
        return "consume" if _call_takes_mask(layer) else "drop"
    if r1 is m:
        return "propagate"
    try:
        arr = keras.ops.convert_to_numpy(r1)
        if arr.shape == mask.shape and bool((arr.astype(bool) == mask).all()):
            return "propagate"
    except Exception:  # noqa: BLE001
        return None
    return None


def layer_kind(layer) -> str | None:
    """The mask behaviour of one live custom layer (a :data:`knowledge.CUSTOM_KINDS` key) or None."""
    keras = _keras()
    if isinstance(layer, keras.Model):
        return None  # nested subclassed models: the mask may flow through their layers at runtime
    if not getattr(layer, "supports_masking", False):
        return "drop"
    if not _overrides_compute_mask(layer):
        return "propagate"
    return _eval_compute_mask(layer)


def known_specs(model) -> tuple[dict, dict]:
    """``({name: Spec}, {class name: kind})`` for every custom (non-Keras) layer class in the model."""
    from .. import knowledge as K
    from ..rules.mk001_unknown_mask_behaviour import UnknownMaskBehaviour

    keras = _keras()
    known: dict = {}
    kinds: dict = {}
    try:
        layers = list(model._flatten_layers(include_self=False, recursive=True))
    except Exception as exc:  # noqa: BLE001 - the top-level layers only, and say so
        _private_api_failed(
            "Layer._flatten_layers", exc,
            "only the model's top-level layers (model.layers) are read for custom mask behaviour: custom layers "
            "inside wrappers or nested models are not resolved from the live objects (they may be reported as "
            f"unknown, {UnknownMaskBehaviour.RULE.code})")
        layers = list(getattr(model, "layers", []))
    for lay in layers:
        cls = type(lay)
        if _is_keras_class(cls) or K.third_party_key(cls.__name__, cls.__module__, None) is not None:
            continue  # KerasHub, keras-tcn...: the knowledge table says more (knowledge/third_party.py)
        kind = layer_kind(lay)
        kinds[cls.__name__] = kind
        if kind is None:
            continue
        spec = K.custom_spec(kind)
        if kind == "propagate" and _call_takes_mask(lay):
            spec = K.Spec(spec.mask, spec.time, spec.values, True, False)
        try:
            reg = keras.saving.get_registered_name(cls)
        except Exception:  # noqa: BLE001
            reg = cls.__name__
        for key in {cls.__name__, reg}:
            if key in known and known[key] != spec:
                known.pop(key)  # two classes of one name that behave differently: unknown
                continue
            known[key] = spec
    return known, kinds


def analyse(model, path: str | None = None, known: dict | None = None) -> LiveModel:
    """Static analysis of a live model; ``known`` (e.g. from configuration) fills what the live objects
    cannot tell."""
    from ..config_frontend import build_model_graph
    from ..ir import ModelIR
    from ..lint import analyse_ir, findings_of

    keras = _keras()
    if not isinstance(model, keras.Model):
        raise LintError(f"expected a keras.Model, got {type(model).__name__}")
    label = path or model.name
    live = LiveModel(model=model)
    live_known, live.resolved = known_specs(model)
    merged = dict(known or {})
    merged.update(live_known)  # what the live object says beats a declaration
    live.known = merged
    cfg = model_config(model)
    if cfg is None:
        live.note = (f"{type(model).__name__} is a subclassed model: it has no layer graph, so the static checks "
                     f"are skipped (the probe still runs)")
        return live
    try:
        live.graph = build_model_graph(cfg)
    except RecursionError:
        raise LintError("model is nested too deeply to analyse") from None
    # the same analysis and rendering as a saved file, with the live objects' knowledge
    # a live model runs on the Keras that built it, whatever target is configured (knowledge/versions.py)
    ir = ModelIR(graph=live.graph, source="model", path=label, format="live", keras_version=keras.__version__,
                 backend=keras.backend.backend())
    live.analysis = analyse_ir(ir, merged)
    live.findings = findings_of(live.analysis, ir)
    return live

