"""Read the structure of a Jupyter notebook (nbformat 4) without decoding its outputs.

A notebook is JSON, but most of its bytes are usually outputs (base64 images, long logs) that linting
never needs. This scanner walks the JSON text itself: the values masklint reads (the notebook's
``nbformat`` and ``metadata``, each cell's ``cell_type`` and ``source``) are decoded with :mod:`json`,
everything else is skipped by finding its end (``bytes.find`` over a string: a 10 MB image is one call).
It also records where each code cell's ``source`` lies in the file -- the byte span of the value and of
each line's string -- so that findings can name the file's line (SARIF, GitHub annotations) and fixes can
rewrite only the edited lines (:mod:`.write`).

Every malformed input raises :class:`NotebookError` (a :class:`LintError`: one line, exit 2).
"""
from __future__ import annotations

import json
import re

from ..errors import LintError

#: most bytes of code (all code cells together) linted in one notebook, as for a script
MAX_CODE_BYTES = 20 * 1024 * 1024
#: deepest nesting of JSON arrays/objects skipped (nbformat needs ~10; deeper is not a notebook)
MAX_DEPTH = 512

_WS = re.compile(rb"[ \t\r\n]*")
_STRUCT = re.compile(rb'["\[\]{}]')
_SCALAR_END = re.compile(rb"[,\]}: \t\r\n]")


class NotebookError(LintError):
    """A file named ``.ipynb`` that is not a notebook masklint can read."""


class Cell:
    """One code cell. ``index``: 1-based among the notebook's code cells; ``source``: its text;
    ``span``: the byte span of its ``source`` value in the file; ``parts``: the byte span of each string
    of a list-valued ``source`` (one per line in nbformat's own layout), None when ``source`` is one
    string; ``texts``: those strings decoded."""

    __slots__ = ("index", "source", "span", "parts", "texts")

    def __init__(self, index, source, span, parts, texts):
        self.index, self.source, self.span, self.parts, self.texts = index, source, span, parts, texts


class Notebook:
    """What masklint reads of a notebook: its code cells (in order), whether its kernel is Python, and
    the file's bytes (to name file lines and to write fixes back)."""

    __slots__ = ("buf", "cells", "python", "language", "_nl")

    def __init__(self, buf, cells, language):
        self.buf = buf
        self.cells = cells
        self.language = language
        self.python = language is None or "python" in language.lower()
        self._nl = None

    def file_line(self, offset: int) -> int:
        """The 1-based line of the file at byte ``offset`` (counted once per notebook, then bisected)."""
        import bisect

        if self._nl is None:
            out, find, buf, i = [], self.buf.find, self.buf, 0
            while True:
                i = find(b"\n", i)
                if i < 0:
                    break
                out.append(i)
                i += 1
            self._nl = out
        return bisect.bisect_left(self._nl, offset) + 1


def _fail(what: str):
    raise NotebookError(f"is not a valid notebook: {what}")


def _ws(buf, i: int) -> int:
    return _WS.match(buf, i).end()


def _string_end(buf, i: int) -> int:
    """The index after the JSON string that starts at ``buf[i] == '"'``."""
    j = i + 1
    find = buf.find
    while True:
        k = find(b'"', j)
        if k < 0:
            _fail(f"a string at byte {i} is not terminated (a truncated file?)")
        b = k - 1
        while buf[b] == 0x5C:  # backslashes before the quote: an odd count escapes it
            b -= 1
        if (k - 1 - b) % 2 == 0:
            return k + 1
        j = k + 1


def _skip(buf, i: int) -> int:
    """The index after the JSON value that starts at ``i`` (not decoded; strings and nesting checked,
    scalars only delimited)."""
    if i >= len(buf):
        _fail("the file ends inside a value (a truncated file?)")
    c = buf[i]
    if c == 0x22:
        return _string_end(buf, i)
    if c == 0x5B or c == 0x7B:
        stack = [c]
        j = i + 1
        search = _STRUCT.search
        while True:
            m = search(buf, j)
            if m is None:
                _fail(f"an array or object at byte {i} is not closed (a truncated file?)")
            k = m.start()
            ch = buf[k]
            if ch == 0x22:
                j = _string_end(buf, k)
                continue
            if ch == 0x5B or ch == 0x7B:
                stack.append(ch)
                if len(stack) > MAX_DEPTH:
                    _fail(f"nested more than {MAX_DEPTH} levels deep")
            else:
                if stack.pop() != (0x5B if ch == 0x5D else 0x7B):
                    _fail(f"mismatched bracket at byte {k}")
                if not stack:
                    return k + 1
            j = k + 1
    m = _SCALAR_END.search(buf, i)
    end = m.start() if m is not None else len(buf)
    if end == i:
        _fail(f"unexpected {chr(c)!r} at byte {i}")
    return end


