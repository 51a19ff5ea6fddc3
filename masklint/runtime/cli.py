"""``masklint probe TARGET...``: load a model (or call a factory) and run the runtime checks.

Importing this module is cheap (click only): Keras/TensorFlow are imported inside the command.
"""
from __future__ import annotations

import os
import sys

import click

from .._click_options import option
from ..errors import InternalError, LintError, error_lines
from ..findings import Finding
from ..selection import fails


def _lengths(ctx, param, value):
    if value is None:
        return None
    try:
        out = [int(x) for x in value.replace(" ", ",").split(",") if x]
    except ValueError:
        raise click.BadParameter("expected comma-separated integers, e.g. 6,10,20") from None
    if not out or any(x < 2 for x in out):
        raise click.BadParameter("every padded length must be at least 2")
    return out


def _positive(ctx, param, value):
    if value is not None and not value > 0:
        raise click.BadParameter("expected a positive number")
    return value


@click.command("probe")
@click.argument("targets", nargs=-1, required=True, metavar="TARGET...")
@click.option("--pad-value", type=float, default=None,
              help="Value the sequences are padded with (default: --data's, else the mask producer's, else 0).")
@click.option("--data", "data", type=click.Path(dir_okay=False), default=None,
              help="A sample of the real padded inputs (.npy, or .npz with one array per input name).")
@click.option("--seed", type=int, default=None, help="Seed of the weight perturbation and data (default 0).")
@click.option("--tolerance", type=float, default=None, callback=_positive,
              help="Relative tolerance: |difference| > tolerance x output scale is a change (default 1e-5).")
@click.option("--lengths", callback=_lengths, default=None,
              help="Padded lengths, comma-separated (default: L+1, 2L, 4L for real length L=5).")
@click.option("--weights", type=click.Choice(("perturbed", "trained")), default=None,
              help="Perturb the weights (seeded, biases included; the default) or use them as they are.")
@click.option("--padding-side", type=click.Choice(("pre", "post")), default=None,
              help="How the real data is padded, when known: a change under pre-padding alone is reported only "
                   "for pre-padded data (default: --data's side, else unknown).")
@click.option("--unsafe", is_flag=True, help="Allow loading Lambda layers (runs bytecode stored in the file).")
@click.option("--import", "imports", multiple=True, metavar="MODULE",
              help="Import MODULE first (registers custom layers); repeatable.")
