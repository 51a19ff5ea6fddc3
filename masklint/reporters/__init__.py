"""Report formats, one module each: :mod:`.text`, :mod:`.json_format`, :mod:`.github`, :mod:`.sarif`,
:mod:`.markdown`, :mod:`.gitlab` (Code Quality), :mod:`.junit` (shared helpers in :mod:`.common`).

Every format module has ``report(findings, *, files, errors, root=None, version=..., colour=False) ->
str``. :data:`FORMATS` is the one list of format names (the CLI's ``--format`` choices come from it).
The SARIF and Markdown modules are imported only when asked for: this package is on the CLI's fast
path (no click, no jsonschema).
"""
from __future__ import annotations

from collections.abc import Callable

from .._version import __version__
from ..findings import Finding


def _text():
    from . import text

    return text.report


def _json():
    from . import json_format

    return json_format.report


def _github():
    from . import github

    return github.report


def _sarif():
    from . import sarif

    return sarif.report


def _markdown():
    from . import markdown

    return markdown.report


def _gitlab():
    from . import gitlab

    return gitlab.report


def _junit():
    from . import junit

    return junit.report


#: format name -> the loader of its ``report`` function
_REPORTERS: dict[str, Callable[[], Callable[..., str]]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "github": _github,
    "markdown": _markdown,
    "gitlab": _gitlab,
    "junit": _junit,
}

#: the formats, in the order ``--help`` lists them
FORMATS: tuple[str, ...] = tuple(_REPORTERS)


def render(fmt: str, findings: list[Finding], *, files: int, errors: list[tuple[str, str]],
           root: str | None = None, version: str = __version__, colour: bool = False,
           paths: list[str] | None = None) -> str:
    """The whole report in format ``fmt`` (one of :data:`FORMATS`), ending with a newline.

    ``files``: files checked; ``errors``: ``(path, reason)`` of the files that could not be linted (they
    still go to stderr too: the report carries them where the format has a place for them: SARIF
    notifications, GitHub annotations, a Markdown list); ``root``: the directory SARIF URIs and
    GitHub/Markdown paths are made relative to (default: the current directory); ``colour``: ANSI
    colours in the text format only; ``paths``: every file the run looked at (JUnit: one test case
    each; default: the files named by findings and errors).
    """
    loader = _REPORTERS.get(fmt)
    if loader is None:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return loader()(findings, files=files, errors=errors, root=root, version=version, colour=colour,
                    paths=paths)
