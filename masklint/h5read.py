"""Read a legacy HDF5 model's config under a deadline, in every kind of process.

The HDF5 library can loop forever or crash on a damaged file (found by fuzzing: a flipped byte in a
global heap made reading ``model_config`` spin at 100 % CPU) in native code that no Python signal or
timeout interrupts. So the read never runs in the caller's process by default:

* **fork** (POSIX, the process runs no other Python thread and has not imported TensorFlow): a forked
  child reads the file; about a millisecond per file.
* **reader process** (everywhere else: a notebook kernel, a training script with TensorFlow loaded, a
  thread pool, a language server): one long-lived interpreter per process is spawned on the first read
  (``python -c`` running :func:`serve`; about 0.2 s once) and reused for every later file. A read that
  misses the deadline kills it; the next read starts a new one.
* **in process**, only when ``MASKLINT_H5_IN_PROCESS=1`` is set (an explicit opt-in, e.g. for a
  debugger): no deadline, no isolation.

Each child gets the deadline ``MASKLINT_H5_TIMEOUT`` (seconds, default 5: a real read takes
milliseconds) and an address-space bound of ``MASKLINT_H5_MEMORY`` above what it uses when it starts
(Linux; a forged heap cannot make it take the machine's memory). The answer comes back as plain bytes
(a status byte, the version, the config), never as a pickle.
"""
from __future__ import annotations

import atexit
import os
import struct
import sys
import threading

from .errors import LintError, limit, over

TIMEOUT = "MASKLINT_H5_TIMEOUT"
MEMORY = "MASKLINT_H5_MEMORY"
IN_PROCESS = "MASKLINT_H5_IN_PROCESS"
#: seconds a spawned reader process may take to start (import h5py) before it is given up on
START_TIMEOUT = 60

_HEAD = struct.Struct("<cII")  # status (b"o" ok, b"e" error), len(version or message), len(config)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# The read itself (runs in the child)
# --------------------------------------------------------------------------------------------------

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
    """(model_config bytes, keras_version) of an HDF5 file, in this process; LintError otherwise."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            attrs = f.attrs
            if "model_config" not in attrs:
                raise LintError(
                    "is an HDF5 file without a 'model_config' attribute (weights only?); "
                    "save the whole model with model.save()"
                )
            raw = _scalar_attr(attrs, "model_config", max_bytes, "a JSON string")
            version = None
            if "keras_version" in attrs:
                try:
                    version = _scalar_attr(attrs, "keras_version", 1 << 16, "a version string")
                except LintError:
                    version = None
    except (LintError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - h5py raises OSError, KeyError, ValueError, TypeError...
        if "memory allocation failed" in str(exc):  # the HDF5 library's own words for a failed malloc
            raise MemoryError from None
        raise LintError(f"is a damaged HDF5 file ({_first_line(exc)})") from None
    if hasattr(raw, "tobytes") and not isinstance(raw, (bytes, str)):
        try:
            raw = raw.tobytes()
        except Exception:  # noqa: BLE001
            raw = None
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    if not isinstance(raw, (bytes, str)):
        raise LintError("has a 'model_config' attribute that is not a JSON string")
    if isinstance(raw, str):
        try:  # h5py may hand back lone surrogates for invalid UTF-8
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise LintError("has a 'model_config' attribute that is not valid UTF-8") from None
    return raw, version[:100] if isinstance(version, str) else None


def _answer(path: str, max_bytes: int | None) -> bytes:
    """The framed answer for one read (never raises)."""
    try:
        raw, version = read_h5(path, max_bytes)
        ver = (version or "").encode("utf-8", "replace")
        return _HEAD.pack(b"o", len(ver), len(raw)) + ver + raw
    except LintError as exc:
        msg = str(exc)
    except MemoryError:
        msg = f"is too large to read in the memory available ({MEMORY})"
    except BaseException as exc:  # noqa: BLE001 - anything else is still one line about this file
        msg = f"is a damaged HDF5 file ({type(exc).__name__}: {_first_line(exc)})"
    data = msg.encode("utf-8", "replace")
    return _HEAD.pack(b"e", len(data), 0) + data


def _decode(data: bytes) -> tuple[bytes, str | None]:
    if len(data) < _HEAD.size:
        raise LintError("is a damaged HDF5 file (reading it failed)")
    status, n1, n2 = _HEAD.unpack_from(data)
    body = data[_HEAD.size:]
    if len(body) != n1 + n2:
        raise LintError("is a damaged HDF5 file (reading it failed)")
    text = body[:n1].decode("utf-8", "replace")
    if status == b"e":
        raise LintError(text)
    return body[n1:], text or None


def _bound_memory() -> None:
    """Cap this (child) process's address space at what it uses now plus ``MASKLINT_H5_MEMORY``."""
    try:
        budget = limit(MEMORY)
        if budget is None:
            return
        import resource

        with open("/proc/self/statm", "rb") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (used + budget, resource.RLIM_INFINITY))
    except Exception:  # noqa: BLE001 - no /proc, no resource module, a bad value: no bound
        pass


# --------------------------------------------------------------------------------------------------
# The parent's side
# --------------------------------------------------------------------------------------------------

def _timeout_error(timeout) -> LintError:
    return LintError(f"is a damaged HDF5 file (the HDF5 library did not finish reading it within {timeout} s; "
                     f"{TIMEOUT})")


