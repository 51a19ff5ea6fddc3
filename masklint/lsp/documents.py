"""One open document linted from its in-memory text, never from the file on disk, with the
configuration of its path (the nearest ``pyproject.toml`` with a ``[tool.masklint]`` table, read again
for every lint so that an edited configuration applies at once); and its fixed text.

The text is linted as ``masklint --stdin-filename PATH -`` lints standard input
(:func:`masklint.lint_command.lint_bytes`); a notebook arrives as the ``.ipynb`` file's JSON text and
is linted as a notebook file is, its findings placed by cell and by the JSON text's line and column
(``extra["file_line"]``/``["file_column"]``).
Nothing here imports pygls.
"""
from __future__ import annotations

import os

from ..config import ConfigError
from ..errors import InternalError
from ..project import Project
from ..runner import RunResult, guarded

PYTHON_EXTS = (".py", ".pyi")
NOTEBOOK_EXTS = (".ipynb",)


class Linted:
    """What linting a document gave: its findings (configured selection applied) and, when it could
    not be linted, why (``problem``; None for a syntax error: the document is being typed)."""

    __slots__ = ("findings", "problem")

    def __init__(self, findings=None, problem: str | None = None):
        self.findings = findings or []
        self.problem = problem


def lintable(uri: str, path: str | None, language_id: str | None = None) -> bool:
    """Whether a document is linted: a file (or an unsaved buffer) of Python code or a notebook. A
    notebook's cells opened one by one (``vscode-notebook-cell:`` documents) are not: a cell alone is
    not the module its notebook runs."""
    if not uri.startswith(("file:", "untitled:")):
        return False
    if path and path.lower().endswith(PYTHON_EXTS + NOTEBOOK_EXTS):
        return True
    return language_id == "python"


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_EXTS)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate: "is not UTF-8 text", as for a file


def _project(path: str) -> Project:
    return Project.load([path])


def lint_document(text: str, path: str) -> Linted:
    """The findings of the document ``path`` whose current text is ``text``; never raises."""
    try:
        project = _project(path)
        if project.settings(path).excluded(path):
            return Linted()
    except ConfigError as exc:
        return Linted(problem=f"configuration error: {exc}")
    from ..lint_command import lint_bytes

    found, err = guarded(lint_bytes, _encode(text), path, project.known(path))
    if err is not None:
        if isinstance(err, InternalError):
            return Linted(problem=f"internal error: {err.detail} (please report it)")
        if "syntax error" in err:  # an editor shows syntax errors itself; stale findings would mislead
            return Linted()
        return Linted(problem=f"not linted: {err}")
    res = RunResult()
    res.findings = [f for f in found if f.path == path]  # no other file is linted from here
    try:
        return Linted(project.finish(res).findings)
    except ConfigError as exc:
        return Linted(problem=f"configuration error: {exc}")


def finding_key(f, joined=None) -> tuple:
    """What names a finding across a lint and a fix of the same text: (code, layer, cell, line). In a
    fix of a notebook the findings are on the joined module's lines: ``joined`` maps them to cells."""
    if joined is not None:
        w = joined.locate(f.line)
        cell, line = w if w is not None else (None, f.line)
        return (f.code, f.layer, cell, line)
    return (f.code, f.layer, f.cell, f.line)


def is_safe(f) -> bool:
    """Whether a finding has a fix that may be applied without review: the fix masklint offers for it
    (``Finding.autofix``, checked by re-linting the fixed text, see :mod:`masklint.fix_plan`) is labelled
    safe, as ruff labels its fixes. Unsafe fixes are left to ``masklint --fix --unsafe-fixes``."""
    autofix = getattr(f, "autofix", None)
    return isinstance(autofix, dict) and autofix.get("applicability") == "safe"


def fixed_text(text: str, path: str, keys=None) -> str | None:
    """The document's text with the safe fixes of the findings named by ``keys`` (a set of
    :func:`finding_key` tuples; None: every finding reported) applied; None when nothing changes or
    the document cannot be linted. Only reported findings are fixed (selection, ``# noqa``)."""
    try:
        project = _project(path)
    except ConfigError:
        return None
    out, err = guarded(_fixed, _encode(text), path, project, keys)
    return out if err is None else None


def _fixed(raw: bytes, path: str, project: Project, keys) -> str | None:
    joined = None

    def want(f) -> bool:
        if not is_safe(f) or not project.select([f]):
            return False
        return keys is None or finding_key(f, joined) in keys

    if not is_notebook(path):
        from ..source_lint import fix_source_text

        return fix_source_text(raw, path, want)
    from ..notebook.lint import python_of, read_notebook_bytes
    from ..notebook.write import fix_notebook, rewrite

    nb = read_notebook_bytes(raw)
    joined = python_of(nb)
    edits = fix_notebook(nb, joined, path, want)
    if not edits:
        return None
    return rewrite(nb, edits).decode("utf-8", "surrogatepass")


def document_path(uri: str, path: str | None) -> str:
    """The file path a document is linted as: its own, or for an unsaved buffer a name in the current
    directory (whose configuration then applies)."""
    if path:
        return os.path.abspath(path)
    name = uri.rsplit("/", 1)[-1] or "untitled"
    if not name.lower().endswith(PYTHON_EXTS + NOTEBOOK_EXTS):
        name += ".py"
    return os.path.join(os.getcwd(), name)
