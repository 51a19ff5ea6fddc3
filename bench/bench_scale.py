#!/usr/bin/env python3
"""Scaling benchmark: does masklint's time grow linearly with the size of what it lints?

Usage (from the repository root)::

    .venv/bin/python bench/bench_scale.py            # full run: 10..10,000 layers and files, 3 runs each
    .venv/bin/python bench/bench_scale.py --quick    # smoke test: up to 1,000, 1 run
    .venv/bin/python bench/bench_scale.py --only static      # or: --only source

Static part: saved models built by Keras (in a child process; cached in ``bench/results/models/scale/``)
with N = 10, 100, 1,000 and 10,000 layers, in two shapes:

* ``chain_N``: ``Input((None, 8)) -> Masking -> N-2 layers cycling Dense(8)/LayerNormalization/Dropout ->
  LSTM(4) -> Dense(1)`` (as in bench_static.py): a deep chain;
* ``wide_N``: ``Input((None, 8)) -> Masking -> N-3 parallel Dense(8) branches of the masked tensor ->
  one Concatenate -> LSTM(4)``: wide branching, one merge of N-3 masked inputs.

Each is timed as a whole ``masklint MODEL`` process (median of the runs, after a warm-up), and once more
in-process, phase by phase (read config, build the graph, mask-flow analysis), without Python's start-up.

Source part: directories of N = 10, 100, 1,000 and 10,000 files, half generated Keras model scripts
(``source_corpus/make_corpus.py``, distinct files) and half Python standard-library files (copied
round-robin), in ``bench/results/corpus/scale/`` (git-ignored), timed as ``masklint DIR --jobs 1`` and
``--jobs C`` (C = the cores available).

Reported: time against size with a least-squares line (ms + µs x size), the coefficient of determination
of that line, and the per-item cost between consecutive sizes (flat = linear).  Results:
``bench/results/scale.md``, ``scale.json`` and the plot ``scale.png`` (needs matplotlib: the ``bench``
extra, ``pip install -e '.[bench]'``; without it the plot is skipped with a note); ``--quick`` and
``--only`` runs write to ``bench/results/tmp/`` (git-ignored) instead.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MODELS = RESULTS / "models" / "scale"
CORPUS = RESULTS / "corpus" / "scale"
GENERATOR = HERE / "source_corpus" / "make_corpus.py"

SIZES = (10, 100, 1000, 10000)
QUICK_MAX = 1000
SHAPES = ("chain", "wide")
KERAS_SEED = 20261124
RECURSION_LIMIT = 100_000  # Keras' functional graph code recurses once per layer (see bench/README.md)

# In-process phases, run in a child so that the timing process never imports masklint's dependencies.
PHASES = r"""
import gc, json, sys, time
gc.disable()
t0 = time.perf_counter()
from masklint.loaders import load
from masklint.config_frontend import build_model_graph
from masklint.analysis import Analysis
t1 = time.perf_counter()
out = {"import_s": t1 - t0, "load_s": [], "graph_s": [], "analysis_s": []}
for _ in range(int(sys.argv[2])):
    a = time.perf_counter(); mf = load(sys.argv[1]); b = time.perf_counter()
    g = build_model_graph(mf.config); c = time.perf_counter()
    an = Analysis(g).run(); d = time.perf_counter()
    out["load_s"].append(b - a); out["graph_s"].append(c - b); out["analysis_s"].append(d - c)
    out["issues"] = sorted(i.code for i in an.issues.values())
    del mf, g, an
    gc.collect()
