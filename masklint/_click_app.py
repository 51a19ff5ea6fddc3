"""The full click interface: help, version, subcommands and option validation.

The lint command's options are generated from the one option table (:mod:`masklint.options`).
"""
from __future__ import annotations

import json

import click

from ._click_options import option, table_options
from ._version import __version__
from .lint_command import run_check
from .findings import NAMES, RULES
from .options import OPTIONS
from .runtime.cli import probe_cmd
from .selection import UsageError


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
    masklint PATH...        lint model code (.py) and saved models (.keras, .h5, .hdf5,
                            model .json) in files and directories
    masklint rules          list the rules
    masklint rule CODE      show one rule's document
    masklint probe TARGET   run the runtime checks on a model (imports Keras)
    masklint models PATH... list the models masklint understood in each file, and
                            the parts it could not follow (to lint a directory named
                            models, write masklint ./models)
    masklint server         a language server on stdio for editors (the 'lsp' extra)
    """


_PROBE_DESTS = tuple(o.dest for o in OPTIONS if o.group == "probe" and o.dest != "probe")


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@table_options()
def check(paths, **opts):
    """Lint PATHS: model code (.py) and saved models (.keras, .h5, .hdf5, model .json); a directory is
    searched for them. Default: the current directory; '-' reads standard input."""
    probe = opts.pop("probe")
    raw = {k: opts.pop(k) for k in _PROBE_DESTS}
    probe_opts = None
    if probe:
        lens = None
        if raw["lengths"]:
            try:
                lens = [int(x) for x in raw["lengths"].replace(",", " ").split()]
            except ValueError:
                raise click.BadParameter("expected comma-separated integers", param_hint="--lengths") from None
        probe_opts = dict(raw, lengths=lens, unsafe=raw["unsafe"] or None, imports=tuple(raw["imports"]) or None)
    elif any(v not in (None, False, ()) for v in raw.values()):
        raise click.UsageError("probe options need --probe (or use 'masklint probe TARGET')")
    try:
        code = run_check(paths, probe=probe, probe_opts=probe_opts, **opts)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    raise click.exceptions.Exit(code)


@cli.command("rules")
@option("fmt", default="text", show_default=True, help=None)
def rules_cmd(fmt):
    """List every rule: code, name, severity, summary."""
    rules = list(RULES.values())
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary}
                               for r in rules], indent=2))
        return
    for line in rules_table(rules):
        click.echo(line)


def rules_table(rules) -> list[str]:
    """One line per rule, in aligned columns (widths from the longest name and severity)."""
    name_w = max(len(r.name) for r in rules)
    sev_w = max(len(r.severity) for r in rules)
    return [f"{r.code}  {r.name:<{name_w}}  {r.severity:<{sev_w}}  {r.summary}" for r in rules]


@cli.command("rule")
@click.argument("code")
def rule_cmd(code):
    """Print the document of rule CODE (a code, or a name like mask-dropped)."""
    from .docs import rule_doc

    c = code.upper() if code.upper() in RULES else NAMES.get(code)
    if c is None:
        raise click.BadParameter(f"unknown rule {code!r}", param_hint="CODE")
    click.echo(rule_doc(c))


@cli.command("models")
@click.argument("paths", nargs=-1, type=click.Path())
@option("fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help=None)
@option("config")
@option("isolated")
@option("debug")
def models_cmd(paths, fmt, config, isolated, debug):
    """List what masklint understood in PATHS (default: the current directory): per file, every model
    found (name, kind, line, number of layers) with the parts it could not follow and why, and why a
    file that mentions Keras yields no model. Files are collected and excluded as for linting."""
    from .models_command import run_models

    raise click.exceptions.Exit(run_models(paths, fmt=fmt, config=config, isolated=isolated, debug=debug))


@cli.command("server")
def server_cmd():
    """Run the Language Server Protocol server on stdio: masklint's diagnostics and safe fixes in
    editors (needs pygls: pip install 'masklint[lsp]'). To lint a directory named server, write
    masklint ./server."""
    from .lsp import serve

    raise click.exceptions.Exit(serve())


cli.add_command(probe_cmd, "probe")


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
