"""Run native code that may never return -- on hostile input -- in a child process with a deadline.

Two static-path steps call native code that no Python signal or timeout can interrupt, and that
fuzzing showed can spin or crash on a damaged or hostile file:

* the HDF5 library reading an ``.h5`` model's config (``h5read.py``: a flipped byte in a global heap
  made it loop forever);
* libcst's native parser on source that CPython's own parser rejects
  (``frontends/source/parse_guard.py``: a 20 KB line of ``a + a + ...`` with a syntax error at its end
  takes minutes; long ``and`` chains overflow its stack).

A *task* is a function ``bytes -> bytes`` in this package, named in :data:`TASKS`; it raises
:class:`LintError` for a one-line failure. :func:`run_task` runs it:

* **fork** (POSIX, the process runs no other Python thread and has not imported TensorFlow): a forked
  child runs it; about 10 ms. After ``FORKS_BEFORE_READER`` forks, the reader process below is used
  instead (cheaper from there on).
* **reader process** (everywhere else: a notebook kernel, a training script with TensorFlow loaded, a
  thread pool, a language server): one long-lived interpreter per process is spawned on the first task
  (``python -c`` running :func:`serve`; about 0.3 s once) and reused. A task that misses the deadline
  kills it; the next task starts a new one.
* **in process**, only when ``MASKLINT_IN_PROCESS=1`` (or the older ``MASKLINT_H5_IN_PROCESS=1``) is
  set: an explicit opt-in, e.g. for a debugger; no deadline, no isolation.

Each child is bounded to ``MASKLINT_CHILD_MEMORY`` of address space above what it uses when it starts
(Linux). Answers come back as plain framed bytes (a status byte, a message, a body), never as pickles.
"""
from __future__ import annotations

import atexit
import importlib
import os
import struct
import sys
import threading

from .errors import LintError, first_line, limit

IN_PROCESS = ("MASKLINT_IN_PROCESS", "MASKLINT_H5_IN_PROCESS")
MEMORY = "MASKLINT_CHILD_MEMORY"
#: seconds a spawned reader process may take to start before it is given up on
START_TIMEOUT = 60

#: task name -> "module:function" (imported in the child, on first use)
TASKS = {
    "h5": "masklint.h5read:h5_task",
    "parse": "masklint.frontends.source.parse_guard:parse_task",
}

_ANSWER = struct.Struct("<cII")  # status (b"o" ok, b"e" error), len(message), len(body)
_REQUEST = struct.Struct("<II")  # len(task name), len(payload)


def in_process() -> bool:
    """Whether the user opted in to running tasks in this process."""
    return any(os.environ.get(v, "").strip() not in ("", "0") for v in IN_PROCESS)



def _call(task: str, payload: bytes) -> bytes:
    mod, fn = TASKS[task].split(":")
    return getattr(importlib.import_module(mod), fn)(payload)


def _answer(task: str, payload: bytes) -> bytes:
    """The framed answer of one task (never raises)."""
    try:
        body = _call(task, payload)
        return _ANSWER.pack(b"o", 0, len(body)) + body
    except LintError as exc:
        msg = str(exc)
    except MemoryError:
        msg = f"is too large to read in the memory available ({MEMORY})"
    except RecursionError:
        msg = "is nested too deeply to read"
    except BaseException as exc:  # noqa: BLE001 - anything else is still one line about this file
        msg = f"could not be read ({type(exc).__name__}: {first_line(exc)})"
    data = msg.encode("utf-8", "replace")
    return _ANSWER.pack(b"e", len(data), 0) + data


def _decode(data: bytes, crashed: str) -> bytes:
    if len(data) < _ANSWER.size:
        raise LintError(crashed)
    status, n1, n2 = _ANSWER.unpack_from(data)
    rest = data[_ANSWER.size:]
    if len(rest) != n1 + n2:
        raise LintError(crashed)
    if status == b"e":
        raise LintError(rest[:n1].decode("utf-8", "replace"))
    return rest[n1:]


def bound_memory() -> None:
    """Cap this (child) process's address space at what it uses now plus ``MASKLINT_CHILD_MEMORY``."""
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


def _run_forked(task: str, payload: bytes, timeout, late: str, crashed: str) -> bytes:
    import signal

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            bound_memory()
            view = memoryview(_answer(task, payload))
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
        raise LintError(late)
    if os.WIFSIGNALED(status):
        raise LintError(f"{crashed} (signal {os.WTERMSIG(status)})")
    return _decode(data, crashed)


