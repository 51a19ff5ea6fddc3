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
FORMATS = ("text", "json")
SUBCOMMANDS = ("check", "rules", "rule")


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


def run_check(paths, fmt="text", fail_on="warning", select=(), ignore=(), exit_zero=False, debug=False,
              fix=False, diff=False, jobs=None) -> int:
    """Lint ``paths``, print the report, return the exit code (0, 1 or 2)."""
    from .output import format_json, format_text, summary, use_colour
    from .runner import lint_paths

    sel = parse_codes(select, "--select")
    ign = parse_codes(ignore, "--ignore")
    if diff:  # show the fixes, change nothing: exit 1 when a file would change (like ruff --diff)
        changed, errors = run_fixes(paths, write=False)
        for path, reason in errors:
            sys.stderr.write(f"masklint: error: {path}: {reason}\n")
        sys.stderr.write(f"{changed} file{'s' if changed != 1 else ''} would be fixed.\n")
        return 2 if errors else (1 if changed else 0)
    if fix:
        changed, _ = run_fixes(paths, write=True)
        if changed:
            sys.stderr.write(f"Fixed {changed} file{'s' if changed != 1 else ''}.\n")
    res = lint_paths(list(paths) or ["."], debug=debug, jobs=jobs)
    findings = [f for f in res.findings if selected(f.code, sel, ign)]
    findings.sort(key=Finding.sort_key)
    out = sys.stdout
    if fmt == "json":
        out.write(format_json(findings) + "\n")
    else:
        colour = use_colour(out)
        for f in findings:
            out.write(format_text(f, colour) + "\n")
        out.write(summary(findings, res.files, len(res.errors)) + "\n")
    out.flush()
    for path, reason in res.errors:
        sys.stderr.write(f"masklint: error: {path}: {reason}\n")
    if res.errors:
        return 2
    if exit_zero or fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in findings) else 0


_VALUE_OPTS = {"--format": ("fmt", FORMATS), "--fail-on": ("fail_on", FAIL_ON), "--select": ("select", None),
               "--ignore": ("ignore", None), "--jobs": ("jobs", "int")}
_FLAG_OPTS = {"--exit-zero": "exit_zero", "--debug": "debug", "--fix": "fix", "--diff": "diff"}


def fast_parse(argv: list[str]):
    """kwargs for :func:`run_check` when argv is a plain lint call, else None (use click)."""
    if os.environ.get("MASKLINT_NO_FASTPATH"):
        return None
    kw = {"paths": [], "select": [], "ignore": []}
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
            elif choices is not None:
                if value not in choices:
                    return None
                kw[key] = value
            else:
                kw[key].append(value)
        i += 1
    try:
        parse_codes(kw["select"], "--select")
        parse_codes(kw["ignore"], "--ignore")
    except UsageError:
        return None
    return kw


def main(argv=None, prog_name="masklint"):
    args = sys.argv[1:] if argv is None else list(argv)
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
