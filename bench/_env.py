"""What the benchmarks share: the run environment (git revision, masklint source digest, load, CPU,
package versions, usable cores) and the CPU time of child processes."""
from __future__ import annotations

import hashlib
import importlib.metadata as _md
import os
import platform
import subprocess
from pathlib import Path

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None

ROOT = Path(__file__).resolve().parent.parent


def git_revision() -> str | None:
    """The commit measured, ``-dirty`` when masklint's tree has uncommitted changes. The benchmarks' own
    output (``bench/results/``, and README.md, whose figures ``run_all.py --readme`` rewrites) does not
    count: a run writes it while it runs."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".",
                                 ":(exclude)bench/results", ":(exclude)README.md"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("-dirty" if status else "")) if head else None


def source_digest() -> str:
    """sha256 over masklint's Python sources, to tie the numbers to the code that produced them."""
    h = hashlib.sha256()
    for f in sorted((ROOT / "masklint").rglob("*.py")):
        h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for ln in fh:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(dist: str) -> str:
    try:
        return _md.version(dist)
    except _md.PackageNotFoundError:
        return "?"


def cores() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    if resource is None:
        return 0.0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
