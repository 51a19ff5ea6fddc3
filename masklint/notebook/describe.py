"""``masklint models`` on a notebook: the code cells joined as one module (:mod:`.cells`) are described
like a script (:func:`masklint.describe.describe_source_text`), then every model and unknown part is
located by cell (``train.ipynb:cell 4:1``). A notebook that cannot be read raises :class:`LintError`
(an error line, exit 2, as for a script); positions in the message name cells."""
from __future__ import annotations

from ..errors import LintError
from .lint import encoded, python_of, read_notebook
from .locate import error, refs


def _to_cell(obj, joined) -> None:
    """``obj.line`` (a module line) as its cell's line, with ``obj.cell``."""
    w = joined.locate(obj.line)
    if w is not None:
        obj.cell, obj.line = w


def describe_notebook(path: str, known, describe_source_text, FileInfo):
    """The FileInfo of the notebook at ``path`` (None when its code never mentions Keras), described
    by :func:`masklint.describe.describe_source_text` (passed in, as is ``FileInfo``: that module
    imports this one)."""
    nb = read_notebook(path)
    try:
        joined = python_of(nb)
        if joined is None:
            return FileInfo(path, skipped=f"a {nb.language} notebook, not Python; not linted")
        if not joined.text:
            return None
        try:
            info = describe_source_text(encoded(joined), path, known)
        except LintError as exc:
            raise LintError(error(str(exc), joined)) from None
    finally:
        close = getattr(nb.buf, "close", None)
        if close is not None:
            close()
    if info is not None:
        for m in info.models:
            _to_cell(m, joined)
            for u in m.unknown:
                _to_cell(u, joined)
                u.why = refs(u.why, joined)
    return info
