"""``masklint PATH...`` (the ``check`` command): lint, report, exit code (contract: shared/spec/cli.md).

:func:`run_check` takes the keywords of the option table (:mod:`masklint.options`), from either
parser: the fast path of :mod:`masklint.cli` or the click command of :mod:`masklint._click_app`.
"""
from __future__ import annotations

import os
import sys

from .config import ConfigError
from .errors import InternalError, LintError, error_lines
from .findings import RULES, Finding
from .notes import with_notes, write_notes as _write_notes
from .project import Project, display_path
from .runner import MODEL_EXTS, SOURCE_EXTS, RunResult, guarded
from .selection import Selection, fails


def run_fixes(paths, write: bool, keep=None, want=None, unsafe=None) -> tuple[int, list[tuple[str, str]]]:
    """Apply (``write``) or print as a diff the autofixes of the source files under ``paths``.

    ``keep(path)``: whether a collected file is linted at all (configured excludes); ``want(finding)``:
    whether a finding is reported (selection, per-file ignores): only those are fixed; ``unsafe(path)``:
    whether the unsafe fixes are applied too (``--unsafe-fixes``, ``unsafe-fixes = true``)."""
    from .fixes import unified_diff
    from .notebook import NOTEBOOK_EXTS, is_notebook
    from .notebook.write import fix_notebook_file
    from .runner import collect
    from .source_lint import fix_source_text, read_source

    files, errors = collect(list(paths) or ["."])
    changed = 0
    for p in files:
        if not p.lower().endswith(SOURCE_EXTS + NOTEBOOK_EXTS) or (keep is not None and not keep(p)):
            continue
        if is_notebook(p):  # per-cell diffs; only the edited source lines of the JSON are rewritten
            out, err = guarded(fix_notebook_file, p, write, want, bool(unsafe and unsafe(p)))
            if err is not None:
                errors.append((p, err))
            elif out is not None:
                changed += 1
                sys.stdout.write(out)
            continue
        raw, err = guarded(read_source, p)
        new = None
        if err is None:
            new, err = guarded(fix_source_text, raw, p, want, bool(unsafe and unsafe(p)))
        if err is not None:
            errors.append((p, err))
            continue
        if new is None:
            continue
        changed += 1
        if write:
            with open(p, "w", encoding="utf-8", newline="") as fh:
                fh.write(new)
        else:
            sys.stdout.write(unified_diff(p, raw.decode("utf-8"), new))
    return changed, errors


def _lint_stdin(name: str | None, known) -> list[Finding]:
    """Lint source (or a model file's bytes) read from standard input, reported as ``name``."""
    return lint_bytes(sys.stdin.buffer.read(), name or "-", known)


def lint_bytes(raw: bytes, label: str, known) -> list[Finding]:
    """Lint a file's content held in memory (standard input, an editor's buffer) as the file ``label``."""
    if label.lower().endswith(MODEL_EXTS + (".json",)):
        import tempfile

        from .lint import lint_model_file

        ext = os.path.splitext(label)[1]
        fd, tmp = tempfile.mkstemp(suffix=ext)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            found = lint_model_file(tmp, known)
        finally:
            os.unlink(tmp)
        for f in found:
            f.path = label
        return found
    if label.lower().endswith(".ipynb"):
        from .notebook.lint import lint_notebook, read_notebook_bytes

        return lint_notebook(read_notebook_bytes(raw), label, known)
    from .source_lint import MAX_SOURCE_BYTES, lint_source_text

    if len(raw) > MAX_SOURCE_BYTES:
        raise LintError(f"is larger than {MAX_SOURCE_BYTES} bytes; not linted")
    return lint_source_text(raw, label, known)


def _write_errors(errors, debug: bool) -> None:
    for path, reason in errors:
        sys.stderr.write(error_lines(path, reason, debug))
    sys.stderr.flush()


