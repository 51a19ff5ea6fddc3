"""Text and JSON rendering of findings (no click import: this is on the fast path)."""
from __future__ import annotations

import json
import os

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
