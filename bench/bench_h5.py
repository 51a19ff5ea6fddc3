#!/usr/bin/env python3
"""What reading an ``.h5`` model under a deadline costs (``masklint/h5read.py``).

Per file, in one process (median of ``--runs`` passes over ``--files`` copies of a tf.keras ``.h5``
fixture): the read in process (no isolation, the opt-in), in a forked child, through the reused
reader process, and through a fresh reader process per file (how a platform without ``select`` on
pipes reads); the reader process's start-up once. Then whole CLI runs over a directory of the copies
(forks for the first files, then the reader process) and a process with a thread running linting the same directory through the API
(reader process). Results: ``bench/results/h5.json`` and ``h5.md``, with the commit measured.

    .venv/bin/python bench/bench_h5.py [--files 200] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _env

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURE = ROOT / "tests" / "fixtures" / "keras2" / "k2_seq_emb_maskzero_lstm.h5"
sys.path.insert(0, str(ROOT))

THREADED_WALK = r"""
import sys, threading, time
threading.Thread(target=threading.Event().wait, daemon=True).start()
import masklint
t = time.perf_counter()
res = masklint.lint_paths([sys.argv[1]])
assert not res.errors, res.errors[:3]
print(time.perf_counter() - t)
"""


def _per_file(fn, files, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        for f in files:
            fn(f)
        out.append((time.perf_counter() - t) / len(files))
    return statistics.median(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--allow-dirty", action="store_true", help="measure an uncommitted tree (not for quoting)")
    args = ap.parse_args(argv)
    rev = _env.git_revision()
    if rev and rev.endswith("-dirty") and not args.allow_dirty:
        print(f"bench_h5: the tree is not committed ({rev}); commit first or pass --allow-dirty", file=sys.stderr)
        return 2
    from masklint import h5read, isolation

    def via(fork: bool):
        def read(f):
            isolation.fork_safe = lambda: fork
            isolation._FORKS[0] = 0  # measure the fork itself, not the switch to the reader process
            return h5read.read_h5_bounded(f, lim)
        return read

    def once(f):
        isolation.fork_safe, isolation.os.name = (lambda: False), "nt"  # the per-task path
        try:
            return h5read.read_h5_bounded(f, lim)
        finally:
            isolation.os.name = "posix"

    tmp = Path(tempfile.mkdtemp(prefix="masklint-bench-h5-"))
    try:
        files = []
        for i in range(args.files):
            p = tmp / f"m{i:04d}.h5"
            shutil.copyfile(FIXTURE, p)
            files.append(str(p))
        lim = 64 << 20
        t = time.perf_counter()
        via(False)(files[0])
        start = time.perf_counter() - t
        fig = {
            "in_process_ms": _per_file(lambda f: h5read.read_h5(f, lim), files, args.runs) * 1e3,
            "fork_ms": _per_file(via(True), files, args.runs) * 1e3,
            "reader_process_ms": _per_file(via(False), files, args.runs) * 1e3,
            "reader_process_start_ms": start * 1e3,
            "fresh_reader_per_file_ms": _per_file(once, files[:20], 1) * 1e3,
        }
        isolation.READER.stop()
        walks_cli, walks_thread = [], []
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "masklint", str(tmp)], capture_output=True, env=env, check=False)
            walks_cli.append(time.perf_counter() - t)
            r = subprocess.run([sys.executable, "-c", THREADED_WALK, str(tmp)], capture_output=True, text=True,
                               env=env, check=True)
            walks_thread.append(float(r.stdout.strip().splitlines()[-1]))
        fig["cli_walk_s"] = statistics.median(walks_cli)
        fig["threaded_api_walk_s"] = statistics.median(walks_thread)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    data = {"revision": rev, "sources": _env.source_digest(), "files": args.files, "runs": args.runs,
            "cpu": _env.cpu_name(), "cores": _env.cores(), "loadavg": _env.loadavg(),
            "h5py": _env.version("h5py"), "figures": fig}
    res = HERE / "results"
    (res / "h5.json").write_text(json.dumps(data, indent=1) + "\n")
    n = args.files
    md = [f"# Reading `.h5` models under a deadline — git {rev}, {data['cpu']} ({data['cores']} CPUs)", "",
          f"`{FIXTURE.relative_to(ROOT)}` copied {n} times; per-file figures are medians of {args.runs} passes.",
          "", "| how | per file |", "|---|---|",
          f"| in process (`MASKLINT_H5_IN_PROCESS=1`, no deadline) | {fig['in_process_ms']:.2f} ms |",
          f"| forked child (default where fork is safe) | {fig['fork_ms']:.2f} ms |",
          f"| reused reader process (TensorFlow loaded, threads running) | {fig['reader_process_ms']:.2f} ms |",
          f"| reader process start-up, once per process | {fig['reader_process_start_ms']:.0f} ms |",
          f"| a fresh reader process per file (no `select` on pipes) | {fig['fresh_reader_per_file_ms']:.0f} ms |",
          "", "| directory walk of the copies | whole run |", "|---|---|",
          f"| `masklint DIR` (forks, then the reader process; process start included) | {fig['cli_walk_s']:.2f} s |",
          f"| `lint_paths([DIR])` with a thread running (reader process) | {fig['threaded_api_walk_s']:.2f} s |", ""]
    (res / "h5.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
