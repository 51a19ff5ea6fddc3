"""The ``masklint`` command line (see shared/spec/cli.md for the contract)."""
from __future__ import annotations

import json
import os
import sys

import click

from . import __version__
from .findings import NAMES, RULES, SEVERITY_RANK, Finding

FAIL_ON = ("info", "warning", "error", "never")
SEV_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}


def _use_colour(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _parse_codes(values: tuple[str, ...], opt: str) -> list[str]:
    """Codes, code prefixes (MK1) or rule names, comma- or space-separated."""
    out = []
    for v in values:
        for item in v.replace(",", " ").split():
            item = item.strip()
            if item.upper() == "ALL":
                out.append("MK")
            elif item.upper().startswith("MK") and (item.upper() in RULES or any(
                    c.startswith(item.upper()) for c in RULES)):
                out.append(item.upper())
            elif item in NAMES:
                out.append(NAMES[item])
            else:
                raise click.BadParameter(f"unknown rule code or name {item!r}", param_hint=opt)
    return out


def _selected(code: str, select: list[str], ignore: list[str]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    # the most specific matching prefix wins, like ruff
    sel = max((len(s) for s in select if code.startswith(s)), default=0)
    ign = max((len(s) for s in ignore if code.startswith(s)), default=-1)
    return not (ign >= 0 and ign >= sel)


def _location(f: Finding) -> str:
    if f.line is not None:
        return f"{f.path}:{f.line}:{f.column or 1}"
    return f"{f.path}:{f.layer}" if f.layer else f.path


def _format_text(f: Finding, colour: bool) -> str:
    sev = f"[{f.severity}]"
    code = f.code
    if colour:
        sev = click.style(sev, fg=SEV_COLOUR.get(f.severity))
        code = click.style(code, bold=True)
    line = f"{_location(f)}: {code} {sev} {f.message}"
    if f.fix:
        line += f" (fix: {f.fix})"
    return line


def _summary(findings: list[Finding], files: int, errors: int) -> str:
    by = {s: 0 for s in ("error", "warning", "info")}
    for f in findings:
        by[f.severity] = by.get(f.severity, 0) + 1
    n = len(findings)
    files_txt = f"{files} file{'s' if files != 1 else ''} checked"
    err_txt = f", {errors} file{'s' if errors != 1 else ''} could not be linted" if errors else ""
    if not n:
        return f"No findings; {files_txt}{err_txt}."
    parts = ", ".join(f"{c} {s}{'s' if c != 1 else ''}" for s, c in by.items() if c)
    return f"Found {n} finding{'s' if n != 1 else ''} ({parts}); {files_txt}{err_txt}."


class _DefaultGroup(click.Group):
    """``masklint PATH...`` runs ``check``; ``masklint rule X`` / ``masklint rules`` are subcommands."""

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands:
            if not (args and args[0] in ("--help", "-h", "--version")):
                args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="masklint")
def cli():
    """masklint: a linter for Keras masking and padding mistakes.

    \b
    masklint PATH...        lint saved models (.keras, .h5, .hdf5, model .json) and directories
    masklint rules          list the rules
    masklint rule CODE      show one rule's document
    """


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="warning", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--select", multiple=True, help="Only report these codes, prefixes or names (comma-separated).")
@click.option("--ignore", multiple=True, help="Do not report these codes, prefixes or names (comma-separated).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (still 2 on errors).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def check(paths, fmt, fail_on, select, ignore, exit_zero, debug):
    """Lint PATHS (default: the current directory)."""
    from .runner import lint_paths

    sel = _parse_codes(select, "--select")
    ign = _parse_codes(ignore, "--ignore")
    res = lint_paths(list(paths) or ["."], debug=debug)
    findings = [f for f in res.findings if _selected(f.code, sel, ign)]
    findings.sort(key=Finding.sort_key)
    out = click.get_text_stream("stdout")
    if fmt == "json":
        click.echo(json.dumps([f.to_json() for f in findings], indent=2))
    else:
        colour = _use_colour(out)
        for f in findings:
            click.echo(_format_text(f, colour), color=colour)
        click.echo(_summary(findings, res.files, len(res.errors)))
    for path, reason in res.errors:
        click.echo(f"masklint: error: {path}: {reason}", err=True)
    if res.errors:
        sys.exit(2)
    if exit_zero or fail_on == "never":
        sys.exit(0)
    threshold = SEVERITY_RANK[fail_on]
    sys.exit(1 if any(SEVERITY_RANK[f.severity] >= threshold for f in findings) else 0)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt):
    """List every rule: code, name, severity, summary."""
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary}
                               for r in RULES.values()], indent=2))
        return
    for r in RULES.values():
        click.echo(f"{r.code}  {r.name:<26} {r.severity:<8} {r.summary}")


@cli.command("rule")
@click.argument("code")
def rule_cmd(code):
    """Print the document of rule CODE (a code like MK104 or a name like mask-dropped)."""
    from .docs import rule_doc

    c = code.upper() if code.upper() in RULES else NAMES.get(code)
    if c is None:
        raise click.BadParameter(f"unknown rule {code!r}", param_hint="CODE")
    click.echo(rule_doc(c))


def main(argv=None, prog_name="masklint"):
    try:
        cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("masklint: aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"masklint: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
