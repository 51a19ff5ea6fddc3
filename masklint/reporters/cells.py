"""Notebook findings in the reports: a finding located by cell (``Finding.cell``, its ``line`` and
``column`` within the cell) is shown by cell in text and Markdown (``nb.ipynb:cell 3:4:5``), while
SARIF regions and GitHub annotations point at the line of the ``.ipynb`` file where that cell line is
stored (``Finding.extra["file_line"]``/``["file_column"]``, set by :mod:`masklint.notebook.fileloc`):
that is the file GitHub shows on a pull request and in code scanning. Their messages then say
``cell C, line L`` so the reader finds the cell in Jupyter."""
from __future__ import annotations

from ..findings import Finding


def cell_words(cell, line) -> str | None:
    """``cell C, line L`` (None when not in a notebook cell)."""
    if cell is None or line is None:
        return None
    return f"cell {cell}, line {line}"


def file_region(f: Finding) -> tuple[int | None, int | None]:
    """(line, column) of ``f`` in the file as stored: its own for scripts, the JSON text's for notebook
    cells (the column None where unknown)."""
    if f.cell is None:
        return f.line, f.column
    line = f.extra.get("file_line")
    return line, (f.extra.get("file_column") if line is not None else None)


def role_file_line(f: Finding, flow: dict, role: str) -> int | None:
    """The file line of a role of ``f``'s mask path (the JSON text's line for a notebook)."""
    if f.cell is None:
        return flow.get(role + "_line")
    return flow.get(role + "_file_line")


def located_message(f: Finding, text: str) -> str:
    """``text`` led by ``cell C, line L: `` for a notebook finding."""
    where = cell_words(f.cell, f.line)
    return f"{where}: {text}" if where else text
