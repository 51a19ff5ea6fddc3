"""Lint one notebook: read it (:mod:`.scan`), join its code cells (:mod:`.cells`), run the source
linter on that module, map the findings back to cells (:mod:`.locate`)."""
from __future__ import annotations

import os

from ..errors import LintError
from .cells import Joined, join
from .fileloc import add_file_positions
from .locate import error, file_refs, locate
from .scan import Notebook, NotebookError, scan

#: largest notebook file read (outputs included; only the code cells are decoded)
MAX_NOTEBOOK_BYTES = 4 * 1024 * 1024 * 1024
#: below this size a notebook is read into memory; above it, mapped (outputs are never copied)
_MMAP_FROM = 1 << 20


def read_notebook(path: str) -> Notebook:
    """The notebook at ``path``; its ``buf`` is the file's bytes (or a read-only map of a large file)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_NOTEBOOK_BYTES:
                raise LintError(f"is larger than {MAX_NOTEBOOK_BYTES} bytes; not linted")
            if size >= _MMAP_FROM:
                import mmap

                buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            else:
                buf = fh.read()  # under 1 MiB (read(4 GiB) would allocate its whole size first)
    except OSError as exc:
        raise LintError(f"cannot read file ({exc.strerror or exc})") from None
    return read_notebook_bytes(buf)


def read_notebook_bytes(buf) -> Notebook:
    try:
        return scan(buf)
    except (MemoryError, RecursionError):
        raise NotebookError("is too large or too deeply nested to read") from None


def python_of(nb: Notebook) -> Joined | None:
    """The joined module of a Python notebook (None for another kernel's language)."""
    if not nb.python:
        return None
    return join(nb)


def encoded(joined: Joined) -> bytes:
    try:
        return joined.text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON \ud800 escape
        raise NotebookError("is not valid text (a code cell holds an unpaired surrogate escape)") from None


def lint_notebook(nb: Notebook, path: str, known: dict | None = None, project=None) -> list:
    """The findings of notebook ``nb`` (read from ``path``), located by cell."""
    from ..source_lint import lint_source_text

    joined = python_of(nb)
    if joined is None or not joined.text:
        return []
    try:
        found = lint_source_text(encoded(joined), path, known, project)
    except NotebookError:
        raise
    except LintError as exc:
        raise LintError(error(str(exc), joined)) from None
    for f in found:
        if f.path == path:
            locate(f, joined, nb)
            add_file_positions(f, nb)
        else:  # a finding in an imported file whose message names this notebook's lines
            f.message, f.fix = file_refs(f.message, path, joined), file_refs(f.fix, path, joined)
    return found


def lint_notebook_file(path: str, known: dict | None = None, project=None) -> list:
    nb = read_notebook(path)
    try:
        return lint_notebook(nb, path, known, project)
    finally:
        close = getattr(nb.buf, "close", None)
        if close is not None:
            close()
