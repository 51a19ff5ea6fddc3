#!/usr/bin/env python3
"""Source linting on a real library tree: ``masklint KERAS_HUB_DIR --jobs 1`` on every ``.py`` file of the
installed ``keras_hub`` package (code that mentions Keras everywhere and builds few models), in files per
CPU-second, against bare ``ast.parse`` and bare ``libcst.parse_module`` of the same files.

Usage (from the repository root, with the ``bench`` extra installed: it holds ``keras-hub``)::

    .venv/bin/python bench/bench_keras_hub.py            # 7 timed runs per command
    .venv/bin/python bench/bench_keras_hub.py --runs 11
    .venv/bin/python bench/bench_keras_hub.py --quick    # 3 runs, results to results/tmp/

The package is found with ``importlib.util.find_spec("keras_hub")`` in the venv's Python (a top-level
spec: nothing of keras_hub is imported or run) and linted in place.  Commands, each a fresh process
(Python start-up and imports included), timed from ``exec`` to exit:

* ``python -m masklint DIR --exit-zero --jobs 1`` (this checkout: ``PYTHONPATH`` is the repository);
* the same with ``MASKLINT_NO_PREFILTER=1`` (every Keras-mentioning file parsed by libcst, as before the
  ast pre-filter of ``masklint/frontends/source/prefilter.py``);
* ``python -c AST_FLOOR LIST`` and ``python -c CST_FLOOR LIST``: read every file and ``ast.parse`` /
  ``libcst.parse_module`` it, nothing else;
* ``python -c pass``: the fixed cost.

One untimed warm-up per command (which checks that every file was linted or parsed), then N rounds in
which every command runs once, in a shuffled order.  The figure is files per CPU-second (user + sys of
the process, ``getrusage(RUSAGE_CHILDREN)``): the median over the runs, and the range; wall-clock
files/s is recorded too.  Target: masklint ≥ 100 files per CPU-second.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET_FPS_CPU = 100.0  # masklint --jobs 1 on keras_hub: files per CPU-second

FLOOR_CODE = r'''
import sys
{imp}
with open(sys.argv[1], encoding="utf-8") as fh:
    paths = fh.read().splitlines()
n = 0
for p in paths:
    with open(p, "rb") as fh:
        src = fh.read().decode("utf-8")
    {call}
    n += 1
print(n)
'''
AST_FLOOR = FLOOR_CODE.format(imp="import ast", call="ast.parse(src)")
CST_FLOOR = FLOOR_CODE.format(imp="import libcst", call="libcst.parse_module(src)")

LOCATE_CODE = r'''
import importlib.util, json
spec = importlib.util.find_spec("keras_hub")
print(json.dumps(list(spec.submodule_search_locations) if spec and spec.submodule_search_locations else None))
'''

TITLES = {"masklint": "masklint --jobs 1", "masklint_noprefilter": "masklint --jobs 1, pre-filter off",
          "ast_floor": "ast.parse floor", "cst_floor": "libcst.parse_module floor", "python": "python -c pass"}


class CommandFailed(RuntimeError):
    pass


def locate(py: str) -> Path:
    out = subprocess.run([py, "-c", LOCATE_CODE], capture_output=True, text=True, timeout=60)
    locs = json.loads(out.stdout or "null") if out.returncode == 0 else None
    if not locs:
        raise CommandFailed("keras_hub is not installed in the venv: pip install --no-deps 'keras-hub==0.32.0' "
                            "(the bench extra)")
    return Path(locs[0])


def collect(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        out += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py")]
    return out


def run_once(argv, env, capture=False):
    c0 = _env.children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    cpu = _env.children_cpu() - c0
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise CommandFailed(f"{argv[:4]!r}... exited {proc.returncode}: " + " | ".join(tail))
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace") if capture else None
    return wall, cpu, text


def check(key: str, text: str, n: int) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if key.startswith("masklint"):
        m = [ln for ln in lines if re.search(r"\d+ files? checked", ln)]
        got = int(re.search(r"(\d+) files? checked", m[-1]).group(1)) if m else None
        if got != n or "could not be linted" in m[-1]:
            raise CommandFailed(f"{key}: expected {n} files linted, got: {m[-1] if m else text[-300:]}")
        return m[-1]
    if key.endswith("floor"):
        if int(lines[-1]) != n:
            raise CommandFailed(f"{key}: parsed {lines[-1]} of {n} files")
        return f"{n} files parsed"
    return ""


def measure(cmds: dict, runs: int, n: int, log) -> dict:
    for key, c in cmds.items():
        wall, _cpu, text = run_once(c["argv"], c["env"], capture=True)
        c.update(warmup_s=wall, check=check(key, text, n), wall=[], cpu=[])
        log(f"  {key}: warm-up {wall:.2f} s ({c['check'] or 'ok'})")
    rng = random.Random(0)
    keys, order = list(cmds), []
    for r in range(runs):
        rng.shuffle(keys)
        order.append(list(keys))
        for key in keys:
            wall, cpu, _ = run_once(cmds[key]["argv"], cmds[key]["env"])
            cmds[key]["wall"].append(wall)
            cmds[key]["cpu"].append(cpu)
        log(f"  round {r + 1}/{runs} done")
    out = {}
    for key, c in cmds.items():
        out[key] = {"argv": c["shown"], "check": c["check"], "warmup_s": c["warmup_s"], "wall_s": c["wall"],
                    "cpu_s": c["cpu"], "wall_median_s": statistics.median(c["wall"]),
                    "cpu_median_s": statistics.median(c["cpu"]), "cpu_min_s": min(c["cpu"]),
                    "cpu_max_s": max(c["cpu"])}
        if key != "python":
            out[key]["fps_cpu"] = {"median": n / out[key]["cpu_median_s"], "min": n / max(c["cpu"]),
                                   "max": n / min(c["cpu"])}
            out[key]["fps_wall"] = n / out[key]["wall_median_s"]
    return {"commands": out, "order": order}


def _f(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def report(data: dict) -> str:
    env, c, n = data["env"], data["commands"], data["files"]
    L = [f"# masklint on the installed keras_hub package, one core", "",
         f"Environment: {env['cpu']} ({env['cores']} CPUs usable), {env['platform']}, Python {env['python']}, "
         f"libcst {env['libcst']}, keras-hub {env['keras_hub']}; masklint git {env['git_revision'] or '?'}, "
         f"sources {env['source_digest']}; {data['runs']} timed runs after 1 warm-up, {env['started']}.",
         f"1-minute load average: {env['load_before'][0] if env['load_before'] else '?'} before, "
         f"{env['load_after'][0] if env['load_after'] else '?'} after the run.", "",
         f"Corpus: every `.py` file of `keras_hub` ({data['root_shown']}): {n} files, {data['lines']:,} lines, "
         f"{data['bytes'] / 1e6:.1f} MB; {data['mention']} mention keras or tensorflow. "
         f"masklint: {c['masklint']['check']}", "",
         "| command | files per CPU-second, median (min–max) | CPU s, median | files/s (wall) |",
         "|---|---:|---:|---:|"]
    for key in ("masklint", "masklint_noprefilter", "ast_floor", "cst_floor"):
        m = c[key]
        fc = m["fps_cpu"]
        L.append(f"| {TITLES[key]} | **{_f(fc['median'])}** ({_f(fc['min'])}–{_f(fc['max'])}) | "
                 f"{m['cpu_median_s']:.2f} | {_f(m['fps_wall'])} |")
    L.append(f"| {TITLES['python']} | — | {c['python']['cpu_median_s']:.3f} | — |")
    t = data["target"]
    L += ["", f"masklint / libcst floor: {data['ratio_vs_cst']:.2f}x; masklint / ast floor: {data['ratio_vs_ast']:.2f}x; "
          f"pre-filter on / off: {data['ratio_prefilter']:.2f}x (files per CPU-second).", "",
          f"Target: masklint ≥ {t['value']:.0f} files per CPU-second: {_f(t['measured'])} — "
          f"**{'met' if t['met'] else 'missed'}**.", ""]
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="3 runs; results to results/tmp/")
    ap.add_argument("--venv", default=str(ROOT / ".venv"), help="masklint's venv (default <repo>/.venv)")
    ap.add_argument("--out", default=None, help="result path without suffix (default results/keras_hub)")
    args = ap.parse_args(argv)
    runs = 3 if args.quick else args.runs

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    py = str(Path(args.venv) / "bin" / "python")
    root = locate(py)
    files = collect(root)
    raw = [Path(p).read_bytes() for p in files]
    work = RESULTS / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    lst = work / "keras_hub.list"
    lst.write_text("\n".join(files) + "\n", encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "MASKLINT_NO_PREFILTER")}
    base.update(PYTHONHASHSEED="0", PYTHONPATH=str(ROOT))
    off = dict(base, MASKLINT_NO_PREFILTER="1")
    shown_dir = "<keras_hub>"
    cmds = {
        "masklint": {"argv": [py, "-m", "masklint", str(root), "--exit-zero", "--jobs", "1"], "env": base,
                     "shown": f"python -m masklint {shown_dir} --exit-zero --jobs 1"},
        "masklint_noprefilter": {"argv": [py, "-m", "masklint", str(root), "--exit-zero", "--jobs", "1"], "env": off,
                                 "shown": f"MASKLINT_NO_PREFILTER=1 python -m masklint {shown_dir} --exit-zero --jobs 1"},
        "ast_floor": {"argv": [py, "-c", AST_FLOOR, str(lst)], "env": base, "shown": "python -c AST_FLOOR LIST"},
        "cst_floor": {"argv": [py, "-c", CST_FLOOR, str(lst)], "env": base, "shown": "python -c CST_FLOOR LIST"},
        "python": {"argv": [py, "-c", "pass"], "env": base, "shown": "python -c pass"},
    }
    env = {"cpu": _env.cpu_name(), "cores": _env.cores(), "platform": platform.platform(),
           "python": platform.python_version(), "libcst": _env.version("libcst"), "keras_hub": _env.version("keras-hub"),
           "git_revision": _env.git_revision(), "source_digest": _env.source_digest(), "load_before": _env.loadavg(),
           "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    log(f"keras_hub: {len(files)} files under {root}; git {env['git_revision']}; load {env['load_before']}")
    res = measure(cmds, runs, len(files), log)
    env["load_after"] = _env.loadavg()
    digest_after = _env.source_digest()
    if digest_after != env["source_digest"]:
        log("WARNING: masklint's sources changed during the run")
        env["source_digest_after"] = digest_after
    c = res["commands"]
    fps = c["masklint"]["fps_cpu"]["median"]
    data = {"env": env, "runs": runs, "files": len(files), "root_shown": f"`{root.relative_to(root.parent.parent)}`"
            if len(root.parts) > 2 else str(root), "bytes": sum(map(len, raw)),
            "lines": sum(r.count(b"\n") for r in raw),
            "mention": sum(1 for r in raw if b"keras" in r or b"tensorflow" in r), **res,
            "ratio_vs_cst": fps / c["cst_floor"]["fps_cpu"]["median"],
            "ratio_vs_ast": fps / c["ast_floor"]["fps_cpu"]["median"],
            "ratio_prefilter": fps / c["masklint_noprefilter"]["fps_cpu"]["median"],
            "target": {"name": "masklint --jobs 1 on keras_hub, files per CPU-second", "value": TARGET_FPS_CPU,
                       "measured": fps, "met": fps >= TARGET_FPS_CPU}}
    md = report(data)
    out = Path(args.out) if args.out else (work / "keras_hub_quick" if args.quick else RESULTS / "keras_hub")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md, end="")
    log(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
