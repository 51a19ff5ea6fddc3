"""Findings across the files of one run: where a finding lands when the culprit layer was built by code of
another linted file (``build_model()`` from ``model.py``, called in ``train.py``), and the run-level
merge of what the files found.

* :func:`project_for`: the run's :class:`~masklint.frontends.source.modules.ProjectIndex` (None when
  fewer than two source files are linted: a file linted alone resolves none of its imports).
* :func:`place`: positions of the layers a file's lint made, each resolved in the file whose code built
  it; returns the lines of every file involved (for ``# noqa``).
* :func:`merge`: the run's findings with each finding reported once (the finding of the culprit's own
  file first, then the first file that found it) and ``# noqa`` comments of one file that suppress a
  finding found from another file counted as used (unused-noqa).

A finding located in another file is marked (``extra["_from"]``) until :func:`merge` drops the mark; a
finding suppressed by another file's ``# noqa`` is kept as a mark only (``extra["_noqa_used"]``).
"""
from __future__ import annotations

FROM = "_from"
NOQA_USED = "_noqa_used"


def project_for(files: list[str], roots: list[str]):
    sources = [p for p in files if p.lower().endswith(".py")]
    notebooks = any(p.lower().endswith(".ipynb") for p in files)  # they import modules, are never imported
    if len(sources) < (1 if notebooks else 2):
        return None
    from .frontends.source.modules import ProjectIndex

    return ProjectIndex(sources, roots)


def place(module, layers, text: str, path: str, project) -> dict[str, list[str]]:
    """Resolve the positions of ``layers`` (each in its own file); {path: lines} of the files."""
    from .frontends.source import resolve_positions

    groups: dict = {}
    for lay in layers:
        groups.setdefault(lay.file, []).append(lay)
    main = groups.pop(None, [])
    resolve_positions(module, main, text)
    if project is not None:  # every layer now names its file: messages tell lines of other files apart
        for lay in main:
            lay.file = path
    lines = {path: text.splitlines()}
    for f, lays in groups.items():
        ent = project.entry(f) if project is not None and f is not None else None
        if ent is not None:
            resolve_positions(ent.module, lays, ent.text)
            lines.setdefault(f, ent.text.splitlines())
    return lines


def merge(findings: list, noqa) -> list:
    """Drop the marks, the findings reported twice, and unused-noqa findings another file used
    (``noqa``: the compiled ``# noqa`` pattern of :mod:`masklint.source_lint`)."""
    from .rules import mk002_unused_noqa

    used: dict[tuple, set] = {}
    kept = []
    for f in findings:
        if f.extra.pop(NOQA_USED, None):
            used.setdefault((f.path, f.line), set()).add(f.code)
        else:
            kept.append(f)
    seen = {(f.code, f.path, f.line, f.column) for f in kept if FROM not in f.extra and f.line is not None}
    out = []
    for f in kept:
        if FROM in f.extra:
            f.extra.pop(FROM)
            key = (f.code, f.path, f.line, f.column)
            if key in seen:
                continue
            seen.add(key)
        elif f.code == mk002_unused_noqa.RULE.code and (f.path, f.line) in used:
            f = _renoqa(f, used[(f.path, f.line)], noqa)
            if f is None:
                continue
        out.append(f)
    return out


def _renoqa(f, codes: set, noqa):
    """The unused-noqa finding ``f`` once ``codes`` count as used on its line (None: all used)."""
    from .findings import finding_of
    from .rules import mk002_unused_noqa, resolve

    try:
        with open(f.path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        line = lines[f.line - 1]
    except (OSError, UnicodeDecodeError, IndexError, TypeError):
        return f
    recs = mk002_unused_noqa.check([line], {1: codes}, noqa, resolve)
    if not recs:
        return None
    rec = recs[0]
    rec.line = f.line
    out = finding_of(rec, f.path, f.source)
    out.severity = f.severity
    return out
