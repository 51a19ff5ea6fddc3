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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: text).")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Lowest severity that makes the exit code 1 (default: the configuration's, else warning).")
@click.option("--select", multiple=True, help="Only report these codes, prefixes or names (comma-separated); "
              "replaces the configuration's select and ignore.")
@click.option("--ignore", multiple=True, help="Do not report these codes, prefixes or names (comma-separated).")
@click.option("--extend-select", multiple=True, help="Codes to add to the selection.")
@click.option("--extend-ignore", multiple=True, help="Codes to add to the ignored ones.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Use this pyproject.toml for every file instead of the nearest one.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="Report only findings that are not in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), default=None,
              help="Write the current findings to this baseline file and exit 0.")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of the findings.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only (no summary, no progress).")
@click.option("--stdin-filename", default=None,
              help="The name of the file read from standard input (PATH '-'), for editors.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (still 2 on errors).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.option("--fix", is_flag=True, help="Fix what can be fixed mechanically in source files, then lint.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large runs (default: all cores).")
@click.option("--probe", is_flag=True, help="Also run the runtime probe on every model file (imports Keras).")
@click.option("--pad-value", type=float, default=None, help="Probe: the padding value of the inputs.")
@click.option("--data", type=click.Path(dir_okay=False), default=None,
              help="Probe: a sample of the real padded inputs (.npy or .npz).")
@click.option("--seed", type=int, default=None, help="Probe: random seed (default 0).")
@click.option("--tolerance", type=float, default=None, help="Probe: relative tolerance.")
@click.option("--lengths", default=None, help="Probe: padded lengths to try, comma-separated.")
@click.option("--unsafe", is_flag=True, help="Probe: allow loading models with Lambda layers (runs their code).")
@click.option("--import", "imports", multiple=True, help="Probe: import this module first (custom objects).")
def check(paths, fmt, output_file, fail_on, select, ignore, extend_select, extend_ignore, config_file, isolated,
          baseline, write_baseline, statistics, quiet, stdin_filename, exit_zero, debug, fix, diff, jobs, probe,
          pad_value, data, seed, tolerance, lengths, unsafe, imports):
    """Lint PATHS (default: the current directory; '-' reads standard input)."""
    probe_opts = None
    if probe:
        lens = None
        if lengths:
            try:
                lens = [int(x) for x in lengths.replace(",", " ").split()]
            except ValueError:
                raise click.BadParameter("expected comma-separated integers", param_hint="--lengths") from None
        probe_opts = {"pad_value": pad_value, "data": data, "seed": seed, "tolerance": tolerance,
                      "lengths": lens, "unsafe": unsafe or None, "imports": tuple(imports) or None}
    elif any(v not in (None, False, ()) for v in (pad_value, data, seed, tolerance, lengths, imports)) or unsafe:
        raise click.UsageError("probe options need --probe (or use 'masklint probe TARGET')")
    try:
        code = run_check(paths, fmt, fail_on, select, ignore, exit_zero, debug, fix, diff, jobs,
                         extend_select=extend_select, extend_ignore=extend_ignore, baseline=baseline,
                         write_baseline=write_baseline, statistics=statistics, quiet=quiet,
                         stdin_filename=stdin_filename, output_file=output_file, config=config_file,
                         isolated=isolated, probe=probe, probe_opts=probe_opts)
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


from .runtime.cli import probe_cmd  # noqa: E402  (click only; Keras is imported inside the command)

cli.add_command(probe_cmd, "probe")