def _load(buf, start: int, end: int):
    try:
        return json.loads(bytes(buf[start:end]))
    except UnicodeDecodeError:
        raise NotebookError("is not UTF-8 text") from None
    except (ValueError, RecursionError):
        _fail(f"invalid JSON at byte {start}")


def _members(buf, i: int):
    """[(key, value start, value end)] of the object at ``buf[i] == '{'``, and the index after it."""
    out = []
    i = _ws(buf, i + 1)
    if i < len(buf) and buf[i] == 0x7D:
        return out, i + 1
    while True:
        if i >= len(buf) or buf[i] != 0x22:
            _fail(f"expected a key at byte {i}")
        kend = _string_end(buf, i)
        key = _load(buf, i, kend)
        i = _ws(buf, kend)
        if i >= len(buf) or buf[i] != 0x3A:
            _fail(f"expected ':' at byte {i}")
        vs = _ws(buf, i + 1)
        ve = _skip(buf, vs)
        out.append((key, vs, ve))
        i = _ws(buf, ve)
        if i < len(buf) and buf[i] == 0x2C:
            i = _ws(buf, i + 1)
            continue
        if i < len(buf) and buf[i] == 0x7D:
            return out, i + 1
        _fail(f"expected ',' or '}}' at byte {i}")


def _elements(buf, i: int):
    """[(start, end)] of the array at ``buf[i] == '['``."""
    out = []
    i = _ws(buf, i + 1)
    if i < len(buf) and buf[i] == 0x5D:
        return out
    while True:
        vs = i
        ve = _skip(buf, vs)
        out.append((vs, ve))
        i = _ws(buf, ve)
        if i < len(buf) and buf[i] == 0x2C:
            i = _ws(buf, i + 1)
            continue
        if i < len(buf) and buf[i] == 0x5D:
            return out
        _fail(f"expected ',' or ']' at byte {i}")


def _language(meta) -> str | None:
    if not isinstance(meta, dict):
        return None
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        sub = meta.get(key)
        if isinstance(sub, dict) and isinstance(sub.get(field), str) and sub[field].strip():
            return sub[field].strip()
    return None


def scan(buf) -> Notebook:
    """The notebook in ``buf`` (bytes or an mmap); raises :class:`NotebookError`."""
    n = len(buf)
    if buf[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise NotebookError("is not UTF-8 text (UTF-16?)")
    i = 3 if buf[:3] == b"\xef\xbb\xbf" else 0
    i = _ws(buf, i)
    if i >= n:
        _fail("the file is empty")
    if buf[i] != 0x7B:
        _fail("not a JSON object")
    top, end = _members(buf, i)
    if _ws(buf, end) != n:
        _fail(f"extra data after the notebook at byte {_ws(buf, end)}")
    fields = {k: (s, e) for k, s, e in top}
    version = _load(buf, *fields["nbformat"]) if "nbformat" in fields else None
    if "cells" not in fields:
        if "worksheets" in fields or (isinstance(version, int) and version < 4):
            raise NotebookError(f"is an nbformat {version if isinstance(version, int) else 3} notebook; masklint "
                                "reads nbformat 4 (convert it: jupyter nbconvert --to notebook --nbformat 4)")
        _fail('no "cells" list (not a Jupyter notebook?)')
    if isinstance(version, int) and version < 4:
        raise NotebookError(f"is an nbformat {version} notebook; masklint reads nbformat 4")
    meta = _load(buf, *fields["metadata"]) if "metadata" in fields else None
    cs, ce = fields["cells"]
    if buf[cs] != 0x5B:
        _fail('"cells" is not a list')
    cells: list[Cell] = []
    size = 0
    for number, (s, e) in enumerate(_elements(buf, cs), 1):
        if buf[s] != 0x7B:
            _fail(f"cell {number} is not an object")
        members, _ = _members(buf, s)
        got = {k: (a, b) for k, a, b in members}
        if "cell_type" not in got:
            _fail(f'cell {number} has no "cell_type"')
        kind = _load(buf, *got["cell_type"])
        if kind != "code":
            continue
        if "source" not in got:
            _fail(f'code cell {len(cells) + 1} has no "source"')
        cell = _cell(buf, len(cells) + 1, *got["source"])
        size += len(cell.source)
        if size > MAX_CODE_BYTES:
            raise NotebookError(f"has more than {MAX_CODE_BYTES} bytes of code; not linted")
        cells.append(cell)
    return Notebook(buf, cells, _language(meta))


def _cell(buf, index: int, s: int, e: int) -> Cell:
    c = buf[s]
    if c == 0x22:
        text = _load(buf, s, e)
        return Cell(index, text, (s, e), None, None)
    if c != 0x5B:
        _fail(f'the "source" of code cell {index} is neither a string nor a list of strings')
    parts = _elements(buf, s)
    texts = []
    for a, b in parts:
        if buf[a] != 0x22:
            _fail(f'the "source" of code cell {index} is neither a string nor a list of strings')
        texts.append(_load(buf, a, b))
    return Cell(index, "".join(texts), (s, e), parts, texts)
