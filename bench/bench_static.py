#!/usr/bin/env python3
"""Whole-process benchmark: static ``masklint MODEL`` vs. Keras ``load_model`` vs. the zip+json floor.

Usage (from the repository root)::

    .venv/bin/python bench/bench_static.py            # full run, 7 timed runs per command
    .venv/bin/python bench/bench_static.py --runs 11  # more runs
    .venv/bin/python bench/bench_static.py --quick    # smoke test: 3 runs, chains up to 1000 layers

Only the Python standard library is used for timing.  The models are built and saved by Keras in a
separate subprocess (so the timing process never imports TensorFlow) and cached under
``bench/results/models/`` (git-ignored).  Each command is one fresh subprocess; its wall-clock time
(``time.perf_counter`` around ``subprocess.run``) is recorded.  Every command gets one untimed
warm-up run, then N timed runs; the commands of one model are run round-robin so drift on the
machine affects all of them alike (shuffled order in each round); load_model runs in a block of its
own after them.  Results: a Markdown table on stdout and in
``bench/results/static.md``, raw numbers in ``bench/results/static.json``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

resource = _env.resource  # None where not POSIX

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MODELS = RESULTS / "models"

CHAIN_SIZES = (10, 100, 1000, 3000)
QUICK_MAX_N = 1000
# load_model is timed for these models only (it is slow); 3000 is kept only if its warm-up is fast enough.
LOAD_MODEL_FOR = ("small", "chain_1000", "chain_3000")
LOAD_MODEL_OPTIONAL = {"chain_3000"}
LOAD_MODEL_LIMIT_S = 60.0
LINEARITY_NS = (100, 1000, 3000)
COOL_DOWN_S = 2.0  # pause after the load_model block before the next model's commands

# Targets (see bench/README.md).
TARGET_SPEEDUP_VS_LOAD = 50.0   # masklint >= 50x faster than load_model
TARGET_VS_FLOOR = 2.0           # masklint <= 2x the zip+json floor

# Keras' functional graph code recurses once per layer (keras/src/ops/function.py, _build_map_helper), so
# models deeper than ~1000 layers hit Python's default recursion limit of 1000 both when they are built
# and when load_model rebuilds them.  The baseline therefore raises the limit first (costs nothing).
RECURSION_LIMIT = 100_000
LOAD_SNIPPET = ("import sys; sys.setrecursionlimit(%d); import keras; keras.models.load_model({path!r})"
                % RECURSION_LIMIT)
FLOOR_SNIPPET = "import zipfile, json; json.loads(zipfile.ZipFile({path!r}).read('config.json'))"


# --------------------------------------------------------------------------------------------------
# Model building (runs in a child process that imports Keras)
# --------------------------------------------------------------------------------------------------

def _build_models(out_dir: str, names: list[str]) -> None:  # pragma: no cover - child process
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    sys.setrecursionlimit(RECURSION_LIMIT)
    import keras
    from keras import layers

    def small():
        inp = keras.Input((None,), dtype="int32")
        x = layers.Embedding(1000, 16, mask_zero=True)(inp)
        x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
        x = layers.GlobalAveragePooling1D()(x)
        out = layers.Dense(1)(x)
        return keras.Model(inp, out, name="small")

    def chain(n: int):
        # Input((None, 8)) -> Masking(0.) -> n-2 alternating Dense(8)/LayerNormalization/Dropout
        # -> LSTM(4) -> Dense(1).  8 features keep every weight tensor tiny.
        inp = keras.Input((None, 8))
        x = layers.Masking(0.0)(inp)
        for i in range(n - 2):
            kind = i % 3
            if kind == 0:
                x = layers.Dense(8)(x)
            elif kind == 1:
                x = layers.LayerNormalization()(x)
            else:
                x = layers.Dropout(0.1)(x)
        x = layers.LSTM(4)(x)
        out = layers.Dense(1)(x)
        return keras.Model(inp, out, name=f"chain_{n}")

    for name in names:
        t0 = time.perf_counter()
        model = small() if name == "small" else chain(int(name.split("_")[1]))
        path = os.path.join(out_dir, f"{name}.keras")
        tmp = path + ".tmp.keras"
        model.save(tmp)
        os.replace(tmp, path)
        print(f"  built {name}.keras in {time.perf_counter() - t0:.1f} s", flush=True)
        keras.backend.clear_session()


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------

class CommandFailed(RuntimeError):
    pass


_children_cpu = _env.children_cpu


def _run_once(argv: list[str], env: dict, ok_codes: tuple[int, ...], timeout: float | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys of the child and its threads) of one subprocess run."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=timeout)
    dt = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    if proc.returncode not in ok_codes:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise CommandFailed(f"{argv!r} exited {proc.returncode}: " + " | ".join(tail))
    return dt, cpu


def _stats(samples: list[float], cpu: list[float]) -> dict:
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "runs": len(samples),
        "samples_s": samples,
        "cpu_median_s": statistics.median(cpu) if resource is not None else None,
        "cpu_samples_s": cpu if resource is not None else None,
    }


def _time_round_robin(cmds: dict[str, dict], runs: int, env: dict, log) -> dict[str, dict]:
    """cmds: key -> {argv, ok, timeout, optional}.  One warm-up each, then `runs` rounds."""
    active: dict[str, dict] = {}
    out: dict[str, dict] = {}
    for key, c in cmds.items():
        try:
            warm, _ = _run_once(c["argv"], env, c["ok"], c.get("warmup_timeout"))
        except subprocess.TimeoutExpired:
            out[key] = {"skipped": f"warm-up exceeded {c['warmup_timeout']:.0f} s"}
            log(f"    {key}: skipped (warm-up > {c['warmup_timeout']:.0f} s)")
            continue
        if c.get("limit_s") is not None and warm > c["limit_s"]:
            out[key] = {"skipped": f"warm-up took {warm:.1f} s > {c['limit_s']:.0f} s", "warmup_s": warm}
            log(f"    {key}: skipped (warm-up {warm:.1f} s > {c['limit_s']:.0f} s)")
            continue
        log(f"    {key}: warm-up {warm * 1e3:.0f} ms")
        active[key] = {"samples": [], "cpu": [], "warmup_s": warm, **c}
    rng = random.Random(0)
    keys = list(active)
    for r in range(runs):
        # each round runs every command once, in a shuffled order, so that periodic disturbances on
        # the machine cannot line up with one command's slot
        rng.shuffle(keys)
        for key in keys:
            c = active[key]
            wall, cpu = _run_once(c["argv"], env, c["ok"], None)
            c["samples"].append(wall)
            c["cpu"].append(cpu)
    for key, c in active.items():
        out[key] = {**_stats(c["samples"], c["cpu"]), "warmup_s": c["warmup_s"], "argv": c["argv"]}
        log(f"    {key}: median {out[key]['median_s'] * 1e3:.1f} ms "
            f"(min {out[key]['min_s'] * 1e3:.1f}, max {out[key]['max_s'] * 1e3:.1f})")
    return out


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------

def _ms(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:,.0f}" if x >= 0.1 else f"{x * 1e3:.1f}"


def _triple(m: dict | None) -> str:
    if not m:
        return "—"
    if "skipped" in m:
        return f"skipped ({m['skipped']})"
    return f"{_ms(m['median_s'])} ({_ms(m['min_s'])}–{_ms(m['max_s'])})"


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares line y = a + b x."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - b * mx, b


def _markdown(data: dict) -> str:
    env = data["environment"]
    startup = data["python_startup"]
    lines = []
    lines.append(f"Environment: {env['cpu']} ({env['cpus']} CPUs), {env['platform']}, Python {env['python']}, "
                 f"keras {env['keras']}, tensorflow {env['tensorflow']}, masklint {env['masklint']} "
                 f"(git {env.get('git_revision') or '?'}, sources {env['masklint_source_sha256']}"
                 f"{', CHANGED DURING THE RUN' if env['masklint_source_changed_during_run'] else ''}); "
                 f"{data['runs']} timed runs after 1 warm-up, {data['date']}.")
    if env.get("loadavg_before"):
        lines.append(f"1-minute load average: {env['loadavg_before'][0]:.2f} before, "
                     f"{env['loadavg_after'][0]:.2f} after the run.")
    lines.append("")
    lines.append("Times in ms: median (min–max) of whole-process wall clock.  "
                 f"Python startup (`python -c pass`, all models' runs pooled): {_triple(startup)} ms.  "
                 "(a)/(c) paired: median over rounds of masklint/floor, each pair run back to back.")
    lines.append("")
    lines.append("| model | layers | config.json | masklint (a) | load_model (b) | zip+json floor (c) "
                 "| (b)/(a) | (a)/(c) | (a)/(c) paired |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in data["models"]:
        a, b, c = m["masklint"], m.get("load_model"), m["floor"]
        rb = f"{b['median_s'] / a['median_s']:.0f}x" if b and "median_s" in b else "—"
        rc = f"{a['median_s'] / c['median_s']:.2f}x"
        size = m["config_json_bytes"]
        size_txt = f"{size / 1024:,.1f} KiB" if size >= 1024 else f"{size} B"
        lines.append(f"| {m['name']} | {m['layers']:,} | {size_txt} | {_triple(a)} | {_triple(b)} | "
                     f"{_triple(c)} | {rb} | {rc} | {m['ratio_masklint_over_floor_paired']:.2f}x |")
    lines.append("")
    if resource is not None:
        lines.append("CPU time (user+sys, all threads), median ms — excludes time spent waiting for a core, "
                     f"not a slowed-down core; `python -c pass`: {_ms(startup['cpu_median_s'])}:")
        lines.append("")
        lines.append("| model | masklint (a) | load_model (b) | floor (c) | (a)/(c) |")
        lines.append("|---|---:|---:|---:|---:|")
        for m in data["models"]:
            a, b, c = m["masklint"], m.get("load_model"), m["floor"]
            bc = _ms(b["cpu_median_s"]) if b and "cpu_median_s" in b else "—"
            lines.append(f"| {m['name']} | {_ms(a['cpu_median_s'])} | {bc} | {_ms(c['cpu_median_s'])} | "
                         f"{a['cpu_median_s'] / c['cpu_median_s']:.2f}x |")
        lines.append("")
    lin = data["linearity"]
    if lin["points"]:
        per = ", ".join(f"N={p['n']}: {p['us_per_layer']:.1f} µs/layer" for p in lin["points"])
        lines.append(f"Linearity — (masklint median − Python startup median of the same model) / layers: {per}.")
        if lin.get("marginal"):
            mg = ", ".join(f"{p['from']}→{p['to']}: {p['us_per_layer']:.1f} µs/layer" for p in lin["marginal"])
            lines.append(f"Marginal cost per added layer (difference of masklint medians between chains): {mg}.")
        if lin.get("fit"):
            f = lin["fit"]
            lines.append(f"Least-squares fit over the chains: masklint ≈ {f['intercept_ms']:.1f} ms + "
                         f"{f['slope_us_per_layer']:.1f} µs × layers; floor ≈ {f['floor_intercept_ms']:.1f} ms "
                         f"+ {f['floor_slope_us_per_layer']:.2f} µs × layers.")
        lines.append("")
    t = data["targets"]
    lines.append(f"Targets: load_model/masklint ≥ {TARGET_SPEEDUP_VS_LOAD:.0f}x — worst {t['worst_speedup']}; "
                 f"masklint/floor ≤ {TARGET_VS_FLOOR:.0f}x — worst {t['worst_vs_floor']}.")
    return "\n".join(lines) + "\n"


_version = _env.version


_git_revision = _env.git_revision
_source_digest = _env.source_digest
_loadavg = _env.loadavg
_cpu_name = _env.cpu_name


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="timed runs per command (default 7; 3 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 3 runs, chains up to 1000 layers")
    ap.add_argument("--venv", default=str(ROOT / ".venv"),
                    help="virtual environment with masklint and Keras (default: <repo>/.venv)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached models")
    ap.add_argument("--no-load-model", action="store_true",
                    help="skip the (slow) load_model baseline, e.g. while iterating on masklint vs. the floor")
    ap.add_argument("--out", default=str(RESULTS), help="directory for static.md / static.json")
    ap.add_argument("--_build", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._build:  # child mode
        _build_models(args._build[0], args._build[1:])
        return 0

    runs = args.runs if args.runs is not None else (3 if args.quick else 7)
    if runs < 1:
        ap.error("--runs must be >= 1")
    venv = Path(args.venv)
    python = str(venv / "bin" / "python")
    masklint = str(venv / "bin" / "masklint")
    for exe in (python, masklint):
        if not os.access(exe, os.X_OK):
            ap.error(f"{exe} not found; pass --venv")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    sizes = [n for n in CHAIN_SIZES if not args.quick or n <= QUICK_MAX_N]
    names = ["small"] + [f"chain_{n}" for n in sizes]

    # 1. build (separate process; Keras is never imported here)
    MODELS.mkdir(parents=True, exist_ok=True)
    missing = [n for n in names if args.rebuild or not (MODELS / f"{n}.keras").exists()]
    if missing:
        log(f"building {', '.join(missing)} with Keras ...")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
        subprocess.run([python, str(Path(__file__).resolve()), "--_build", str(MODELS), *missing],
                       env=env, check=True)

    # 2. time
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONVERBOSE", "PYTHONDEVMODE"):
        env.pop(var, None)

    digest_before = _source_digest()
    load_before = _loadavg()
    if load_before and load_before[0] > 0.5:
        log(f"warning: 1-minute load average is {load_before[0]:.2f}; other work on this machine skews the timings")

    models = []
    for name in names:
        path = str(MODELS / f"{name}.keras")
        with zipfile.ZipFile(path) as zf:
            raw = zf.read("config.json")
        cfg = json.loads(raw)
        n_layers = len(cfg["config"]["layers"])
        log(f"{name}: {n_layers} layers, config.json {len(raw)} bytes, file {os.path.getsize(path)} bytes")
        cmds = {
            # Python startup is timed in every model's round-robin, next to the commands it is
            # subtracted from, so that slow phases of the machine cancel out.
            "startup": {"argv": [python, "-c", "pass"], "ok": (0,)},
            "masklint": {"argv": [masklint, path], "ok": (0, 1)},
            "floor": {"argv": [python, "-c", FLOOR_SNIPPET.format(path=path)], "ok": (0,)},
        }
        res = _time_round_robin(cmds, runs, env, log)
        if name in LOAD_MODEL_FOR and not args.no_load_model:
            # Timed in a block of its own: a multi-threaded TensorFlow process of several seconds
            # disturbs whatever runs right after it, and its ratio to masklint is large anyway.
            lm = {"argv": [python, "-c", LOAD_SNIPPET.format(path=path)], "ok": (0,)}
            if name in LOAD_MODEL_OPTIONAL:
                lm["limit_s"] = LOAD_MODEL_LIMIT_S
                lm["warmup_timeout"] = 3 * LOAD_MODEL_LIMIT_S
            res.update(_time_round_robin({"load_model": lm}, runs, env, log))
            time.sleep(COOL_DOWN_S)
        models.append({
            "name": name,
            "chain_n": int(name.split("_")[1]) if name.startswith("chain_") else None,
            "path": os.path.relpath(path, ROOT),
            "layers": n_layers,
            "config_json_bytes": len(raw),
            "file_bytes": os.path.getsize(path),
            "masklint": res["masklint"],
            "load_model": res.get("load_model"),
            "floor": res["floor"],
            "python_startup": res["startup"],
        })

    load_after = _loadavg()
    digest_after = _source_digest()
    if digest_after != digest_before:
        log("warning: masklint's sources changed during the run; the masklint timings mix two versions")

    # 3. derived figures
    speedups, vs_floor = [], []
    for m in models:
        a = m["masklint"]["median_s"]
        m["ratio_masklint_over_floor"] = a / m["floor"]["median_s"]
        # median of the per-round ratios (a and c of one round run back to back)
        m["ratio_masklint_over_floor_paired"] = statistics.median(
            x / y for x, y in zip(m["masklint"]["samples_s"], m["floor"]["samples_s"]))
        vs_floor.append((m["ratio_masklint_over_floor"], m["name"]))
        lm = m["load_model"]
        m["ratio_load_model_over_masklint"] = lm["median_s"] / a if lm and "median_s" in lm else None
        if m["ratio_load_model_over_masklint"] is not None:
            speedups.append((m["ratio_load_model_over_masklint"], m["name"]))

    pooled = [x for m in models for x in m["python_startup"]["samples_s"]]
    pooled_cpu = [x for m in models for x in (m["python_startup"]["cpu_samples_s"] or [])]
    startup = _stats(pooled, pooled_cpu or pooled)
    points = []
    for m in models:
        if m["chain_n"] in LINEARITY_NS:
            per = (m["masklint"]["median_s"] - m["python_startup"]["median_s"]) / m["layers"]
            points.append({"n": m["chain_n"], "layers": m["layers"], "us_per_layer": per * 1e6})
    chains = [m for m in models if m["chain_n"] is not None]
    marginal = []
    for lo, hi in zip(chains, chains[1:]):
        d = (hi["masklint"]["median_s"] - lo["masklint"]["median_s"]) / (hi["layers"] - lo["layers"])
        marginal.append({"from": lo["name"], "to": hi["name"], "us_per_layer": d * 1e6})
    fit = None
    if len(chains) >= 2:
        xs = [m["layers"] for m in chains]
        a0, b0 = _fit(xs, [m["masklint"]["median_s"] for m in chains])
        f0, f1 = _fit(xs, [m["floor"]["median_s"] for m in chains])
        fit = {"intercept_ms": a0 * 1e3, "slope_us_per_layer": b0 * 1e6,
               "floor_intercept_ms": f0 * 1e3, "floor_slope_us_per_layer": f1 * 1e6}

    def worst(pairs, fn, fmt):
        if not pairs:
            return "n/a"
        v, n = fn(pairs)
        return fmt.format(v=v, n=n)

    targets = {
        "speedup_vs_load_model_min": TARGET_SPEEDUP_VS_LOAD,
        "masklint_over_floor_max": TARGET_VS_FLOOR,
        "worst_speedup": worst(speedups, min, "{v:.0f}x ({n})"),
        "worst_vs_floor": worst(vs_floor, max, "{v:.2f}x ({n})"),
        "speedup_met": all(v >= TARGET_SPEEDUP_VS_LOAD for v, _ in speedups) if speedups else None,
        "floor_met": all(v <= TARGET_VS_FLOOR for v, _ in vs_floor),
    }
    data = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "runs": runs,
        "warmup_runs": 1,
        "quick": args.quick,
        "environment": {
            "platform": platform.platform(),
            "cpu": _cpu_name(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "keras": _version("keras"),
            "tensorflow": _version("tensorflow-cpu") if _version("tensorflow-cpu") != "?" else _version("tensorflow"),
            "masklint": _version("masklint"),
            "git_revision": _git_revision(),
            "masklint_source_sha256": digest_before,
            "masklint_source_changed_during_run": digest_after != digest_before,
            "venv": str(venv),
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        },
        "python_startup": {**startup, "argv": ["python", "-c", "pass"], "note": "pooled over all models"},
        "models": models,
        "linearity": {"points": points, "marginal": marginal, "fit": fit},
        "targets": targets,
    }
    md = _markdown(data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Partial runs never overwrite the full results.
    suffix = ("_quick" if args.quick else "") + ("_noload" if args.no_load_model else "")
    (out / f"static{suffix}.md").write_text(md, encoding="utf-8")
    (out / f"static{suffix}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(md, end="")
    log(f"wrote {out / f'static{suffix}.md'} and {out / f'static{suffix}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
