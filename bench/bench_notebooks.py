#!/usr/bin/env python3
"""Whole-process benchmark of notebook linting (``.ipynb``): time against the code in a directory of
notebooks, and the cost of outputs.

Usage (from the repository root)::

    .venv/bin/python bench/bench_notebooks.py            # full run: 3 timed runs per directory, 7 per notebook
    .venv/bin/python bench/bench_notebooks.py --quick    # smoke test: smaller sets, 20 MB of outputs, 1 run

1. **Linear in code size.** 1,000 notebooks written by ``source_corpus/notebook_corpus.py`` (seed
   20261205): the generated Keras scripts of ``make_corpus.py`` cut into cells as tutorials are, with
   Markdown cells, magic and shell lines, ``%%time``/``%%bash`` cells, and outputs (training logs,
   ``model.summary()`` tables, reprs, PNG plots). Sets: the first 250, 500 and 1,000 of them, and 250
   notebooks holding 2 and 4 scripts each (2x and 4x the code per notebook). Each set is linted by
   ``masklint DIR --exit-zero --jobs 1``; the report gives the time per MB of code (after subtracting
   ``masklint EMPTY_DIR``, the fixed start-up) and its ratio between the largest and the smallest set
   (target: <= 1.3, i.e. linear).
2. **Outputs are not parsed.** One notebook (two scripts' code) with 200 MB of outputs -- base64 PNGs
   (150 MB, plots of 100 KB to 2 MB) and Keras training logs (50 MB: 40 progress-bar updates per epoch,
   each a list string of its own as Jupyter stores them) -- against the same notebook without outputs: ``masklint NB`` median of 7 runs
   each, interleaved; target: ratio <= 2.

Every command is a fresh process timed from ``exec`` to exit, run as ``python -m masklint`` from the
repository root (the tree measured, never an installed copy); one untimed warm-up per command, then the
runs in shuffled rounds. The notebooks are generated into a temporary directory and removed. Results:
``bench/results/notebooks.json`` and ``notebooks.md`` (``--quick``: ``bench/results/tmp/``), with the
commit measured. Only the standard library is used here.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE / "source_corpus"))
import notebook_corpus as NC  # noqa: E402

SEED = 20261205
TARGET_LINEAR = 1.3  # time per MB of code, largest set / smallest set
TARGET_OUTPUTS = 2.0  # notebook with 200 MB of outputs / the same without


def masklint_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "masklint", *args]


def run_once(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    c0 = _env.children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=1800)
    return time.perf_counter() - t0, _env.children_cpu() - c0, r


def files_checked(r: subprocess.CompletedProcess) -> int | None:
    import re

    m = re.search(rb"(\d[\d,]*) files? checked", r.stdout + r.stderr)
    return int(m.group(1).replace(b",", b"")) if m else None


def time_commands(cmds: dict[str, list[str]], runs: int, expect: dict[str, int], log) -> dict:
    out = {k: {"wall": [], "cpu": []} for k in cmds}
    for k, cmd in cmds.items():  # warm-up, and a check that every notebook was linted
        _, _, r = run_once(cmd)
        if r.returncode not in (0, 1) or b"Traceback" in r.stderr:
            raise SystemExit(f"{k}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-2000:]}")
        got = files_checked(r)
        if k in expect and got != expect[k]:
            raise SystemExit(f"{k}: {got} files checked, expected {expect[k]}")
        out[k]["findings_line"] = (r.stdout.decode(errors="replace").strip().splitlines() or [""])[-1]
    rnd = random.Random(1)
    for n in range(runs):
        order = list(cmds)
        rnd.shuffle(order)
        for k in order:
            wall, cpu, _ = run_once(cmds[k])
            out[k]["wall"].append(wall)
            out[k]["cpu"].append(cpu)
        log(f"  round {n + 1}/{runs}: " + ", ".join(f"{k} {statistics.median(v['wall']):.2f}s" for k, v in out.items()))
    for v in out.values():
        v["median_s"] = statistics.median(v["wall"])
        v["cpu_median_s"] = statistics.median(v["cpu"])
    return out


def link_set(src: Path, names: list[str], dst: Path) -> None:
    dst.mkdir(parents=True)
    for n in names:
        try:
            os.link(src / n, dst / n)
        except OSError:
            shutil.copy(src / n, dst / n)


def big_outputs_notebook(work: Path, total: int, log) -> dict:
    """The same notebook with ``total`` bytes of outputs and without outputs."""
    rnd = random.Random(SEED)
    with tempfile.TemporaryDirectory() as d:  # two scripts with a planted masking mistake: findings to locate
        man = NC.make_corpus.generate(d, 40, SEED)
        scripts = [Path(d, m["file"]).read_text(encoding="utf-8") for m in man if m["mistake"]][:2]
    doc = NC.notebook_from_scripts(scripts, random.Random(SEED), outputs=True)
    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
    images = total * 3 // 4
    logs = total - images
    # PNG plots of 100 KB to 2 MB (base64 grows them by 4/3), spread over the code cells
    sizes = []
    left = images * 3 // 4
    while left > 0:
        s = min(left, rnd.randrange(100_000, 2_000_000))
        sizes.append(s)
        left -= s
    for c in code:
        c["outputs"] = []
    for k, s in enumerate(sizes):
        code[k % len(code)]["outputs"].append(
            {"data": {"image/png": NC._png(rnd, s), "text/plain": ["<Figure size 1200x800 with 4 Axes>"]},
             "metadata": {"needs_background": "light"}, "output_type": "display_data"})
    # one epoch as stored: 40 progress-bar updates, then the epoch's summary line
    epoch = len(json.dumps(NC._log(rnd, 1, 782, 40), indent=1, ensure_ascii=False).encode())
    for c in code:
        c["outputs"].insert(0, {"name": "stdout", "output_type": "stream",
                                "text": NC._log(rnd, max(1, logs // len(code) // epoch), 782, 40)})
    big = work / "outputs_200mb.ipynb"
    big.write_bytes(NC.dumps(doc))
    for c in code:
        c["outputs"] = []
    small = work / "no_outputs.ipynb"
    small.write_bytes(NC.dumps(doc))
    info = {"with_outputs_bytes": big.stat().st_size, "without_outputs_bytes": small.stat().st_size,
            "code_bytes": NC.code_bytes(doc), "code_cells": len(code), "images": len(sizes),
            "image_bytes_base64": sum((s + 2) // 3 * 4 for s in sizes)}
    log(f"  notebook with outputs: {info['with_outputs_bytes'] / 1e6:.0f} MB ({len(sizes)} PNGs); without: "
        f"{info['without_outputs_bytes'] / 1e3:.0f} KB")
    return {"paths": {"with_outputs": str(big), "without_outputs": str(small)}, **info}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None, help="timed runs per directory (default 3; quick 1)")
    ap.add_argument("--nb-runs", type=int, default=None, help="timed runs per big notebook (default 7; quick 3)")
    ap.add_argument("--outputs-mb", type=int, default=None, help="MB of outputs (default 200; quick 20)")
    args = ap.parse_args(argv)
    quick = args.quick
    runs = args.runs or (1 if quick else 3)
    nb_runs = args.nb_runs or (3 if quick else 7)
    total = (args.outputs_mb or (20 if quick else 200)) * 1_000_000
    sizes = (100, 200, 400) if quick else (250, 500, 1000)
    scale_n = sizes[0]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    env = {"date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "git_revision": _env.git_revision(),
           "masklint_source_sha256": _env.source_digest(), "cpu": _env.cpu_name(), "cores": _env.cores(),
           "python": sys.version.split()[0], "libcst": _env.version("libcst"), "loadavg_before": _env.loadavg()}
    work = Path(tempfile.mkdtemp(prefix="masklint-bench-nb"))
    t_all = time.perf_counter()
    try:
        log(f"generating {sizes[-1]} notebooks (+{scale_n} at 2x and 4x code) in {work} ...")
        corpus = work / "all"
        man = NC.generate(str(corpus), sizes[-1], SEED, 1)
        sets, cmds, expect = {}, {}, {}
        for n in sizes:
            d = work / f"nb_{n}"
            link_set(corpus, [m["file"] for m in man[:n]], d)
            sets[f"{n} notebooks"] = {"dir": str(d), "notebooks": n, "scale": 1,
                                      "bytes": sum(m["bytes"] for m in man[:n]),
                                      "code_bytes": sum(m["code_bytes"] for m in man[:n])}
        for k in (2, 4):
            d = work / f"nb_{scale_n}_x{k}"
            m2 = NC.generate(str(d), scale_n, SEED, k)
            sets[f"{scale_n} notebooks, {k}x code"] = {"dir": str(d), "notebooks": scale_n, "scale": k,
                                                       "bytes": sum(m["bytes"] for m in m2),
                                                       "code_bytes": sum(m["code_bytes"] for m in m2)}
        empty = work / "empty"
        empty.mkdir()
        for name, s in sets.items():
            cmds[name] = masklint_cmd(s["dir"], "--exit-zero", "--jobs", "1")
            expect[name] = s["notebooks"]
        cmds["empty directory"] = masklint_cmd(str(empty), "--exit-zero")
        log(f"timing {len(cmds)} directory commands, {runs} run(s) each ...")
        timed = time_commands(cmds, runs, expect, log)
        base = timed["empty directory"]["median_s"]
        rows = []
        for name, s in sets.items():
            t = timed[name]
            mb = s["code_bytes"] / 1e6
            rows.append({"set": name, **{k: v for k, v in s.items() if k != "dir"},
                         "median_s": t["median_s"], "cpu_median_s": t["cpu_median_s"], "runs_s": t["wall"],
                         "s_per_mb_code": (t["median_s"] - base) / mb, "ms_per_notebook": 1e3 * (t["median_s"] - base) / s["notebooks"],
                         "summary_line": t["findings_line"]})
        by_n = [r for r in rows if r["scale"] == 1]
        by_k = [r for r in rows if r["notebooks"] == scale_n]
        lin_n = by_n[-1]["s_per_mb_code"] / by_n[0]["s_per_mb_code"]
        lin_k = by_k[-1]["s_per_mb_code"] / by_k[0]["s_per_mb_code"]
        linear = {"per_mb_ratio_notebooks": lin_n, "per_mb_ratio_code_per_notebook": lin_k,
                  "time_ratios_notebooks": [r["median_s"] / by_n[0]["median_s"] for r in by_n],
                  "code_ratios_notebooks": [r["code_bytes"] / by_n[0]["code_bytes"] for r in by_n],
                  "time_ratios_code": [r["median_s"] / by_k[0]["median_s"] for r in by_k],
                  "code_ratios_code": [r["code_bytes"] / by_k[0]["code_bytes"] for r in by_k],
                  "target_max": TARGET_LINEAR, "met": max(lin_n, lin_k) <= TARGET_LINEAR}

        log(f"building the {total / 1e6:.0f} MB-outputs notebook ...")
        big = big_outputs_notebook(work, total, log)
        nb_cmds = {"with outputs": masklint_cmd(big["paths"]["with_outputs"], "--exit-zero"),
                   "without outputs": masklint_cmd(big["paths"]["without_outputs"], "--exit-zero")}
        log(f"timing the two notebooks, {nb_runs} runs each ...")
        nb_t = time_commands(nb_cmds, nb_runs, {"with outputs": 1, "without outputs": 1}, log)
        same = nb_t["with outputs"]["findings_line"] == nb_t["without outputs"]["findings_line"]
        ratio = nb_t["with outputs"]["median_s"] / nb_t["without outputs"]["median_s"]
        outputs = {**{k: v for k, v in big.items() if k != "paths"},
                   "with_outputs": {k: nb_t["with outputs"][k] for k in ("median_s", "cpu_median_s", "wall")},
                   "without_outputs": {k: nb_t["without outputs"][k] for k in ("median_s", "cpu_median_s", "wall")},
                   "same_report": same, "summary_line": nb_t["with outputs"]["findings_line"],
                   "ratio": ratio, "target_max": TARGET_OUTPUTS, "met": ratio <= TARGET_OUTPUTS and same}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    env["loadavg_after"] = _env.loadavg()
    env["seconds"] = round(time.perf_counter() - t_all, 1)
    data = {"env": env, "quick": quick, "runs": runs, "nb_runs": nb_runs, "seed": SEED,
            "empty_dir_s": base, "sets": rows, "linearity": linear, "outputs": outputs}
    out = (RESULTS / "tmp" / "notebooks_quick") if quick else (RESULTS / "notebooks")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    md = report(data)
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md, end="")
    log(f"wrote {out.with_suffix('.md').relative_to(ROOT)} ({env['seconds']:.0f} s)")
    return 0


def report(d: dict) -> str:
    env, lin, o = d["env"], d["linearity"], d["outputs"]
    ok = lambda met: "**met**" if met else "**missed**"  # noqa: E731
    lines = [f"# Notebooks (`bench/bench_notebooks.py{' --quick' if d['quick'] else ''}`)", "",
             f"{env['date']}, git {env['git_revision'] or '?'}, masklint sources {env['masklint_source_sha256']}, "
             f"{env['cpu']} ({env['cores']} usable cores), Python {env['python']}, libcst {env['libcst']}; load "
             f"{env['loadavg_before']} before, {env['loadavg_after']} after; {env['seconds']:.0f} s in all.", "",
             "## 1. Time against code size", "",
             f"`python -m masklint DIR --exit-zero --jobs 1`, whole process, median of {d['runs']} run(s); "
             f"the start-up (`masklint EMPTY_DIR`, {d['empty_dir_s'] * 1e3:.0f} ms) is subtracted for the per-MB "
             "and per-notebook figures. Code = the UTF-8 bytes of the code cells.", "",
             "| set | notebooks | files (MB) | code (MB) | time | CPU | s per MB of code | ms per notebook |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in d["sets"]:
        lines.append(f"| {r['set']} | {r['notebooks']:,} | {r['bytes'] / 1e6:.1f} | {r['code_bytes'] / 1e6:.2f} | "
                     f"{r['median_s']:.2f} s | {r['cpu_median_s']:.2f} s | {r['s_per_mb_code']:.2f} | "
                     f"{r['ms_per_notebook']:.1f} |")
    tn = " : ".join(f"{x:.2f}" for x in lin["time_ratios_notebooks"])
    cn = " : ".join(f"{x:.2f}" for x in lin["code_ratios_notebooks"])
    tk = " : ".join(f"{x:.2f}" for x in lin["time_ratios_code"])
    ck = " : ".join(f"{x:.2f}" for x in lin["code_ratios_code"])
    lines += ["", f"* More notebooks: time {tn} for code {cn}; time per MB of code, largest / smallest set: "
                  f"**{lin['per_mb_ratio_notebooks']:.2f}**.",
              f"* More code per notebook: time {tk} for code {ck}; per MB, 4x / 1x: "
              f"**{lin['per_mb_ratio_code_per_notebook']:.2f}**.",
              f"* Target: per-MB ratio <= {lin['target_max']} (linear): {ok(lin['met'])}.", "",
              "## 2. A notebook with 200 MB of outputs" if not d["quick"] else "## 2. A notebook with large outputs", "",
              f"The same notebook ({o['code_cells']} code cells, {o['code_bytes'] / 1e3:.0f} KB of code) with "
              f"{o['with_outputs_bytes'] / 1e6:.0f} MB of outputs ({o['images']} base64 PNGs, "
              f"{o['image_bytes_base64'] / 1e6:.0f} MB, and Keras training logs as Jupyter stores them: 40 "
              f"progress-bar updates per epoch, each a list string of its own) and without outputs ({o['without_outputs_bytes'] / 1e3:.0f} KB): "
              f"`python -m masklint NB --exit-zero`, median of {d['nb_runs']} runs each, interleaved.", "",
              "| notebook | file | time (median) | CPU | runs |", "|---|---:|---:|---:|---|",
              f"| with outputs | {o['with_outputs_bytes'] / 1e6:.0f} MB | {o['with_outputs']['median_s']:.3f} s | "
              f"{o['with_outputs']['cpu_median_s']:.3f} s | {', '.join(f'{x:.2f}' for x in o['with_outputs']['wall'])} |",
              f"| without outputs | {o['without_outputs_bytes'] / 1e3:.0f} KB | {o['without_outputs']['median_s']:.3f} s | "
              f"{o['without_outputs']['cpu_median_s']:.3f} s | "
              f"{', '.join(f'{x:.2f}' for x in o['without_outputs']['wall'])} |", "",
              f"Ratio **{o['ratio']:.2f}** (target <= {o['target_max']:.0f}): {ok(o['met'])}; same report from both: "
              f"{'yes' if o['same_report'] else 'NO'} (`{o['summary_line']}`).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
