"""The ``masklint`` command line (contract: shared/spec/cli.md).

``masklint PATH...`` with plain options is parsed here without importing click (click costs ~15 ms,
more than half of linting a small model); anything else -- ``--help``, ``--version``, subcommands,
unknown or invalid options -- goes to the click application in :mod:`masklint._click_app`, which
shares :func:`run_check`. ``MASKLINT_NO_FASTPATH=1`` forces the click path (the tests compare both).
"""
from __future__ import annotations

import os
import sys

from .findings import NAMES, RULES, SEVERITY_RANK, Finding

FAIL_ON = ("info", "warning", "error", "never")
FORMATS = ("text", "json", "sarif", "github", "markdown")
SUBCOMMANDS = ("check", "rules", "rule", "probe")


class UsageError(Exception):
    pass


def parse_codes(values, opt: str) -> list[str]:
    """Codes, code prefixes (MK1) or rule names, comma- or space-separated."""
    out = []
    for v in values:
        for item in v.replace(",", " ").split():
            up = item.upper()
            if up == "ALL":
                out.append("MK")
            elif up.startswith("MK") and (up in RULES or any(c.startswith(up) for c in RULES)):
                out.append(up)
            elif item in NAMES:
                out.append(NAMES[item])
            else:
                raise UsageError(f"Invalid value for '{opt}': unknown rule code or name {item!r}")
    return out


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    # the most specific matching prefix wins, like ruff
    sel = max((len(s) for s in select if code.startswith(s)), default=0)
    ign = max((len(s) for s in ignore if code.startswith(s)), default=-1)
    return not (ign >= 0 and ign >= sel)


def run_fixes(paths, write: bool) -> tuple[int, list[tuple[str, str]]]:
    """Apply (``write``) or print as a diff the autofixes of the source files under ``paths``."""
    from .errors import LintError
    from .fixes import unified_diff
    from .runner import SOURCE_EXTS, collect
    from .source_lint import fix_source_text, read_source

    files, errors = collect(list(paths) or ["."])
    changed = 0
    for p in files:
        if not p.lower().endswith(SOURCE_EXTS):
            continue
        try:
            raw = read_source(p)
            new = fix_source_text(raw, p)
        except LintError as exc:
            errors.append((p, str(exc)))
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


def _settings_codes(s, cli_select, cli_ignore, cli_ext_select, cli_ext_ignore):
    """The (select, ignore) code prefixes for files configured by ``s``.

    ``--select`` replaces the configuration's select and ignore (the command line wins, like ruff's
    later layer); ``--ignore``/``--extend-*`` add to what the configuration says."""
    if cli_select:
        sel, ign = list(cli_select), []
    else:
        sel, ign = list(s.select or []), list(s.ignore)
    ext = list(s.extend_select) + list(cli_ext_select)
    if ext and sel:
        sel += ext
    ign += list(s.extend_ignore) + list(cli_ignore) + list(cli_ext_ignore)
    return sel, ign


def _lint_stdin(name: str | None, known) -> list[Finding]:
    """Lint source (or a model file's bytes) read from standard input, reported as ``name``."""
    from .runner import MODEL_EXTS

    raw = sys.stdin.buffer.read()
    label = name or "-"
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
    from .source_lint import MAX_SOURCE_BYTES, lint_source_text
    from .errors import LintError

    if len(raw) > MAX_SOURCE_BYTES:
        raise LintError(f"is larger than {MAX_SOURCE_BYTES} bytes; not linted")
    return lint_source_text(raw, label, known)


