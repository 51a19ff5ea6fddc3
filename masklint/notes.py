"""What a lint run says besides findings and errors: notes on files, and files a walk skips.

* :class:`Findings`: the findings of one file (a ``list``) that may carry ``notes``, one-line facts
  of the info kind that are not rule findings (e.g. "the layer graph of this subclassed model is
  not saved"); the CLI prints them as ``masklint: note: PATH: text`` lines.
* :class:`NotAModel`: a :class:`LintError` for a file that holds no model by design (a weights-only
  file, a SavedModel without a Keras config). Named explicitly it is an error (exit 2) like any
  other; found by a directory walk it is skipped, with a note, so that a repository holding
  checkpoints can pass a CI gate. :func:`masklint.runner.guarded` turns it into a
  :class:`SkipReason` (a ``str``, picklable across worker processes).
"""
from __future__ import annotations

from .errors import LintError


class Findings(list):
    """A file's findings, with its ``notes`` (one-line strings, without the path)."""

    def __init__(self, items=(), notes=()):
        super().__init__(items)
        self.notes = list(notes)


class NotAModel(LintError):
    """A file or directory that holds no model config by design (skipped when a walk finds it)."""


class SkipReason(str):
    """The reason of a :class:`NotAModel` error, as it travels in ``(path, reason)`` lists."""


def notes_of(found) -> list[str]:
    return list(getattr(found, "notes", None) or ())


GRAPH_NOT_SAVED = ("lint the live model with `masklint.check(model)` in Python, or "
                   "`masklint probe package.module:factory` (a function returning the built model)")


def write_notes(res, quiet: bool = False) -> None:
    """The notes of a run on stderr, one ``masklint: note: PATH: text`` line each (none when quiet)."""
    if quiet or not res.notes:
        return
    import sys

    sys.stderr.write("".join(f"masklint: note: {p}: {n}\n" for p, n in res.notes))
    sys.stderr.flush()


def with_notes(tail: str, res, quiet: bool = False) -> str:
    """The text summary line ``tail`` with the count of files a walk skipped (the notes say which)."""
    if not tail or quiet or not res.skipped:
        return tail
    n = res.skipped
    return (f"{tail.rstrip().rstrip('.')}; {n} file{'s' if n != 1 else ''} skipped "
            f"(no model in {'them' if n != 1 else 'it'}: see the notes).\n")
