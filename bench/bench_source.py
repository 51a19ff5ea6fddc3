#!/usr/bin/env python3
"""Whole-process benchmark of source linting: files per second of ``masklint DIR`` on real corpora,
against bare ``libcst.parse_module`` on the same files (the floor) and against Fixit.

Usage (from the repository root)::

    .venv/bin/python bench/bench_source.py             # full run: 5 timed runs per command
    .venv/bin/python bench/bench_source.py --runs 7    # more runs
    .venv/bin/python bench/bench_source.py --quick     # smoke test: 3 runs, stdlib + generated set, no Fixit

Sets (flat copies, cached under ``bench/results/corpus/``, git-ignored):

* ``stdlib``: the ``.py`` files of the standard library of the venv's Python, without ``site-packages``
  and ``test``/``tests`` directories (which also drops lib2to3's test data), kept if libcst parses
  them.  None mentions Keras or TensorFlow, so masklint's pre-filter skips them all before parsing.
* ``keras``: model-building scripts written by ``bench/source_corpus/make_corpus.py`` (300, seeded).
* ``keras_src``: every ``.py`` file of the installed Keras package's ``keras/src`` that libcst parses.

The files are copied flat (``email/mime/text.py`` -> ``email__mime__text.py``) so that masklint's
directory rules (it skips ``venv``, ``build``, ... directories) and Fixit's walk see exactly the set
the floor parses.  Commands, each a fresh process timed from ``exec`` to exit:

* ``masklint DIR --exit-zero --jobs 1`` and ``--jobs N`` (N = the cores this process may use);
* the floor: ``python -c FLOOR LIST 1|N``: import libcst, read and ``parse_module`` every file, in one
  process or in N forked workers (chunked like masklint's own pool);
* Fixit (separate venv, default ``bench/results/fixit-venv``, created with ``pip install fixit==2.2.1``
  when missing): ``fixit lint DIR`` as shipped (a spawn-based process pool of ``os.cpu_count()``
  workers) and the same CLI with trailrunner's pool replaced by one thread (one core);
* ``python -c pass``, ``python -c "import libcst"`` and ``masklint EMPTY_DIR``: fixed costs.

One untimed warm-up per command (checks that every file was linted/parsed), then N rounds in which
every command of a set runs once, in a shuffled order.  Only the standard library is used here.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

resource = _env.resource  # None where not POSIX

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CORPUS = RESULTS / "corpus"
GENERATOR = HERE / "source_corpus" / "make_corpus.py"

SETS = ("stdlib", "keras", "keras_src")
SET_TITLES = {"stdlib": "Python stdlib (no Keras)", "keras": "Keras model scripts (generated)",
              "keras_src": "Keras sources (keras/src)"}
KERAS_N = 300
KERAS_SEED = 20261124
FIXIT_SPEC = "fixit==2.2.1"
STDLIB_SKIP_DIRS = {"site-packages", "test", "tests", "__pycache__"}

# Targets (see bench/README.md)
TARGET_PREFILTER_FPS = 500.0   # files/s on files that never mention Keras
TARGET_VS_FLOOR = 0.5          # masklint files/s >= 0.5x libcst.parse_module files/s on Keras files
TARGET_VS_FIXIT = 5.0          # masklint files/s >= 5x Fixit's

# Run with the venv's Python: import libcst, parse every listed file (one process or N forked workers).
FLOOR_CODE = r'''
import sys
import libcst


def parse(paths):
    n = 0
    for p in paths:
        with open(p, "rb") as fh:
            raw = fh.read()
        try:
            src = raw.decode("utf-8")
        except UnicodeDecodeError:
            src = raw
        libcst.parse_module(src)
        n += 1
    return n


with open(sys.argv[1], encoding="utf-8") as fh:
    paths = fh.read().splitlines()
jobs = int(sys.argv[2])
if jobs <= 1:
    n = parse(paths)
else:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    size = max(8, len(paths) // (jobs * 8))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
        n = sum(pool.map(parse, chunks))
print(n)
'''

# Which candidate files libcst cannot parse (run with the venv's Python): JSON list on stdout.
CHECK_CODE = r'''
import json, sys
import libcst
bad = []
with open(sys.argv[1], encoding="utf-8") as fh:
    paths = fh.read().splitlines()
for p in paths:
    with open(p, "rb") as fh:
        raw = fh.read()
    try:
        src = raw.decode("utf-8")
    except UnicodeDecodeError:
        src = raw
    try:
        libcst.parse_module(src)
    except Exception as exc:
        bad.append([p, type(exc).__name__ + ": " + str(exc).splitlines()[0][:200]])
print(json.dumps(bad))
'''

# Fixit's own CLI on one core: trailrunner's process pool replaced by a single worker thread.
FIXIT_SERIAL_CODE = r'''
import sys
from concurrent.futures import ThreadPoolExecutor
import trailrunner.core
trailrunner.core.Trailrunner.DEFAULT_EXECUTOR = staticmethod(lambda: ThreadPoolExecutor(max_workers=1))
from fixit.cli import main
sys.argv = ["fixit", "lint", *sys.argv[1:]]
main()
'''

FIXIT_INFO_CODE = r'''
import json, sys
from importlib.metadata import version
from pathlib import Path
from fixit.config import collect_rules, generate_config
cfg = generate_config(Path(sys.argv[1]).resolve())
rules = sorted(type(r).__name__ for r in collect_rules(cfg))
print(json.dumps({"fixit": version("fixit"), "libcst": version("libcst"), "trailrunner": version("trailrunner"),
                  "enable": [str(q) for q in cfg.enable], "rules": rules}))
'''

VENV_INFO_CODE = r'''
import importlib.metadata as md, importlib.util, json, os, platform, sys, sysconfig
def v(d):
    try:
        return md.version(d)
    except md.PackageNotFoundError:
        return None
spec = importlib.util.find_spec("keras")
kdir = None
if spec is not None and spec.submodule_search_locations:
    kdir = os.path.join(list(spec.submodule_search_locations)[0], "src")
print(json.dumps({"python": platform.python_version(), "implementation": platform.python_implementation(),
                  "stdlib": sysconfig.get_paths()["stdlib"], "keras_src": kdir, "libcst": v("libcst"),
                  "keras": v("keras"), "masklint": v("masklint"), "executable": sys.executable}))
'''


class CommandFailed(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _flat_name(rel: str) -> str:
    return rel.replace(os.sep, "__")


def _candidates(root: Path, skip_dirs: set[str]) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs)
        for f in sorted(filenames):
            if f.endswith(".py"):
                out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return out


def _parse_failures(py: str, paths: list[str], work: Path) -> list[list[str]]:
    lst = work / "check.list"
    lst.write_text("\n".join(paths) + "\n", encoding="utf-8")
    proc = subprocess.run([py, "-c", CHECK_CODE, str(lst)], capture_output=True, text=True)
    lst.unlink()
    if proc.returncode != 0:
        raise CommandFailed("libcst parse check failed: " + proc.stderr[-2000:])
    return json.loads(proc.stdout)


def _set_stats(files: list[Path]) -> dict:
    n_bytes = n_lines = mentions = 0
    for f in files:
        raw = f.read_bytes()
        n_bytes += len(raw)
        n_lines += raw.count(b"\n")
        if b"keras" in raw or b"tensorflow" in raw:  # masklint's pre-filter (frontends.source.mentions_keras)
            mentions += 1
    return {"files": len(files), "bytes": n_bytes, "lines": n_lines, "mention_keras_or_tf": mentions}


def prepare_set(name: str, py: str, info: dict, rebuild: bool, log) -> dict:
    """Build (or reuse) the flat copy of one set; returns its description (with 'dir' and 'list')."""
    final = CORPUS / name
    if name == "stdlib":
        source = info["stdlib"]
        key = {"source": source, "python": info["python"], "libcst": info["libcst"]}
    elif name == "keras_src":
        source = info["keras_src"]
        if not source or not os.path.isdir(source):
            raise CommandFailed("keras is not installed in the venv (no keras/src)")
        key = {"source": source, "keras": info["keras"], "libcst": info["libcst"]}
    else:
        source = str(GENERATOR.relative_to(ROOT))
        key = {"generator_sha256": _sha(GENERATOR), "n": KERAS_N, "seed": KERAS_SEED, "libcst": info["libcst"]}
    stamp = final / "corpus.json"
    if not rebuild and stamp.is_file():
        desc = json.loads(stamp.read_text(encoding="utf-8"))
        if desc.get("key") == key:
            desc.update(dir=str(final), list=str(CORPUS / f"{name}.list"))
            if Path(desc["list"]).is_file():
                log(f"  {name}: cached, {desc['files']} files")
                return desc
    log(f"  {name}: building from {source} ...")
    tmp = CORPUS / f"{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    desc: dict = {"key": key, "source": source}
    if name == "keras":
        proc = subprocess.run([py, str(GENERATOR), str(tmp), "--n", str(KERAS_N), "--seed", str(KERAS_SEED)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise CommandFailed("corpus generator failed: " + proc.stderr[-2000:])
        desc["generator_output"] = proc.stdout.strip()
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))["files"]
        counts: dict[str, int] = {}
        for m in manifest:
            counts[m["mistake"] or "clean"] = counts.get(m["mistake"] or "clean", 0) + 1
        desc["planted"] = counts
        desc["candidates"] = len(manifest)
        desc["excluded"] = []
    else:
        skip = STDLIB_SKIP_DIRS if name == "stdlib" else {"__pycache__"}
        rels = _candidates(Path(source), skip)
        names = [_flat_name(r) for r in rels]
        if len(set(names)) != len(names):
            raise CommandFailed(f"{name}: flattened file names collide")
        for r, n in zip(rels, names):
            shutil.copyfile(os.path.join(source, r), tmp / n)
        desc["candidates"] = len(rels)
        desc["excluded"] = sorted(skip)
    files = sorted(p for p in tmp.iterdir() if p.suffix == ".py")
    bad = _parse_failures(py, [str(p) for p in files], CORPUS)
    for p, _reason in bad:
        Path(p).unlink()
    desc["parse_failures"] = [[Path(p).name, r] for p, r in bad]
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    files = sorted(p for p in final.iterdir() if p.suffix == ".py")
    desc.update(_set_stats(files))
    (CORPUS / f"{name}.list").write_text("\n".join(str(p) for p in files) + "\n", encoding="utf-8")
    stamp.write_text(json.dumps(desc, indent=1) + "\n", encoding="utf-8")
    desc.update(dir=str(final), list=str(CORPUS / f"{name}.list"))
    log(f"  {name}: {desc['files']} files ({desc['candidates']} candidates, {len(bad)} not parsed by libcst)")
    return desc


# --------------------------------------------------------------------------------------------------
# Fixit
# --------------------------------------------------------------------------------------------------

def ensure_fixit(venv: Path, base_py: str, spec: str, install: bool, log) -> tuple[str | None, str | None]:
    """(path of the venv's python, None) or (None, why Fixit is not available)."""
    py = venv / "bin" / "python"
    fixit = venv / "bin" / "fixit"
    if not fixit.exists():
        if not install:
            return None, f"no Fixit at {venv} (run without --no-fixit-install to create it)"
        log(f"  creating {venv} and installing {spec} ...")
        try:
            subprocess.run([base_py, "-m", "venv", str(venv)], check=True, capture_output=True, text=True)
            proc = subprocess.run([str(py), "-m", "pip", "install", "--quiet", spec], capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            return None, f"could not create the Fixit venv: {exc}"
        if proc.returncode != 0 or not fixit.exists():
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            return None, f"pip install {spec} failed: {tail}"
    return str(py), None


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------

_children_cpu = _env.children_cpu


def _run_once(argv: list[str], env: dict, ok: tuple[int, ...], capture: bool = False):
    """(wall s, CPU s of the child and its descendants, stdout+stderr text or None)."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in ok:
        tail = err.strip().splitlines()[-5:]
        raise CommandFailed(f"{argv[:4]!r}... exited {proc.returncode}: " + " | ".join(tail))
    text = proc.stdout.decode("utf-8", "replace") + err if capture else None
    return dt, cpu, text


def _check_warmup(key: str, text: str, expect: int) -> str:
    """Verify that the warm-up run covered every file of the set; returns the line that says so."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if key.startswith("masklint") and expect:
        m = [ln for ln in lines if re.search(r"\d+ files? checked", ln)]
        if not m:
            raise CommandFailed(f"{key}: no summary line in the output")
        n = int(re.search(r"(\d+) files? checked", m[-1]).group(1))
        if n != expect or "could not be linted" in m[-1]:
            raise CommandFailed(f"{key}: linted {n} of {expect} files: {m[-1]}")
        return m[-1]
    if key.startswith("floor"):
        n = int(lines[-1])
        if n != expect:
            raise CommandFailed(f"{key}: parsed {n} of {expect} files")
        return f"{n} files parsed"
    if key.startswith("fixit"):
        m = [ln for ln in lines if "files" in ln or "file " in ln]
        nums = re.findall(r"(\d+) files?", m[-1]) if m else []
        if not nums or int(nums[0]) != expect:
            raise CommandFailed(f"{key}: expected {expect} files, got: {m[-1] if m else text[-300:]}")
        return m[-1].strip()
    return lines[-1] if lines else ""


def time_set(cmds: dict[str, dict], runs: int, env: dict, expect: int, log) -> dict[str, dict]:
    """cmds: key -> {argv, ok}.  One warm-up each, then ``runs`` rounds in a shuffled order."""
    for key, c in cmds.items():
        wall, _cpu, text = _run_once(c["argv"], env, c["ok"], capture=True)
        c["warmup_s"] = wall
        c["check"] = _check_warmup(key, text, c.get("expect", expect))
        c["samples"], c["cpu"] = [], []
        log(f"    {key}: warm-up {wall:.2f} s  ({c['check']})")
    rng = random.Random(0)
    keys = list(cmds)
    order = []
    for r in range(runs):
        rng.shuffle(keys)
        order.append(list(keys))
        for key in keys:
            wall, cpu, _ = _run_once(cmds[key]["argv"], env, cmds[key]["ok"])
            cmds[key]["samples"].append(wall)
            cmds[key]["cpu"].append(cpu)
        log(f"    round {r + 1}/{runs} done")
    out = {}
    for key, c in cmds.items():
        s = c["samples"]
        out[key] = {"median_s": statistics.median(s), "min_s": min(s), "max_s": max(s), "runs": len(s),
                    "samples_s": s, "cpu_samples_s": c["cpu"] if resource else None,
                    "cpu_median_s": statistics.median(c["cpu"]) if resource else None,
                    "warmup_s": c["warmup_s"], "check": c["check"], "argv": c["argv_shown"]}
        log(f"    {key}: median {out[key]['median_s']:.3f} s (min {min(s):.3f}, max {max(s):.3f})")
    out["_order"] = order
    return out


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------

def _fps(files: int, m: dict | None) -> dict | None:
    if not m:
        return None
    return {"median": files / m["median_s"], "min": files / m["max_s"], "max": files / m["min_s"]}


def _fmt_fps(x: dict | None) -> str:
    if not x:
        return "—"

    def f(v):
        return f"{v:,.0f}" if v >= 100 else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")
    return f"**{f(x['median'])}** ({f(x['min'])}–{f(x['max'])})"


def _ratio(a: dict | None, b: dict | None) -> float | None:
    """files/s of a over files/s of b (same files) = b's time / a's time, from the medians."""
    if not a or not b:
        return None
    return b["median_s"] / a["median_s"]


def _paired(a: dict | None, b: dict | None) -> float | None:
    """Median over rounds of b's time / a's time (both ran in the same round)."""
    if not a or not b:
        return None
    return statistics.median(y / x for x, y in zip(a["samples_s"], b["samples_s"]))


def _x(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}x" if v >= 100 else (f"{v:.1f}x" if v >= 10 else f"{v:.{digits}f}x")


def analyse(data: dict) -> dict:
    jobs = data["env"]["cores"]
    out = {}
    for name, st in data["sets"].items():
        t = st.get("timings")
        if not t:
            continue
        n = st["files"]
        g = t.get
        row = {
            "files": n,
            "fps": {k: _fps(n, g(k)) for k in ("masklint_j1", "masklint_jN", "floor_1", "floor_N", "fixit_1",
                                                "fixit_N")},
            "vs_floor_1": _ratio(g("masklint_j1"), g("floor_1")),
            "vs_floor_N": _ratio(g("masklint_jN"), g("floor_N")),
            "vs_floor_1_paired": _paired(g("masklint_j1"), g("floor_1")),
            "vs_floor_N_paired": _paired(g("masklint_jN"), g("floor_N")),
            "vs_fixit_1": _ratio(g("masklint_j1"), g("fixit_1")),
            "vs_fixit_N": _ratio(g("masklint_jN"), g("fixit_N")),
        }
        targets = []
        if name == "stdlib":
            for k, lab in (("masklint_j1", "jobs=1"), ("masklint_jN", f"jobs={jobs}")):
                v = row["fps"][k]["median"]
                targets.append({"target": f"pre-filter ≥ {TARGET_PREFILTER_FPS:.0f} files/s ({lab})",
                                "value": v, "met": v >= TARGET_PREFILTER_FPS, "shown": f"{v:,.0f} files/s"})
        else:
            for k, lab in (("vs_floor_1", "1 core"), ("vs_floor_N", f"{jobs} cores")):
                v = row[k]
                targets.append({"target": f"≥ {TARGET_VS_FLOOR}x parse floor ({lab})", "value": v,
                                "met": v >= TARGET_VS_FLOOR, "shown": _x(v)})
            for k, lab in (("vs_fixit_1", "1 core"), ("vs_fixit_N", f"{jobs} cores")):
                v = row[k]
                if v is not None:
                    targets.append({"target": f"≥ {TARGET_VS_FIXIT:.0f}x Fixit ({lab})", "value": v,
                                    "met": v >= TARGET_VS_FIXIT, "shown": _x(v, 1)})
        row["targets"] = targets
        out[name] = row
    return out


def markdown(data: dict) -> str:
    env, res = data["env"], data["analysis"]
    jobs = env["cores"]
    L = []
    L.append(f"Environment: {env['cpu']} ({env['cores']} CPUs usable), {env['platform']}, Python {env['python']}, "
             f"libcst {env['libcst']}, keras {env['keras']}, masklint {env['masklint']} (git "
             f"{env.get('git_revision') or '?'}, sources {env['masklint_source_sha256']}); Fixit: "
             + (f"{data['fixit']['fixit']} (libcst {data['fixit']['libcst']}, default config: "
                f"{len(data['fixit']['rules'])} rules of `fixit.rules`)" if data["fixit"].get("fixit")
                else f"not run ({data['fixit'].get('skipped')})")
             + f"; {env['runs']} timed runs after 1 warm-up, {env['started']}.")
    if env.get("loadavg_before"):
        L.append(f"1-minute load average: {env['loadavg_before'][0]:.2f} before, "
                 f"{env['loadavg_after'][0]:.2f} after the run.")
    L.append("")
    L.append("Files per second = files / whole-process wall time (start to exit, Python start-up and imports "
             "included): **median** (min–max over the runs).  Floor = `libcst.parse_module` on every file, "
             f"nothing else; N = {jobs} (all cores): `masklint --jobs {jobs}`, the floor in {jobs} forked "
             "workers, `fixit lint` as shipped (its own process pool).")
    L.append("")
    L.append(f"| set | files | masklint jobs=1 | masklint jobs={jobs} | parse floor, 1 proc | parse floor, {jobs} procs "
             f"| Fixit, 1 core | Fixit, {jobs} cores (CLI) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in res.items():
        f = r["fps"]
        L.append(f"| {SET_TITLES[name]} | {r['files']:,} | {_fmt_fps(f['masklint_j1'])} | "
                 f"{_fmt_fps(f['masklint_jN'])} | {_fmt_fps(f['floor_1'])} | {_fmt_fps(f['floor_N'])} | "
                 f"{_fmt_fps(f['fixit_1'])} | {_fmt_fps(f['fixit_N'])} |")
    L.append("")
    L.append("Ratios of files/s (medians; *paired*: median over rounds of the ratio within a round):")
    L.append("")
    L.append(f"| set | masklint/floor, 1 core | masklint/floor, {jobs} cores | masklint/Fixit, 1 core "
             f"| masklint/Fixit, {jobs} cores | targets |")
    L.append("|---|---:|---:|---:|---:|---|")
    for name, r in res.items():
        tg = "; ".join(f"{t['target']}: {t['shown']} — **{'met' if t['met'] else 'missed'}**" for t in r["targets"])
        if name == "keras_src":
            tg = "(for information) " + tg
        L.append(f"| {SET_TITLES[name]} | {_x(r['vs_floor_1'])} (paired {_x(r['vs_floor_1_paired'])}) | "
                 f"{_x(r['vs_floor_N'])} (paired {_x(r['vs_floor_N_paired'])}) | {_x(r['vs_fixit_1'], 1)} | "
                 f"{_x(r['vs_fixit_N'], 1)} | {tg} |")
    fixed = data["sets"].get("stdlib", {}).get("timings", {})
    if fixed.get("py_pass"):
        L.append("")
        L.append("Fixed costs (median wall ms): "
                 + ", ".join(f"{lab} {fixed[k]['median_s'] * 1e3:.0f}" for k, lab in (
                     ("py_pass", "`python -c pass`"), ("py_libcst", "`python -c 'import libcst'`"),
                     ("masklint_empty", "`masklint EMPTY_DIR`")) if fixed.get(k)) + ".")
    L.append("")
    L.append("Sets:")
    L.append("")
    for name, st in data["sets"].items():
        extra = ""
        if name == "keras":
            extra = (f"; planted: {', '.join(f'{k} {v}' for k, v in sorted(st.get('planted', {}).items()))}; "
                     f"masklint: {st.get('findings_line', '?').rstrip('.')}")
        elif name == "keras_src":
            extra = f"; masklint: {st.get('findings_line', '?').rstrip('.')}"
        fails = st.get("parse_failures") or []
        fail_txt = (f", {len(fails)} not parsed by libcst and left out ({', '.join(f[0] for f in fails[:5])}"
                    f"{', ...' if len(fails) > 5 else ''})") if fails else ", all parsed by libcst"
        L.append(f"* **{SET_TITLES[name]}**: {st['files']:,} files, {st['lines']:,} lines, "
                 f"{st['bytes'] / 1e6:.1f} MB, from `{st['source']}` ({st['candidates']} candidates{fail_txt}); "
                 f"{st['mention_keras_or_tf']} mention keras/tensorflow{extra}.")
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------------

_git_revision = _env.git_revision
_source_digest = _env.source_digest
_loadavg = _env.loadavg
_cpu_name = _env.cpu_name


_cores = _env.cores


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="timed runs per command (default 5; --quick: 3)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 3 runs, stdlib and generated sets only, no Fixit; writes source_quick.*")
    ap.add_argument("--sets", default=None, help=f"comma-separated subset of {','.join(SETS)}")
    ap.add_argument("--no-fixit", action="store_true", help="do not time Fixit")
    ap.add_argument("--fixit-sets", default="keras", help="sets Fixit is timed on (default: keras)")
    ap.add_argument("--fixit-venv", default=str(RESULTS / "fixit-venv"), help="Fixit's own venv")
    ap.add_argument("--fixit-spec", default=FIXIT_SPEC, help="what to pip install into a new Fixit venv")
    ap.add_argument("--no-fixit-install", action="store_true", help="never create the Fixit venv")
    ap.add_argument("--venv", default=str(ROOT / ".venv"), help="masklint's venv (default <repo>/.venv)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the corpus copies")
    ap.add_argument("--out", default=str(RESULTS), help="where source.md / source.json go")
    a = ap.parse_args(argv)

    runs = a.runs or (3 if a.quick else 5)
    sets = [s for s in (a.sets.split(",") if a.sets else (["stdlib", "keras"] if a.quick else list(SETS))) if s]
    for s in sets:
        if s not in SETS:
            ap.error(f"unknown set {s!r}")
    use_fixit = not (a.no_fixit or a.quick)
    partial = a.quick or a.no_fixit or sets != list(SETS) or a.fixit_sets != "keras"
    stem = "source_quick" if a.quick else ("source_partial" if partial else "source")
    venv = Path(a.venv)
    py, masklint = str(venv / "bin" / "python"), str(venv / "bin" / "masklint")
    if not Path(masklint).exists():
        ap.error(f"no masklint in {venv}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    t_start = time.time()
    info = json.loads(subprocess.run([py, "-c", VENV_INFO_CODE], capture_output=True, text=True,
                                     check=True).stdout)
    cores = _cores()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # run from .pyc, like an installed package
    env["PYTHONHASHSEED"] = "0"

    CORPUS.mkdir(parents=True, exist_ok=True)
    log("corpus:")
    descs = {s: prepare_set(s, py, info, a.rebuild, log) for s in sets}
    empty = CORPUS / "empty"
    empty.mkdir(exist_ok=True)

    fixit_py, fixit_skip, fixit_info = None, None, {}
    if use_fixit:
        fixit_py, fixit_skip = ensure_fixit(Path(a.fixit_venv), py, a.fixit_spec, not a.no_fixit_install, log)
        if fixit_py:
            proc = subprocess.run([fixit_py, "-c", FIXIT_INFO_CODE, str(CORPUS)], capture_output=True, text=True)
            if proc.returncode == 0:
                fixit_info = json.loads(proc.stdout)
            else:
                fixit_py, fixit_skip = None, "Fixit does not start: " + proc.stderr.strip()[-300:]
    else:
        fixit_skip = "--quick" if a.quick else "--no-fixit"
    if fixit_skip:
        log(f"Fixit: skipped ({fixit_skip})")
        fixit_info = {"skipped": fixit_skip}
    fixit_sets = set(a.fixit_sets.split(","))

    digest_before, load_before, git_rev = _source_digest(), _loadavg(), _git_revision()
    data: dict = {"sets": {}, "fixit": fixit_info}
    for s in sets:
        d = descs[s]
        log(f"timing {s} ({d['files']} files, {runs} runs):")
        cmds = {
            "masklint_j1": [masklint, d["dir"], "--exit-zero", "--jobs", "1"],
            "masklint_jN": [masklint, d["dir"], "--exit-zero", "--jobs", str(cores)],
            "floor_1": [py, "-c", FLOOR_CODE, d["list"], "1"],
            "floor_N": [py, "-c", FLOOR_CODE, d["list"], str(cores)],
        }
        shown = {"floor_1": f"{py} -c FLOOR {d['list']} 1", "floor_N": f"{py} -c FLOOR {d['list']} {cores}"}
        if fixit_py and s in fixit_sets:
            cmds["fixit_1"] = [fixit_py, "-c", FIXIT_SERIAL_CODE, d["dir"]]
            cmds["fixit_N"] = [str(Path(a.fixit_venv) / "bin" / "fixit"), "lint", d["dir"]]
            shown["fixit_1"] = f"{fixit_py} -c FIXIT_SERIAL {d['dir']}"
        if s == "stdlib":
            cmds["py_pass"] = [py, "-c", "pass"]
            cmds["py_libcst"] = [py, "-c", "import libcst"]
            cmds["masklint_empty"] = [masklint, str(empty), "--exit-zero"]
        spec = {}
        for k, argv_ in cmds.items():
            spec[k] = {"argv": argv_, "argv_shown": shown.get(k, " ".join(argv_)),
                       "ok": (0, 1) if k.startswith("fixit") else (0,)}
        spec.get("masklint_empty", {})["expect"] = 0
        try:
            t = time_set(spec, runs, env, d["files"], log)
        except CommandFailed as exc:
            log(f"  FAILED: {exc}")
            raise
        order = t.pop("_order")
        d["findings_line"] = t["masklint_j1"]["check"]
        data["sets"][s] = {k: v for k, v in d.items() if k not in ("key",)} | {"timings": t, "order": order}
    load_after, digest_after = _loadavg(), _source_digest()
    if digest_after != digest_before:
        log("WARNING: masklint's sources changed during the run")
    data["env"] = {
        "started": _dt.datetime.fromtimestamp(t_start, _dt.timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - t_start, 1), "runs": runs, "cores": cores, "cpu": _cpu_name(),
        "platform": platform.platform(), "python": info["python"], "libcst": info["libcst"],
        "keras": info["keras"], "masklint": info["masklint"], "git_revision": git_rev,
        "masklint_source_sha256": digest_before, "masklint_source_changed_during_run": digest_after != digest_before,
        "loadavg_before": load_before, "loadavg_after": load_after, "command": [sys.argv[0], *(argv or sys.argv[1:])],
    }
    data["targets"] = {"prefilter_files_per_s": TARGET_PREFILTER_FPS, "vs_floor": TARGET_VS_FLOOR,
                       "vs_fixit": TARGET_VS_FIXIT}
    data["analysis"] = analyse(data)
    md = markdown(data)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(md, encoding="utf-8")
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(md)
    log(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')} in {time.time() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
