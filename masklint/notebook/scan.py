"""Read the structure of a Jupyter notebook (nbformat 4) without decoding its outputs.

A notebook is JSON, but most of its bytes are usually outputs (base64 images, long logs) that linting
never needs. This scanner walks the JSON text itself: the values masklint reads (the notebook's
``nbformat`` and ``metadata``, each cell's ``cell_type`` and ``source``) are decoded with :mod:`json`,
everything else is skipped by finding its end (``bytes.find`` over a string: a 10 MB image is one call;
a run of short strings, a log of 300,000 lines, is split on quotes in C a megabyte at a time), in one
pass: the cells are read as the top-level object is walked.
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
#: most cells (of every type) in one notebook; real ones have hundreds
MAX_CELLS = 100_000

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

    __slots__ = ("buf", "cells", "python", "language", "long_strings", "_nl")

    def __init__(self, buf, cells, language, long_strings=()):
        self.buf = buf
        #: (start, end) of the strings of 64 KiB or more the scan passed, in file order
        self.long_strings = list(long_strings)
        self.cells = cells
        self.language = language
        self.python = language is None or "python" in language.lower()
        self._nl = None

    def file_line(self, offset: int) -> int:
        """The 1-based line of the file at byte ``offset``: newlines counted in C from the nearest offset
        already asked, skipping the long strings the scan passed (base64 images: a JSON string holds no
        raw newline), so a notebook of 200 MB of outputs costs a count over its other bytes, once."""
        import bisect

        if self._nl is None:
            self._nl = [(0, 1)]
        marks = self._nl
        k = bisect.bisect_right(marks, (offset, float("inf"))) - 1
        at, line = marks[k]
        line += self._newlines(at, offset)
        marks.insert(k + 1, (offset, line))
        return line

    def _newlines(self, a: int, b: int) -> int:
        import bisect

        spans, n, buf = self.long_strings, 0, self.buf
        i = bisect.bisect_right(spans, (a, a))
        if i and spans[i - 1][1] > a:  # ``a`` is inside a long string
            i -= 1
        while a < b:
            s, e = spans[i] if i < len(spans) else (b, b)
            stop = min(s, b)
            while a < stop:  # mmap has no count(): 16 MB slices at a time
                end = min(stop, a + (1 << 24))
                n += buf[a:end].count(b"\n")
                a = end
            a = max(a, min(e, b))
            i += 1
        return n


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


_LONG = 1 << 16  # a string this long is recorded (Notebook.long_strings)


def _skip(buf, i: int, longs: list | None = None) -> int:
    """The index after the JSON value that starts at ``i`` (not decoded; strings and nesting checked,
    scalars only delimited). Outputs are skipped here, so this loop is the scanner's hot path: one regex
    search per token and one ``find`` per string (a base64 image is one ``memchr``)."""
    if i >= len(buf):
        _fail("the file ends inside a value (a truncated file?)")
    c = buf[i]
    if c == 0x22:
        return _string_end(buf, i)
    if c == 0x5B or c == 0x7B:
        stack = [c]
        j = i + 1
        search = _STRUCT.search
        find = buf.find
        short = 0  # strings of under 512 bytes in a row
        while True:
            m = search(buf, j)
            if m is None:
                _fail(f"an array or object at byte {i} is not closed (a truncated file?)")
            k = m.start()
            ch = buf[k]
            if ch == 0x22:  # a string: its closing quote is the first one not escaped
                if short >= 32:  # a run of short strings (a log, a table): split them in bulk
                    short = 0
                    done, j = _bulk(buf, k, stack)
                    if done:
                        return j
                    if j > k:
                        continue
                q = find(b'"', k + 1)
                while q > 0 and buf[q - 1] == 0x5C:
                    b = q - 2
                    while buf[b] == 0x5C:
                        b -= 1
                    if (q - 1 - b) % 2 == 0:  # an even run of backslashes: the quote is not escaped
                        break
                    q = find(b'"', q + 1)
                if q < 0:
                    _fail(f"a string at byte {k} is not terminated (a truncated file?)")
                short = short + 1 if q - k < 512 else 0
                if q - k >= _LONG and longs is not None:
                    longs.append((k, q + 1))
                j = q + 1
                continue
            if _bracket(stack, ch, k):
                return k + 1
            j = k + 1
    m = _SCALAR_END.search(buf, i)
    end = m.start() if m is not None else len(buf)
    if end == i:
        _fail(f"unexpected {chr(c)!r} at byte {i}")
    return end


def _bracket(stack: list, ch: int, at: int) -> bool:
    """Open or close the bracket ``ch`` (at byte ``at``) on ``stack``; True when that closes the
    outermost container."""
    if ch == 0x5B or ch == 0x7B:
        stack.append(ch)
        if len(stack) > MAX_DEPTH:
            _fail(f"nested more than {MAX_DEPTH} levels deep")
        return False
    if stack.pop() != (0x5B if ch == 0x5D else 0x7B):
        _fail(f"mismatched bracket at byte {at}")
    return not stack


_BULK_MIN = 4096  # bytes: below this, strings are walked one by one
_BULK_MAX = 1 << 20  # bytes split at a time
_BRACKETS = re.compile(rb"[\[\]{}]")


def _bulk(buf, k: int, stack: list) -> tuple[bool, int]:
    """Walk many strings at once, from the string at ``buf[k] == '"'`` (inside a container whose open
    brackets are ``stack``): the bytes up to the next escaped quote (at most
    ``_BULK_MAX``) are split on quotes in C -- without an escaped quote, quotes alternate open/close, so
    every other piece is outside the strings, and only those are searched for brackets. A log of
    700,000 short lines costs a few C calls instead of a Python step per line. Returns (True, the
    index after the container) when it closes there, else (False, where to go on): ``k`` when the
    bytes before the next escaped quote are too few to be worth it."""
    from bisect import bisect_right
    from itertools import accumulate

    end = min(len(buf), k + _BULK_MAX)
    esc = buf.find(b'\\"', k, end)
    if esc >= 0:
        end = esc
    if end - k < _BULK_MIN:
        return False, k
    pieces = buf[k:end].split(b'"')
    if len(pieces) % 2 == 0:  # the region ends inside a string: stop at that string's opening quote
        pieces.pop()
    if len(pieces) < 3:
        return False, k
    starts = list(accumulate(map(len, pieces), initial=0))  # piece p starts at k + starts[p] + p
    outside = pieces[0::2]
    joined = b"".join(outside)
    ocum = None
    for m in _BRACKETS.finditer(joined):
        x = m.start()
        if ocum is None:
            ocum = list(accumulate(map(len, outside), initial=0))
        q = bisect_right(ocum, x) - 1
        at = k + starts[2 * q] + 2 * q + (x - ocum[q])
        if _bracket(stack, joined[x], at):
            return True, at + 1
    last = len(pieces) - 1
    return False, k + starts[last] + last + len(pieces[last])


def _load(buf, start: int, end: int):
    try:
        return json.loads(bytes(buf[start:end]))
    except UnicodeDecodeError:
        raise NotebookError("is not UTF-8 text") from None
    except (ValueError, RecursionError):
        _fail(f"invalid JSON at byte {start}")


def _members(buf, i: int, parse=None, longs: list | None = None):
    """[(key, value start, value end)] of the object at ``buf[i] == '{'``, and the index after it.
    ``parse``: {key: fn(value start) -> value end} for the values read while walking (each byte of the
    file is walked once: the notebook's ``cells`` are read as they are passed, not skipped first)."""
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
        ve = parse[key](vs) if parse is not None and key in parse else _skip(buf, vs, longs)
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

    def element(vs):
        ve = _skip(buf, vs)
        out.append((vs, ve))
        return ve

    _each(buf, i, element)
    return out


def _each(buf, i: int, element) -> int:
    """Walk the array at ``buf[i] == '['``: ``element(start)`` reads each element and returns its end;
    returns the index after the array."""
    i = _ws(buf, i + 1)
    if i < len(buf) and buf[i] == 0x5D:
        return i + 1
    while True:
        i = _ws(buf, element(i))
        if i < len(buf) and buf[i] == 0x2C:
            i = _ws(buf, i + 1)
            continue
        if i < len(buf) and buf[i] == 0x5D:
            return i + 1
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
    cells: list[Cell] = []
    seen = [0, 0]  # cells walked, bytes of code
    problem: list[NotebookError] = []
    longs: list[tuple[int, int]] = []

    def cell(s: int) -> int:
        seen[0] += 1
        number = seen[0]
        if number > MAX_CELLS:
            raise NotebookError(f"has more than {MAX_CELLS:,} cells; not linted")
        if s >= n:
            _fail("the file ends inside the cells (a truncated file?)")
        if buf[s] != 0x7B:
            _fail(f"cell {number} is not an object")
        members, end = _members(buf, s, None, longs)
        got = {k: (a, b) for k, a, b in members}
        if "cell_type" not in got:
            _fail(f'cell {number} has no "cell_type"')
        if _load(buf, *got["cell_type"]) != "code":
            return end
        if "source" not in got:
            _fail(f'code cell {len(cells) + 1} has no "source"')
        code = _cell(buf, len(cells) + 1, *got["source"])
        seen[1] += len(code.source)
        if seen[1] > MAX_CODE_BYTES:
            raise NotebookError(f"has more than {MAX_CODE_BYTES} bytes of code; not linted")
        cells.append(code)
        return end

    def read_cells(cs: int) -> int:
        """The cells, read where they are (outputs are walked once); a bad cell is reported after the
        notebook's version is known (an nbformat 3 file is named as such). A second ``cells`` key
        replaces the first, as in :func:`json.loads`."""
        cells.clear()
        problem.clear()
        longs.clear()
        seen[:] = [0, 0]
        if cs >= n:
            _fail("the file ends inside a value (a truncated file?)")
        if buf[cs] != 0x5B:
            problem.append(NotebookError('is not a valid notebook: "cells" is not a list'))
            return _skip(buf, cs)
        try:
            return _each(buf, cs, cell)
        except NotebookError as exc:
            problem.append(exc)
            return _skip(buf, cs)

    top, end = _members(buf, i, {"cells": read_cells})
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
    if problem:
        raise problem[-1]
    meta = _load(buf, *fields["metadata"]) if "metadata" in fields else None
    return Notebook(buf, cells, _language(meta), longs)


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
