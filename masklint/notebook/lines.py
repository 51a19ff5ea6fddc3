"""The text of a notebook cell's line, for baselines (:mod:`masklint.baseline`): a notebook finding's
fingerprint holds the text of its line in its cell, never the cell number or the line, so inserting a
cell (or lines) above a recorded finding does not make it new again."""
from __future__ import annotations

from ..errors import LintError
from .cells import cell_lines
from .lint import read_notebook

_CELLS: dict[str, list[list[str]] | None] = {}


def _read(path: str) -> list[list[str]] | None:
    try:
        nb = read_notebook(path)
    except LintError:
        return None
    try:
        return [cell_lines(c.source) for c in nb.cells]
    finally:
        close = getattr(nb.buf, "close", None)
        if close is not None:
            close()


def cell_line_text(path: str, cell: int, line: int) -> str | None:
    """Line ``line`` of code cell ``cell`` of the notebook at ``path`` (as stored: magics included);
    None when the notebook cannot be read or has no such line. Each notebook is read once."""
    if path not in _CELLS:
        _CELLS[path] = _read(path)
    cells = _CELLS[path]
    if cells is None or not 0 < cell <= len(cells) or not 0 < line <= len(cells[cell - 1]):
        return None
    return cells[cell - 1][line - 1]