def run_check(paths, fmt=None, fail_on=None, select=(), ignore=(), exit_zero=False, debug=False,
              fix=False, diff=False, jobs=None, *, extend_select=(), extend_ignore=(), baseline=None,
              write_baseline=None, statistics=False, quiet=False, stdin_filename=None, output_file=None,
              config=None, isolated=False, probe=False, probe_opts=None, progress=None, target_keras=None,
              backend=None, severity=(), unsafe_fixes=False) -> int:
    """Lint ``paths``, print the report, return the exit code (0, 1 or 2).

    Raises :class:`~masklint.selection.UsageError` for a bad ``select``/``ignore``/``severity`` value."""
    selection = Selection.parse(select, ignore, extend_select, extend_ignore)
    if severity:
        from .severity import parse_cli

        selection.severity = parse_cli(severity)
    fmt = fmt or "text"
    paths = list(paths) or ["."]
    try:
        # a configuration error stops the run before anything is linted (exit 2, naming the key)
        project = Project.load([stdin_filename if p == "-" and stdin_filename else p for p in paths],
                               config=config, isolated=isolated)
        project.target_override(target_keras, backend)
    except ConfigError as exc:
        sys.stderr.write(f"masklint: error: {exc}\n")
        return 2

    def keep(p: str) -> bool:
        return not project.settings(p).excluded(p)

    def want(f: Finding) -> bool:
        return bool(project.select([f], selection))

    def unsafe(p: str) -> bool:
        return bool(unsafe_fixes or project.settings(p).unsafe_fixes)

    extra_errors: list[tuple[str, str]] = []
    try:
        if diff:  # show the fixes, change nothing: exit 1 when a file would change (like ruff --diff)
            with project.targeting():
                changed, errors = run_fixes(paths, write=False, keep=keep, want=want, unsafe=unsafe)
            _write_errors([(display_path(p), r) for p, r in errors], debug)
            sys.stderr.write(f"{changed} file{'s' if changed != 1 else ''} would be fixed.\n")
            return 2 if errors else (1 if changed else 0)
        if fix:
            with project.targeting():
                changed, errors = run_fixes(paths, write=True, keep=keep, want=want, unsafe=unsafe)
            # a file that cannot be read or parsed is reported by the lint below; a bug in a fix is not
            extra_errors = [(display_path(p), r) for p, r in errors if isinstance(r, InternalError)]
            if changed and not quiet:
                sys.stderr.write(f"Fixed {changed} file{'s' if changed != 1 else ''}.\n")

        res = RunResult()
        if "-" in paths:
            label = stdin_filename or "-"
            with project.targeting():
                found, err = guarded(_lint_stdin, stdin_filename, project.known(label))
            res.collected.append(label)
            if err is None:
                res.findings.extend(found)
                res.files += 1
            else:
                res.errors.append((label, err))
        file_paths = [p for p in paths if p != "-"]
        if file_paths:
            bar = progress
            if bar is None and not quiet:
                from .progress import Progress

                bar = Progress.for_stream(sys.stderr)
            part = project.lint(file_paths, debug=debug, jobs=jobs,
                                progress=bar.update if bar is not None else None)
            if bar is not None:
                bar.close()
            res.findings.extend(part.findings)
            res.errors.extend(part.errors)
            res.collected.extend(display_path(p) for p in part.collected)
            res.files += part.files
            res.notes.extend(part.notes)
            res.skipped += part.skipped
            if probe:
                pf, perr = _run_probe(part, project, probe_opts or {}, debug, quiet)
                res.findings.extend(pf)
                res.errors.extend(perr)
        # paths as users write them, then the selection: command line over each file's configuration
        project.finish(res, selection)
    except ConfigError as exc:  # a pyproject.toml met while walking a directory
        sys.stderr.write(f"masklint: error: {exc}\n")
        return 2
    findings, errors = res.findings, extra_errors + res.errors

    if write_baseline:
        from .baseline import write

        try:
            n = write(write_baseline, findings)
        except OSError as exc:
            sys.stderr.write(f"masklint: error: {write_baseline}: cannot write baseline ({exc.strerror or exc})\n")
            return 2
        _write_errors(errors, debug)
        if not quiet:
            sys.stderr.write(f"Wrote {n} finding{'s' if n != 1 else ''} to the baseline {write_baseline}.\n")
        return 2 if errors else 0
    baselined = 0
    if baseline:
        from .baseline import BaselineError, filter_new

        try:
            findings, baselined = filter_new(baseline, findings)
        except BaselineError as exc:
            sys.stderr.write(f"masklint: error: {baseline}: {exc}\n")
            return 2

    body, tail = _report(fmt, findings, res.files, errors, statistics, quiet, output_file, baselined,
                         paths=res.collected, unsafe=unsafe)
    tail = with_notes(tail, res, quiet)
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as fh:
                fh.write(body + tail)
        except OSError as exc:
            sys.stderr.write(f"masklint: error: {output_file}: cannot write ({exc.strerror or exc})\n")
            return 2
        _write_errors(errors, debug)
        _write_notes(res, quiet)
    else:
        # the findings, then what could not be linted, then the summary: the last line on a terminal
        # is the verdict of the whole run (like mypy's "Found 2 errors in 1 file")
        sys.stdout.write(body)
        sys.stdout.flush()
        _write_errors(errors, debug)
        _write_notes(res, quiet)
        sys.stdout.write(tail)
        sys.stdout.flush()
    if errors:
        return 2
    if exit_zero:
        return 0
    for f in findings:
        if fails(f.severity, fail_on or project.fail_on(f.path) or "warning"):
            return 1
    return 0


