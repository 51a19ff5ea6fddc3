"""Errors that stop masklint from linting one file (exit code 2, one line on stderr), and the
resource limits that raise them."""
from __future__ import annotations

import os


class LintError(Exception):
    """A file could not be linted; ``str(err)`` is the one-line reason (without the path)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (at most 300 characters), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class InternalError(str):
    """The reason for a file that masklint failed on because of a bug in masklint (an unexpected
    exception), as opposed to a :class:`LintError` (the file's own problem).

    A ``str`` (``"internal error: ExcType: message"``), so it travels in the same ``(path, reason)``
    lists as the others, to every report format; ``detail`` is ``"ExcType: message"`` and
    ``traceback`` the formatted traceback (printed with ``--debug``). Picklable (it crosses from
    worker processes).
    """

    detail: str
    traceback: str

    def __new__(cls, detail: str, traceback: str = ""):
        self = super().__new__(cls, f"internal error: {detail}")
        self.detail = detail
        self.traceback = traceback
        return self

    def __reduce__(self):
        return (InternalError, (self.detail, self.traceback))

    @classmethod
    def from_exception(cls, exc: BaseException) -> "InternalError":
        """The reason for ``exc``, being handled now (its traceback is formatted here)."""
        import traceback

        text = " ".join(str(exc).split())
        if len(text) > 300:
            text = text[:297] + "..."
        detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return cls(detail, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def error_lines(path: str, reason: str, debug: bool = False) -> str:
    """What stderr gets for a file that could not be linted (exit code 2), newline-terminated.

    ``masklint: error: PATH: reason`` for the file's own problem; for a bug in masklint
    (:class:`InternalError`) ``masklint: internal error: PATH: ExcType: message (please report it;
    --debug shows the traceback)``, followed by the traceback when ``debug``."""
    if isinstance(reason, InternalError):
        out = f"masklint: internal error: {path}: {reason.detail} (please report it; --debug shows the traceback)\n"
        if debug and reason.traceback:
            out += reason.traceback if reason.traceback.endswith("\n") else reason.traceback + "\n"
        return out
    return f"masklint: error: {path}: {reason}\n"


#: Resource limits: environment variable -> (default, what it bounds).  Sizes accept a K, M or G
#: suffix (powers of 1024); ``0`` turns a limit off.
LIMITS = {
    "MASKLINT_MAX_CONFIG_BYTES": (64 << 20, "size of a model config: config.json in a .keras zip (uncompressed), "
                                            "an HDF5 file's model_config attribute, a .json file, the "
                                            "config.json of an unzipped save, a SavedModel's keras_metadata.pb"),
    "MASKLINT_MAX_ZIP_ENTRIES": (10_000, "members of a .keras zip (a real one has 3)"),
    "MASKLINT_MAX_FILES": (1_000_000, "files one run collects from the paths it is given"),
    "MASKLINT_H5_TIMEOUT": (5, "seconds the HDF5 library may take to read an .h5 file's config (a real read takes "
                               "milliseconds); it is read in a forked child or a reader process, killed after "
                               "that: a damaged file can make the library loop forever"),
    "MASKLINT_PARSE_TIMEOUT": (20, "seconds libcst's parser may take on source that CPython's parser rejects "
                                   "(it runs in a child, killed after that: such input can make it run for "
                                   "minutes or overflow its stack)"),
    "MASKLINT_CHILD_MEMORY": (2 << 30, "address space a child that reads HDF5 or parses rejected source may "
                                       "take beyond what it uses when it starts (Linux)"),
}

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def limit(name: str) -> int | None:
    """The current value of limit ``name`` (None: no limit); read from the environment on every call.

    Raises :class:`LintError` when the variable is set to something that is not a size.
    """
    default = LIMITS[name][0]
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().upper().removesuffix("B").removesuffix("I")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    num = text[:-1] if unit else text
    if not num.isdigit() or len(num) > 30:
        raise LintError(f"{name}={raw!r} is not a limit (a whole number, optionally with K, M or G; 0 = none)")
    value = int(num) * _UNITS[unit]
    return value or None


def over(name: str, what: str, size: int, unit: str = "bytes") -> LintError:
    """The error for ``what`` (``size`` ``unit``) exceeding limit ``name``."""
    return LintError(f"{what} is {size:,} {unit}, over the limit of {limit(name):,} "
                     f"(raise it with {name}=N, or 0 for none)")