def _boot() -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return f"import sys; sys.path.insert(0, {root!r}); from masklint.isolation import serve; serve()"


def _request(task: str, payload: bytes) -> bytes:
    name = task.encode()
    return _REQUEST.pack(len(name), len(payload)) + name + payload


class _Reader:
    """One spawned reader process, reused for every task of this process (one task at a time)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc = None

    def _start(self):
        import subprocess

        self.proc = subprocess.Popen([sys.executable, "-c", _boot()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0, close_fds=True)
        if _read_fd(self.proc.stdout.fileno(), 1, _deadline(START_TIMEOUT)) != b"R":
            self.stop()
            raise LintError("could not be read: masklint's reader process did not start")

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

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def run(self, task: str, payload: bytes, timeout, late: str, crashed: str) -> bytes:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.stop()
                self._start()
            ok = False
            try:
                self.proc.stdin.write(_request(task, payload))
                deadline = _deadline(timeout)
                fd = self.proc.stdout.fileno()
                head = _read_fd(fd, _ANSWER.size, deadline)
                if head is None:
                    raise LintError(late)
                if len(head) < _ANSWER.size:
                    raise LintError(crashed)
                _, n1, n2 = _ANSWER.unpack(head)
                rest = _read_fd(fd, n1 + n2, deadline)
                if rest is None:
                    raise LintError(late)
                ok = len(rest) == n1 + n2
                return _decode(head + rest, crashed)
            except OSError:  # a broken pipe: the process died
                raise LintError(crashed) from None
            finally:
                if not ok:  # killed on a deadline, crashed, or interrupted: start a fresh one next time
                    self.stop()


READER = _Reader()
#: forks (about 10 ms each, the process's pages mapped again) before the reused reader process (about
#: 0.3 s to start, then under 1 ms a task) is cheaper: a walk over many .h5 files switches to it
FORKS_BEFORE_READER = 24
_FORKS = [0]
atexit.register(READER.stop)


def _run_once(task: str, payload: bytes, timeout, late: str, crashed: str) -> bytes:
    """One spawned process for one task (platforms where a pipe cannot be waited on with select)."""
    import subprocess

    try:
        done = subprocess.run([sys.executable, "-c", _boot()], input=_request(task, payload), capture_output=True,
                              timeout=None if timeout is None else timeout + START_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise LintError(late) from None
    if done.stdout[:1] != b"R":
        raise LintError("could not be read: masklint's reader process did not start")
    return _decode(done.stdout[1:], crashed)


def serve() -> None:  # pragma: no cover - runs in the spawned reader process
    """The reader process: framed requests on stdin, framed answers on stdout, until stdin closes."""
    import h5py  # noqa: F401 - before saying ready, so that start-up is not counted in a deadline

    bound_memory()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(b"R")
    out.flush()
    while True:
        head = inp.read(_REQUEST.size)
        if len(head) < _REQUEST.size:
            return  # the parent is gone
        n_task, n_payload = _REQUEST.unpack(head)
        task = inp.read(n_task).decode("ascii", "replace")
        payload = inp.read(n_payload)
        out.write(_answer(task, payload) if task in TASKS else _answer_unknown(task))
        out.flush()


def _answer_unknown(task: str) -> bytes:
    msg = f"could not be read (unknown task {task!r})".encode()
    return _ANSWER.pack(b"e", len(msg), 0) + msg


def run_task(task: str, payload: bytes, timeout, late: str, crashed: str) -> bytes:
    """The body ``task`` returns for ``payload``, computed in a child killed after ``timeout`` seconds.

    Raises :class:`LintError`: the task's own one-line error, ``late`` when the deadline passed, or
    ``crashed`` (with the signal, where known) when the child died.
    """
    if in_process():
        return _call(task, payload)
    if fork_safe() and (_FORKS[0] < FORKS_BEFORE_READER or os.name != "posix"):
        _FORKS[0] += 1
        return _run_forked(task, payload, timeout, late, crashed)
    if not sys.executable:  # embedded without an interpreter to start: refuse rather than risk a hang
        raise LintError("cannot be read safely here: no Python interpreter to start a reader process "
                        f"(set {IN_PROCESS[0]}=1 to read it in this process, without a deadline)")
    if os.name != "posix":  # no select() on pipes: one reader process per task
        return _run_once(task, payload, timeout, late, crashed)
    return READER.run(task, payload, timeout, late, crashed)