print(json.dumps(out))
"""


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------

def _build_models(out_dir: str, names: list[str]) -> None:  # pragma: no cover - child process
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    sys.setrecursionlimit(RECURSION_LIMIT)
    import keras
    from keras import layers

    def chain(n: int):
        inp = keras.Input((None, 8))
        x = layers.Masking(0.0)(inp)
        for i in range(n - 2):
            kind = i % 3
            x = layers.Dense(8)(x) if kind == 0 else layers.LayerNormalization()(x) if kind == 1 else layers.Dropout(0.1)(x)
        return keras.Model(inp, layers.Dense(1)(layers.LSTM(4)(x)), name=f"chain_{n}")

    def wide(n: int):
        inp = keras.Input((None, 8))
        m = layers.Masking(0.0)(inp)
        branches = [layers.Dense(8)(m) for _ in range(max(2, n - 3))]
        return keras.Model(inp, layers.LSTM(4)(layers.Concatenate()(branches)), name=f"wide_{n}")

    for name in names:
        t0 = time.perf_counter()
        shape, n = name.split("_")
        model = chain(int(n)) if shape == "chain" else wide(int(n))
        t1 = time.perf_counter()
        path = os.path.join(out_dir, f"{name}.keras")
        model.save(path + ".tmp.keras")
        os.replace(path + ".tmp.keras", path)
        print(f"  built {name}.keras: build {t1 - t0:.1f} s, save {time.perf_counter() - t1:.1f} s", flush=True)
        keras.backend.clear_session()


def prepare_models(python: str, sizes, rebuild: bool, log) -> dict:
    MODELS.mkdir(parents=True, exist_ok=True)
    names = [f"{s}_{n}" for s in SHAPES for n in sizes]
    missing = [n for n in names if rebuild or not (MODELS / f"{n}.keras").exists()]
    if missing:
        log(f"building {', '.join(missing)} with Keras (cached in {MODELS.relative_to(ROOT)}) ...")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
        t0 = time.perf_counter()
        subprocess.run([python, str(Path(__file__).resolve()), "--_build", str(MODELS), *missing], env=env, check=True)
        log(f"  built in {time.perf_counter() - t0:.0f} s")
    out = {}
    for name in names:
        p = MODELS / f"{name}.keras"
        with zipfile.ZipFile(p) as zf:
            raw = zf.read("config.json")
        out[name] = {"path": str(p), "layers": len(json.loads(raw)["config"]["layers"]), "config_bytes": len(raw),
                     "file_bytes": p.stat().st_size}
    return out


def _stdlib_files(python: str) -> list[Path]:
    code = "import sysconfig; print(sysconfig.get_paths()['stdlib'])"
    stdlib = Path(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip())
    out = []
    for dirpath, dirnames, filenames in os.walk(stdlib):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "test", "tests", "__pycache__",
                                                              "idlelib", "lib2to3"))
        for f in sorted(filenames):
            if f.endswith(".py"):
                p = Path(dirpath, f)
                if b"keras" not in p.read_bytes() and b"tensorflow" not in p.read_bytes():
                    out.append(p)
    return out


def prepare_sources(python: str, sizes, rebuild: bool, log) -> dict:
    """src_N: N files, every other one a generated Keras script (distinct) or a stdlib file."""
    need_keras = (max(SIZES) + 1) // 2  # always the full set: --quick must not invalidate it
    gen = CORPUS / "keras_scripts"
    stamp = gen / "corpus.json"
    desc = {"n": need_keras, "seed": KERAS_SEED, "generator_sha": _sha(GENERATOR)}
    if rebuild or not stamp.exists() or json.loads(stamp.read_text()) != desc:
        if gen.exists():
            shutil.rmtree(gen)
        log(f"generating {need_keras} Keras scripts ...")
        subprocess.run([python, str(GENERATOR), str(gen), "--n", str(need_keras), "--seed", str(KERAS_SEED)],
                       check=True, capture_output=True)
        stamp.write_text(json.dumps(desc))
    keras_files = sorted(gen.glob("*.py"))[:need_keras]
    stdlib = _stdlib_files(python)
    sets = {}
    for n in sizes:
        d = CORPUS / f"src_{n}"
        want = {"files": n, "keras": (n + 1) // 2, "stdlib": n // 2, "generator": desc}
        meta = d / ".set.json"
        if rebuild or not meta.exists() or json.loads(meta.read_text()) != want:
            if d.exists():
                shutil.rmtree(d)
            d.mkdir(parents=True)
            for i in range(n):
                if i % 2 == 0:
                    shutil.copyfile(keras_files[i // 2], d / f"k{i:05d}.py")
                else:
                    shutil.copyfile(stdlib[(i // 2) % len(stdlib)], d / f"s{i:05d}.py")
            meta.write_text(json.dumps(want))
        files = sorted(d.glob("*.py"))
        sets[f"src_{n}"] = {"path": str(d), "files": len(files), "keras_files": want["keras"],
                            "stdlib_files": want["stdlib"], "bytes": sum(f.stat().st_size for f in files),
                            "lines": sum(f.read_bytes().count(b"\n") for f in files)}
    return sets


def _sha(p: Path) -> str:
    import hashlib

    return hashlib.sha256(p.read_bytes()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------

def _run(argv, env, ok=(0, 1), timeout=3600) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)
    dt = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise RuntimeError(f"{argv!r} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-500:]}")
    return dt, proc.stdout.decode(errors="replace")


def time_cmd(argv, runs: int, env, log, label: str, check=None) -> dict:
    warm, out = _run(argv, env)
    if check:
        check(out)
    samples = []
    for _ in range(runs):
        dt, _ = _run(argv, env)
        samples.append(dt)
    med = statistics.median(samples)
    log(f"  {label}: median {med * 1e3:,.0f} ms (min {min(samples) * 1e3:,.0f}, max {max(samples) * 1e3:,.0f}; "
        f"warm-up {warm * 1e3:,.0f})")
    return {"median_s": med, "min_s": min(samples), "max_s": max(samples), "samples_s": samples, "warmup_s": warm,
            "argv": argv}


def fit(xs, ys) -> dict:
    """Least squares y = a + b x, with R^2."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    a = my - b * mx
    ss_res = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return {"intercept_s": a, "slope_s": b, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def marginal(xs, ys) -> list[float]:
    """Cost per added item between consecutive sizes (seconds)."""
    return [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:]))]


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------

