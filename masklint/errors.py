"""Errors that stop masklint from linting one file (exit code 2, one line on stderr)."""


class LintError(Exception):
    """A file could not be linted; ``str(err)`` is the one-line reason (without the path)."""
