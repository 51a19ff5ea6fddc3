"""``--fix`` / ``--diff`` on a notebook: the fixes planned on the joined module, split back into cells
and written into the file's own JSON layout.

The fixes are planned exactly as for a script (:func:`masklint.source_lint.fix_source_text` on the
joined module of :mod:`.cells`), which gives a new module text. Its lines are mapped back to cells by
a line diff against the joined lines: a line kept equal keeps its cell and its ORIGINAL text (an
IPython line that :mod:`.cells` replaced by ``pass`` comes back as it was, and a ``%time`` line whose
statement a fix edits gets its ``%time`` back); a changed line belongs to
the cell of the old line it replaces; a line the fix inserts belongs to the cell of the line before it.

Writing back splices only the changed cells' ``source`` values into the file's bytes (their spans from
:mod:`.scan`): a list-valued ``source`` stays a list of lines, each unchanged line's JSON string reused
byte for byte with the separators and indentation found between the elements; a string ``source``
stays a string; new strings escape non-ASCII text only when the file does (nbformat writes it as is).
Outputs, metadata, key order, indentation and the final newline are never touched.
"""
from __future__ import annotations

import difflib
import json
import re

from .cells import Joined, cell_lines, restore
from .scan import Cell, Notebook, NotebookError

_NON_ASCII = re.compile(rb"[\x80-\xff]")
#: a JSON escape of a non-ASCII character (not an escaped backslash followed by "u00e9")
_ESCAPED = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])")


class CellChange:
    """One cell a fix changes: its index (1-based among code cells), old and new source."""

    __slots__ = ("cell", "old", "new")

    def __init__(self, cell: Cell, old: str, new: str):
        self.cell, self.old, self.new = cell, old, new


def fix_notebook(nb: Notebook, joined: Joined | None, path: str, want=None, unsafe: bool = False) -> list[CellChange]:
    """The cells the fixes of ``nb`` change (empty when nothing is fixable). ``want(finding)``: whether
    a finding is reported, as for scripts; suppressed findings are never fixed; ``unsafe``: unsafe
    fixes too (``--unsafe-fixes``)."""
    from ..errors import LintError
    from ..source_lint import fix_source_text
    from .lint import encoded
    from .locate import error

    if joined is None or not joined.text:
        return []
    try:
        new = fix_source_text(encoded(joined), path, want, unsafe)
    except NotebookError:
        raise
    except LintError as exc:  # positions in the joined module, as the lint names them: cell C, line L
        raise LintError(error(str(exc), joined)) from None
    if new is None:
        return []
    return changes(nb, joined, new)


def split_cells(joined: Joined, originals: dict[int, list[str]], new_text: str) -> dict[int, list[str]]:
    """The new lines of every joined cell, from the fixed module text ``new_text``. ``originals``: each
    joined cell's original lines (IPython lines as written)."""
    old = cell_lines(joined.text)
    new = cell_lines(new_text)
    where = joined.where
    out: dict[int, list[str]] = {c: [] for c in joined.start}
    if not where:
        return out
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for i in range(i1, i2):
                cell, line = where[i]
                out[cell].append(originals[cell][line - 1])
        elif tag == "insert":
            cell = where[i1 - 1][0] if i1 > 0 else where[0][0]
            out[cell].extend(new[j1:j2])
        elif tag == "replace":
            for k, (cell, line) in enumerate(_replaced(old, new, where, i1, i2, j1, j2)):
                if i2 - i1 == j2 - j1 and where[i1 + k][0] == cell:  # a kept %time line: its magic back
                    line = restore(originals[cell][where[i1 + k][1] - 1], old[i1 + k], line)
                out[cell].append(line)
        # "delete": the old lines are gone
    return out


def _replaced(old, new, where, i1, i2, j1, j2):
    """(cell, new line) for the new lines ``new[j1:j2]`` that replace ``old[i1:i2]``: all in that cell
    when the old lines are in one cell; else each new line goes to the cell of the old line most like
    it, in order (a fix that edits the end of one cell and the start of the next)."""
    cells = {where[i][0] for i in range(i1, i2)}
    if len(cells) == 1 or (i2 - i1) * (j2 - j1) > 40_000:  # one cell (or too many lines to compare)
        cell = where[i1][0]
        return [(cell, line) for line in new[j1:j2]]
    out = []
    pos = i1
    for j in range(j1, j2):
        best, score = pos, -1.0
        for i in range(pos, i2):
            r = difflib.SequenceMatcher(None, old[i], new[j], autojunk=False).ratio()
            if r > score:
                best, score = i, r
        pos = best
        out.append((where[best][0], new[j]))
    return out


