#!/usr/bin/env python3
"""The one benchmark command: runs every benchmark and writes one summary table of every figure.

Usage (from the repository root, with the ``test`` and ``bench`` extras installed)::

    .venv/bin/python bench/run_all.py                      # everything, default settings (~45 min on 2 cores)
    .venv/bin/python bench/run_all.py --quick              # smoke test of every part (~8 min)
    .venv/bin/python bench/run_all.py --only static,scale  # some parts (static, source, keras_hub, probe, scale, h5)
    .venv/bin/python bench/run_all.py --skip source
    .venv/bin/python bench/run_all.py --summary-only       # no runs: rebuild the summary from the results

Parts, each a script of its own (see bench/README.md), run one after the other (never in parallel: they
time whole processes and would disturb each other):

* ``static``  ``bench_static.py``  -- ``masklint MODEL`` vs ``load_model`` vs the zip+json floor
* ``source``  ``bench_source.py``  -- source lint vs the libcst parse floor and Fixit
* ``keras_hub`` ``bench_keras_hub.py`` -- source lint of the installed keras_hub package, files per CPU-second
* ``probe``   ``bench_probe.py``   -- ``masklint probe`` vs ``load_model`` + one ``predict`` (if present)
* ``scale``   ``bench_scale.py``   -- time against 10..10,000 layers and files, with ``scale.png``
* ``h5``      ``bench_h5.py``      -- what reading ``.h5`` configs under a deadline costs (fork, reader process)
* ``notebooks`` ``bench_notebooks.py`` -- ``.ipynb`` directories against code size; 200 MB of outputs vs none
* ``lsp``     ``bench_lsp.py``     -- ``masklint server``: start-up, and a change on a 500-line file to its diagnostics

A tree with uncommitted changes is refused (``--allow-dirty`` for a trial run whose figures are not to
be quoted): every result file records the commit it measured.

Then ``bench/results/summary.md`` gets one table with every figure, its target and whether it is met,
read from each part's JSON (the full results, or the ``--quick`` ones after a quick run), and a
``summary.json`` with the same rows, the commands run and how long each took.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PARTS = {
    "static": "bench_static.py",
    "source": "bench_source.py",
    "keras_hub": "bench_keras_hub.py",
    "probe": "bench_probe.py",
    "scale": "bench_scale.py",
    "h5": "bench_h5.py",
    "notebooks": "bench_notebooks.py",
    "lsp": "bench_lsp.py",
}


def _load(*names):
    for n in names:
        p = Path(n) if os.path.isabs(n) else RESULTS / n
        if p.exists():
            try:
                return json.loads(p.read_text(encoding="utf-8")), str(p.relative_to(ROOT))
            except (OSError, ValueError):
                continue
    return None, None


def _ms(s):
    return "—" if s is None else (f"{s * 1e3:,.0f} ms" if s >= 0.1 else f"{s * 1e3:.1f} ms")


def _x(v, d=2):
    return "—" if v is None else f"{v:.{d}f}x"


def _status(met):
    return "—" if met is None else ("**met**" if met else "**missed**")


def rows_static(quick: bool):
    data, src = _load(*(["static_quick.json", "static.json"] if quick else ["static.json", "static_noload.json"]))
    if data is None:
        return [], None
    out = []
    tgt = data.get("targets", {})
    for m in data.get("models", []):
        a = m["masklint"]["median_s"]
        lm = m.get("load_model") or {}
        r_load = m.get("ratio_load_model_over_masklint")
        r_floor = m.get("ratio_masklint_over_floor")
        out.append(("static", f"`masklint {m['name']}.keras` ({m['layers']:,} layers)", _ms(a), "", "", src))
        if r_load is not None:
            out.append(("static", f"load_model / masklint, {m['name']}", f"{r_load:.0f}x "
                        f"({_ms(lm.get('median_s'))} vs {_ms(a)})", f"≥ {tgt.get('speedup_vs_load_model_min', 50):.0f}x",
                        _status(r_load >= tgt.get("speedup_vs_load_model_min", 50)), src))
        if r_floor is not None:
            out.append(("static", f"masklint / zip+json floor, {m['name']}",
                        f"{_x(r_floor)} (paired {_x(m.get('ratio_masklint_over_floor_paired'))})",
                        f"≤ {tgt.get('masklint_over_floor_max', 2):.0f}x",
                        _status(r_floor <= tgt.get("masklint_over_floor_max", 2)), src))
    fit = (data.get("linearity") or {}).get("fit")
    if fit:
        out.append(("static", "least-squares line over the chains", f"{fit['intercept_ms']:.1f} ms + "
                    f"{fit['slope_us_per_layer']:.1f} µs × layers", "linear", "", src))
    return out, data


def rows_source(quick: bool):
    data, src = _load(*(["source_quick.json", "source.json"] if quick else ["source.json", "source_partial.json"]))
    if data is None:
        return [], None
    out = []
    cores = (data.get("env") or {}).get("cores", "N")
    for key, a in (data.get("analysis") or {}).items():
        fps = a.get("fps", {})
        title = key
        for k, label in (("masklint_j1", "masklint, 1 core"), ("masklint_jN", f"masklint, {cores} cores"),
                         ("floor_1", "libcst parse floor, 1 process"), ("floor_N", f"libcst parse floor, {cores} processes"),
                         ("fixit_1", "Fixit, 1 core"), ("fixit_N", f"Fixit, {cores} cores")):
            v = fps.get(k)
            if v:
                out.append(("source", f"{title} ({a.get('files', '?')} files): {label}", f"{v['median']:,.1f} files/s",
                            "", "", src))
        for t in a.get("targets", []):
            out.append(("source", f"{title} ({a.get('files', '?')} files): target", t.get("shown", str(t.get("value"))),
                        t["target"], _status(t.get("met")), src))
    return out, data


def rows_keras_hub(quick: bool):
    data, src = _load(*([str(RESULTS / "tmp" / "keras_hub_quick.json"), "keras_hub.json"] if quick
                        else ["keras_hub.json"]))
    if data is None:
        return [], None
    c, n = data["commands"], data["files"]
    out = []
    for key, label in (("masklint_noprefilter", "masklint --jobs 1, pre-filter off"),
                       ("ast_floor", "bare ast.parse"), ("cst_floor", "bare libcst.parse_module")):
        if key in c:
            out.append(("keras_hub", f"keras_hub ({n} files): {label}",
                        f"{c[key]['fps_cpu']['median']:,.1f} files per CPU-second", "", "", src))
    t = data["target"]
    out.append(("keras_hub", f"keras_hub ({n} files): masklint --jobs 1 ({data['ratio_vs_cst']:.2f}x the libcst floor)",
                f"{t['measured']:,.1f} files per CPU-second", f"≥ {t['value']:.0f} files per CPU-second",
                _status(t["met"]), src))
    return out, data


def rows_probe(quick: bool):
    data, src = _load(*(["probe_quick.json", "probe.json"] if quick else ["probe.json", "probe_quick.json"]))
    if data is None:
        return [], None
    out = []
    tgt = data.get("targets", {})
    for m in data.get("models", []):
        r = m.get("ratio")
        out.append(("probe", f"`masklint probe` / (load_model + predict), {m['name']}",
                    f"{_x(r)} ({m['probe']['median_s']:.2f} s vs {m['baseline']['median_s']:.2f} s)",
                    f"≤ {tgt.get('ratio_max', 1.5)}x", _status(None if r is None else r <= tgt.get("ratio_max", 1.5)),
                    src))
    return out, data


def rows_scale(quick: bool):
    data, src = _load(*([str(RESULTS / "tmp" / "scale_quick.json"), "scale.json"] if quick else ["scale.json"]))
    if data is None:
        return [], None
    out = []
    st = data.get("static") or {}
    for shape, f in (st.get("fits") or {}).items():
        pr = f["process"]
        marg = ", ".join(f"{v * 1e6:.1f}" for v in f.get("inprocess_marginal_s", []))
        out.append(("scale", f"static, {shape} models: time against layers",
                    f"{pr['intercept_s'] * 1e3:.1f} ms + {pr['slope_s'] * 1e6:.1f} µs × layers (R² {pr['r2']:.4f}, "
                    f"whole process); in-process µs per added layer between sizes: {marg}", "linear", "", src))
    for name, m in (st.get("models") or {}).items():
        out.append(("scale", f"`masklint {name}.keras` ({m['layers']:,} layers), whole process",
                    _ms(m["masklint"]["median_s"]), "", "", src))
    so = data.get("source") or {}
    for key, f in (so.get("fits") or {}).items():
        marg = ", ".join(f"{v * 1e3:.2f}" for v in f.get("marginal_s", []))
        out.append(("scale", f"source, --jobs {key[4:]}: time against files",
                    f"{f['intercept_s'] * 1e3:.0f} ms + {f['slope_s'] * 1e3:.2f} ms × files (R² {f['r2']:.4f}); "
                    f"ms per added file: {marg}", "linear", "", src))
    for name, s in (so.get("sets") or {}).items():
        for key in sorted(k for k in s if k.startswith("jobs")):
            out.append(("scale", f"`masklint {name}/` ({s['files']:,} files), --jobs {key[4:]}",
                        f"{_ms(s[key]['median_s'])} ({s['files'] / s[key]['median_s']:,.0f} files/s)", "", "", src))
    if data.get("plot"):
        out.append(("scale", "plot", f"`{data['plot']}`", "", "", src))
    return out, data


def rows_h5(quick: bool):
    data, src = _load("h5.json")
    if data is None:
        return [], None
    f = data["figures"]
    return [("h5", "reading an `.h5` config: in process / forked child / reused reader process, per file",
             f"{f['in_process_ms']:.2f} / {f['fork_ms']:.2f} / {f['reader_process_ms']:.2f} ms "
             f"(reader start-up once: {f['reader_process_start_ms']:.0f} ms)", "", "", src),
            ("h5", f"directory of {data['files']} `.h5` models: `masklint DIR` / `lint_paths` with a thread running",
             f"{f['cli_walk_s']:.2f} / {f['threaded_api_walk_s']:.2f} s", "", "", src)], data


def rows_notebooks(quick: bool):
    data, src = _load(*(["tmp/notebooks_quick.json", "notebooks.json"] if quick else ["notebooks.json"]))
    if data is None:
        return [], None
    lin, o = data["linearity"], data["outputs"]
    sets = data["sets"]
    small, large = sets[0], [r for r in sets if r["scale"] == 1][-1]
    return [("notebooks", f"`masklint DIR --jobs 1`, {small['notebooks']:,} / {large['notebooks']:,} notebooks "
                          f"({small['code_bytes'] / 1e6:.2f} / {large['code_bytes'] / 1e6:.2f} MB of code)",
             f"{_ms(small['median_s'])} / {_ms(large['median_s'])} ({large['s_per_mb_code']:.2f} s per MB of code)",
             "", "", src),
            ("notebooks", "time per MB of code, largest / smallest set (more notebooks; more code per notebook)",
             f"{_x(lin['per_mb_ratio_notebooks'])} / {_x(lin['per_mb_ratio_code_per_notebook'])}",
             f"≤ {lin['target_max']}x (linear)", _status(lin["met"]), src),
            ("notebooks", f"`masklint NB`: {o['with_outputs_bytes'] / 1e6:.0f} MB of outputs / the same notebook without",
             f"{_x(o['ratio'])} ({_ms(o['with_outputs']['median_s'])} vs {_ms(o['without_outputs']['median_s'])})",
             f"≤ {o['target_max']:.0f}x", _status(o["met"]), src)], data


def rows_lsp(quick: bool):
    data, src = _load(*(["tmp/lsp.json", "lsp.json"] if quick else ["lsp.json"]))
    if data is None:
        return [], None
    st, ch, t = data["startup_s"], data["change_s"], data["targets"]
    return [("lsp", f"`masklint server`: spawn -> `initialize` response ({st['runs']} processes), median / max",
             f"{_ms(st['median'])} / {_ms(st['max'])}", f"< {_ms(t['startup_s'])}", _status(st["median"] < t["startup_s"]), src),
            ("lsp", f"`didChange` -> diagnostics, {data['file_lines']}-line file, debounce off ({ch['runs']} changes), "
                    "median / max", f"{_ms(ch['median'])} / {_ms(ch['max'])}", f"< {_ms(t['change_s'])}",
             _status(ch["median"] < t["change_s"]), src)], data


ROWS = {"static": rows_static, "source": rows_source, "keras_hub": rows_keras_hub, "probe": rows_probe, "scale": rows_scale, "h5": rows_h5,
        "notebooks": rows_notebooks, "lsp": rows_lsp}


def summary(parts, quick: bool, runs_log: list[dict], revision: str | None = None) -> tuple[str, list]:
    rows = []
    missing = []
    for p in parts:
        r, data = ROWS[p](quick)
        if data is None:
            missing.append(p)
        rows += r
    lines = [f"Benchmark summary — {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}, git "
             f"{revision or _env.git_revision() or '?'}, masklint sources {_env.source_digest()}, {_env.cpu_name()} "
             f"({os.cpu_count()} CPUs). Regenerate with `.venv/bin/python bench/run_all.py`"
             f"{' --quick' if quick else ''}; every figure links to the result file it comes from.", ""]
    if runs_log:
        lines.append("Runs: " + "; ".join(f"`{' '.join(r['command'])}` {r['seconds']:.0f} s (exit {r['exit_code']})"
                                          for r in runs_log) + ".")
        lines.append("")
    lines += ["| part | figure | value | target | status | from |", "|---|---|---|---|---|---|"]
    for part, fig, val, tgt, status, src in rows:
        lines.append(f"| {part} | {fig} | {val} | {tgt} | {status} | `{src}` |")
    if missing:
        lines += ["", "No results for: " + ", ".join(missing) + " (not run yet, or the run failed)."]
    return "\n".join(lines) + "\n", rows


README_START = "<!-- bench:summary (written by bench/run_all.py --readme; do not edit by hand) -->"
README_END = "<!-- /bench:summary -->"


def _write_readme(md: str) -> None:
    """Put the summary (its header line and table; links made relative to the repository root) between
    the markers of README.md's Speed section."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    a, b = text.index(README_START) + len(README_START), text.index(README_END)
    body = md.replace("`bench/results/", "`bench/results/")
    readme.write_text(text[:a] + "\n" + body + text[b:], encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated parts to run ({','.join(PARTS)})")
    ap.add_argument("--skip", default="", help="comma-separated parts to leave out")
    ap.add_argument("--quick", action="store_true", help="pass --quick to every part (smoke test)")
    ap.add_argument("--summary-only", action="store_true", help="run nothing; rebuild the summary from the results")
    ap.add_argument("--venv", default=str(ROOT / ".venv"), help="masklint's venv (default <repo>/.venv)")
    ap.add_argument("--readme", action="store_true",
                    help="also write the summary table into README.md's Speed section (between its markers)")
    ap.add_argument("--allow-dirty", action="store_true",
                    help="measure a tree with uncommitted changes (its figures must not be quoted)")
    args = ap.parse_args(argv)
    revision = _env.git_revision()
    if not args.summary_only and revision and revision.endswith("-dirty") and not args.allow_dirty:
        ap.error(f"the tree has uncommitted changes ({revision}): commit first, so that the figures name the "
                 "code they measured (or pass --allow-dirty for a trial run)")
    only = [p for p in args.only.split(",") if p]
    skip = [p for p in args.skip.split(",") if p]
    for p in only + skip:
        if p not in PARTS:
            ap.error(f"unknown part {p!r}; choose from {','.join(PARTS)}")
    parts = [p for p in PARTS if (not only or p in only) and p not in skip]
    python = str(Path(args.venv) / "bin" / "python")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    runs_log = []
    failed = []
    if not args.summary_only:
        for p in parts:
            script = HERE / PARTS[p]
            if not script.exists():
                log(f"== {p}: {script.relative_to(ROOT)} does not exist; skipped")
                continue
            cmd = [python, str(script.relative_to(ROOT))] + (["--quick"] if args.quick and p != "h5" else []) + (
                ["--allow-dirty"] if args.allow_dirty and p == "h5" else [])
            log(f"== {p}: {' '.join(cmd)}")
            t0 = time.perf_counter()
            code = subprocess.run(cmd, cwd=ROOT).returncode
            dt = time.perf_counter() - t0
            runs_log.append({"part": p, "command": [".venv/bin/python"] + cmd[1:], "seconds": round(dt, 1),
                             "exit_code": code})
            log(f"== {p}: exit {code} after {dt:.0f} s")
            if code != 0:
                failed.append(p)
    out = RESULTS / ("tmp/summary_quick" if args.quick else "summary")
    if args.summary_only and out.with_suffix(".json").exists():  # keep the log of the runs it summarises
        try:
            old = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
            runs_log, revision = old.get("runs", []), old.get("revision", revision)
        except (OSError, ValueError):
            pass
    md, rows = summary(parts, args.quick, runs_log, revision)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"revision": revision, "runs": runs_log, "rows": [
        dict(zip(("part", "figure", "value", "target", "status", "from"), r)) for r in rows]}, indent=1) + "\n",
        encoding="utf-8")
    print(md, end="")
    if args.readme and not args.quick:
        _write_readme(md)
        log("rewrote the table in README.md")
    log(f"wrote {out.with_suffix('.md').relative_to(ROOT)}" + (f"; failed parts: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
