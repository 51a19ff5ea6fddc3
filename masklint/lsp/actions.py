"""Code actions: the safe fixes of masklint's diagnostics, as edits of the open document.

A quick fix per masklint diagnostic in the request's context whose finding has a safe fix
(:func:`masklint.lsp.documents.is_safe`), and ``source.fixAll.masklint`` (every safe fix of the
document at once). Each action's edit is a ``WorkspaceEdit`` that replaces the one text range the fix
changes (:mod:`.edits`), so that the client keeps the cursor, folding and undo history elsewhere.
Fixes are planned on the document's current text, once per document version (editors ask for code
actions at every cursor move).
"""
from __future__ import annotations

from lsprotocol import types

from .documents import fixed_text
from .edits import changed_span

FIX_ALL = "source.fixAll.masklint"
SOURCE = "masklint"


def _wanted(kind: str, only) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


class FixCache:
    """The edit (or None) of each fix asked for, per document; a new version forgets the old ones."""

    def __init__(self):
        self._docs: dict[str, tuple] = {}

    def forget(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def edit(self, doc, path: str, key) -> types.TextEdit | None:
        """The edit of the fix of the finding ``key`` (None: all of them) in ``doc``."""
        version, edits = self._docs.get(doc.uri, (None, None))
        if edits is None or version != doc.version:
            edits = {}
            self._docs[doc.uri] = (doc.version, edits)
        if key not in edits:
            old = doc.source
            new = fixed_text(old, path, None if key is None else {key})
            edits[key] = None if new is None or new == old else text_edit(doc, old, new)
        return edits[key]


def text_edit(doc, old: str, new: str) -> types.TextEdit:
    start, end, replacement = changed_span(old, new)
    rng = types.Range(start=doc.client_position_at_offset(start), end=doc.client_position_at_offset(end))
    return types.TextEdit(range=rng, new_text=replacement)


def _action(title: str, kind: str, doc, edit: types.TextEdit, diagnostics=None) -> types.CodeAction:
    return types.CodeAction(title=title, kind=kind, diagnostics=diagnostics,
                            edit=types.WorkspaceEdit(changes={doc.uri: [edit]}),
                            is_preferred=True if kind == types.CodeActionKind.QuickFix else None)


def code_actions(doc, path: str, params: types.CodeActionParams, cache: FixCache) -> list[types.CodeAction]:
    only = params.context.only
    ours = [d for d in params.context.diagnostics or ()
            if d.source == SOURCE and isinstance(d.data, dict) and d.data.get("key")]
    out = []
    if _wanted(types.CodeActionKind.QuickFix, only):
        for d in ours:
            key = tuple(d.data["key"])
            edit = cache.edit(doc, path, key)
            if edit is not None:
                fix = d.data.get("fix") or "apply the fix"
                out.append(_action(f"masklint: {fix} ({d.code})", types.CodeActionKind.QuickFix, doc, edit, [d]))
    asked = only and _wanted(FIX_ALL, only)
    if asked or (ours and _wanted(FIX_ALL, only)):
        edit = cache.edit(doc, path, None)
        if edit is not None:
            out.append(_action("masklint: apply every safe fix", FIX_ALL, doc, edit))
    return out