def changes(nb: Notebook, joined: Joined, new_text: str) -> list[CellChange]:
    """The cells whose text ``new_text`` (the fixed module) changes."""
    by_index = {c.index: c for c in nb.cells}
    originals = {i: cell_lines(by_index[i].source) for i in joined.start}
    result = []
    for index, lines in split_cells(joined, originals, new_text).items():
        if lines == originals[index]:
            continue
        cell = by_index[index]
        text = "\n".join(lines)
        if lines and cell.source.endswith("\n"):
            text += "\n"
        result.append(CellChange(cell, cell.source, text))
    result.sort(key=lambda ch: ch.cell.index)
    return result


def ensure_ascii(nb: Notebook) -> bool:
    """Whether the file escapes non-ASCII text (``\\u00e9``) rather than writing it as UTF-8: read from
    the code cells' sources first, then the whole file; a file that shows neither is written as
    nbformat does (non-ASCII as is)."""
    buf = nb.buf
    for cell in nb.cells:
        raw = bytes(buf[cell.span[0]:cell.span[1]])
        if _NON_ASCII.search(raw):
            return False
        if _ESCAPED.search(raw):
            return True
    if _NON_ASCII.search(buf):
        return False
    return _ESCAPED.search(buf) is not None


def _split_keep(text: str) -> list[str]:
    """``text`` as nbformat stores a list source: one string per line, each with its ``\\n``."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _list_value(nb: Notebook, cell: Cell, text: str, ascii_: bool) -> bytes:
    buf = nb.buf
    s, e = cell.span
    parts = cell.parts
    new = _split_keep(text)
    if not new:
        return b"[]"
    raw_of = {}
    for (a, b), t in zip(parts, cell.texts):
        raw_of.setdefault(t, bytes(buf[a:b]))
    if parts:
        prefix = bytes(buf[s + 1:parts[0][0]])
        suffix = bytes(buf[parts[-1][1]:e - 1])
        seps = [bytes(buf[parts[k][1]:parts[k + 1][0]]) for k in range(len(parts) - 1)]
        if not seps:
            seps = [b"," + prefix if b"\n" in prefix else b", "]
    else:  # never met: a cell with an empty source is not joined, so no fix lands in it
        prefix, suffix, seps = b"", b"", [b", "]
    sm = difflib.SequenceMatcher(None, cell.texts or [], new, autojunk=False)
    kept = {}
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for k in range(j2 - j1):
                kept[j1 + k] = bytes(buf[parts[i1 + k][0]:parts[i1 + k][1]])
    items = []
    for j, t in enumerate(new):
        raw = kept.get(j)
        if raw is None:
            raw = raw_of.get(t) or json.dumps(t, ensure_ascii=ascii_).encode("utf-8")
        items.append(raw)
    out = [b"[", prefix]
    for j, raw in enumerate(items):
        if j:
            out.append(seps[min(j - 1, len(seps) - 1)])
        out.append(raw)
    out.extend((suffix, b"]"))
    return b"".join(out)


def rewrite(nb: Notebook, edits: list[CellChange]) -> bytes:
    """The notebook's bytes with the ``source`` of the changed cells replaced, nothing else."""
    buf = nb.buf
    ascii_ = ensure_ascii(nb)
    out = []
    pos = 0
    for ch in sorted(edits, key=lambda c: c.cell.span[0]):
        s, e = ch.cell.span
        out.append(bytes(buf[pos:s]))
        if ch.cell.parts is None:
            out.append(json.dumps(ch.new, ensure_ascii=ascii_).encode("utf-8"))
        else:
            out.append(_list_value(nb, ch.cell, ch.new, ascii_))
        pos = e
    out.append(bytes(buf[pos:]))
    return b"".join(out)


def cell_diff(path: str, edits: list[CellChange]) -> str:
    """A unified diff per changed cell, headed ``a/nb.ipynb:cell 3`` / ``b/nb.ipynb:cell 3``."""
    from ..reporters.common import rel_path

    p = rel_path(path).lstrip("/")
    out = []
    for ch in edits:
        old = [ln + "\n" for ln in cell_lines(ch.old)]
        new = [ln + "\n" for ln in cell_lines(ch.new)]
        name = f"{p}:cell {ch.cell.index}"
        out.extend(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"))
    return "".join(out)


def fix_notebook_file(path: str, write: bool, want=None, unsafe: bool = False) -> str | None:
    """Fix the notebook at ``path``: None when nothing changes; else its per-cell diff (``write``
    False) or "" after writing the fixed file. Raises :class:`LintError` for a notebook the reader
    rejects."""
    from .lint import python_of, read_notebook

    nb = read_notebook(path)
    try:
        edits = fix_notebook(nb, python_of(nb), path, want, unsafe)
        if not edits:
            return None
        if not write:
            return cell_diff(path, edits)
        data = rewrite(nb, edits)
    finally:
        close = getattr(nb.buf, "close", None)
        if close is not None:
            close()
    with open(path, "wb") as fh:
        fh.write(data)
    return ""
