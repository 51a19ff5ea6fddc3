"""Module lines back to notebook cells: a finding's ``cell``/``line``, the ``(line N)`` references in
its message and fix, the lines of its mask path (``extra["flow"]``), the file line of the JSON text
where the cell's line is (``extra["file_line"]``: SARIF regions and GitHub annotations point into the
file as it is stored), and the positions in error messages."""
from __future__ import annotations

import os
import re

from .cells import Joined
from .scan import Notebook

_REF = re.compile(r"\(line (\d+)\)")
_FILE_REF = re.compile(r"\(([^()]+?\.ipynb):(\d+)\)")
_ERR = re.compile(r"\bline (\d+)")
ROLES = ("producer", "upstream", "replaced", "culprit", "consumer")


def file_line(nb: Notebook, cell: int, line: int) -> int | None:
    """The 1-based line of the notebook file where line ``line`` of code cell ``cell`` is stored: the
    string of that line when ``source`` is a list (nbformat's layout), else the string of the cell."""
    if not 0 < cell <= len(nb.cells):
        return None
    c = nb.cells[cell - 1]
    if c.parts is None:
        return nb.file_line(c.span[0])
    seen = 1  # the cell line the next string starts on
    for (start, _), text in zip(c.parts, c.texts):
        ends = text.count("\n")
        # "a\n" holds line ``seen`` only (the line after its newline starts in the next string)
        if seen <= line <= max(seen, seen + ends - text.endswith("\n")):
            return nb.file_line(start)
        seen += ends
    return nb.file_line(c.parts[-1][0]) if c.parts else nb.file_line(c.span[0])


def refs(text: str | None, joined: Joined) -> str | None:
    """``text`` with its ``(line N)`` references as ``(cell C, line L)``."""
    if not text or "(line " not in text:
        return text

    def sub(m):
        w = joined.locate(int(m.group(1)))
        return m.group() if w is None else f"(cell {w[0]}, line {w[1]})"

    return _REF.sub(sub, text)


def file_refs(text: str | None, path: str, joined: Joined) -> str | None:
    """``text`` (a finding of another file of the run) with its ``(nb.ipynb:N)`` references to this
    notebook's module lines as ``(nb.ipynb:cell C:L)``."""
    if not text or ".ipynb:" not in text:
        return text
    want = os.path.normpath(path)

    def sub(m):
        w = joined.locate(int(m.group(2)))
        if w is None or os.path.normpath(m.group(1)) != want:
            return m.group()
        return f"({m.group(1)}:cell {w[0]}:{w[1]})"

    return _FILE_REF.sub(sub, text)


def error(message: str, joined: Joined) -> str:
    """An error message's ``line N`` positions as ``cell C, line L``."""

    def sub(m):
        w = joined.locate(int(m.group(1)))
        return m.group() if w is None else f"cell {w[0]}, line {w[1]}"

    return _ERR.sub(sub, message)


def locate(f, joined: Joined, nb: Notebook) -> None:
    """Move finding ``f`` (from the joined module) to its cell, in place."""
    w = joined.locate(f.line)
    if w is not None:
        f.cell, f.line = w  # its place in the .ipynb file: fileloc.add_file_positions
    f.message = refs(f.message, joined)
    f.fix = refs(f.fix, joined)
    flow = f.extra.get("flow")
    if isinstance(flow, dict):
        for role in ROLES:
            w = joined.locate(flow.get(role + "_line"))
            flow[role + "_cell"] = w[0] if w else None
            if w is not None:
                flow[role + "_line"] = w[1]
