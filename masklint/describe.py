"""What masklint understood of one file: the models it found and the parts it could not follow
(``masklint models``), so that its silence on a file is never ambiguous.

Never imports TensorFlow or Keras, never imports or runs the file. For source it runs the same front
end as linting (:mod:`masklint.frontends.source`), for saved models the same loader and config front
end (:mod:`masklint.loaders`, :mod:`masklint.config_frontend`).

A source model's ``line`` is that of the call that makes it (``Sequential(...)``, ``Model(...)``, the
instantiation of a subclassed model) when known, else that of its first layer or input.
A model's ``layers`` is the number of distinct layers called in its top-level graph: Keras layers,
custom layers and nested models (one each, like ``model.summary()``), not the inputs and not the
``keras.ops`` calls and tensor operators (``x * m``, ``ops.mean``), which are counted apart in ``ops``
(without the mask computations Keras records in a saved functional model, e.g. an Embedding's
``NotEqual``: those are not the user's code).
"""
from __future__ import annotations

import re

from ._record import factory, record
from .errors import LintError
from .ir import INPUT, LAYER, MODEL, OP, Graph, Layer

#: longest ``what`` shown for an unknown part (code is shortened to this)
MAX_WHAT = 60


@record
class Part:
    """A part of a model masklint could not follow."""

    what: str
    line: int | None
    why: str
    cell: int | None = None  # notebooks: the code cell (``line`` is then within it)


@record
class ModelInfo:
    name: str
    kind: str  # "sequential", "functional", "subclass", "custom layer", "saved"
    line: int | None
    layers: int
    ops: int = 0
    unknown: list = factory(list)  # of Part
    cell: int | None = None  # notebooks: the code cell (``line`` is then within it)


@record
class FileInfo:
    path: str
    models: list = factory(list)  # of ModelInfo
    skipped: str | None = None  # why a file yields no model (or why it could not be read, with error)
    error: bool = False  # the file could not be read or parsed (exit code 2)


def count_layers(g: Graph) -> tuple[int, int]:
    """(layers, ops) called in ``g``'s top level (see the module docstring)."""
    seen: set = set()
    layers = ops = 0
    for n in g.nodes:
        lay = n.layer
        if id(lay) in seen:
            continue
        seen.add(id(lay))
        if lay.kind in (LAYER, MODEL):
            layers += 1
        elif lay.kind == OP and not n.plumbing:  # not the mask computations Keras records itself
            ops += 1
    return layers, ops


def shorten(code: str, limit: int = MAX_WHAT) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[:limit - 3] + "..."


# ---- saved models ------------------------------------------------------------------------------

def saved_unknown(lay: Layer, known: dict | None) -> str | None:
    """Why masklint cannot follow a layer of a saved model (None when it can)."""
    from .knowledge.layers import lookup
    from .knowledge.third_party import third_party_spec

    if lay.kind != LAYER:
        return None
    if known and any(k and k in known for k in (lay.registered_name, lay.class_name)):
        return None
    if third_party_spec(lay) is not None:  # KerasHub, keras-tcn... (knowledge/third_party.py)
        return None
    # a legacy .h5 written by Keras 3 stores a registered class as "package>Class", without a module
    if not lay.is_builtin or ">" in lay.class_name:
        reg = f" (registered as {lay.registered_name!r})" if lay.registered_name not in (None, lay.class_name) else ""
        return (f"custom or third-party class{reg}: its mask behaviour is unknown (declare it in "
                "[tool.masklint] known-mask-layers)")
    if lookup(lay.class_name) is None:
        if lay.module is None:  # a legacy .h5 names no module: a custom class looks like a built-in
            return ("class not in masklint's knowledge table (a custom class, or a Keras class masklint "
                    "does not know): its mask behaviour is unknown")
        return "Keras class missing from masklint's knowledge table: its mask behaviour is unknown"
    return None


def describe_model_file(path: str, known: dict | None = None) -> FileInfo:
    """One entry, kind ``saved``; raises LintError when the file cannot be read as a model."""
    from .config_frontend import build_model_graph
    from .saved_dirs import load_any
    from .unsaved_graph import unsaved_parts

    mf = load_any(path)
    parts = unsaved_parts(mf)  # a subclassed model or a preset: the models among its arguments, and why
    graphs = [ir.graph for ir in parts[1]] if parts else [build_model_graph(mf.config)]
    models = []
    for g in graphs:
        layers, ops = count_layers(g)
        unknown = []
        for lay in g.walk_layers():
            why = saved_unknown(lay, known)
            if why is not None:
                unknown.append(Part(f"{lay.path} ({lay.class_name})", None, why))
        models.append(ModelInfo(g.path.rstrip("/") or g.name, "saved", None, layers, ops, unknown))
    return FileInfo(path, models, skipped=parts[0] if parts and not models else None)


# ---- source ------------------------------------------------------------------------------------

