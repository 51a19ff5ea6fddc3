"""``masklint server``: a Language Server Protocol server on stdio (needs the ``lsp`` extra: pygls).

Modules, one idea each; only :mod:`.server`, :mod:`.convert` and :mod:`.actions` import pygls or
lsprotocol, and only once the subcommand runs (``masklint`` itself never imports them):

* :mod:`.documents`: one open document (a Python file or a notebook's JSON text) linted from its
  in-memory text with the configuration of its path; the fixed text of a document.
* :mod:`.edits`: the one text range two versions of a document differ in.
* :mod:`.convert`: findings -> LSP diagnostics (range, severity, code, link, message with the fix).
* :mod:`.actions`: code actions (quick fixes and ``source.fixAll.masklint``) from the safe fixes.
* :mod:`.server`: the pygls server: open/change (debounced)/save/close, code actions.
"""
from __future__ import annotations

MISSING = ("masklint server needs pygls: install the 'lsp' extra (pip install 'masklint[lsp]')")


def serve() -> int:
    """Run the server on stdin/stdout until the client exits; 2 when pygls is not installed."""
    import sys

    try:
        import pygls  # noqa: F401  (the server's one dependency)
    except ImportError:
        sys.stderr.write(f"masklint: error: {MISSING}\n")
        return 2
    from .server import run

    return run()
