"""The text format (the default): one line per finding, location first, then a summary line.

Also the summary line itself, which the GitHub and Markdown formats and ``masklint probe`` reuse.
"""
from __future__ import annotations

import os

from ..findings import SEVERITIES, Finding

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
        if f.cell is not None:
            return f"{f.path}:cell {f.cell}:{f.line}:{f.column or 1}"
        return f"{f.path}:{f.line}:{f.column or 1}"
    return f"{f.path}:{f.layer}" if f.layer else f.path


def format_text(f: Finding, colour: bool, fixable: bool = False) -> str:
    """One finding's line; ``fixable``: ``--fix`` would fix it (ruff's ``[*]`` after the severity)."""
    sev = f"[{f.severity}]" + (" [*]" if fixable else "")
    code = f.code
    if colour:
        sev = _style(sev, SEV_COLOUR.get(f.severity, "0"))
        code = _style(code, "1")
    line = f"{location(f)}: {code} {sev} {f.message}"
    if f.fix:
        line += f" (fix: {f.fix})"
    return line


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' if n != 1 else ''}"


def summary(findings: list[Finding], checked: int, errors: int, *, unit: str = "file", done: str = "checked",
            failed: str = "could not be linted") -> str:
    """The summary line: findings by severity, ``checked`` units (files) done, ``errors`` that failed.

    ``No findings; 3 files checked.`` / ``Found 2 findings (1 error, 1 warning); 3 files checked.``;
    when some failed, the line never reads as a success: ``Found 1 finding (1 error); 2 files checked,
    1 file could not be linted.``, and without findings it leads with the failure:
    ``1 file could not be linted; 0 files checked.`` / ``1 file could not be linted; no findings in
    2 files checked.`` ``masklint probe`` says ``model``/``probed``/``could not be probed``.
    """
    done_txt = f"{_count(checked, unit)} {done}"
    err_txt = f"{_count(errors, unit)} {failed}"
    n = len(findings)
    if not n:
        if not errors:
            return f"No findings; {done_txt}."
        return f"{err_txt}; {'no findings in ' if checked else ''}{done_txt}."
    by = {s: 0 for s in reversed(SEVERITIES)}  # the worst first
    for f in findings:
        by[f.severity] = by.get(f.severity, 0) + 1
    parts = ", ".join(_count(c, s) for s, c in by.items() if c)
    return f"Found {_count(n, 'finding')} ({parts}); {done_txt}{', ' + err_txt if errors else ''}."


def report(findings: list[Finding], *, files: int, errors: list[tuple[str, str]], colour: bool = False,
           unsafe=None, **_) -> str:
    """The findings, one per line, then the summary line (and ruff's line of what ``--fix`` would fix;
    ``unsafe(path)``: whether unsafe fixes are enabled for a file)."""
    from ..fix_plan import fixable, fixes_summary

    lines = [format_text(f, colour, fixable(f, unsafe)) for f in findings]
    lines.append(summary(findings, files, len(errors)))
    hint = fixes_summary(findings, unsafe)
    if hint:
        lines.append(hint)
    return "\n".join(lines) + "\n"