@click.option("--no-static", is_flag=True, help="Only the runtime findings (skip the live-model static analysis).")
@option("fmt", default="text", show_default=True, help=None)
@option("fail_on")
@option("isolated", help="Ignore [tool.masklint] configuration files.")
@option("debug")
def probe_cmd(targets, pad_value, data, seed, tolerance, lengths, weights, padding_side, unsafe, imports, no_static,
              fmt, fail_on, isolated, debug):
    """Probe TARGET: a model file (.keras, .h5, .hdf5, model .json) or package.module:factory.

    \b
    The model is run on padded batches (several lengths, post and pre padding, rows shuffled, eager
    and compiled predict); masklint reports when the outputs at the real positions change with the
    padding (padding-leak), when the output's runtime mask is lost (runtime-mask-lost), when an
    all-padding sample gives NaN (empty-sequence-nan, with --data showing empty rows) and when a padded
    batch crashes (probe-crash), plus the --data checks (mask-value-mismatch, real-values-masked,
    cudnn-padding) and the static analysis of the live model.
    A factory is imported and called: it is your own code, run only on this explicit request.
    """
    from ..config import ConfigError, Resolver

    # [tool.masklint] of the first file target (or of the current directory for a factory): probe
    # defaults, known-mask-layers and fail-on; the command line wins
    first = next((t for t in targets if os.path.exists(t)), ".")
    try:
        settings = Resolver(isolated=isolated).for_path(first if os.path.isfile(first) else os.path.join(first, "x"))
    except ConfigError as exc:
        click.echo(f"masklint: error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    conf = settings.probe
    cli_opts = {"pad_value": pad_value, "seed": seed, "tolerance": tolerance, "lengths": lengths, "weights": weights}
    opts = {k: (v if v is not None else conf.get(k)) for k, v in cli_opts.items()}
    code = run_probe(targets, pad_value=opts["pad_value"], data=data, seed=opts["seed"] or 0,
                     tolerance=opts["tolerance"], lengths=opts["lengths"], weights=opts["weights"] or "perturbed",
                     unsafe=unsafe, imports=imports, static=not no_static, fmt=fmt,
                     fail_on=fail_on or settings.fail_on or "warning", debug=debug, known=settings.known or None,
                     padding_side=padding_side)
    raise click.exceptions.Exit(code)


def probe_target(target: str, *, static=True, known=None, **opts):
    """(report, static findings) for one target; raises LintError."""
    from ..frontends.live import analyse
    from .loading import is_factory_target, load_factory, load_model_file
    from .probe import probe_report

    imports = opts.pop("imports", ())
    unsafe = opts.pop("unsafe", False)
    notes = []
    if is_factory_target(target):
        model = load_factory(target, imports)
        if opts.get("padding_side") is None:  # the factory module's own padding facts
            from .source_facts import padding_side_of_module

            side = padding_side_of_module(target.split(":", 1)[0])
            if side is not None:
                opts["padding_side"] = side
                notes.append(f"the data is {side}-padded (the pad_sequences calls of {target.split(':', 1)[0]})")
    else:
        model = load_model_file(target, unsafe=unsafe, imports=imports)
    live = None
    static_findings: list[Finding] = []
    if static:
        live = analyse(model, target, known)
        static_findings = live.findings
        if live.note:
            notes.append(live.note)
    rep = probe_report(model, label=target, live=live, known=known, **opts)
    rep.notes[:0] = notes
    return rep, static_findings


def run_probe(targets, *, pad_value=None, data=None, seed=0, tolerance=None, lengths=None, weights="perturbed",
              unsafe=False, imports=(), static=True, fmt="text", fail_on="warning", debug=False, known=None,
              padding_side=None) -> int:
    from ..reporters import render
    from ..reporters.text import format_text, summary, use_colour

    findings: list[Finding] = []
    errors: list[tuple[str, str]] = []
    lines: list[str] = []
    probed = 0
    from ..progress import Progress

    bar = Progress.for_stream(sys.stderr, label="models probed", min_total=2)
    for i, target in enumerate(targets):
        if bar is not None:
            bar.update(i, len(targets))
        try:
            rep, static_findings = probe_target(target, static=static, known=known, pad_value=pad_value,
                                                data=data, seed=seed, tolerance=tolerance, lengths=lengths,
                                                weights=weights, unsafe=unsafe, imports=imports,
                                                padding_side=padding_side)
        except LintError as exc:
            errors.append((target, str(exc)))
            continue
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # an internal error must not hide the other targets
            errors.append((target, InternalError.from_exception(exc)))
            continue
        probed += 1
        found = sorted(static_findings + rep.all_findings(), key=Finding.sort_key)
        findings.extend(found)
        lines.append((found, rep.summary_lines()))
    if bar is not None:
        bar.close()
    out = sys.stdout
    tail = ""
    if fmt != "text":  # json, sarif, github, markdown: the same reports as a lint run
        out.write(render(fmt, findings, files=probed, errors=errors))
    else:
        colour = use_colour(out)
        for found, summary_lines in lines:
            for f in found:
                out.write(format_text(f, colour) + "\n")
            for ln in summary_lines:
                out.write(ln + "\n")
        tail = summary(findings, probed, len(errors), unit="model", done="probed", failed="could not be probed") + "\n"
    out.flush()
    for target, reason in errors:  # then the summary line, the last on a terminal (as for a lint run)
        sys.stderr.write(error_lines(target, reason, debug))
    sys.stderr.flush()
    out.write(tail)
    out.flush()
    if errors:
        return 2
    return 1 if any(fails(f.severity, fail_on) for f in findings) else 0
