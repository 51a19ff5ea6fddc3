"""The full click interface: help, version, subcommands and option validation."""
from __future__ import annotations

import json

import click

from . import __version__
from .cli import FAIL_ON, FORMATS, UsageError, run_check
from .findings import NAMES, RULES


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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="warning", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--select", multiple=True, help="Only report these codes, prefixes or names (comma-separated).")
@click.option("--ignore", multiple=True, help="Do not report these codes, prefixes or names (comma-separated).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (still 2 on errors).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.option("--fix", is_flag=True, help="Fix what can be fixed mechanically in source files, then lint.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large runs (default: all cores).")
def check(paths, fmt, fail_on, select, ignore, exit_zero, debug, fix, diff, jobs):
    """Lint PATHS (default: the current directory)."""
    try:
        code = run_check(paths, fmt, fail_on, select, ignore, exit_zero, debug, fix, diff, jobs)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    raise click.exceptions.Exit(code)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
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


def click_main(args, prog_name="masklint") -> int:
    try:
        rv = cli.main(args=args, prog_name=prog_name, standalone_mode=False)
        # without standalone mode click returns an Exit's code instead of raising it
        return rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("masklint: aborted", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"masklint: error: {exc.format_message()}", err=True)
        return 2
