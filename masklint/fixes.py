"""Autofix for model code (``--fix`` / ``--diff``): the edits the rules plan (each rule's ``autofix()``:
``mask_zero=True`` on an Embedding, a Masking removed, a ``mask_value`` set), applied with libcst so
formatting and comments survive.

Which fixes are offered (safe or unsafe, each checked by re-linting the fixed text) is
:mod:`masklint.fix_plan`'s business. A name imported only for a layer the fix removed
(``from keras.layers import Masking``) is removed from its import too, or the whole import when nothing
is left of it.
"""
from __future__ import annotations

import difflib

from .reporters.common import rel_path


def plan(records: list) -> dict:
    """node id -> edit, from the analysis records of one file (only the fixes their rules plan)."""
    edits: dict = {}
    for rec in records:
        autofix = getattr(rec, "autofix", None)
        if autofix is not None:
            edits.update(autofix())
    return edits


def apply(module, edits: dict, imports: bool = True) -> str:
    """The text of ``module`` with ``edits``; ``imports``: also remove the imports the edits left unused
    (a scope analysis, most of the cost: the fix self-check, which only lints the text, skips it)."""
    import libcst as cst

    def set_kwarg(call: cst.Call, key: str, value: str) -> cst.Call:
        new_value = cst.parse_expression(value)
        args = list(call.args)
        for i, a in enumerate(args):
            if a.keyword is not None and a.keyword.value == key:
                args[i] = a.with_changes(value=new_value)
                return call.with_changes(args=args)
        # a positional mask_value (Masking(0.0)) is replaced in place
        if key == "mask_value" and args and args[0].keyword is None:
            args[0] = args[0].with_changes(value=new_value)
            return call.with_changes(args=args)
        if args:
            last = args[-1]
            if last.comma is cst.MaybeSentinel.DEFAULT:
                args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(cst.Arg(value=new_value, keyword=cst.Name(key),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                  whitespace_after=cst.SimpleWhitespace(""))))
        return call.with_changes(args=args)

    removed = {k for k, e in edits.items() if e[0] == "remove"}

    class Fixer(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            e = edits.get(id(original))
            if e is not None and e[0] == "kwarg":
                return set_kwarg(updated, e[2], e[3])
            # functional: Masking(...)(x) -> x
            if id(original.func) in removed and len(updated.args) == 1:
                return updated.args[0].value
            return updated

        def leave_Element(self, original, updated):
            if id(original.value) in removed:
                return cst.RemoveFromParent()
            return updated

        def leave_SimpleStatementLine(self, original, updated):
            # model.add(Masking(...))
            for small in original.body:
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and small.value.args and \
                        id(small.value.args[0].value) in removed:
                    return cst.RemoveFromParent()
            return updated

    new = module.visit(Fixer())
    # the names the removed calls were made with (Masking(...), not layers.Masking(...))
    names = {e[1].func.value for e in edits.values()
             if e[0] == "remove" and isinstance(getattr(e[1], "func", None), cst.Name)}
    if names and imports:
        new = _without_unused_imports(new, names)
    return new.code


def _without_unused_imports(module, names: set[str]):
    """``module`` without the ``from M import X`` imports of ``names`` that nothing uses any more
    (libcst's RemoveImportsVisitor: scope analysis, formatting kept, an emptied import removed)."""
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor
    from libcst.helpers import get_full_name_for_node

    found = []

    class Imports(cst.CSTVisitor):
        def visit_ImportFrom(self, node):
            if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
                return False
            mod = get_full_name_for_node(node.module)
            for alias in node.names:
                name = get_full_name_for_node(alias.name)
                asname = alias.asname.name.value if alias.asname is not None else None
                if mod and (asname or name) in names:
                    found.append((mod, name, asname))
            return False

    module.visit(Imports())
    if not found:
        return module
    context = CodemodContext()
    for mod, name, asname in found:
        RemoveImportsVisitor.remove_unused_import(context, mod, name, asname)
    return RemoveImportsVisitor(context).transform_module(module)


def unified_diff(path: str, old: str, new: str) -> str:
    """The unified diff of one file, with git's ``a/PATH`` and ``b/PATH`` headers (the path as users
    write it: ``a/src/m.py``, never ``a/./src/m.py``)."""
    p = rel_path(path).lstrip("/")
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{p}", f"b/{p}"))
