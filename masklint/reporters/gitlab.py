"""GitLab Code Quality report (``--format gitlab``): the JSON array GitLab reads from a job's
``artifacts:reports:codequality`` file and shows in the merge request widget and the diff.

One issue per finding, in the subset of the Code Climate issue format that GitLab documents
(https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): ``description``,
``check_name``, ``fingerprint``, ``severity``, ``location.path`` (relative to the root, forward
slashes) and ``location.lines.begin``/``end``; plus ``type``, ``categories``, ``engine_name`` and
``content.body`` (the fix) from the Code Climate spec, which GitLab ignores.

* **severity**: masklint's three levels on GitLab's five (:data:`SEVERITY`); an override from
  ``[tool.masklint.severity]`` is already in ``Finding.severity``.
* **fingerprint**: the baseline's identity of the finding (:func:`masklint.baseline.key`: rule, file and
  the text of the culprit's line, or its layer path in a model file; never a line number), so a
  finding whose code moves keeps its fingerprint and GitLab does not report it as new. GitLab keeps
  one issue per fingerprint, so a second identical finding in the same file gets the occurrence
  number mixed in.
* **lines**: a model file has no lines: its findings sit on line 1 (the layer path is in the
  description); a notebook finding sits on the ``.ipynb`` file's line where its cell line is stored,
  like SARIF and GitHub (:mod:`.cells`).
* Files that could not be linted become ``blocker`` issues with ``check_name`` ``masklint/could-not-lint``
  (the run exits 2): GitLab has no other place to show them.
"""
from __future__ import annotations

import hashlib
import json

from ..findings import Finding
from .cells import file_region, located_message
from .common import fingerprint, rel_path

#: masklint severity -> GitLab Code Quality severity (info, minor, major, critical, blocker)
SEVERITY = {"info": "info", "warning": "major", "error": "critical"}
#: the severity of a file masklint could not lint
ERROR_SEVERITY = "blocker"
ERROR_CHECK = "masklint/could-not-lint"


def _text(s: str) -> str:
    """``s`` as UTF-8 can carry it (a path undecodable on disk holds lone surrogates)."""
    return s.encode("utf-8", "replace").decode("utf-8")


def _key(f: Finding) -> str:
    from ..baseline import key

    try:
        return key(f)
    except (OSError, ValueError):  # a path the file system refuses (NUL, surrogates): no line text
        return fingerprint(f)


def _fingerprint(base: str, seen: dict[str, int]) -> str:
    n = seen.get(base, 0)
    seen[base] = n + 1
    if n == 0:
        return base
    return hashlib.sha256(f"{base}\x1f{n}".encode()).hexdigest()


def _location(path: str, line: int | None, root: str | None) -> dict:
    line = line if isinstance(line, int) and line >= 1 else 1
    return {"path": _text(rel_path(path, root)) if path else "-", "lines": {"begin": line, "end": line}}


def issue(f: Finding, fingerprint: str, root: str | None = None) -> dict:
    """The Code Quality issue of one finding."""
    line, _ = file_region(f)
    text = located_message(f, f.message)
    where = f" (layer {f.layer})" if f.line is None and f.layer else ""
    out = {
        "type": "issue",
        "description": _text(f"{f.code} {f.name}: {text}{where}"),
        "check_name": f.code,
        "fingerprint": fingerprint,
        "severity": SEVERITY.get(f.severity, "major"),
        "categories": ["Bug Risk"],
        "engine_name": "masklint",
        "location": _location(f.path, line, root),
    }
    if f.fix:
        out["content"] = {"body": _text(f"Fix: {f.fix}")}
    return out


def issues(findings: list[Finding], errors: list[tuple[str, str]], root: str | None = None) -> list[dict]:
    seen: dict[str, int] = {}
    out = [issue(f, _fingerprint(_key(f), seen), root) for f in findings]
    for path, reason in errors:
        base = hashlib.sha256("\x1f".join((ERROR_CHECK, rel_path(path, root) if path else "-",
                                           str(reason))).encode("utf-8", "replace")).hexdigest()
        out.append({
            "type": "issue",
            "description": _text(f"masklint could not lint this file: {reason}"),
            "check_name": ERROR_CHECK,
            "fingerprint": _fingerprint(base, seen),
            "severity": ERROR_SEVERITY,
            "categories": ["Bug Risk"],
            "engine_name": "masklint",
            "location": _location(path, None, root),
        })
    return out


def report(findings: list[Finding], *, errors: list[tuple[str, str]], root: str | None = None, **_) -> str:
    """The Code Quality JSON array (``[]`` when there is nothing to report)."""
    return json.dumps(issues(findings, errors, root), indent=2) + "\n"
