"""Where each layer is built in source (``line``/``column`` of its call), resolved only for files that
have findings."""
from __future__ import annotations

from .parse_guard import take_checked_ast


def resolve_positions(module, layers, text: str | None = None) -> None:
    """Fill ``line``/``column`` (1-based) of the calls that build ``layers``.

    libcst's PositionProvider regenerates the whole module's code (it cost more than the parse itself
    on model code), so positions come from CPython's ``ast`` instead: both trees hold the same calls,
    and sorted by where they start (outer call first on a tie) they pair up. Each pair is checked by
    the callee's name; on any disagreement libcst's provider is used.
    """
    wanted = [lay for lay in layers if lay.cst is not None]
    if not wanted:
        return
    if text is not None and _positions_from_ast(module, wanted, text):
        return
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    pos = wrapper.resolve(PositionProvider)
    for lay in wanted:
        node = lay.cst
        if node in pos:
            r = pos[node]
            lay.line, lay.column = r.start.line, r.start.column + 1


def _callee(name_node) -> str | None:
    n = getattr(name_node, "attr", None)
    if n is not None:
        return getattr(n, "value", n) if not isinstance(n, str) else n
    v = getattr(name_node, "value", None) if not hasattr(name_node, "id") else name_node.id
    return v if isinstance(v, str) else None


#: fields that hold no calls (whitespace, brackets, punctuation), never walked
_SKIP_FIELDS = frozenset((
    "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma", "semicolon", "colon", "equal",
    "operator", "dot", "star", "header", "footer", "leading_lines", "lines_after_decorators", "newline",
    "trailing_whitespace", "asynchronous", "whitespace",
))
#: nodes whose dataclass field order differs from source order
_SOURCE_ORDER = {
    "FunctionDef": ("decorators", "params", "returns", "body"),
    "ClassDef": ("decorators", "bases", "keywords", "body"),
    "IfExp": ("body", "test", "orelse"),
    "Parameters": ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
_FIELD_CACHE: dict = {}


def _kids(n) -> list:
    """The child nodes of a libcst node in source order, read from its fields (no rebuilding)."""
    t = type(n)
    names = _FIELD_CACHE.get(t)
    if names is None:
        import dataclasses

        names = _SOURCE_ORDER.get(t.__name__) or tuple(
            f.name for f in dataclasses.fields(t)
            if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace"))
        _FIELD_CACHE[t] = names
    out = []
    for name in names:
        v = getattr(n, name, None)
        if v is None or isinstance(v, (str, int, float)):
            continue
        if isinstance(v, (tuple, list)):
            out.extend(v)
        elif hasattr(v, "_codegen_impl"):
            out.append(v)
    return out


def _positions_from_ast(module, wanted, text: str) -> bool:
    import ast

    import warnings

    import libcst as cst

    tree = take_checked_ast(text)
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # CPython's SyntaxWarnings are not masklint's to print
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    calls_ast = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    calls_ast.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))

    # pre-order walk over the nodes' fields in source order (libcst's `children` and its visitors
    # rebuild every node on the way back up: that cost more than the parse)
    calls = []
    stack = [module]
    call_t = cst.Call
    while stack:
        n = stack.pop()
        if type(n) is call_t:
            calls.append(n)
        stack.extend(reversed(_kids(n)))
    if len(calls) != len(calls_ast):
        return False
    # every pair must agree on the callee and the argument count, or the order assumption is wrong
    for a, c in zip(calls_ast, calls):
        if _callee(a.func) != _callee(c.func) or len(a.args) + len(a.keywords) != len(c.args):
            return False
    index = {id(c): i for i, c in enumerate(calls)}
    lines = text.splitlines()
    found = []
    for lay in wanted:
        i = index.get(id(lay.cst))
        if i is None:
            return False
        a, c = calls_ast[i], calls[i]
        if _callee(a.func) != _callee(c.func):
            return False
        line = lines[a.lineno - 1] if 0 < a.lineno <= len(lines) else ""
        column = len(line.encode("utf-8")[:a.col_offset].decode("utf-8", "replace")) + 1
        found.append((lay, a.lineno, column))
    for lay, line, column in found:
        lay.line, lay.column = line, column
    return True
