"""The checked fixes of one source file as text edits, for editors (the LSP server's code actions):
:func:`available_in`. Which fixes are offered and how safe they are is :mod:`masklint.fix_plan`'s."""
from __future__ import annotations

import difflib

from ._record import record
from .fix_plan import SAFE, Fix, available, self_checked


@record
class TextEdit:
    """Replace the text from (start_line, start_column) up to (end_line, end_column), 1-based, end
    excluded, by ``content``. The edits of :func:`text_edits` replace whole lines (column 1)."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    content: str


def text_edits(old: str, new: str) -> list[TextEdit]:
    """``new`` as whole-line replacements of ``old``."""
    a, b = old.splitlines(True), new.splitlines(True)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(TextEdit(i1 + 1, 1, i2 + 1, 1, "".join(b[j1:j2])))
    return out


def available_in(raw: bytes, path: str, unsafe: bool = True) -> list[Fix]:
    """Every checked fix of one source file's text, each with its own text edits (for editors' code
    actions: a safe fix may be offered as "fix all"); unsafe ones only when ``unsafe``."""
    from .fixes import apply
    from .source_lint import _analyse, _findings, _release, _suppressed, lint_source_text

    res = _analyse(raw, path)
    if res is None or not res[3]:
        return []
    text, module, layers, issues = res
    try:
        before = _findings(res, path)
        lines = text.splitlines()
        fixes = available(issues, path, lambda f: not _suppressed(f, lines) and (
            unsafe or f.autofix["applicability"] == SAFE), layers, module)
        kept, _ = self_checked(fixes, module, text, before,
                               lambda new: lint_source_text(new.encode(), path, fixes=False), final=False)
        for f in kept:
            f.edits = text_edits(text, apply(module, f.plan))
        return kept
    finally:
        _release(layers)
