"""Collect files from paths and lint them; per-file errors never stop the run."""
from __future__ import annotations

import fnmatch
import os
import stat
from ._record import factory, record

from .errors import InternalError, LintError
from .findings import Finding

MODEL_EXTS = (".keras", ".h5", ".hdf5")
SOURCE_EXTS = (".py", ".pyi")
NOTEBOOK_EXTS = (".ipynb",)
SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", "site-packages", ".venv", "venv", ".tox",
             ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", ".eggs", ".ipynb_checkpoints"}


@record
class RunResult:
    findings: list[Finding] = factory(list)
    errors: list[tuple[str, str]] = factory(list)  # (path, reason)
    files: int = 0
    collected: list[str] = factory(list)  # every file the run looked at (after excludes)
    notes: list[tuple[str, str]] = factory(list)  # (path, note): info lines, not findings (notes.py)
    skipped: int = 0  # files a directory walk found that hold no model by design (weights only...)


def _gitignore_patterns(directory: str) -> list[str]:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1 << 20).splitlines()
    except OSError:
        return []
    pats = []
    for ln in lines[:10_000]:
        ln = ln.strip()
        if not ln or ln.startswith("#") or ln.startswith("!"):
            continue
        pats.append(ln)
    return pats


def _ignored(rel: str, name: str, is_dir: bool, patterns: list[tuple[str, str]]) -> bool:
    for base, pat in patterns:
        p = pat
        dir_only = p.endswith("/")
        if dir_only:
            p = p.rstrip("/")
            if not is_dir:
                continue
        anchored = "/" in p
        p = p.lstrip("/")
        if anchored:
            target = os.path.relpath(rel, base) if base else rel
            target = target.replace(os.sep, "/")
            if fnmatch.fnmatch(target, p) or fnmatch.fnmatch(target, p + "/*"):
                return True
        elif fnmatch.fnmatch(name, p):
            return True
    return False


def _is_venv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


def _file_key(path: str, entry=None) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the regular file ``path`` is or links to; None for anything else (a
    directory, FIFO, socket, device, dangling or looping symlink): reading a FIFO blocks forever."""
    try:
        st = entry.stat() if entry is not None else os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _walk(root: str, add, visited: set) -> None:
    """Add the lintable files under directory ``root``, in a stable order (a directory's files, then
    its sub-directories, each sorted by name).

    Iterative (no recursion limit on deep trees). Directory symlinks are never followed: a committed
    ``link -> /`` must not make a CI run walk the whole machine, and a link back up cannot loop. Every
    directory is entered at most once, by (st_dev, st_ino), even when it is reached twice (a bind
    mount, two roots that overlap). Files that are not regular files (FIFOs, sockets, devices, dangling
    or looping symlinks) are skipped.
    """
    stack: list[tuple[str, str, list[tuple[str, str]]]] = [(root, "", [])]
    while stack:
        dirpath, rel_dir, patterns = stack.pop()
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:
            continue
        visited.add(key)
        own = _gitignore_patterns(dirpath)
        if own:
            patterns = patterns + [(rel_dir, p) for p in own]
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        if _model_dir([e.name for e in entries]):  # a saved model: linted as one, never walked into
            if not add(dirpath, key):
                return
            continue
        subdirs = []
        for e in entries:
            name = e.name
            rel = os.path.join(rel_dir, name) if rel_dir else name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if (name in SKIP_DIRS or name.endswith(".egg-info") or _is_venv(e.path)
                        or _ignored(rel, name, True, patterns)):
                    continue
                subdirs.append((e.path, rel, patterns))
                continue
            if not name.lower().endswith(MODEL_EXTS + SOURCE_EXTS + NOTEBOOK_EXTS):
                continue
            if _ignored(rel, name, False, patterns):
                continue
            fkey = _file_key(e.path, None if e.is_symlink() else e)
            if fkey is None:
                continue
            if not add(e.path, fkey):
                return
        stack.extend(reversed(subdirs))


def _model_dir(names: list[str]) -> bool:
    from .saved_dirs import dir_kind

    return dir_kind(names) is not None


def collect(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Files to lint, in a stable order, plus (path, reason) for paths that cannot be linted (missing,
    not a regular file) and for a run that hit ``MASKLINT_MAX_FILES`` (the files up to the limit are
    still returned)."""
    from .errors import limit

    files: list[str] = []
    errors: list[tuple[str, str]] = []
    seen: set = set()
    visited: set = set()
    try:
        max_files = limit("MASKLINT_MAX_FILES")
    except LintError as exc:
        return [], [("MASKLINT_MAX_FILES", str(exc))]
    full = False

    def add(p: str, key) -> bool:
        """False once the file limit is reached."""
        nonlocal full
        if key in seen:
            return True
        if max_files is not None and len(files) >= max_files:
            full = True
            return False
        seen.add(key)
        files.append(p)
        return True

    for root in paths:
        if full:
            break
        if os.path.isdir(root):
            _walk(root, add, visited)
            if full:
                errors.append((root, f"more than {max_files:,} files to lint; stopped collecting there, the "
                                     "rest is not linted (lint a narrower path, or raise MASKLINT_MAX_FILES)"))
            continue
        if not os.path.lexists(root):
            errors.append((root, "no such file or directory"))
            continue
        key = _file_key(root)
        if key is None:
            if not os.path.exists(root):
                reason = "is a dangling or looping symbolic link"
            else:
                reason = "is not a regular file (a FIFO, socket or device)"
            errors.append((root, reason))
            continue
        add(root, key)
    return files, errors


