"""Read a legacy HDF5 model's config in a child process with a deadline (:mod:`masklint.isolation`).

The HDF5 library can loop forever or crash on a damaged file (found by fuzzing: a flipped byte in a
global heap made reading ``model_config`` spin at 100 % CPU) in native code that no Python signal or
timeout interrupts, so the read runs as the isolation module's ``h5`` task: in a forked child or a
reused reader process, killed after ``MASKLINT_H5_TIMEOUT`` seconds (default 5: a real read takes
milliseconds).
"""
from __future__ import annotations

import struct

from .errors import LintError, first_line, limit, over
from .isolation import fork_safe, run_task

TIMEOUT = "MASKLINT_H5_TIMEOUT"
_REQ = struct.Struct("<Q")  # max bytes (0: no limit), then the path
_ANS = struct.Struct("<I")  # len(version), then the version and the config
NO_MODEL_CONFIG = ("is an HDF5 file without a 'model_config' attribute (weights only?); "
                   "save the whole model with model.save()")



def _scalar_attr(attrs, name: str, max_bytes: int | None, what: str):
    """Read attribute ``name`` only if it is one value of bounded size (a forged file can declare an
    attribute of a billion elements)."""
    aid = attrs.get_id(name)
    shape = aid.shape
    if shape not in ((), (1,)):
        raise LintError(f"has a '{name}' attribute of shape {shape}, not {what}")
    if max_bytes is not None:
        size = aid.get_storage_size()  # fixed-size data; a variable-length string lives in the file
        if size > max_bytes:
            raise over("MASKLINT_MAX_CONFIG_BYTES", f"the '{name}' attribute", size)
    value = attrs[name]
    if shape == (1,) and hasattr(value, "__len__") and len(value) == 1 and not isinstance(value, (bytes, str)):
        value = value[0]
    return value


def read_h5(path: str, max_bytes: int | None) -> tuple[bytes, str | None]:
    """(model_config bytes, keras_version) of an HDF5 file, in this process; LintError otherwise. The
    version is followed by a NUL and the ``backend`` attribute where the file has one (see
    :func:`split_version`)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            attrs = f.attrs
            if "model_config" not in attrs:
                raise LintError(NO_MODEL_CONFIG)
            raw = _scalar_attr(attrs, "model_config", max_bytes, "a JSON string")
            version = None
            if "keras_version" in attrs:
                try:
                    version = _scalar_attr(attrs, "keras_version", 1 << 16, "a version string")
                except LintError:
                    version = None
            backend = None
            if "backend" in attrs:
                try:
                    backend = _scalar_attr(attrs, "backend", 1 << 10, "a backend name")
                except LintError:
                    backend = None
    except (LintError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - h5py raises OSError, KeyError, ValueError, TypeError...
        if "memory allocation failed" in str(exc):  # the HDF5 library's own words for a failed malloc
            raise MemoryError from None
        raise LintError(f"is a damaged HDF5 file ({first_line(exc)})") from None
    if hasattr(raw, "tobytes") and not isinstance(raw, (bytes, str)):
        try:
            raw = raw.tobytes()
        except Exception:  # noqa: BLE001
            raw = None
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    if isinstance(backend, bytes):
        backend = backend.decode("utf-8", "replace")
    if isinstance(backend, str) and backend and "\x00" not in backend:
        version = f"{version[:100] if isinstance(version, str) else ''}\x00{backend[:100]}"
    if not isinstance(raw, (bytes, str)):
        raise LintError("has a 'model_config' attribute that is not a JSON string")
    if isinstance(raw, str):
        try:  # h5py may hand back lone surrogates for invalid UTF-8
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise LintError("has a 'model_config' attribute that is not valid UTF-8") from None
    return raw, version[:201] if isinstance(version, str) else None


def split_version(version: str | None) -> tuple[str | None, str | None]:
    """(keras_version, backend) of the version :func:`read_h5` returns."""
    if not version or "\x00" not in version:
        return version or None, None
    v, _, b = version.partition("\x00")
    return v or None, b or None


def h5_task(payload: bytes) -> bytes:
    """The isolation task: payload = max bytes + path; body = len(version) + version + config."""
    import os

    (max_bytes,) = _REQ.unpack_from(payload)
    path = os.fsdecode(payload[_REQ.size:])
    raw, version = read_h5(path, max_bytes or None)
    ver = (version or "").encode("utf-8", "replace")
    return _ANS.pack(len(ver)) + ver + raw


def read_h5_bounded(path: str, max_bytes: int | None) -> tuple[bytes, str | None]:
    """(model_config bytes, keras_version) of an HDF5 file, read in a child with a deadline."""
    import os

    timeout = limit(TIMEOUT)
    if fork_safe():
        import h5py  # noqa: F401 - imported here, once, so that every forked child starts with it
    body = run_task("h5", _REQ.pack(max_bytes or 0) + os.fsencode(path), timeout,
                    late=f"is a damaged HDF5 file (the HDF5 library did not finish reading it within {timeout} s; "
                         f"{TIMEOUT})",
                    crashed="is a damaged HDF5 file: the HDF5 library crashed reading it")
    (n,) = _ANS.unpack_from(body)
    version = body[_ANS.size:_ANS.size + n].decode("utf-8", "replace") or None
    return body[_ANS.size + n:], version
