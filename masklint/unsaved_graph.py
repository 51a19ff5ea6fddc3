"""Saved models whose layer graph is not in their config: lint what the config shows, say the rest.

A subclassed model (``class Encoder(keras.Model)``) saves its constructor arguments, not its layers;
a KerasHub preset's ``config.json`` holds the backbone's hyperparameters. Neither is an error: the
file is linted for what its config holds (model configs passed as constructor arguments, e.g. a
``backbone`` given to a task model, are linted as nested models under that argument's name) and one
note says that the graph is not saved and how to check the live model. A config of a single
built-in Keras layer is still not a model (the loader's error).
"""
from __future__ import annotations

from .config_frontend import MODEL_CLASSES, build_graph
from .errors import LintError
from .ir import ModelIR
from .notes import GRAPH_NOT_SAVED

MAX_NESTED = 32
MAX_DEPTH = 8


def _is_graph(entry) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        return False
    cfg = entry.get("config")
    if isinstance(cfg, list):
        return entry["class_name"] == "Sequential"
    return isinstance(cfg, dict) and isinstance(cfg.get("layers"), list)


def _builtin_layer(model: dict) -> bool:
    """A config of one built-in Keras layer (not a model of any kind)."""
    from .knowledge.layers import ALIASES, LAYERS

    cls = model["class_name"]
    module = model.get("module")
    reg = model.get("registered_name")
    return ((cls in LAYERS or cls in ALIASES) and (not isinstance(module, str) or module.startswith("keras"))
            and (reg is None or reg == cls or (isinstance(reg, str) and reg.startswith("keras"))))


def graph_note(model: dict, fmt: str | None = None) -> str | None:
    """The note for a saved model whose layer graph is not in ``model`` (``{class_name, config}``),
    else None (its graph is there, or it is a single built-in layer: not a model)."""
    cls = model.get("class_name")
    if not isinstance(cls, str) or cls in MODEL_CLASSES or _is_graph(model) or _builtin_layer(model):
        return None
    module = model.get("module")
    reg = model.get("registered_name")
    hub = ((isinstance(module, str) and module.startswith("keras_hub"))
           or (isinstance(reg, str) and reg.startswith("keras_hub")))
    if fmt == "preset" or hub:
        return (f"KerasHub {cls!r}: a preset's config holds the backbone's hyperparameters, not its layer graph, "
                f"so its layers were not linted; {GRAPH_NOT_SAVED}")
    return (f"the layer graph of {cls!r} is not saved (a subclassed model: its config holds constructor "
            f"arguments only), so its layers were not linted; {GRAPH_NOT_SAVED}")


def nested_graphs(config) -> list[tuple[str, dict]]:
    """(argument path, model entry) for each model config among the constructor arguments."""
    out: list[tuple[str, dict]] = []
    if not isinstance(config, dict):
        return out
    stack = [(str(k), v, 1) for k, v in reversed(list(config.items()))]
    seen = 0
    while stack and len(out) < MAX_NESTED and seen < 100_000:
        key, value, depth = stack.pop()
        seen += 1
        if _is_graph(value):
            out.append((key, value))
            continue
        if depth >= MAX_DEPTH:
            continue
        if isinstance(value, dict):
            inner = value.get("config") if isinstance(value.get("config"), dict) and "class_name" in value else value
            stack.extend((f"{key}/{k}" if inner is value else key, v, depth + 1)
                         for k, v in reversed(list(inner.items())))
        elif isinstance(value, list):
            stack.extend((key, v, depth + 1) for v in reversed(value))
    return out


def unsaved_parts(mf) -> tuple[str, list[ModelIR]] | None:
    """(the note, the IRs of the model configs among its constructor arguments) of a saved model whose
    graph is not saved; None for any other model."""
    note = graph_note(mf.config, mf.format)
    if note is None:
        return None
    irs = []
    for key, entry in nested_graphs(mf.config.get("config")):
        try:
            graph = build_graph(entry, prefix=key + "/", depth=1)
        except RecursionError:
            raise LintError("model config is nested too deeply") from None
        irs.append(ModelIR(graph=graph, source="model", path=mf.path, format=mf.format,
                           keras_version=mf.keras_version))
    return note, irs