def _read_fd(fd: int, n: int | None, deadline: float | None) -> bytes | None:
    """Read ``n`` bytes (None: until EOF) from ``fd`` before ``deadline``; None when time ran out."""
    import select
    import time

    chunks, got = [], 0
    while n is None or got < n:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20 if n is None else min(1 << 20, n - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _deadline(timeout):
    import time

    return None if timeout is None else time.monotonic() + timeout


def fork_safe() -> bool:
    """Whether forking this process is safe: POSIX, no other Python thread (a child could inherit a
    lock that thread holds), TensorFlow not imported (it runs native threads of its own)."""
    return hasattr(os, "fork") and threading.active_count() == 1 and "tensorflow" not in sys.modules


def _read_forked(path: str, max_bytes: int | None, timeout) -> tuple[bytes, str | None]:
    import signal

    import h5py  # noqa: F401 - imported here, once, so that every child starts with it

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            _bound_memory()
            view = memoryview(_answer(path, max_bytes))
            while view:
                view = view[os.write(w, view):]
        finally:
            os._exit(0)
    os.close(w)
    data = None
    try:
        data = _read_fd(r, None, _deadline(timeout))
    finally:
        os.close(r)
        if data is None:  # timed out, or interrupted (Ctrl-C, a signal): the child must not outlive this
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _, status = os.waitpid(pid, 0)
    if data is None:
        raise _timeout_error(timeout)
    if os.WIFSIGNALED(status):
        raise LintError(f"is a damaged HDF5 file (the HDF5 library crashed reading it: signal "
                        f"{os.WTERMSIG(status)})")
    return _decode(data)


class _Reader:
    """One spawned reader process, reused for every read of this process (one read at a time)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc = None

    def _start(self):
        import subprocess

        self.proc = subprocess.Popen([sys.executable, "-c", _boot()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0, close_fds=True)
        if _read_fd(self.proc.stdout.fileno(), 1, _deadline(START_TIMEOUT)) != b"R":
            self.stop()
            raise LintError("could not be read: the HDF5 reader process did not start")

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.kill()
            except OSError:
                pass
            proc.wait()
            for fh in (proc.stdin, proc.stdout):
                try:
                    fh.close()
                except OSError:
                    pass

    def read(self, path: str, max_bytes: int | None, timeout) -> tuple[bytes, str | None]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.stop()
                self._start()
            req = os.fsencode(path)
            ok = False
            try:
                self.proc.stdin.write(struct.pack("<IQ", len(req), max_bytes or 0) + req)
                deadline = _deadline(timeout)
                fd = self.proc.stdout.fileno()
                head = _read_fd(fd, _HEAD.size, deadline)
                if head is None:
                    raise _timeout_error(timeout)
                if len(head) < _HEAD.size:
                    raise LintError("is a damaged HDF5 file (the HDF5 library crashed reading it)")
                _, n1, n2 = _HEAD.unpack(head)
                body = _read_fd(fd, n1 + n2, deadline)
                if body is None:
                    raise _timeout_error(timeout)
                ok = len(body) == n1 + n2
                return _decode(head + body)
            except (BrokenPipeError, OSError):
                raise LintError("is a damaged HDF5 file (the HDF5 library crashed reading it)") from None
            finally:
                if not ok:  # killed on a deadline, crashed, or interrupted: start a fresh one next time
                    self.stop()


_READER = _Reader()
atexit.register(_READER.stop)


def serve() -> None:  # pragma: no cover - runs in the spawned reader process
    """The reader process: requests (path length, max bytes, path) on stdin, framed answers on stdout."""
    import h5py  # noqa: F401 - before saying ready, so that start-up is not counted in the deadline

    _bound_memory()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(b"R")
    out.flush()
    req = struct.Struct("<IQ")
    while True:
        head = inp.read(req.size)
        if len(head) < req.size:
            return  # the parent is gone
        n, max_bytes = req.unpack(head)
        path = os.fsdecode(inp.read(n))
        out.write(_answer(path, max_bytes or None))
        out.flush()


def read_h5_bounded(path: str, max_bytes: int | None) -> tuple[bytes, str | None]:
    """(model_config bytes, keras_version) of an HDF5 file, read in a child with a deadline."""
    if os.environ.get(IN_PROCESS, "").strip() not in ("", "0"):
        return read_h5(path, max_bytes)
    timeout = limit(TIMEOUT)
    if fork_safe():
        return _read_forked(path, max_bytes, timeout)
    if not sys.executable:  # embedded without an interpreter to start: refuse rather than risk a hang
        raise LintError(f"cannot be read safely here: no Python interpreter to read HDF5 in (set {IN_PROCESS}=1 "
                        "to read it in this process, without a deadline)")
    if os.name != "posix":  # no select() on pipes: one reader process per file
        return _read_once(path, max_bytes, timeout)
    return _READER.read(path, max_bytes, timeout)


def _boot() -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return f"import sys; sys.path.insert(0, {root!r}); from masklint.h5read import serve; serve()"


def _read_once(path: str, max_bytes: int | None, timeout) -> tuple[bytes, str | None]:
    """One spawned reader for one file (platforms where a pipe cannot be waited on with select)."""
    import subprocess

    req = os.fsencode(path)
    try:
        done = subprocess.run([sys.executable, "-c", _boot()], input=struct.pack("<IQ", len(req), max_bytes or 0) + req,
                              capture_output=True, timeout=None if timeout is None else timeout + START_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise _timeout_error(timeout) from None
    if done.stdout[:1] != b"R":
        raise LintError("could not be read: the HDF5 reader process did not start")
    return _decode(done.stdout[1:])