class _At:
    """Something whose line :func:`resolve_positions` fills (a model's or an unknown part's node)."""

    __slots__ = ("cst", "line", "column")

    def __init__(self, node):
        self.cst, self.line, self.column = node, None, None


def _source_why(lay: Layer, followed: set) -> str | None:
    """Why a layer made in source was not followed: ``Layer.why``, else what its marks say; ``followed``
    holds the custom layer classes that were followed, and those taught by ``known-mask-layers``."""
    if lay.why:
        return lay.why
    reg = lay.registered_name or ""
    if reg.startswith("unresolved>"):
        return ("an argument that decides its mask behaviour is not a value masklint can compute "
                "statically")
    if reg.startswith("source>") and lay.class_name not in followed:
        return "custom layer class: its call() is not followed, so its mask behaviour is unknown"
    return None


def _model_of(g: Graph, at: _At | None, module, followed: set) -> ModelInfo:
    layers, ops = count_layers(g)
    line = g.line if g.line is not None else (at.line if at is not None else None)
    if line is None:  # where the model begins: its first input or layer call
        lines = [n.layer.line for n in g.nodes if n.layer.line is not None]
        line = min(lines) if lines else None
    parts: list[Part] = []
    for u in g.unknown:
        parts.append(Part(shorten(u.what), u.line, u.why))
    seen: set = set()
    for lay in g.walk_layers():
        if id(lay) in seen or lay.kind == INPUT:
            continue
        seen.add(id(lay))
        why = _source_why(lay, followed)
        if why is None:
            continue
        code = _code(module, lay.cst)
        parts.append(Part(shorten(code) if code else f"{lay.class_name} {lay.name!r}", lay.line, why))
    parts.sort(key=lambda p: (p.line is None, p.line or 0))
    return ModelInfo(g.name, g.kind, line, layers, ops, parts)


def _made_key(g: Graph) -> tuple:
    if g.kind == "sequential":
        return ("s",) + tuple(id(n.layer) for n in g.nodes[1:])
    return ("f",) + tuple(id(t) for t in g.outputs)


def _made_at(ex) -> dict:
    """Where each model is made (the ``Sequential(...)``/``Model(...)`` call, or the instantiation of a
    subclassed model), by :func:`_made_key`: for graphs whose ``cst`` the front end did not record."""
    out = {}
    for s in getattr(ex, "seqs", ()):
        if s.cst is not None and s.layers and all(o is not None for o in s.layers):
            out[("s",) + tuple(id(o.layer) for o in s.layers)] = s.cst
    for fm in getattr(ex, "funcs", ()):
        if fm.cst is not None:
            out[("f",) + tuple(id(t) for t in fm.outputs)] = fm.cst
    return out


def _site(g: Graph, made) -> tuple:
    """The code a graph comes from: the node that makes it and the calls that build its layers."""
    return (g.kind, id(made)) + tuple(id(n.layer.cst) for n in g.nodes if n.layer.cst is not None)


def _one_per_site(models: list, sites: list) -> list:
    """One model per place in the code, sorted by line. A builder function is followed once on its
    own (its parameters unknown) and again at each call with the arguments given: the same model,
    shown as the run that understood most of it (the fewest unknown parts)."""
    best: dict = {}
    for i, (m, key) in enumerate(zip(models, sites)):
        if key not in best or len(m.unknown) < len(best[key][1].unknown):
            best[key] = (i, m)
    kept = [m for _, m in sorted(best.values(), key=lambda im: im[0])]
    kept = sorted(kept, key=lambda m: (m.line is None, m.line or 0))
    # a Model subclass is followed from its class (never instantiated, it is still a model) and again
    # where it is instantiated: once instantiated, the class's own run (the first, at the class) is dropped
    subs: dict = {}
    for m in kept:
        if m.kind == "subclass":
            subs.setdefault(m.name, []).append(m)
    drop = {id(ms[0]) for ms in subs.values() if len(ms) > 1}
    return [m for m in kept if id(m) not in drop]


def _code(module, node) -> str | None:
    if node is None:
        return None
    try:
        return module.code_for_node(node)
    except Exception:  # pragma: no cover - a node libcst cannot print: fall back to the class name
        return None


_IMPORT_LINE = re.compile(r"^\s*(import|from)\s")
_IMPORTS_KERAS = re.compile(r"^\s*(import|from)\s+[^#\n]*\b(keras|tensorflow|tf_keras)\b", re.M)
_LOADS = re.compile(r"\bload_model\s*\(")
_APPS = re.compile(r"\bapplications\.\w+")
_USES = re.compile(r"\.(fit|compile|predict|evaluate|summary)\s*\(")
_MODEL_FROM_CALL = re.compile(r"^\s*(self\.)?model\s*=\s*[\w.]+\(", re.M)


