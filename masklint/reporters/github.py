"""GitHub Actions workflow commands (``--format github``): annotations on the pull request (a notebook
finding at the ``.ipynb`` file's line, its message led by ``cell C, line L``: :mod:`.cells`)."""
from __future__ import annotations

from ..findings import Finding
from .cells import file_region, located_message
from .common import rel_path
from .text import summary

GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def report(findings: list[Finding], *, files: int, errors: list[tuple[str, str]], root: str | None = None,
           **_) -> str:
    """One ``::error``/``::warning``/``::notice`` workflow command per finding (file, line, col, title),
    one ``::error`` per file that could not be linted, then the plain summary line for the log."""
    out = []
    for f in findings:
        props = [f"file={_gh_prop(rel_path(f.path, root))}"]
        line, column = file_region(f)  # a notebook: the line of the .ipynb file, as GitHub shows it
        if line is not None:
            props.append(f"line={line}")
            props.append(f"col={column or 1}")
        title = f"{f.code} {f.name}"
        if f.line is None and f.layer:
            title += f" at layer {f.layer}"
        props.append(f"title={_gh_prop(title)}")
        msg = located_message(f, f.message + (f" (fix: {f.fix})" if f.fix else ""))
        out.append(f"::{GITHUB_LEVEL.get(f.severity, 'warning')} {','.join(props)}::{_gh_data(msg)}")
    for path, reason in errors:
        out.append(f"::error file={_gh_prop(rel_path(path, root))},title={_gh_prop('masklint could not lint this file')}"
                   f"::{_gh_data(reason)}")
    out.append(summary(findings, files, len(errors)))
    return "\n".join(out) + "\n"