def run_check(paths, fmt=None, fail_on=None, select=(), ignore=(), exit_zero=False, debug=False,
              fix=False, diff=False, jobs=None, *, extend_select=(), extend_ignore=(), baseline=None,
              write_baseline=None, statistics=False, quiet=False, stdin_filename=None, output_file=None,
              config=None, isolated=False, probe=False, probe_opts=None, progress=None) -> int:
    """Lint ``paths``, print the report, return the exit code (0, 1 or 2)."""
    from .config import ConfigError, Resolver, load_file
    from .runner import MODEL_EXTS, lint_paths

    sel = parse_codes(select, "--select")
    ign = parse_codes(ignore, "--ignore")
    ext_sel = parse_codes(extend_select, "--extend-select")
    ext_ign = parse_codes(extend_ignore, "--extend-ignore")
    fmt = fmt or "text"
    paths = list(paths) or ["."]
    try:
        fixed = None
        if config is not None:
            fixed = load_file(config)
            if fixed is None:
                raise ConfigError("has no [tool.masklint] table")
        resolver = Resolver(fixed=fixed, isolated=isolated)
        # a configuration error stops the run before anything is linted (exit 2, naming the key)
        for p in paths:
            resolver.for_path(stdin_filename if p == "-" and stdin_filename else p)
    except ConfigError as exc:
        where = f"{config}: " if config is not None else ""
        sys.stderr.write(f"masklint: error: {where}{exc}\n")
        return 2

    def settings(path):
        try:
            return resolver.for_path(path)
        except ConfigError as exc:
            raise _ConfigAbort(str(exc)) from None

    if diff:  # show the fixes, change nothing: exit 1 when a file would change (like ruff --diff)
        changed, errors = run_fixes(paths, write=False)
        for path, reason in errors:
            sys.stderr.write(f"masklint: error: {path}: {reason}\n")
        sys.stderr.write(f"{changed} file{'s' if changed != 1 else ''} would be fixed.\n")
        return 2 if errors else (1 if changed else 0)
    if fix:
        changed, _ = run_fixes(paths, write=True)
        if changed and not quiet:
            sys.stderr.write(f"Fixed {changed} file{'s' if changed != 1 else ''}.\n")

    try:
        file_paths = [p for p in paths if p != "-"]
        findings: list[Finding] = []
        errors: list[tuple[str, str]] = []
        files = 0
        if "-" in paths:
            from .errors import LintError

            label = stdin_filename or "-"
            try:
                findings.extend(_lint_stdin(stdin_filename, settings(label).known or None))
                files += 1
            except LintError as exc:
                errors.append((label, str(exc)))
        if file_paths:
            bar = progress
            if bar is None and not quiet:
                from .progress import Progress

                bar = Progress.for_stream(sys.stderr)
            res = lint_paths(file_paths, debug=debug, jobs=jobs,
                             keep=lambda p: not settings(p).excluded(p),
                             known_for=lambda p: settings(p).known or None,
                             progress=bar.update if bar is not None else None)
            if bar is not None:
                bar.close()
            findings.extend(res.findings)
            errors.extend(res.errors)
            files += res.files
            if probe:
                pf, perr, _ = _run_probe(res, settings, probe_opts or {}, debug, MODEL_EXTS, quiet)
                findings.extend(pf)
                errors.extend(perr)
    except _ConfigAbort as exc:
        sys.stderr.write(f"masklint: error: {exc}\n")
        return 2

    # paths as users write them: "deeper/a.py", not "./deeper/a.py" (like ruff)
    for f in findings:
        if f.path.startswith("./"):
            f.path = f.path[2:]
    errors = [(p[2:] if p.startswith("./") else p, r) for p, r in errors]
    # selection: command line over the configuration of each file, then per-file ignores
    kept = []
    for f in findings:
        s = settings(f.path if f.path != "-" else ".")
        sel_s, ign_s = _settings_codes(s, sel, ign, ext_sel, ext_ign)
        if not selected(f.code, sel_s, ign_s):
            continue
        pfi = s.file_ignores(f.path, f.layer)
        if pfi and any(f.code.startswith(c) for c in pfi):
            continue
        kept.append(f)
    findings = sorted(kept, key=Finding.sort_key)

    if write_baseline:
        from .baseline import write

        try:
            n = write(write_baseline, findings)
        except OSError as exc:
            sys.stderr.write(f"masklint: error: {write_baseline}: cannot write baseline ({exc.strerror or exc})\n")
            return 2
        for path, reason in errors:
            sys.stderr.write(f"masklint: error: {path}: {reason}\n")
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

    report = _report(fmt, findings, files, errors, statistics, quiet, output_file, baselined)
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as fh:
                fh.write(report)
        except OSError as exc:
            sys.stderr.write(f"masklint: error: {output_file}: cannot write ({exc.strerror or exc})\n")
            return 2
    else:
        sys.stdout.write(report)
        sys.stdout.flush()
    for path, reason in errors:
        sys.stderr.write(f"masklint: error: {path}: {reason}\n")
    if errors:
        return 2
    if exit_zero:
        return 0
    for f in findings:
        threshold = fail_on or settings(f.path if f.path != "-" else ".").fail_on or "warning"
        if threshold != "never" and SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]:
            return 1
    return 0


class _ConfigAbort(Exception):
    pass


def _report(fmt, findings, files, errors, statistics, quiet, output_file, baselined) -> str:
    from .output import render, summary, use_colour

    if statistics:
        return _statistics(fmt, findings)
    colour = fmt == "text" and not output_file and use_colour(sys.stdout)
    text = render(fmt, findings, files=files, errors=errors, colour=colour)
    if fmt == "text":
        if quiet:  # the findings only, no summary line
            lines = text.splitlines(keepends=True)
            text = "".join(lines[:-1])
        elif baselined:
            lines = text.splitlines(keepends=True)
            last = summary(findings, files, len(errors)).rstrip(".")
            lines[-1] = f"{last}; {baselined} more in the baseline.\n"
            text = "".join(lines)
    return text