def _classes(module) -> tuple[list[str], list[str]]:
    """(Model subclasses, Layer subclasses) defined at the top level, by their bases' last names."""
    import libcst as cst

    models, layers = [], []
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef):
            continue
        for b in stmt.bases:
            v = b.value
            last = v.attr.value if isinstance(v, cst.Attribute) else v.value if isinstance(v, cst.Name) else ""
            if last in ("Model", "Sequential"):
                models.append(stmt.name.value)
                break
            if last in ("Layer", "Wrapper"):
                layers.append(stmt.name.value)
                break
    return models, layers


def no_model_reason(text: str, module, ex) -> str:
    """Why a file that mentions Keras yields no model, as precisely as is cheap to tell."""
    if ex.seqs or ex.funcs:
        return ("builds a model masklint could not follow (a layer or value it cannot resolve "
                "statically, or code too large to follow)")
    models, layers = _classes(module)
    if models:
        return f"defines Model subclass{'es' if len(models) > 1 else ''} {', '.join(models)} but never builds one"
    made = [lay for lay in ex.layers if lay.kind == LAYER]
    if layers and not made:
        return f"defines custom layers only ({', '.join(layers)}), no model"
    if _LOADS.search(text):
        return "loads a saved model (load_model): run masklint models on the saved file"
    if _APPS.search(text):
        return "builds its model with keras.applications, which masklint does not follow"
    if _USES.search(text) or _MODEL_FROM_CALL.search(text):
        return "uses a model built elsewhere (an imported or unresolved factory) that masklint does not follow"
    if made:
        return "makes Keras layers but assembles no model"
    if not _IMPORTS_KERAS.search(text):
        return "mentions Keras only in comments, strings or names; never imports it"
    mentions = [ln for ln in text.splitlines() if "keras" in ln or "tensorflow" in ln]
    if mentions and all(_IMPORT_LINE.match(ln) for ln in mentions):
        return "only imports Keras/TensorFlow; builds no model"
    return "mentions Keras but builds no model"


def describe_source_text(raw: bytes, path: str, known: dict | None = None) -> FileInfo | None:
    """The models of one source file; None for a file that never mentions Keras (not listed, as
    linting skips it); raises LintError for a file that cannot be read (not UTF-8, syntax error)."""
    from .frontends.source import mentions_keras, resolve_positions
    from .frontends.source.interpreter import Extractor
    from .frontends.source.parse_guard import parse
    from .source_lint import SKIP_FILE

    if not mentions_keras(raw):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LintError("is not UTF-8 text") from None
    if SKIP_FILE.search(text):
        return FileInfo(path, skipped="skipped by '# masklint: skip-file'")
    module = parse(text)
    ex = Extractor(module)
    try:
        graphs = ex.run()
    except RecursionError:
        raise LintError("source is nested too deeply to analyse") from None
    custom = list(getattr(ex, "custom_graphs", None) or [])
    every = graphs + custom
    try:
        made_at = _made_at(ex)
        ats, sites = {}, []
        for g in every:
            node = g.cst if g.cst is not None else made_at.get(_made_key(g))
            sites.append(_site(g, node))
            if node is not None and g.line is None:
                ats[id(g)] = _At(node)
        unknowns = [u for g in every for u in g.unknown if u.cst is not None and u.line is None]
        u_ats = [_At(u.cst) for u in unknowns]
        # the layers made, and those the graphs add (inputs: a Sequential's implicit one, Input() calls)
        lays = {id(lay): lay for lay in ex.layers}
        for g in every:
            lays.update((id(n.layer), n.layer) for n in g.nodes if id(n.layer) not in lays)
        resolve_positions(module, list(lays.values()) + list(ats.values()) + u_ats, text)
        for u, a in zip(unknowns, u_ats):
            u.line = a.line
        followed = {g.name for g in custom} | set(known or ())
        models = _one_per_site([_model_of(g, ats.get(id(g)), module, followed) for g in every], sites)
        if not models:
            return FileInfo(path, skipped=no_model_reason(text, module, ex))
        return FileInfo(path, models)
    finally:  # drop the IR's links into the libcst tree (see source_lint._release)
        for lay in ex.layers + [n.layer for g in every for n in g.nodes]:
            lay.cst = lay.source_lambda = None
        for g in every:
            g.cst = None
            for u in g.unknown:
                u.cst = None


def describe_file(path: str, known: dict | None = None) -> FileInfo | None:
    """What masklint understood of ``path`` (None: a source file that never mentions Keras); raises
    LintError when the file cannot be read."""
    from .notebook import is_notebook
    from .runner import SOURCE_EXTS

    if is_notebook(path):
        from .notebook.describe import describe_notebook

        return describe_notebook(path, known, describe_source_text, FileInfo)
    if path.lower().endswith(SOURCE_EXTS):
        from .source_lint import read_source

        return describe_source_text(read_source(path), path, known)
    return describe_model_file(path, known)
