"""Rendering of findings: text, JSON, GitHub annotations here; SARIF and Markdown in
:mod:`masklint.report_sarif` / :mod:`masklint.report_markdown`, imported only when asked for (no click,
no jsonschema: this module is on the fast path)."""
from __future__ import annotations

import json
import os
import re

from . import __version__
from .findings import Finding

SEV_COLOUR = {"error": "31", "warning": "33", "info": "36"}


def use_colour(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _style(text: str, code: str) -> str:
    return f"\x1b[{code}m{text}\x1b[0m"


def location(f: Finding) -> str:
    if f.line is not None:
        return f"{f.path}:{f.line}:{f.column or 1}"
    return f"{f.path}:{f.layer}" if f.layer else f.path


def format_text(f: Finding, colour: bool) -> str:
    sev = f"[{f.severity}]"
    code = f.code
    if colour:
        sev = _style(sev, SEV_COLOUR.get(f.severity, "0"))
        code = _style(code, "1")
    line = f"{location(f)}: {code} {sev} {f.message}"
    if f.fix:
        line += f" (fix: {f.fix})"
    return line


def summary(findings: list[Finding], files: int, errors: int) -> str:
    by = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        by[f.severity] = by.get(f.severity, 0) + 1
    n = len(findings)
    files_txt = f"{files} file{'s' if files != 1 else ''} checked"
    err_txt = f", {errors} file{'s' if errors != 1 else ''} could not be linted" if errors else ""
    if not n:
        return f"No findings; {files_txt}{err_txt}."
    parts = ", ".join(f"{c} {s}{'s' if c != 1 else ''}" for s, c in by.items() if c)
    return f"Found {n} finding{'s' if n != 1 else ''} ({parts}); {files_txt}{err_txt}."


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2)


# -- report formats --------------------------------------------------------------------------------

FORMATS = ("text", "json", "sarif", "github", "markdown")


def render(fmt: str, findings: list[Finding], *, files: int, errors: list[tuple[str, str]],
           root: str | None = None, version: str = __version__, colour: bool = False) -> str:
    """The whole report in format ``fmt`` (one of :data:`FORMATS`), ending with a newline.

    ``files``: files checked; ``errors``: ``(path, reason)`` of the files that could not be linted (they
    still go to stderr too: the report carries them where the format has a place for them: SARIF
    notifications, GitHub annotations, a Markdown list); ``root``: the directory SARIF URIs and
    GitHub/Markdown paths are made relative to (default: the current directory); ``colour``: ANSI
    colours in the text format only.
    """
    if fmt == "text":
        lines = [format_text(f, colour) for f in findings]
        lines.append(summary(findings, files, len(errors)))
        return "\n".join(lines) + "\n"
    if fmt == "json":
        return format_json(findings) + "\n"
    if fmt == "github":
        return format_github(findings, files=files, errors=errors, root=root)
    if fmt == "sarif":
        from .report_sarif import sarif_log

        return json.dumps(sarif_log(findings, errors=errors, root=root, version=version), indent=2) + "\n"
    if fmt == "markdown":
        from .report_markdown import markdown_report

        return markdown_report(findings, files=files, errors=errors, root=root, version=version)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def rel_path(path: str, root: str | None = None) -> str:
    """``path`` with forward slashes, relative to ``root`` (default: the current directory) when it
    lies inside it; other paths are kept as given (normalized)."""
    p = os.path.normpath(path)
    base = os.path.abspath(root if root is not None else os.curdir)
    ap = os.path.abspath(p)
    try:
        inside = os.path.commonpath([base, ap]) == base
    except ValueError:  # another drive on Windows
        inside = False
    if inside and (os.path.isabs(p) or root is not None):
        p = os.path.relpath(ap, base)
    return p.replace(os.sep, "/")


_LINE_REF = re.compile(r" \(line \d+\)")


def fingerprint(finding: Finding, root: str | None = None) -> str:
    """A stable identity of a finding for baselines and SARIF ``partialFingerprints``.

    sha256 over code, path (relative to ``root``/the current directory, forward slashes), culprit layer
    path and consumer -- never line or column numbers, so the fingerprint survives edits that move code.
    The message (with ``(line N)`` references removed) is used only when the finding names no layer, so
    rewording a message in a new masklint version does not invalidate a baseline.
    """
    import hashlib

    parts = [finding.code, rel_path(finding.path, root) if finding.path else "", finding.layer or "",
             finding.consumer or ""]
    if not finding.layer:
        parts.append(_LINE_REF.sub("", finding.message))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# -- GitHub Actions workflow commands ---------------------------------------------------------------

GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: list[Finding], *, files: int, errors: list[tuple[str, str]],
                  root: str | None = None) -> str:
    """One ``::error``/``::warning``/``::notice`` workflow command per finding (file, line, col, title),
    one ``::error`` per file that could not be linted, then the plain summary line for the log."""
    out = []
    for f in findings:
        props = [f"file={_gh_prop(rel_path(f.path, root))}"]
        if f.line is not None:
            props.append(f"line={f.line}")
            props.append(f"col={f.column or 1}")
        title = f"{f.code} {f.name}"
        if f.line is None and f.layer:
            title += f" at layer {f.layer}"
        props.append(f"title={_gh_prop(title)}")
        msg = f.message + (f" (fix: {f.fix})" if f.fix else "")
        out.append(f"::{GITHUB_LEVEL.get(f.severity, 'warning')} {','.join(props)}::{_gh_data(msg)}")
    for path, reason in errors:
        out.append(f"::error file={_gh_prop(rel_path(path, root))},title={_gh_prop('masklint could not lint this file')}"
                   f"::{_gh_data(reason)}")
    out.append(summary(findings, files, len(errors)))
    return "\n".join(out) + "\n"