def _report(fmt, findings, files, errors, statistics, quiet, output_file, baselined,
            paths=None, unsafe=None) -> tuple[str, str]:
    """(the report, its summary line): the text format's summary is written after the error lines;
    the other formats have no separate summary (''). ``paths``: the files the run looked at (JUnit:
    one test case each)."""
    from .reporters import render
    from .reporters.text import format_text, summary, use_colour

    if statistics:
        return _statistics(fmt, findings), ""
    if fmt != "text":
        return render(fmt, findings, files=files, errors=errors, paths=paths), ""
    colour = not output_file and use_colour(sys.stdout)
    from .fix_plan import fixable, fixes_summary

    body = "".join(format_text(f, colour, fixable(f, unsafe)) + "\n" for f in findings)
    if quiet:  # the findings only, no summary line
        return body, ""
    last = summary(findings, files, len(errors))
    if baselined:
        last = f"{last.rstrip('.')}; {baselined} more in the baseline."
    hint = fixes_summary(findings, unsafe)
    return body, last + "\n" + (hint + "\n" if hint else "")


def _statistics(fmt, findings) -> str:
    """Counts per rule, most frequent first (``--statistics``)."""
    import json

    from .findings import SEVERITY_RANK

    counts: dict[str, int] = {}
    sev: dict[str, str] = {}  # the worst severity a rule's findings have (overrides may differ per file)
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        if f.code not in sev or SEVERITY_RANK[f.severity] > SEVERITY_RANK[sev[f.code]]:
            sev[f.code] = f.severity
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        return json.dumps([{"code": c, "name": RULES[c].name, "severity": sev[c], "count": n}
                           for c, n in rows], indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    out = [f"{n:>{width}}  {c}  [{sev[c]}]  {RULES[c].name}" for c, n in rows]
    return "".join(line + "\n" for line in out)


def _run_probe(res, project: Project, cli_opts, debug=False, quiet=False):
    """``--probe``: the runtime checks on every model file that linted (imports Keras)."""
    models = [p for p in res.collected if p.lower().endswith(MODEL_EXTS)]  # already excluded as configured
    failed = {p for p, _ in res.errors}
    findings: list[Finding] = []
    errors: list[tuple[str, str]] = []
    if not models:
        return findings, errors
    from .progress import Progress
    from .runtime.probe import probe_file

    todo = [p for p in models if p not in failed]
    bar = Progress.for_stream(sys.stderr, label="models probed", min_total=2) if not quiet else None
    for i, p in enumerate(todo):
        if bar is not None:
            bar.update(i, len(todo))
        settings = project.settings(p)
        opts = dict(settings.probe)
        opts.update({k: v for k, v in cli_opts.items() if v is not None and v != ()})
        if settings.known:
            opts["known"] = settings.known
        try:
            findings.extend(probe_file(p, **opts))
        except LintError as exc:
            errors.append((p, str(exc)))
        except Exception as exc:  # the model's own code (or Keras) failing must not stop the run
            if debug:
                raise
            errors.append((p, f"probe failed: {type(exc).__name__}: {exc}"))
    if bar is not None:
        bar.close()
    return findings, errors
