"""Where a cell position lies in the notebook file as it is stored: the line and column of the JSON
text that holds a code cell's line and column.

GitHub shows a notebook on a pull request's "Files changed" tab, and code scanning places a SARIF
result, by the line of the ``.ipynb`` file (its JSON text), not by cell. A finding located by cell
(:mod:`.locate`) therefore also gets ``extra["file_line"]`` and ``extra["file_column"]`` (the column of
that character inside the JSON string, in Unicode code points, escapes counted as written), and each
role of its mask path ``flow["<role>_file_line"]``. Computed from the bytes read by :mod:`.scan`
(escapes walked, nothing decoded twice); None where a position cannot be found.
"""
from __future__ import annotations

from .locate import ROLES, file_line
from .scan import Notebook


def _utf8_len(lead: int) -> int:
    if lead < 0x80:
        return 1
    if lead >= 0xF0:
        return 4
    if lead >= 0xE0:
        return 3
    return 2 if lead >= 0xC0 else 1


def _walk(buf, start: int, end: int, line: int, col: int, target: tuple[int, int]):
    """Walk the raw JSON string ``buf[start:end]`` (quotes included) from cell position (line, col);
    return (the byte offset of ``target``'s character or None, the position after the string)."""
    j = start + 1
    stop = end - 1
    while j < stop:
        if (line, col) == target:
            return j, (line, col)
        b = buf[j]
        if b == 0x5C:  # an escape
            e = buf[j + 1] if j + 1 < stop else 0
            if e == 0x75:  # \uXXXX, a surrogate pair is one character
                step = 6
                if j + 11 < stop and buf[j + 6] == 0x5C and buf[j + 7] == 0x75:
                    hi = bytes(buf[j + 2:j + 6]).lower()
                    if hi[:1] == b"d" and hi[1:2] in (b"8", b"9", b"a", b"b"):
                        step = 12
                j += step
                col += 1
                continue
            j += 2
            if e == 0x6E:  # \n
                line, col = line + 1, 1
            else:
                col += 1
            continue
        j += _utf8_len(b)
        col += 1
    return None, (line, col)


def file_position(nb: Notebook, cell: int, line: int, column: int | None) -> tuple[int, int | None] | None:
    """(file line, file column) of ``column`` (1-based; None: the line's start) on line ``line`` of code
    cell ``cell``; the column is None where it cannot be placed. None for a cell that does not exist."""
    fl = file_line(nb, cell, line)
    if fl is None:
        return None
    c = nb.cells[cell - 1]
    strings = c.parts if c.parts is not None else [c.span]
    pos = (1, 1)
    target = (line, column or 1)
    try:
        for s, e in strings:
            off, pos = _walk(nb.buf, s, e, pos[0], pos[1], target)
            if off is not None:
                start = nb.buf.rfind(b"\n", 0, off) + 1
                return nb.file_line(off), len(bytes(nb.buf[start:off]).decode("utf-8", "replace")) + 1
    except (IndexError, ValueError):  # pragma: no cover - a span scan.py did not give
        pass
    return fl, None


def add_file_positions(f, nb: Notebook) -> None:
    """Give finding ``f`` (already located by cell) its file line and column, and its mask path's roles
    their file lines (see the module docstring)."""
    if f.cell is not None and f.line is not None:
        pos = file_position(nb, f.cell, f.line, f.column)
        if pos is not None:
            f.extra["file_line"] = pos[0]
            if pos[1] is not None:
                f.extra["file_column"] = pos[1]
    flow = f.extra.get("flow")
    if isinstance(flow, dict):
        for role in ROLES:
            cell, line = flow.get(role + "_cell"), flow.get(role + "_line")
            if cell is not None and line is not None:
                flow[role + "_file_line"] = file_line(nb, cell, line)