def _ms(s: float) -> str:
    v = s * 1e3
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def _us(s: float) -> str:
    v = s * 1e6
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def markdown(data: dict) -> str:
    env = data["environment"]
    L = [f"Environment: {env['cpu']} ({env['cpus']} CPUs), Python {env['python']}, keras {env['keras']}, masklint "
         f"{env['masklint']} (git {env.get('git_revision') or '?'}, sources {env['masklint_source_sha256']}"
         f"{', CHANGED DURING THE RUN' if env.get('masklint_source_changed_during_run') else ''}); "
         f"{data['runs']} timed runs after 1 warm-up; {data['date']}; 1-minute load "
         f"{(env.get('loadavg_before') or ['?'])[0]} before, {(env.get('loadavg_after') or ['?'])[0]} after.", ""]
    st = data.get("static")
    if st:
        L += ["### Static lint of saved models", "",
              "Whole process (`masklint MODEL`), median (min–max) ms; in-process phases (median of 3, no start-up): "
              "read = unzip + JSON parse, graph = config → IR, analysis = mask flow.", "",
              "| model | layers | config.json | masklint | per layer | in-process total | read | graph | analysis "
              "| findings |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for name, m in st["models"].items():
            t = m["masklint"]
            ph = m["phases"]
            tot = ph["load_s"] + ph["graph_s"] + ph["analysis_s"]
            L.append(f"| {name} | {m['layers']:,} | {m['config_bytes'] / 1024:,.0f} KiB | {_ms(t['median_s'])} "
                     f"({_ms(t['min_s'])}–{_ms(t['max_s'])}) | {_us(tot / m['layers'])} µs | {_ms(tot)} | "
                     f"{_ms(ph['load_s'])} | {_ms(ph['graph_s'])} | {_ms(ph['analysis_s'])} | "
                     f"{', '.join(ph['issues']) or '—'} |")
        L.append("")
        for shape, f in st["fits"].items():
            L.append(f"* {shape}: whole process ≈ {f['process']['intercept_s'] * 1e3:.1f} ms + "
                     f"{f['process']['slope_s'] * 1e6:.1f} µs × layers (R² {f['process']['r2']:.4f}); in-process ≈ "
                     f"{f['inprocess']['intercept_s'] * 1e3:.2f} ms + {f['inprocess']['slope_s'] * 1e6:.1f} µs × layers "
                     f"(R² {f['inprocess']['r2']:.4f}); in-process cost per added layer between sizes: "
                     + ", ".join(f"{_us(v)} µs" for v in f["inprocess_marginal_s"]) + ".")
        L.append("")
    so = data.get("source")
    if so:
        cores = so["cores"]
        L += ["### Source lint of directories", "",
              "Whole process (`masklint DIR --exit-zero --jobs J`), median (min–max) ms; half the files are "
              "generated Keras scripts (parsed and analysed), half standard-library files (read, skipped by the "
              "Keras pre-filter).", "",
              f"| set | files | lines | masklint --jobs 1 | files/s | masklint --jobs {cores} | files/s |",
              "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in so["sets"].items():
            a, b = s["jobs1"], s.get(f"jobs{cores}")
            row = (f"| {name} | {s['files']:,} | {s['lines']:,} | {_ms(a['median_s'])} ({_ms(a['min_s'])}–"
                   f"{_ms(a['max_s'])}) | {s['files'] / a['median_s']:,.0f} |")
            row += (f" {_ms(b['median_s'])} ({_ms(b['min_s'])}–{_ms(b['max_s'])}) | {s['files'] / b['median_s']:,.0f} |"
                    if b else " — | — |")
            L.append(row)
        L.append("")
        for key, f in so["fits"].items():
            L.append(f"* {key}: ≈ {f['intercept_s'] * 1e3:.0f} ms + {f['slope_s'] * 1e3:.2f} ms × files "
                     f"(R² {f['r2']:.4f}); cost per added file between sizes: "
                     + ", ".join(f"{v * 1e3:.2f} ms" for v in f["marginal_s"]) + ".")
        L.append("")
    if data.get("plot"):
        L.append(f"Plot: `{data['plot']}`.")
    elif data.get("plot_note"):
        L.append(f"Plot: not drawn ({data['plot_note']}).")
    return "\n".join(L) + "\n"


def _reference(ax, xs, ys, label: bool) -> None:
    """A dotted line proportional to size through the largest point: linear growth runs parallel to it."""
    x1, y1 = xs[-1], ys[-1]
    ax.plot(xs, [y1 * x / x1 for x in xs], linestyle=":", color="gray",
            label="∝ size (through the largest point)" if label else None)


def plot(data: dict, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: pip install -e '.[bench]'"
    panels = [k for k in ("static", "source") if data.get(k)]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.6), squeeze=False)
    for ax, key in zip(axes[0], panels):
        if key == "static":
            st = data["static"]
            for shape, marker in zip(SHAPES, ("o", "s")):
                ms = [m for n, m in st["models"].items() if n.startswith(shape + "_")]
                if not ms:
                    continue
                xs = [m["layers"] for m in ms]
                ys = [m["masklint"]["median_s"] for m in ms]
                yi = [m["phases"]["load_s"] + m["phases"]["graph_s"] + m["phases"]["analysis_s"] for m in ms]
                ax.plot(xs, ys, marker=marker, label=f"{shape}: whole process")
                ax.plot(xs, yi, marker=marker, linestyle="--", label=f"{shape}: in-process")
                _reference(ax, xs, yi, shape == SHAPES[0])
            ax.set_xlabel("layers in the model")
            ax.set_title("static lint of saved models")
        else:
            so = data["source"]
            xs = [s["files"] for s in so["sets"].values()]
            for jobs_key, marker in (("jobs1", "o"), (f"jobs{so['cores']}", "s")):
                ys = [s[jobs_key]["median_s"] for s in so["sets"].values() if jobs_key in s]
                if len(ys) == len(xs):
                    ax.plot(xs, ys, marker=marker, label=f"--jobs {jobs_key[4:]}")
                    _reference(ax, xs, ys, jobs_key == "jobs1")
            ax.set_xlabel("files in the directory (half Keras scripts)")
            ax.set_title("source lint of directories")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("seconds (median)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("masklint: time against size, log-log (linear growth runs parallel to the dotted lines)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None


_version = _env.version


_cores = _env.cores


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="timed runs per command (default 3; --quick: 1)")
    ap.add_argument("--quick", action="store_true", help=f"smoke test: sizes up to {QUICK_MAX:,}, 1 run")
    ap.add_argument("--only", choices=("static", "source"), default=None, help="one half only")
    ap.add_argument("--venv", default=str(ROOT / ".venv"), help="masklint's venv (default <repo>/.venv)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the models and the file sets")
    ap.add_argument("--out", default=str(RESULTS), help="where scale.md / scale.json / scale.png go")
    ap.add_argument("--_build", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._build:
        _build_models(args._build[0], args._build[1:])
        return 0
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    venv = Path(args.venv)
    python, masklint = str(venv / "bin" / "python"), str(venv / "bin" / "masklint")
    for exe in (python, masklint):
        if not os.access(exe, os.X_OK):
            ap.error(f"{exe} not found; pass --venv")
    sizes = [n for n in SIZES if not args.quick or n <= QUICK_MAX]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0"}
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONVERBOSE", "PYTHONDEVMODE"):
        env.pop(var, None)
    digest = _env.source_digest()
    data = {"date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "runs": runs, "quick": args.quick,
            "sizes": sizes, "environment": {
                "platform": platform.platform(), "cpu": _env.cpu_name(), "cpus": os.cpu_count(),
                "python": platform.python_version(), "keras": _version("keras"), "libcst": _version("libcst"),
                "masklint": _version("masklint"), "git_revision": _env.git_revision(),
                "masklint_source_sha256": digest, "loadavg_before": _env.loadavg()}}

    if args.only in (None, "static"):
        models = prepare_models(python, sizes, args.rebuild, log)
        res = {}
        for name, m in models.items():
            log(f"{name}: {m['layers']:,} layers, config.json {m['config_bytes']:,} bytes")
            m["masklint"] = time_cmd([masklint, m["path"]], runs, env, log, "masklint")
            dt, out = _run([python, "-c", PHASES, m["path"], "3"], env, ok=(0,))
            ph = json.loads(out)
            m["phases"] = {k: statistics.median(ph[k]) for k in ("load_s", "graph_s", "analysis_s")}
            m["phases"]["issues"] = ph["issues"]
            m["phases"]["samples"] = ph
            res[name] = m
        fits = {}
        for shape in SHAPES:
            ms = [m for n, m in res.items() if n.startswith(shape + "_")]
            xs = [m["layers"] for m in ms]
            yp = [m["masklint"]["median_s"] for m in ms]
            yi = [m["phases"]["load_s"] + m["phases"]["graph_s"] + m["phases"]["analysis_s"] for m in ms]
            fits[shape] = {"process": fit(xs, yp), "inprocess": fit(xs, yi), "inprocess_marginal_s": marginal(xs, yi),
                           "process_marginal_s": marginal(xs, yp)}
        data["static"] = {"models": res, "fits": fits}

    if args.only in (None, "source"):
        sets = prepare_sources(python, sizes, args.rebuild, log)
        cores = _cores()
        data["source"] = {"cores": cores, "sets": sets}

        def checker(n):
            def check(out: str):
                if f"{n} file{'s' if n != 1 else ''} checked" not in out or "could not be linted" in out:
                    raise RuntimeError(f"masklint did not check all {n} files: {out.strip().splitlines()[-1:]}")
            return check

        for name, s in sets.items():
            log(f"{name}: {s['files']:,} files ({s['keras_files']:,} Keras scripts), {s['lines']:,} lines")
            for jobs in sorted({1, cores}):
                s[f"jobs{jobs}"] = time_cmd([masklint, s["path"], "--exit-zero", "--jobs", str(jobs)], runs, env, log,
                                            f"--jobs {jobs}", check=checker(s["files"]))
        fits = {}
        xs = [s["files"] for s in sets.values()]
        for jobs in sorted({1, cores}):
            ys = [s[f"jobs{jobs}"]["median_s"] for s in sets.values()]
            fits[f"jobs{jobs}"] = {**fit(xs, ys), "marginal_s": marginal(xs, ys)}
        data["source"]["fits"] = fits

    data["environment"]["loadavg_after"] = _env.loadavg()
    data["environment"]["masklint_source_changed_during_run"] = _env.source_digest() != digest
    out = Path(args.out)
    stem = "scale"
    if (args.quick or args.only) and args.out == str(RESULTS):
        out = RESULTS / "tmp"  # partial runs never overwrite the full results (bench/results/tmp is git-ignored)
        stem += ("_quick" if args.quick else "") + (f"_{args.only}" if args.only else "")
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{stem}.png"
    note = plot(data, png)
    if note is None:
        data["plot"] = os.path.relpath(png, ROOT)
    else:
        data["plot_note"] = note
    md = markdown(data)
    (out / f"{stem}.md").write_text(md, encoding="utf-8")
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(md, end="")
    log(f"wrote {out / (stem + '.md')}, {stem}.json" + (f", {stem}.png" if note is None else f" (no plot: {note})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
