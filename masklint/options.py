"""The lint command's options, declared once.

:data:`OPTIONS` feeds both parsers of ``masklint PATH...``: :func:`fast_parse` here (no click: click
costs ~15 ms, more than half of linting a small model) and the click command built in
:mod:`masklint._click_options` / :mod:`masklint._click_app` (``--help``, ``--version``, subcommands
and every error message). The fast path takes a command line only when it can give exactly what
click would: anything it is not sure of (an unknown or invalid option, a value click would reject, a
probe option) returns None, and click parses it.
"""
from __future__ import annotations

import os

from ._record import record
from .reporters import FORMATS
from .selection import FAIL_ON, UsageError, parse_codes

#: value kinds: "flag" (no value), "choice", "int" (``minimum`` at least), "float", "str", "path" (a
#: file, never a directory), "codes" (rule codes, prefixes or names, comma-separated)
KINDS = ("flag", "choice", "int", "float", "str", "path", "codes")


@record
class Option:
    dest: str  # the keyword of run_check (lint options) or of the probe options
    flags: tuple  # "--format", "-o", ...
    kind: str  # one of KINDS
    help: str
    choices: tuple = ()
    default: object = None
    multiple: bool = False
    minimum: int | None = None
    group: str = "lint"  # "lint": run_check's keywords, on the fast path; "probe": --probe and its settings

    def __post_init__(self):
        assert self.kind in KINDS, self.kind


OPTIONS: tuple[Option, ...] = (
    Option("fmt", ("--format",), "choice", "Output format (default: text).", choices=FORMATS),
    Option("output_file", ("--output-file", "-o"), "path",
           "Write the report to this file instead of standard output."),
    Option("fail_on", ("--fail-on",), "choice",
           "Lowest severity that makes the exit code 1 (default: the configuration's, else warning).",
           choices=FAIL_ON),
    Option("select", ("--select",), "codes", "Only report these codes, prefixes or names (comma-separated); "
           "replaces the configuration's select and ignore.", multiple=True),
    Option("ignore", ("--ignore",), "codes", "Do not report these codes, prefixes or names (comma-separated).",
           multiple=True),
    Option("extend_select", ("--extend-select",), "codes", "Codes to add to the selection.", multiple=True),
    Option("extend_ignore", ("--extend-ignore",), "codes", "Codes to add to the ignored ones.", multiple=True),
    Option("severity", ("--severity",), "str", "Override a rule's severity: CODE=LEVEL (LEVEL: info, warning, "
           "error or ignore; comma-separated, repeatable); wins over [tool.masklint.severity].", multiple=True),
    Option("config", ("--config",), "path", "Use this pyproject.toml for every file instead of the nearest one."),
    Option("isolated", ("--isolated",), "flag", "Ignore every configuration file."),
    Option("baseline", ("--baseline",), "path", "Report only findings that are not in this baseline file."),
    Option("write_baseline", ("--write-baseline",), "path",
           "Write the current findings to this baseline file and exit 0."),
    Option("statistics", ("--statistics",), "flag", "Show counts per rule instead of the findings."),
    Option("quiet", ("--quiet", "-q"), "flag", "Print the findings only (no summary, no progress)."),
    Option("stdin_filename", ("--stdin-filename",), "str",
           "The name of the file read from standard input (PATH '-'), for editors."),
    Option("exit_zero", ("--exit-zero",), "flag", "Exit 0 even when there are findings (still 2 on errors)."),
    Option("debug", ("--debug",), "flag", "Show tracebacks for internal errors."),
    Option("fix", ("--fix",), "flag", "Fix what can be fixed mechanically in source files, then lint."),
    Option("diff", ("--diff",), "flag", "Print the fixes as a unified diff; change nothing."),
    Option("target_keras", ("--target-keras",), "str",
           "The Keras version source code runs on, e.g. 3.16 (default: the configuration's, else the installed)."),
    Option("backend", ("--backend",), "choice",
           "The backend source code runs on (default: the configuration's, else KERAS_BACKEND or tensorflow).",
           choices=("tensorflow", "jax", "torch", "numpy", "openvino")),
    Option("unsafe_fixes", ("--unsafe-fixes",), "flag",
           "Also apply (--fix) or show (--diff) the fixes labelled unsafe (configuration: unsafe-fixes = true)."),
    Option("jobs", ("--jobs", "-j"), "int", "Worker processes for large runs (default: all cores).", minimum=1),
    Option("probe", ("--probe",), "flag", "Also run the runtime probe on every model file (imports Keras).",
           group="probe"),
    Option("pad_value", ("--pad-value",), "float", "Probe: the padding value of the inputs.", group="probe"),
    Option("data", ("--data",), "path", "Probe: a sample of the real padded inputs (.npy or .npz).",
           group="probe"),
    Option("seed", ("--seed",), "int", "Probe: random seed (default 0).", group="probe"),
    Option("tolerance", ("--tolerance",), "float", "Probe: relative tolerance.", group="probe"),
    Option("lengths", ("--lengths",), "str", "Probe: padded lengths to try, comma-separated.", group="probe"),
    Option("unsafe", ("--unsafe",), "flag", "Probe: allow loading models with Lambda layers (runs their code).",
           group="probe"),
    Option("imports", ("--import",), "str", "Probe: import this module first (custom objects).", multiple=True,
           group="probe"),
)

#: dest -> option
BY_DEST: dict[str, Option] = {o.dest: o for o in OPTIONS}
#: the first word of a command line that is a subcommand, not a path
SUBCOMMANDS = ("check", "rules", "rule", "probe", "models", "server")

# the fast path's lookup: every flag of a lint option -> the option
_FAST = {flag: o for o in OPTIONS if o.group == "lint" for flag in o.flags}


def _fast_value(o: Option, value: str):
    """The value as click would give it, or None when only click can say (it may reject it)."""
    if not value:
        return None
    if o.kind == "choice":
        return value if value in o.choices else None
    if o.kind == "int":
        if not value.isdigit():
            return None
        n = int(value)
        return n if o.minimum is None or n >= o.minimum else None
    if o.kind == "path":
        return None if os.path.isdir(value) else value  # click.Path(dir_okay=False) rejects a directory
    if o.kind in ("str", "codes"):
        return value
    return None  # float: never on the fast path


def fast_parse(argv: list[str]) -> dict | None:
    """The keywords of ``run_check`` when ``argv`` is a plain lint call, else None (use click)."""
    if os.environ.get("MASKLINT_NO_FASTPATH"):
        return None
    kw: dict = {"paths": []}
    for o in OPTIONS:
        if o.group == "lint" and o.multiple:
            kw[o.dest] = []
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
        else:
            name, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
            o = _FAST.get(name)
            if o is None:
                return None
            if o.kind == "flag":
                if eq:  # --debug=1: click's error
                    return None
                kw[o.dest] = True
            else:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        return None
                    value = argv[i]
                v = _fast_value(o, value)
                if v is None:
                    return None
                if o.multiple:
                    kw[o.dest].append(v)
                else:
                    kw[o.dest] = v
        i += 1
    try:
        for o in OPTIONS:
            if o.group == "lint" and o.kind == "codes":
                parse_codes(kw[o.dest], o.flags[0])
        from .severity import parse_cli  # a bad --severity: click gives the usage error

        parse_cli(kw["severity"])
    except UsageError:
        return None
    return kw
