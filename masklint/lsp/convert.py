"""Findings -> LSP diagnostics.

Range: a Python finding's ``line``/``column`` (1-based, code points: where the culprit layer's call
starts), a notebook finding's ``extra["file_line"]``/``["file_column"]`` (that character in the
``.ipynb`` file's JSON text); it spans the callee's dotted name there (``layers.Masking``), or the line
when no column is known, or the document's first character for a finding without a line (a
model-level finding). Positions are computed in code points on the document's lines and converted to
the client's position encoding (UTF-16 by default) by the document's codec.

Severity from the finding's (configured) severity; ``code`` the rule code, ``codeDescription.href``
its document (:func:`masklint.docs.rule_url`), ``source`` "masklint"; the message is the finding's,
with the rule's name and the fix text. ``data`` names the finding for the code actions
(:func:`masklint.lsp.documents.finding_key`).
"""
from __future__ import annotations

from lsprotocol import types

from ..docs import rule_url

SOURCE = "masklint"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def _token_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] in "_."):
        end += 1
    return end


def span(f, lines) -> tuple[int, int, int]:
    """(0-based line, start column, end column) of finding ``f`` in code points on ``lines`` (the
    document's lines, line ends included)."""
    if f.cell is not None:
        line, col = f.extra.get("file_line"), f.extra.get("file_column")
    else:
        line, col = f.line, f.column
    if line is None or not lines:
        return 0, 0, 0
    row = min(max(line - 1, 0), len(lines) - 1)
    text = lines[row].rstrip("\r\n")
    if col is None:
        start = len(text) - len(text.lstrip())
        return row, start, len(text)
    start = min(max(col - 1, 0), len(text))
    end = _token_end(text, start)
    return row, start, end if end > start else len(text)


def message(f) -> str:
    text = f"{f.message} [{f.name}]"
    if f.cell is not None and f.line is not None:
        text = f"cell {f.cell}, line {f.line}: {text}"
    if f.fix:
        text += f"\nfix: {f.fix}"
    return text


def diagnostic(f, lines, codec) -> types.Diagnostic:
    """The diagnostic of finding ``f`` in a document of ``lines`` (pygls' ``TextDocument.lines``);
    ``codec``: the document's position codec (code points -> the client's units)."""
    row, start, end = span(f, lines)
    rng = types.Range(start=types.Position(line=row, character=start), end=types.Position(line=row, character=end))
    rng = codec.range_to_client_units(lines, rng)
    return types.Diagnostic(
        range=rng,
        message=message(f),
        severity=SEVERITY.get(f.severity, types.DiagnosticSeverity.Warning),
        code=f.code,
        code_description=types.CodeDescription(href=rule_url(f.code)),
        source=SOURCE,
        data={"key": [f.code, f.layer, f.cell, f.line], "fix": f.fix},
    )


def problem(text: str) -> types.Diagnostic:
    """The one diagnostic of a document that could not be linted (at its first character)."""
    zero = types.Position(line=0, character=0)
    return types.Diagnostic(range=types.Range(start=zero, end=zero), message=f"masklint: {text}",
                            severity=types.DiagnosticSeverity.Warning, source=SOURCE)
