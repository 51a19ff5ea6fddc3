#!/usr/bin/env python3
"""Whole-process benchmark of the runtime probe: ``masklint probe MODEL`` vs ``load_model`` + one ``predict``.

Usage (from the repository root)::

    .venv/bin/python bench/bench_probe.py            # 5 timed runs per command, plus the noise study
    .venv/bin/python bench/bench_probe.py --runs 9
    .venv/bin/python bench/bench_probe.py --quick    # 2 runs, no noise study (writes probe_quick.*)

What is measured:

* (a) ``masklint probe MODEL`` -- the command users run: load the file safely, analyse the live model,
  probe it (default settings: 3 padded lengths x post/pre, eager + compiled predict, the all-padding
  sample), print the report.
* (b) ``python -c "import keras; m = keras.models.load_model(MODEL); m.predict(x)"`` with ``x`` a batch
  of the same shape as the probe's largest (4 rows x 20 steps): what any check that runs the model pays.
* Target: (a)/(b) <= 1.5 for every model.  Both are whole processes (Python start, TensorFlow import,
  model load); one untimed warm-up each, then N runs round-robin in a shuffled order; medians.
* Forward passes per probe and the in-process time of the probe alone (after import and load), from
  ``masklint.runtime.probe.probe_report`` in a child process.
* Noise study (the tolerance's justification): correct models probed with 4 padded lengths
  (6, 10, 20, 80) and 5 seeds; the largest |difference| relative to the output scale, against
  rtol = 1e-5, and the smallest relative difference of known leaks.

Results: ``bench/results/probe.md`` (table) and ``bench/results/probe.json`` (every sample).
The models are built by Keras in a child process and cached in ``bench/results/models/probe_*.keras``.
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
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MODELS = RESULTS / "models"
NAMES = ("small", "medium", "transformer")
TARGET_RATIO = 1.5
NOISE_LENGTHS = (6, 10, 20, 80)
NOISE_SEEDS = (0, 1, 2, 3, 4)

# the baseline: load the model and run one predict on a batch like the probe's largest (4 x 20 steps)
BASELINE = (
    "import numpy as np, keras\n"
    "m = keras.models.load_model({path!r})\n"
    "shape = m.inputs[0].shape\n"
    "x = (np.random.default_rng(0).integers(1, 50, size=(4, 20)).astype('int32') if 'int' in str(m.inputs[0].dtype)\n"
    "     else np.random.default_rng(0).standard_normal((4, 20) + tuple(shape[2:])).astype('float32'))\n"
    "m.predict(x, verbose=0)\n"
)


# --------------------------------------------------------------------------------------------------
# child processes (import Keras)
# --------------------------------------------------------------------------------------------------
def _builders():
    import keras
    from keras import layers, ops

    def small():  # the same model as bench_static.py's "small"
        inp = keras.Input((None,), dtype="int32")
        x = layers.Embedding(1000, 16, mask_zero=True)(inp)
        x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
        x = layers.GlobalAveragePooling1D()(x)
        return keras.Model(inp, layers.Dense(1)(x), name="small")

    def medium():
        inp = keras.Input((None, 32))
        x = layers.Masking(0.0)(inp)
        x = layers.LSTM(64, return_sequences=True)(x)
        x = layers.LSTM(64)(x)
        x = layers.Dense(32, activation="relu")(x)
        return keras.Model(inp, layers.Dense(4)(x), name="medium")

    def transformer(explicit=True, blocks=2, d=64):
        inp = keras.Input((None,), dtype="int32")
        x = layers.Embedding(1000, d, mask_zero=True)(inp)
        pad = ops.not_equal(inp, 0)
        for _ in range(blocks):
            mha = layers.MultiHeadAttention(4, d // 4)
            a = mha(x, x, attention_mask=pad[:, None, :]) if explicit else mha(x, x)
            x = layers.LayerNormalization()(layers.Add()([x, a]))
            f = layers.Dense(2 * d, activation="relu")(x)
            x = layers.LayerNormalization()(layers.Add()([x, layers.Dense(d)(f)]))
        x = layers.GlobalAveragePooling1D()(x)
        return keras.Model(inp, layers.Dense(3)(x), name="transformer")

    return {"small": small, "medium": medium, "transformer": transformer}


def _noise_models():
    import keras
    from keras import layers

    b = _builders()

    def nested():
        inner = keras.Sequential([layers.LSTM(16, return_sequences=True), layers.Dense(16)], name="inner")
        i = keras.Input((None, 8))
        x = inner(layers.Masking(0.0)(i))
        return keras.Model(i, layers.GlobalAveragePooling1D()(x))

    def attention():
        i = keras.Input((None, 8))
        m = layers.Masking(0.0)(i)
        x = layers.Concatenate()([layers.Attention()([m, m]), layers.AdditiveAttention()([m, m])])
        return keras.Model(i, layers.GlobalAveragePooling1D()(layers.LayerNormalization()(x)))

    def gru_td():
        i = keras.Input((None,), dtype="int32")
        x = layers.Embedding(500, 32, mask_zero=True)(i)
        x = layers.Bidirectional(layers.GRU(32, return_sequences=True))(x)
        return keras.Model(i, layers.TimeDistributed(layers.Dense(8))(x))

    # known leaks, for the other side of the margin
    def attention_unmasked():  # the smallest leak of the reference (§7: 6e-5)
        i = keras.Input((None, 8))
        return keras.Model(i, layers.Attention()([i, i]))

    def conv_drop():
        return keras.Sequential([keras.Input((None, 8)), layers.Masking(0.0), layers.Conv1D(8, 1), layers.LSTM(8)])

    def masking_after_embedding():
        return keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(50, 8), layers.Masking(0.0),
                                 layers.LSTM(8)])

    correct = {"small": b["small"], "medium": b["medium"], "transformer (explicit mask)": b["transformer"],
               "nested": nested, "attention": attention, "bigru_td": gru_td}
    leaks = {"attention, no mask": attention_unmasked, "Masking -> Conv1D -> LSTM": conv_drop,
             "Embedding -> Masking -> LSTM": masking_after_embedding,
             "transformer (no explicit mask)": lambda: b["transformer"](explicit=False)}
    return correct, leaks


def _child_build(out_dir: str) -> None:  # pragma: no cover - child process
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    import keras

    warnings.simplefilter("ignore")
    for name, make in _builders().items():
        keras.utils.set_random_seed(0)
        path = os.path.join(out_dir, f"probe_{name}.keras")
        tmp = path + ".tmp.keras"
        make().save(tmp)
        os.replace(tmp, path)
        print(f"  built probe_{name}.keras", file=sys.stderr, flush=True)


def _child_passes(paths: list[str]) -> None:  # pragma: no cover - child process
    """Forward passes and in-process probe time (after import and load) per model, as JSON."""
    import warnings

    warnings.simplefilter("ignore")
    from masklint.runtime.loading import load_model_file
    from masklint.runtime.probe import probe_report

    out = {}
    for p in paths:
        model = load_model_file(p)
        times = []
        rep = None
        for _ in range(3):
            t0 = time.perf_counter()
            rep = probe_report(model, label=p)
            times.append(time.perf_counter() - t0)
        out[p] = {"params": int(model.count_params()), "forward_passes": rep.forward_passes, "eager_passes": rep.eager_passes,
                  "predict_passes": rep.predict_passes, "taps": rep.taps, "rows_per_batch": rep.rows_per_batch,
                  "probe_in_process_s": times, "findings": [f.code for f in rep.all_findings()],
                  "largest": {k: list(v[:2]) for k, v in rep.largest.items()}}
    print(json.dumps(out))


def _child_noise() -> None:  # pragma: no cover - child process
    import warnings

    import keras

    warnings.simplefilter("ignore")
    from masklint.runtime.probe import DEFAULT_RTOL, probe_report

    correct, leaks = _noise_models()
    out = {"rtol": DEFAULT_RTOL, "lengths": list(NOISE_LENGTHS), "seeds": list(NOISE_SEEDS), "correct": {},
           "leaks": {}}
    for group, table in (("correct", correct), ("leaks", leaks)):
        for name, make in table.items():
            rels, findings = [], set()
            for seed in NOISE_SEEDS:
                keras.utils.set_random_seed(seed)
                rep = probe_report(make(), seed=seed, lengths=list(NOISE_LENGTHS))
                findings |= {f.code for f in rep.findings}
                per = [v["max_diff"] / (v["tolerance"] / rep.rtol) for v in rep.variants]
                rels.append(max(per) if per else 0.0)
            out[group][name] = {"max_relative_diff": max(rels), "min_relative_diff": min(rels),
                                "per_seed": rels, "findings": sorted(findings)}
            print(f"  {group}: {name}: relative |difference| {min(rels):.2g}..{max(rels):.2g} {sorted(findings)}",
                  file=sys.stderr, flush=True)
    print(json.dumps(out))


# --------------------------------------------------------------------------------------------------
# timing (parent: never imports Keras)
# --------------------------------------------------------------------------------------------------
def _run_once(argv, env, ok):
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=600)
    dt = time.perf_counter() - t0
    if proc.returncode not in ok:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{argv!r} exited {proc.returncode}: " + " | ".join(tail))
    return dt


def _stats(samples):
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
            "runs": len(samples), "samples_s": samples}


def _time(cmds: dict, runs: int, env: dict, log) -> dict:
    out = {}
    for key, c in cmds.items():
        w = _run_once(c["argv"], env, c["ok"])
        log(f"    {key}: warm-up {w:.2f} s")
        out[key] = {"samples": [], "warmup_s": w, **c}
    keys = list(cmds)
    rng = random.Random(0)
    for _ in range(runs):
        rng.shuffle(keys)
        for key in keys:
            out[key]["samples"].append(_run_once(cmds[key]["argv"], env, cmds[key]["ok"]))
    res = {}
    for key, c in out.items():
        res[key] = {**_stats(c["samples"]), "warmup_s": c["warmup_s"], "argv": c["argv"]}
        log(f"    {key}: median {res[key]['median_s']:.2f} s (min {res[key]['min_s']:.2f}, "
            f"max {res[key]['max_s']:.2f})")
    return res


_version = _env.version


def _markdown(data: dict) -> str:
    env = data["environment"]
    lines = [f"Environment: {env['cpu']} ({env['cpus']} CPUs), {env['platform']}, Python {env['python']}, "
             f"keras {env['keras']}, tensorflow {env['tensorflow']}, masklint {env['masklint']} "
             f"(git {env.get('git_revision') or '?'}, sources {env['masklint_source_sha256']}); "
             f"{data['runs']} timed runs after 1 warm-up, {data['date']}; 1-minute load "
             f"{(env.get('loadavg_before') or ['?'])[0]} before, {(env.get('loadavg_after') or ['?'])[0]} after.",
             "",
             "Whole processes, wall clock, seconds: median (min–max). (a) `masklint probe MODEL` (default settings, "
             "including the live-model static analysis); (b) `load_model` + one `predict` on a 4 × 20 batch.",
             "",
             "| model | params | (a) masklint probe | (b) load_model + predict | (a)/(b) | forward passes | "
             "probe alone (in process) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for m in data["models"]:
        a, b = m["probe"], m["baseline"]
        p = m["passes"]
        lines.append(f"| {m['name']} | {m['params']:,} | {a['median_s']:.2f} ({a['min_s']:.2f}–{a['max_s']:.2f}) | "
                     f"{b['median_s']:.2f} ({b['min_s']:.2f}–{b['max_s']:.2f}) | {m['ratio']:.2f}x | "
                     f"{p['forward_passes']} ({p['eager_passes']} eager + {p['predict_passes']} predict) | "
                     f"{statistics.median(p['probe_in_process_s']):.2f} |")
    t = data["targets"]
    lines += ["", f"Target (a)/(b) ≤ {TARGET_RATIO}x: worst {t['worst_ratio']:.2f}x ({t['worst_model']}) — "
                  f"{'met' if t['met'] else 'MISSED'}."]
    noise = data.get("noise")
    if noise:
        lines += ["", f"Noise study (the tolerance): each model probed with padded lengths "
                      f"{'/'.join(map(str, noise['lengths']))} and seeds {noise['seeds'][0]}–{noise['seeds'][-1]}; "
                      f"relative |difference| = max |variant − reference| / max(output scale, 1e-3) at the real "
                      f"positions; rtol = {noise['rtol']:g}.", "",
                  "| model | kind | relative difference, min–max over seeds | findings |", "|---|---|---:|---|"]
        for group in ("correct", "leaks"):
            for name, r in noise[group].items():
                lines.append(f"| {name} | {'correct' if group == 'correct' else 'leak'} | "
                             f"{r['min_relative_diff']:.2g}–{r['max_relative_diff']:.2g} | "
                             f"{', '.join(r['findings']) or '—'} |")
        worst_ok = max(r["max_relative_diff"] for r in noise["correct"].values())
        least_leak = min(r["min_relative_diff"] for r in noise["leaks"].values())
        lines += ["", f"Largest relative difference of a correct model: {worst_ok:.2g} "
                      f"({noise['rtol'] / worst_ok if worst_ok else float('inf'):.0f}x below rtol); smallest of a "
                      f"leak: {least_leak:.2g} ({least_leak / noise['rtol']:.0f}x above rtol)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="timed runs per command (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="2 runs, no noise study; writes probe_quick.*")
    ap.add_argument("--venv", default=str(ROOT / ".venv"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--_child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        kind = args._child[0]
        if kind == "build":
            _child_build(args._child[1])
        elif kind == "passes":
            _child_passes(args._child[1:])
        elif kind == "noise":
            _child_noise()
        return 0

    runs = args.runs if args.runs is not None else (2 if args.quick else 5)
    python = str(Path(args.venv) / "bin" / "python")
    masklint = str(Path(args.venv) / "bin" / "masklint")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    for var in ("PYTHONDONTWRITEBYTECODE", "MASKLINT_NO_FASTPATH"):
        env.pop(var, None)
    MODELS.mkdir(parents=True, exist_ok=True)
    paths = {n: MODELS / f"probe_{n}.keras" for n in NAMES}
    if args.rebuild or not all(p.exists() for p in paths.values()):
        log("building the models with Keras ...")
        subprocess.run([python, __file__, "--_child", "build", str(MODELS)], env=env, check=True)
    digest = _env.source_digest()
    load_before = _env.loadavg()
    log("forward passes and in-process probe time ...")
    out = subprocess.run([python, __file__, "--_child", "passes", *map(str, paths.values())], env=env,
                         capture_output=True, text=True, check=True)
    passes = json.loads(out.stdout.strip().splitlines()[-1])
    models = []
    for name, path in paths.items():
        log(f"{name}:")
        cmds = {"probe": {"argv": [masklint, "probe", str(path), "--seed", "0"], "ok": (0, 1)},
                "baseline": {"argv": [python, "-c", BASELINE.format(path=str(path))], "ok": (0,)}}
        res = _time(cmds, runs, env, log)
        models.append({"name": name, "path": os.path.relpath(path, ROOT), "params": passes[str(path)]["params"],
                       "probe": res["probe"], "baseline": res["baseline"],
                       "ratio": res["probe"]["median_s"] / res["baseline"]["median_s"],
                       "passes": passes[str(path)]})
    noise = None
    if not args.quick:
        log("noise study ...")
        out = subprocess.run([python, __file__, "--_child", "noise"], env=env, capture_output=True, text=True,
                             check=True)
        noise = json.loads(out.stdout.strip().splitlines()[-1])
    worst = max(models, key=lambda m: m["ratio"])
    data = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "runs": runs,
        "environment": {"platform": platform.platform(), "cpu": _env.cpu_name(), "cpus": os.cpu_count(),
                        "python": platform.python_version(), "keras": _version("keras"),
                        "tensorflow": _version("tensorflow-cpu") if _version("tensorflow-cpu") != "?"
                        else _version("tensorflow"), "masklint": _version("masklint"),
                        "git_revision": _env.git_revision(), "masklint_source_sha256": digest,
                        "masklint_source_changed_during_run": _env.source_digest() != digest,
                        "loadavg_before": load_before, "loadavg_after": _env.loadavg()},
        "models": models,
        "targets": {"ratio_max": TARGET_RATIO, "worst_ratio": worst["ratio"], "worst_model": worst["name"],
                    "met": all(m["ratio"] <= TARGET_RATIO for m in models)},
        "noise": noise,
    }
    md = _markdown(data)
    suffix = "_quick" if args.quick else ""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"probe{suffix}.md").write_text(md, encoding="utf-8")
    (RESULTS / f"probe{suffix}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(md, end="")
    log(f"wrote {RESULTS / f'probe{suffix}.md'} and {RESULTS / f'probe{suffix}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