def _statistics(fmt, findings) -> str:
    """Counts per rule, most frequent first (``--statistics``)."""
    import json

    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        return json.dumps([{"code": c, "name": RULES[c].name, "severity": RULES[c].severity, "count": n}
                           for c, n in rows], indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    out = [f"{n:>{width}}  {c}  [{RULES[c].severity}]  {RULES[c].name}" for c, n in rows]
    return "".join(line + "\n" for line in out)


def _run_probe(res, settings, cli_opts, debug, model_exts, quiet=False):
    """``--probe``: the runtime checks on every model file that linted (imports Keras)."""
    from .errors import LintError

    models = [p for p in res.collected if p.lower().endswith(model_exts)]  # already excluded as configured
    failed = {p for p, _ in res.errors}
    findings, errors = [], []
    if not models:
        return findings, errors, 0
    from .progress import Progress
    from .runtime.probe import probe_file

    todo = [p for p in models if p not in failed]
    bar = Progress.for_stream(sys.stderr, label="models probed", min_total=2) if not quiet else None
    for i, p in enumerate(todo):
        if bar is not None:
            bar.update(i, len(todo))
        opts = dict(settings(p).probe)
        opts.update({k: v for k, v in cli_opts.items() if v is not None and v != ()})
        if settings(p).known:
            opts["known"] = settings(p).known
        try:
            findings.extend(probe_file(p, **opts))
        except LintError as exc:
            errors.append((p, str(exc)))
        except Exception as exc:  # the probe must not stop the run
            if debug:
                raise
            errors.append((p, f"probe failed: {type(exc).__name__}: {exc}"))
    if bar is not None:
        bar.close()
    return findings, errors, len(models)


_VALUE_OPTS = {"--format": ("fmt", FORMATS), "--fail-on": ("fail_on", FAIL_ON), "--select": ("select", None),
               "--ignore": ("ignore", None), "--jobs": ("jobs", "int"), "--extend-select": ("extend_select", None),
               "--extend-ignore": ("extend_ignore", None), "--baseline": ("baseline", "str"),
               "--write-baseline": ("write_baseline", "str"), "--output-file": ("output_file", "str"),
               "--stdin-filename": ("stdin_filename", "str"), "--config": ("config", "str")}
_FLAG_OPTS = {"--exit-zero": "exit_zero", "--debug": "debug", "--fix": "fix", "--diff": "diff",
              "--statistics": "statistics", "--quiet": "quiet", "-q": "quiet", "--isolated": "isolated"}


def fast_parse(argv: list[str]):
    """kwargs for :func:`run_check` when argv is a plain lint call, else None (use click)."""
    if os.environ.get("MASKLINT_NO_FASTPATH"):
        return None
    kw = {"paths": [], "select": [], "ignore": [], "extend_select": [], "extend_ignore": []}
    i = 0
    only_paths = False
    while i < len(argv):
        a = argv[i]
        if only_paths or not a.startswith("-") or a == "-":
            if not kw["paths"] and not only_paths and a in SUBCOMMANDS:
                return None
            kw["paths"].append(a)
        elif a == "--":
            only_paths = True
        elif a in _FLAG_OPTS:
            kw[_FLAG_OPTS[a]] = True
        else:
            name, _, value = a.partition("=")
            if name not in _VALUE_OPTS:
                return None
            if not _:
                i += 1
                if i >= len(argv):
                    return None
                value = argv[i]
            key, choices = _VALUE_OPTS[name]
            if choices == "int":
                if not value.isdigit() or int(value) < 1:
                    return None
                kw[key] = int(value)
            elif choices == "str":
                if not value:
                    return None
                kw[key] = value
            elif choices is not None:
                if value not in choices:
                    return None
                kw[key] = value
            else:
                kw[key].append(value)
        i += 1
    try:
        for k in ("select", "ignore", "extend_select", "extend_ignore"):
            parse_codes(kw[k], "--" + k.replace("_", "-"))
    except UsageError:
        return None
    return kw


def _unencodable(exc):
    """Output error handler: undecodable bytes of file names are written back as they were
    (surrogateescape), any other character the stream cannot encode as \\uXXXX."""
    out = b""
    for ch in exc.object[exc.start:exc.end]:
        o = ord(ch)
        out += bytes([o - 0xDC00]) if 0xDC80 <= o <= 0xDCFF else f"\\u{o:04x}".encode()
    return out, exc.end


def _safe_output() -> None:
    import codecs

    codecs.register_error("masklint", _unencodable)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="masklint")
        except (AttributeError, ValueError, OSError):
            pass


def main(argv=None, prog_name="masklint"):
    args = sys.argv[1:] if argv is None else list(argv)
    _safe_output()
    kw = fast_parse(args)
    import gc

    # the graphs are built once and dropped: the cyclic GC only costs time here (collected between files)
    gc.disable()
    try:
        if kw is not None:
            code = run_check(**kw)
        else:
            from ._click_app import click_main

            code = click_main(args, prog_name)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    if argv is None:  # a real process: skip freeing every object at exit (tens of ms on big models)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)
    sys.exit(code)
