"""Baselines: adopt masklint on legacy code by recording today's findings and reporting only new ones.

A baseline is a JSON file (``--write-baseline FILE``) holding one entry per finding with a
fingerprint that never contains line numbers, so a finding whose code merely moved keeps matching:
for model files the code, the file and the culprit layer path and consumer
(:func:`masklint.reporters.common.fingerprint`); for source files the code, the file and the text of the culprit's
line (whitespace-normalised) -- not the layer's auto-generated name, which shifts when a layer is added
above it; for notebook cells the text of the line in its cell, never the cell number (a cell inserted
above does not make a finding new). ``--baseline FILE`` drops the findings
that match an entry; entries are counted, so a second identical mistake in the same file is new.
"""
from __future__ import annotations

import json

from .errors import LintError
from .findings import Finding

VERSION = 1
MAX_BYTES = 64 * 1024 * 1024


class BaselineError(LintError):
    pass


_LINES: dict[str, list[str] | None] = {}


def _line_text(path: str, line: int, cell: int | None = None) -> str | None:
    if cell is not None:  # a notebook: the line in its cell (see masklint.notebook.lines)
        from .notebook.lines import cell_line_text

        text = cell_line_text(path, cell, line)
        return None if text is None else " ".join(text.split())
    if path not in _LINES:
        from .source_lint import read_source

        try:
            _LINES[path] = read_source(path).decode("utf-8", "replace").splitlines()
        except LintError:
            _LINES[path] = None
    lines = _LINES[path]
    if lines is None or not 0 < line <= len(lines):
        return None
    return " ".join(lines[line - 1].split())


def key(f: Finding) -> str:
    """The baseline fingerprint of a finding (see the module docstring)."""
    import hashlib

    from .reporters.common import fingerprint, rel_path

    if f.line is not None and f.path:
        text = _line_text(f.path, f.line, f.cell)
        if text is not None:
            text = text.split("# noqa", 1)[0].rstrip()
            return hashlib.sha256("\x1f".join(("src", f.code, rel_path(f.path), text)).encode()).hexdigest()
    return fingerprint(f)


def _entry(f: Finding) -> dict:
    from .reporters.common import rel_path

    return {"fingerprint": key(f), "code": f.code, "name": f.name, "path": rel_path(f.path),
            "layer": f.layer, "line": f.line, "cell": f.cell, "message": f.message}


def write(path: str, findings: list[Finding]) -> int:
    data = {"tool": "masklint", "version": VERSION,
            "findings": sorted((_entry(f) for f in findings), key=lambda e: (e["path"], e["code"], e["fingerprint"]))}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    return len(findings)


def load(path: str) -> dict[str, int]:
    """fingerprint -> how many findings it covers."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise BaselineError(f"baseline is larger than {MAX_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BaselineError("is not a masklint baseline (not valid JSON)") from None
    if not isinstance(data, dict) or data.get("tool") != "masklint" or not isinstance(data.get("findings"), list):
        raise BaselineError("is not a masklint baseline (write one with --write-baseline)")
    if data.get("version") != VERSION:
        raise BaselineError(f"unsupported baseline version {data.get('version')!r} (expected {VERSION})")
    counts: dict[str, int] = {}
    for e in data["findings"]:
        fp = e.get("fingerprint") if isinstance(e, dict) else None
        if not isinstance(fp, str):
            raise BaselineError("is not a masklint baseline (an entry has no fingerprint)")
        counts[fp] = counts.get(fp, 0) + 1
    return counts


def filter_new(path: str, findings: list[Finding]) -> tuple[list[Finding], int]:
    """(the findings not covered by the baseline, how many were covered)."""
    counts = load(path)
    new, covered = [], 0
    for f in findings:
        fp = key(f)
        if counts.get(fp, 0) > 0:
            counts[fp] -= 1
            covered += 1
        else:
            new.append(f)
    return new, covered
