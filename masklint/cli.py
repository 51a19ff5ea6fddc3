"""The ``masklint`` entry point (contract: shared/spec/cli.md).

``masklint PATH...`` with plain options is parsed by :func:`masklint.options.fast_parse` without
importing click (click costs ~15 ms, more than half of linting a small model); anything else --
``--help``, ``--version``, subcommands, unknown or invalid options -- goes to the click application in
:mod:`masklint._click_app`. Both parsers come from one option table and call
:func:`masklint.lint_command.run_check`. ``MASKLINT_NO_FASTPATH=1`` forces the click path (the tests compare
both).
"""
from __future__ import annotations

import os
import sys

from .lint_command import run_check
from .options import fast_parse


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


def _internal_error(exc: BaseException, debug: bool) -> int:
    """A bug in masklint outside the per-file steps: one line on stderr (the traceback with --debug)."""
    from .errors import InternalError

    reason = InternalError.from_exception(exc)
    sys.stderr.write(f"masklint: internal error: {reason.detail} (please report it; --debug shows the traceback)\n")
    if debug:
        sys.stderr.write(reason.traceback)
    return 2


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
    except Exception as exc:  # never a traceback unless --debug (shared/spec/cli.md)
        code = _internal_error(exc, "--debug" in args)
    if argv is None:  # a real process: skip freeing every object at exit (tens of ms on big models)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)
    sys.exit(code)
