"""Lint Python model code: the source front end, the shared analysis, positions, ``# noqa``."""
from __future__ import annotations

import re

from .analysis import run_analysis
from .errors import LintError
from .findings import Finding, finding_of
from .knowledge.versions import of_source, target_for
from .rules import mk002_unused_noqa, resolve

SKIP_FILE = re.compile(r"^\s*#\s*masklint:\s*skip-file\b", re.M)
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_\-, ]+))?", re.I)
MAX_SOURCE_BYTES = 20 * 1024 * 1024


def read_source(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise LintError(f"cannot read file ({exc.strerror or exc})") from None
    if len(raw) > MAX_SOURCE_BYTES:
        raise LintError(f"is larger than {MAX_SOURCE_BYTES} bytes; not linted")
    return raw


def _analyse(raw: bytes, path: str, known: dict | None = None, project=None):
    """(text, module, layers, issues), or None when the file is skipped."""
    from .frontends.source import extract, mentions_keras

    if not mentions_keras(raw) and not (project is not None and project.imports_linted(raw)):
        # the pre-filter: most Python files never touch Keras (nor import a linted file that does)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LintError("is not UTF-8 text") from None
    if SKIP_FILE.search(text):
        return None
    graphs, module, layers, extra = extract(text, path, project)
    issues = list(extra)
    target = lambda: of_source(raw, target_for(path))  # noqa: E731 - resolved only when an RNN needs it
    for g in graphs:
        issues.extend(run_analysis(g, known=known, target=target).issues.values())
    return text, module, layers, issues


def _release(layers) -> None:
    """Drop the IR's links into the libcst tree: the IR is cyclic (tensors <-> nodes), so without this
    the whole tree waits for the cyclic GC, which costs more than the parse on big runs."""
    for lay in layers:
        lay.cst = lay.source_lambda = None
        if lay.graph is not None:  # a custom layer's inner graph (its ClassDef, the parts not followed)
            lay.graph.cst = None
            for u in lay.graph.unknown:
                u.cst = None


def lint_source_text(raw: bytes, path: str, known: dict | None = None, project=None, *,
                     fixes: bool = True) -> list[Finding]:
    """The findings of one file; ``project``: the run's index of linted files (``cross_file.py``), whose
    imports are then followed and whose findings may lie in those files. ``fixes``: mark the findings
    whose autofix is offered (``fix_plan.py``: re-lints the fixed text once when there are fixes)."""
    res = _analyse(raw, path, known, project)
    if res is None:
        return []
    try:
        found = _findings(res, path, project)
        if fixes and res[3]:  # only records whose rule plans an edit cost anything (one more lint)
            from .fix_plan import mark

            mark(found, res, path, lambda new: lint_source_text(new.encode(), path, known, project, fixes=False))
        return found
    finally:
        _release(res[2])


def _unused_noqa(text: str, lines: list[str], raw: list[Finding], path: str) -> list[Finding]:
    """The unused-noqa findings of a file (see ``rules/mk002_unused_noqa.py``)."""
    if "noqa" not in text:
        return []
    used: dict[int, set[str]] = {}
    for f in raw:
        if f.line is not None:
            used.setdefault(f.line, set()).add(f.code)
    return [finding_of(rec, path, "source") for rec in mk002_unused_noqa.check(lines, used, NOQA, resolve)]


def _findings(res, path: str, project=None) -> list[Finding]:
    from .cross_file import FROM, NOQA_USED, place

    text, module, layers, issues = res
    if not issues:
        return _unused_noqa(text, text.splitlines(), [], path) if "noqa" in text else []
    lines_of = place(module, layers, text, path, project)
    by_path = {}
    for lay in layers:
        by_path.setdefault(lay.path, lay)
    lines = lines_of[path]
    out: dict[tuple, Finding] = {}
    raw = []
    for iss in issues:
        where = getattr(iss.culprit, "file", None) or path  # a layer built by another file's code lands there
        f = finding_of(iss, where, "source", by_path)
        cons = by_path.get(iss.consumer) if iss.consumer else None
        if cons is not None and cons.line is not None and cons is not iss.culprit \
                and cons.file == getattr(iss.culprit, "file", None):
            f.message = f.message.replace(f"'{iss.consumer}'", f"'{iss.consumer}' (line {cons.line})", 1)
        if where != path:
            f.extra[FROM] = path
        else:
            raw.append(f)
        if _suppressed(f, lines_of.get(where, ())):
            if where != path:  # kept as a mark: that file's noqa is used (cross_file.merge)
                f.extra[NOQA_USED] = True
                out.setdefault((f.path, f.code, f.line, f.column, NOQA_USED), f)
            continue
        out.setdefault((f.path, f.code, f.line, f.column), f)
    found = list(out.values()) + _unused_noqa(text, lines, raw, path)
    return sorted(found, key=Finding.sort_key)


def _suppressed(f: Finding, lines: list[str]) -> bool:
    if f.line is None or not 0 < f.line <= len(lines):
        return False
    m = NOQA.search(lines[f.line - 1])
    if not m:
        return False
    codes = m.group("codes")
    if not codes:
        return True
    wanted = {c.strip().upper() for c in codes.replace(",", " ").split()}
    return f.code in wanted or f.name.upper() in wanted


def lint_source_file(path: str, known: dict | None = None, project=None) -> list[Finding]:
    return lint_source_text(read_source(path), path, known, project)


def fix_source_text(raw: bytes, path: str, want=None, unsafe: bool = False) -> str | None:
    """The fixed text of a file, or None when nothing is fixable. Suppressed findings are not fixed,
    nor those ``want(finding)`` rejects (the configuration's selection, for the CLI), nor unsafe fixes
    unless ``unsafe`` (``--unsafe-fixes``). Only checked fixes are applied (``fix_plan.self_checked``:
    the fixed text re-lints without a new finding)."""
    from .fix_plan import SAFE, available, self_checked

    res = _analyse(raw, path)
    if res is None or not res[3]:
        return None
    text, module, layers, issues = res
    try:
        before = _findings(res, path)  # positions resolved, noqa applied: what the fixes are checked against
        lines = text.splitlines()

        def keep(f: Finding) -> bool:
            return not _suppressed(f, lines) and (want is None or want(f)) and \
                (unsafe or f.autofix["applicability"] == SAFE)

        fixes = available(issues, path, keep, layers, module)
        _, new = self_checked(fixes, module, text, before,
                              lambda new_text: lint_source_text(new_text.encode(), path, fixes=False))
    finally:
        _release(layers)
    return new if new is not None and new != text else None
