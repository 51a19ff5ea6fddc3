"""What a user ``Layer`` subclass declares about masks, read from its class body (libcst, never run):
``supports_masking`` (a class attribute or ``self.supports_masking = ...`` in ``__init__``), what
``compute_mask`` returns, and whether ``call`` takes a ``mask`` argument. Base classes that are user
``Layer`` subclasses themselves are searched too, in order (the class first).

Keras 3 semantics (``layers/layer.py``): ``supports_masking`` defaults to "``compute_mask`` is
overridden"; the default ``compute_mask`` returns the incoming mask."""
from __future__ import annotations

from .names import is_keras_layer
from .values import ClassVal, Const, Ref

MAX_BASES = 16

#: calls that build a boolean mask from data (``ops.not_equal(inputs, 0)``, ``tf.math.not_equal``...)
_MASK_FUNCS = {"not_equal", "equal", "greater", "greater_equal", "less", "less_equal", "any", "all",
               "logical_and", "logical_or", "logical_not", "isfinite"}


def class_chain(cls: ClassVal) -> list[ClassVal]:
    """``cls`` and its user-defined base classes, depth first (a simple stand-in for the MRO)."""
    out: list[ClassVal] = []
    todo = [cls]
    while todo and len(out) < MAX_BASES:
        c = todo.pop(0)
        if any(c is x for x in out):
            continue
        out.append(c)
        todo.extend(b for b in c.bases if isinstance(b, ClassVal))
    return out


def is_user_layer(cls: ClassVal) -> bool:
    """A user class derived, directly or through user classes, from a Keras ``Layer``/``Wrapper``."""
    return any(is_keras_layer(c) for c in class_chain(cls))


def is_wrapper(cls: ClassVal) -> bool:
    return any(isinstance(b, Ref) and b.q.startswith("keras.") and b.q.endswith(".Wrapper")
               for c in class_chain(cls) for b in c.bases)


def find_method(cls: ClassVal, name: str):
    """(the ``FunctionDef``, the class that defines it), or (None, None)."""
    import libcst as cst

    for c in class_chain(cls):
        for s in c.node.body.body:
            if isinstance(s, cst.FunctionDef) and s.name.value == name:
                return s, c
    return None, None


def _const_bool(expr):
    import libcst as cst

    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    return None


def _assigns(body, target_ok):
    """The values assigned (``Assign``/``AnnAssign``) to targets ``target_ok`` accepts, in ``body``."""
    import libcst as cst

    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    if any(target_ok(t.target) for t in small.targets):
                        yield small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None and target_ok(small.target):
                    yield small.value
        elif isinstance(stmt, (cst.If, cst.With, cst.Try)):
            yield from _assigns(stmt.body.body, target_ok)


def declared_supports(cls: ClassVal, inst_attrs: dict) -> bool | None | str:
    """``supports_masking`` as written: True/False, None when written but unreadable, "absent" when the
    class never sets it (``inst_attrs``: the attributes ``__init__`` set when it was followed)."""
    import libcst as cst

    if "supports_masking" in inst_attrs:
        v = inst_attrs["supports_masking"]
        return v.v if isinstance(v, Const) and isinstance(v.v, bool) else None
    for c in class_chain(cls):  # class attribute, then `self.supports_masking = ...` in __init__
        vals = list(_assigns(c.node.body.body, lambda t: isinstance(t, cst.Name) and t.value == "supports_masking"))
        init = next((s for s in c.node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"),
                    None)
        if init is not None and isinstance(init.body, cst.IndentedBlock):
            vals += list(_assigns(init.body.body, lambda t: isinstance(t, cst.Attribute) and isinstance(
                t.value, cst.Name) and t.value.value == "self" and t.attr.value == "supports_masking"))
        if vals:
            return _const_bool(vals[-1])
    return "absent"


def _param_names(fdef) -> list[str]:
    p = fdef.params
    return [x.name.value for x in list(p.posonly_params) + list(p.params) + list(p.kwonly_params)]


def call_takes_mask(fdef) -> bool:
    return fdef is not None and "mask" in _param_names(fdef)


def _returns(body):
    """The ``Return`` statements of a function body (nested functions and classes excluded)."""
    import libcst as cst

    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Return):
                    yield small
        elif isinstance(stmt, (cst.If, cst.For, cst.While, cst.With, cst.Try)):
            yield from _returns(stmt.body.body)
            orelse = getattr(stmt, "orelse", None)
            while orelse is not None:
                yield from _returns(orelse.body.body)
                orelse = getattr(orelse, "orelse", None) if isinstance(orelse, cst.If) else None


def _names_in(expr) -> set[str]:
    import libcst as cst

    out: set[str] = set()
    todo = [expr]
    while todo and len(out) < 1000:
        n = todo.pop()
        if isinstance(n, cst.Name):
            out.add(n.value)
        elif isinstance(n, cst.Attribute):
            out.add(n.attr.value)
            todo.append(n.value)
        elif isinstance(n, cst.CSTNode):
            todo.extend(n.children)
    return out


def _return_kind(expr, inputs: str | None, mask: str | None) -> str:
    import libcst as cst

    if expr is None or (isinstance(expr, cst.Name) and expr.value == "None"):
        return "none"
    if isinstance(expr, cst.Name) and expr.value == mask:
        return "previous"
    names = _names_in(expr)
    compares = isinstance(expr, cst.Comparison) or bool(names & _MASK_FUNCS)
    if inputs is not None and inputs in names and compares:
        return "create"
    return "unknown"


def compute_kind(cls: ClassVal) -> str:
    """What ``compute_mask`` returns: "absent" (not overridden), "none", "previous", "create", "unknown"."""
    import libcst as cst

    fdef, _ = find_method(cls, "compute_mask")
    if fdef is None:
        return "absent"
    names = [p.name.value for p in list(fdef.params.posonly_params) + list(fdef.params.params)]
    inputs = names[1] if len(names) > 1 else None
    mask = names[2] if len(names) > 2 else ("mask" if "mask" in _param_names(fdef) else None)
    if not isinstance(fdef.body, cst.IndentedBlock):
        return "unknown"
    kinds = {_return_kind(r.value, inputs, mask) for r in _returns(fdef.body.body)}
    if not kinds:
        return "none"
    if kinds == {"none", "previous"}:  # `if mask is None: return None` ... `return mask`
        return "previous"
    return kinds.pop() if len(kinds) == 1 else "unknown"
