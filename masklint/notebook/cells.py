"""A notebook's code cells as one Python module, and the map from its lines back to cells.

The code cells are joined in order (a model built in one cell and trained in a later one is one
module, as when the notebook runs top to bottom). IPython syntax that is not Python is neutralised
without moving anything (:mod:`.magics` says what each line becomes): line magics, shell lines, help
lines and automagics become ``pass`` at the same indentation -- one line for one line, so every other
line keeps its line and column; ``%time stmt`` keeps its statement. A cell whose cell magic runs its
body as Python (``%%time``, ``%%capture``...) keeps its body; a cell with another cell magic
(``%%bash``, ``%%writefile``, ``%%R``...) is left out. Only a line that starts a statement can be
IPython syntax: lines inside brackets, a string or after a backslash are never touched.
"""
from __future__ import annotations

import re

from .magics import BLANK_PY, BLANK_REST, PYTHON, PYTHON_CELL_MAGICS, cell_magic, parses, rewrite
from .scan import Notebook

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


def _python_lines(lines: list[str], rich: bool = True) -> list[str]:
    """``lines`` with their IPython-only lines replaced (see :func:`.magics.rewrite`; ``rich=False``:
    ``%time`` statements are blanked too). Only a line that starts a statement can be IPython syntax:
    not one inside brackets, a string or after a backslash."""
    out = []
    in_string = None  # the triple quote a multi-line string is open with
    depth = 0  # open brackets
    joined = False  # the previous line ended with a backslash
    magic = None  # the blanked magic line goes on: "\\" after a backslash, "(" in open brackets too
    for line in lines:
        if magic is not None:  # a continuation line of a blanked magic
            out.append("")
            if magic == "(":
                _, depth = _line_state(line, None, depth)
            magic = _goes_on(line, magic, depth)
            depth = depth if magic is not None else 0
            continue
        if in_string is None and depth == 0 and not joined:
            r = rewrite(line, rich)
            if r is not None and r[1] == BLANK_REST:  # the rest of the cell is another language
                return out + [r[0]] + [""] * (len(lines) - len(out) - 1)
            if r is not None and r[1] != PYTHON:
                out.append(r[0])
                magic, depth = None, 0
                if r[1] == BLANK_PY:
                    magic = "("
                    _, depth = _line_state(line, None, 0)
                magic = _goes_on(line, magic or "\\", depth)
                depth = depth if magic is not None else 0
                continue
            if r is not None:
                line = r[0]
        out.append(line)
        in_string, depth = _line_state(line, in_string, depth)
        joined = in_string is None and line.endswith("\\")
    return out


def _goes_on(line: str, magic: str, depth: int) -> str | None:
    """Whether a blanked magic goes on onto the next line: after a backslash, or (``magic == "("``,
    a Python statement) while brackets are open."""
    if line.rstrip().endswith("\\") or (magic == "(" and depth > 0):
        return magic
    return None


def cell_python(lines: list[str]) -> list[str] | None:
    """The Python lines of one code cell, or None for a cell that is not Python (its cell magic hands
    its body to something else, or it is a Python cell magic's body that does not parse)."""
    found = cell_magic(lines)
    if found is not None:
        i, name = found
        if name not in PYTHON_CELL_MAGICS:
            return None
        lines = lines[:i] + [""] + lines[i + 1:]
    py = _python_lines(lines)
    if any("%time" in ln for ln in lines):  # a kept %time statement must leave the cell Python
        plain = _python_lines(lines, rich=False)
        if py != plain and not parses(py):
            py = plain
    if found is not None and not parses(py):
        return None
    return py


def restore(original: str, joined: str, new: str) -> str:
    """A line a fix changed, as it goes back into its cell: when :func:`join` kept a ``%time``
    statement (``pass; stmt``, ``h =       stmt``) and the fix left that replaced head as it was, the
    IPython head (``%time``, ``h = %time``) is put back; any other line is ``new`` as it is."""
    if original == joined:
        return new
    k = 0  # the common tail: the statement the rewrite kept in place
    while k < min(len(original), len(joined)) and original[-1 - k] == joined[-1 - k]:
        k += 1
    head = joined[: len(joined) - k]
    if k and head.rstrip().endswith(("pass;", "=")) and new.startswith(head):
        return original[: len(original) - k] + new[len(head):]
    return new


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
        py = cell_python(cell_lines(cell.source))
        if not py:
            continue
        start[cell.index] = len(where) + 1
        lines_of[cell.index] = py
        where.extend((cell.index, k) for k in range(1, len(py) + 1))
        parts.extend(py)
    text = "\n".join(parts) + "\n" if parts else ""
    return Joined(text, where, start, lines_of)
