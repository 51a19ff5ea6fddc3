"""Collect files from paths and lint them; per-file errors never stop the run."""
from __future__ import annotations

import fnmatch
import os
from ._record import factory, record

from .errors import LintError
from .findings import Finding

MODEL_EXTS = (".keras", ".h5", ".hdf5")
SOURCE_EXTS = (".py", ".pyi")
SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", "site-packages", ".venv", "venv", ".tox",
             ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", ".eggs", ".ipynb_checkpoints"}


@record
class RunResult:
    findings: list[Finding] = factory(list)
    errors: list[tuple[str, str]] = factory(list)  # (path, reason)
    files: int = 0


def _gitignore_patterns(directory: str) -> list[str]:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1 << 20).splitlines()
    except OSError:
        return []
    pats = []
    for ln in lines:
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
        target = os.path.relpath(rel, base) if base else rel
        target = target.replace(os.sep, "/")
        if anchored:
            if fnmatch.fnmatch(target, p) or fnmatch.fnmatch(target, p + "/*"):
                return True
        elif fnmatch.fnmatch(name, p):
            return True
    return False


def _is_venv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


def collect(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Files to lint, in a stable order, plus (path, reason) for paths that do not exist."""
    files: list[str] = []
    errors: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            files.append(p)

    for root in paths:
        if os.path.isfile(root) or (os.path.exists(root) and not os.path.isdir(root)):
            add(root)
            continue
        if not os.path.isdir(root):
            errors.append((root, "no such file or directory"))
            continue
        patterns: list[tuple[str, str]] = []
        visited: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            try:
                stt = os.stat(dirpath)
                key = (stt.st_dev, stt.st_ino)
            except OSError:
                continue
            if key in visited:
                dirnames[:] = []
                continue
            visited.add(key)
            rel_dir = os.path.relpath(dirpath, root)
            rel_dir = "" if rel_dir == "." else rel_dir
            patterns = [(b, p) for b, p in patterns if not rel_dir or rel_dir.startswith(b) or b == ""]
            patterns += [(rel_dir, p) for p in _gitignore_patterns(dirpath)]
            keep = []
            for d in sorted(dirnames):
                full = os.path.join(dirpath, d)
                rel = os.path.join(rel_dir, d) if rel_dir else d
                if d in SKIP_DIRS or d.endswith(".egg-info") or _is_venv(full) or _ignored(rel, d, True, patterns):
                    continue
                keep.append(d)
            dirnames[:] = keep
            for f in sorted(filenames):
                if not f.lower().endswith(MODEL_EXTS + SOURCE_EXTS):
                    continue
                rel = os.path.join(rel_dir, f) if rel_dir else f
                if _ignored(rel, f, False, patterns):
                    continue
                add(os.path.join(dirpath, f))
    return files, errors


def lint_file(path: str, known: dict | None = None) -> list[Finding]:
    ext = os.path.splitext(path)[1].lower()
    if ext in SOURCE_EXTS:
        from .source_lint import lint_source_file

        return lint_source_file(path, known)
    from .lint import lint_model_file

    return lint_model_file(path, known)


def _lint_one(p: str, debug: bool = False, known: dict | None = None):
    """(findings, error) for one file; never raises unless ``debug``."""
    try:
        return lint_file(p, known), None
    except LintError as exc:
        return [], str(exc)
    except (MemoryError, RecursionError) as exc:
        return [], f"too large or too deeply nested to lint ({type(exc).__name__})"
    except Exception as exc:  # an internal error must not stop the other files
        if debug:
            raise
        return [], f"internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)"


def _skippable(p: str) -> bool:
    """A source file that never mentions keras/tensorflow: it lints to nothing without parsing."""
    if not p.lower().endswith(SOURCE_EXTS):
        return False
    try:
        with open(p, "rb") as fh:
            raw = fh.read(64 * 1024 * 1024)
    except OSError:
        return False  # let the worker report it
    from .source_frontend import mentions_keras

    return not mentions_keras(raw)


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


def lint_paths(paths: list[str], debug: bool = False, jobs: int | None = None, keep=None, known_for=None,
               progress=None) -> RunResult:
    """Lint ``paths``. ``keep(path)`` filters the collected files (configured excludes),
    ``known_for(path)`` gives the custom-layer knowledge of a file, ``progress(done, total)`` is
    called as files finish."""
    global _KNOWN_FOR
    files, errors = collect(paths)
    if keep is not None:
        files = [p for p in files if keep(p)]
    _KNOWN_FOR = known_for
    res = RunResult(errors=list(errors))
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
        for i, p in enumerate(files):
            if i and i % 64 == 0 and not gc.isenabled():
                gc.collect()
            results.append(_lint_one(p, debug, known_for(p) if known_for else None))
            if progress is not None:
                progress(i + 1, len(files))
    for p, (found, err) in zip(files, results):
        if err is None:
            res.findings.extend(found)
            res.files += 1
        else:
            res.errors.append((p, err))
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
