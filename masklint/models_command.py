"""``masklint models PATH...``: list what masklint understood of each file (contract: shared/spec/cli.md).

Files are collected and excluded exactly as for linting (:func:`masklint.runner.collect`, the
configuration's ``exclude``); a source file that never mentions Keras is not listed. Exit code 0, or 2
when a file (or path) could not be read: one ``masklint: error: PATH: reason`` line on stderr each,
the other files still listed.

Text output, one line per model then its unknown parts, indented::

    src/train.py:12: sequential classifier (5 layers)
        unknown: CustomPool() (line 9): custom layer class: its call() is not followed, ...
    src/utils.py: no model: only imports Keras; builds no model
    models/clf.keras: saved clf (7 layers, 1 op)
    Found 2 models in 2 files; 3 files listed, 1 without a model.

JSON (``--format json``): an array of ``{"path", "models": [{"name", "kind", "line", "cell", "layers",
"ops", "unknown": [{"what", "line", "cell", "why"}]}], "skipped", "error"}``; ``skipped`` is null or the
reason a file yields no model (for a file that could not be read, its error, with ``"error": true``).
``cell`` is null but in notebooks, where ``line`` is within that code cell (text: ``nb.ipynb:cell 4:1``).
"""
from __future__ import annotations

import json
import sys

from .config import ConfigError
from .errors import error_lines
from .project import Project, display_path

FORMATS = ("text", "json")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 'es' if word.endswith('x') else 's'}"


def describe_paths(paths, project: Project):
    """(FileInfo list, errors as (path, reason)) for the files under ``paths``, in collection order."""
    from .describe import FileInfo, describe_file
    from .runner import collect, guarded

    files, errors = collect(list(paths) or ["."])
    infos = []
    for path, reason in errors:
        infos.append(FileInfo(path, skipped=str(reason), error=True))
    for p in files:
        if project.settings(p).excluded(p):
            continue
        info, err = guarded(describe_file, p, project.known(p))
        if err is not None:
            errors.append((p, err))
            infos.append(FileInfo(p, skipped=str(err), error=True))
        elif info is not None:
            infos.append(info)
    for info in infos:
        info.path = display_path(info.path)
    return infos, [(display_path(p), r) for p, r in errors]


def as_json(infos) -> list[dict]:
    return [{"path": f.path,
             "models": [{"name": m.name, "kind": m.kind, "line": m.line, "cell": m.cell, "layers": m.layers,
                         "ops": m.ops,
                         "unknown": [{"what": u.what, "line": u.line, "cell": u.cell, "why": u.why}
                                     for u in m.unknown]}
                        for m in f.models],
             "skipped": f.skipped, "error": f.error} for f in infos]


def text_lines(infos) -> list[str]:
    out = []
    for f in infos:
        if f.error:
            continue  # on stderr
        if not f.models:
            out.append(f"{f.path}: no model: {f.skipped}")
            continue
        for m in f.models:
            cell = f"cell {m.cell}:" if m.cell is not None else ""  # a notebook: train.ipynb:cell 4:1
            where = f"{f.path}:{cell}{m.line}" if m.line is not None else f.path
            size = _n(m.layers, "layer") + (f", {_n(m.ops, 'op')}" if m.ops else "")
            out.append(f"{where}: {m.kind} {m.name} ({size})")
            for u in m.unknown:
                at = "" if u.line is None else f" (cell {u.cell}, line {u.line})" if u.cell is not None else \
                    f" (line {u.line})"
                out.append(f"    unknown: {u.what}{at}: {u.why}")
    return out


def summary(infos) -> str:
    listed = [f for f in infos if not f.error]
    with_models = [f for f in listed if f.models]
    models = sum(len(f.models) for f in with_models)
    errors = len(infos) - len(listed)
    head = f"Found {_n(models, 'model')} in {_n(len(with_models), 'file')}" if models else "No models"
    tail = f"{_n(len(listed), 'file')} listed, {len(listed) - len(with_models)} without a model"
    if errors:
        tail += f", {errors} could not be read"
    return f"{head}; {tail}."


def run_models(paths, fmt: str = "text", config: str | None = None, isolated: bool = False,
               debug: bool = False) -> int:
    """List what was understood of ``paths``; print it; return the exit code (0, or 2 on errors)."""
    paths = list(paths) or ["."]
    if "-" in paths:
        sys.stderr.write("masklint: error: -: 'masklint models' does not read standard input; name the files\n")
        return 2
    try:
        project = Project.load(paths, config=config, isolated=isolated)
        infos, errors = describe_paths(paths, project)
    except ConfigError as exc:
        sys.stderr.write(f"masklint: error: {exc}\n")
        return 2
    if fmt == "json":
        sys.stdout.write(json.dumps(as_json(infos), indent=2) + "\n")
        sys.stdout.flush()
        tail = ""
    else:
        sys.stdout.write("".join(line + "\n" for line in text_lines(infos)))
        sys.stdout.flush()
        tail = summary(infos) + "\n"
    for path, reason in errors:
        sys.stderr.write(error_lines(path, reason, debug))
    sys.stderr.flush()
    sys.stdout.write(tail)
    sys.stdout.flush()
    return 2 if errors else 0