def lint_file(path: str, known: dict | None = None, project=None) -> list[Finding]:
    ext = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):  # a saved-model directory (saved_dirs.py)
        ext = ""
    if ext in SOURCE_EXTS:
        from .source_lint import lint_source_file

        return lint_source_file(path, known, project)
    if ext in NOTEBOOK_EXTS:
        from .notebook.lint import lint_notebook_file

        return lint_notebook_file(path, known, project)
    from .lint import lint_model_file

    return lint_model_file(path, known)


def guarded(fn, *args):
    """``(fn(*args), None)``, or ``(None, reason)`` when it fails; never raises (but for
    KeyboardInterrupt and the like). The reason is the one-line message of a :class:`LintError` (the
    file's problem), or an :class:`InternalError` for any other exception (a bug in masklint: it must
    not stop the other files; the CLI reports it as such, with the traceback under ``--debug``)."""
    from .notes import NotAModel, SkipReason

    try:
        return fn(*args), None
    except NotAModel as exc:
        return None, SkipReason(str(exc))
    except LintError as exc:
        return None, str(exc)
    except (MemoryError, RecursionError) as exc:
        return None, f"too large or too deeply nested to lint ({type(exc).__name__})"
    except Exception as exc:
        return None, InternalError.from_exception(exc)


def _lint_one(p: str, known: dict | None = None):
    """(findings, error) for one file; never raises (see :func:`guarded`)."""
    found, err = guarded(lint_file, p, known, _PROJECT)
    return (found if err is None else []), err


def _skippable(p: str) -> bool:
    """A source file that never mentions keras/tensorflow: it lints to nothing without parsing."""
    if not p.lower().endswith(SOURCE_EXTS):
        return False
    try:
        with open(p, "rb") as fh:
            raw = fh.read(64 * 1024 * 1024)
    except OSError:
        return False  # let the worker report it
    from .frontends.source import mentions_keras

    return not mentions_keras(raw) and not (_PROJECT is not None and _PROJECT.imports_linted(raw))


def _lint_chunk(paths: list[str]):
    import gc

    gc.disable()
    out = [_lint_one(p, known=_KNOWN_FOR(p) if _KNOWN_FOR else None) for p in paths]
    gc.enable()
    return out


#: below this many source files a run stays in one process (starting workers costs ~0.1 s each)
PARALLEL_MIN_FILES = 200


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: path -> custom-class knowledge for that file (set by lint_paths; forked workers inherit it)
_KNOWN_FOR = None
#: the run's index of linted source files, for imports between them (``cross_file.py``; set by lint_paths,
#: forked workers inherit it and each keeps its own cache of the modules it loads)
_PROJECT = None


def lint_paths(paths: list[str], debug: bool = False, jobs: int | None = None, keep=None, known_for=None,
               progress=None) -> RunResult:
    """Lint ``paths`` as found (no configuration: see :mod:`masklint.project`). ``keep(path)`` filters
    the collected files (configured excludes), ``known_for(path)`` gives the custom-layer knowledge of
    a file, ``progress(done, total)`` is called as files finish; ``debug`` keeps the run in this
    process. A file that cannot be linted is an entry of ``errors``, never an exception."""
    global _KNOWN_FOR, _PROJECT
    from .cross_file import merge, project_for

    files, errors = collect(paths)
    if keep is not None:
        files = [p for p in files if keep(p)]
    _KNOWN_FOR = known_for
    _PROJECT = project_for(files, paths)
    res = RunResult(errors=list(errors), collected=files)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    results = None
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES and not debug:
        # the keras pre-filter runs here: only files that need parsing are worth a worker
        heavy = [i for i, p in enumerate(files) if not _skippable(p)]
        if len(heavy) >= PARALLEL_MIN_FILES:
            part = _parallel([files[i] for i in heavy], jobs, progress)
            if part is not None:
                results = [([], None)] * len(files)
                for i, r in zip(heavy, part):
                    results[i] = r
    if results is None:
        import gc

        results = []
        frozen = not gc.isenabled()  # the CLI: GC off, collected every 64 files below
        if frozen:  # the imported modules' objects are left out of those collections (~5 ms each)
            gc.freeze()
        for i, p in enumerate(files):
            if i and i % 64 == 0 and not gc.isenabled():
                gc.collect()
            results.append(_lint_one(p, known_for(p) if known_for else None))
            if progress is not None:
                progress(i + 1, len(files))
        if frozen:
            gc.unfreeze()
    from .notes import SkipReason, notes_of

    explicit = set(paths)
    for p, (found, err) in zip(files, results):
        if err is None:
            res.findings.extend(found)
            res.files += 1
            res.notes.extend((p, n) for n in notes_of(found))
        elif isinstance(err, SkipReason) and p not in explicit:  # found by a walk: skipped, with a note
            res.skipped += 1
            res.notes.append((p, f"skipped: {err}"))
        else:
            res.errors.append((p, err))
    if _PROJECT is not None:
        from .source_lint import NOQA

        res.findings = merge(res.findings, NOQA)
        _PROJECT = None  # its cache of parsed modules is not kept past the run
    return res


def _parallel(files: list[str], jobs: int, progress=None):
    """Lint in worker processes, in chunks; None if workers cannot be started here."""
    try:
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing as mp

        ctx = mp.get_context("fork") if hasattr(os, "fork") else None
        size = max(8, len(files) // (jobs * 8))
        chunks = [files[i:i + size] for i in range(0, len(files), size)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            out = []
            for part in pool.map(_lint_chunk, chunks):
                out.extend(part)
                if progress is not None:
                    progress(len(out), len(files))
        return out
    except (OSError, ImportError, RuntimeError):
        return None
