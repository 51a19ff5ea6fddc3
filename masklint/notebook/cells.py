"""A notebook's code cells as one Python module, and the map from its lines back to cells.

The code cells are joined in order (a model built in one cell and trained in a later one is one
module, as when the notebook runs top to bottom). IPython syntax that is not Python is neutralised
without moving anything: a cell that starts with a cell magic (``%%time``, ``%%bash``, ``%%R``...) is
left out (its body may not be Python at all); a line magic (``%matplotlib inline``), a shell line
(``!pip install ...``, ``files = !ls``), a help line (``model.fit?``, ``?len``) and a bare
``pip install``/``conda install`` (IPython's automagic) become ``pass`` at the same indentation -- one
line for one line, so every other line keeps its line and column. Lines inside a triple-quoted string
are never touched.
"""
from __future__ import annotations

import re

from .scan import Notebook

_CELL_MAGIC = re.compile(r"^\s*%%")
_MAGIC = re.compile(r"^(\s*)(?:[%!?]|[\w.\[\]]+\s*=\s*[%!]|(?:pip|conda|mamba)\s+(?:install|uninstall)\b)")
_HELP = re.compile(r"^(\s*)[\w.\[\]()]+\?\??\s*$")
_LINE_END = re.compile(r"\r(?!\n)|\n")
_TOKEN = re.compile(r"'''|\"\"\"|[#'\"()\[\]{}]")


class Joined:
    """The module text and, for its line ``n`` (1-based), ``where[n - 1] = (cell, line in cell)``;
    ``start[cell]``: the module line where a cell's first line is (only cells that were joined)."""

    __slots__ = ("text", "where", "start", "lines_of")

    def __init__(self, text, where, start, lines_of):
        self.text, self.where, self.start, self.lines_of = text, where, start, lines_of

    def locate(self, line: int) -> tuple[int, int] | None:
        """(cell, line in cell) of module line ``line``; None when out of range."""
        if line is None or not 0 < line <= len(self.where):
            return None
        return self.where[line - 1]


def cell_lines(source: str) -> list[str]:
    """A cell's lines, without their line ends, split where Python counts lines: at ``\\n`` and at a lone
    ``\\r`` (the ``\\r`` of ``\\r\\n`` stays on its line)."""
    lines = _LINE_END.split(source) if "\r" in source else source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _python_lines(lines: list[str]) -> list[str]:
    """``lines`` with IPython-only lines replaced by ``pass`` (see the module docstring). Only a line
    that starts a statement can be IPython syntax: not one inside brackets, a string or after a
    backslash."""
    out = []
    in_string = None  # the triple quote a multi-line string is open with
    depth = 0  # open brackets
    joined = False  # the previous line ended with a backslash
    magic = False  # ... and was a magic line
    for line in lines:
        if magic:  # a magic line continued with a backslash
            out.append(_blank(line, ""))
            magic = line.rstrip().endswith("\\")
            continue
        if in_string is None and depth == 0 and not joined:
            m = _MAGIC.match(line) or _HELP.match(line)
            if m is not None:
                out.append(_blank(line, m.group(1)))
                magic = line.rstrip().endswith("\\")
                continue
        out.append(line)
        in_string, depth = _line_state(line, in_string, depth)
        joined = in_string is None and line.endswith("\\")
    return out


def _blank(line: str, indent: str) -> str:
    return indent + "pass" if line.strip() else line


def _line_state(line: str, in_string: str | None, depth: int) -> tuple[str | None, int]:
    """(the triple quote a string is still open with after ``line``, the open bracket depth)."""
    i = 0
    n = len(line)
    while i < n:
        if in_string is not None:
            j = line.find(in_string, i)
            if j < 0:
                return in_string, depth
            i = j + 3
            in_string = None
            continue
        m = _TOKEN.search(line, i)
        if m is None:
            break
        tok = m.group()
        i = m.end()
        if tok == "#":
            break
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth = max(0, depth - 1)
        elif len(tok) == 3:
            in_string = tok
        else:  # a one-line string: skip to its closing quote (escapes honoured)
            while i < n:
                ch = line[i]
                if ch == "\\":
                    i += 2
                    continue
                i += 1
                if ch == tok:
                    break
    return in_string, depth


def join(nb: Notebook) -> Joined:
    """The Python module of ``nb``'s code cells (see the module docstring)."""
    parts: list[str] = []
    where: list[tuple[int, int]] = []
    start: dict[int, int] = {}
    lines_of: dict[int, list[str]] = {}
    for cell in nb.cells:
        lines = cell_lines(cell.source)
        first = next((ln for ln in lines if ln.strip()), "")
        if not lines or _CELL_MAGIC.match(first):
            continue
        py = _python_lines(lines)
        start[cell.index] = len(where) + 1
        lines_of[cell.index] = py
        where.extend((cell.index, k) for k in range(1, len(py) + 1))
        parts.extend(py)
    text = "\n".join(parts) + "\n" if parts else ""
    return Joined(text, where, start, lines_of)
