#!/usr/bin/env python3
"""Resource bounds at full size: time and peak memory of the real CLI on hostile inputs.

    .venv/bin/python fuzz/bounds.py            # prints a table; --json FILE to keep it

The test suite (tests/test_hardening.py) checks the same cases, some smaller; this measures them at the
sizes the issue names: a .keras whose config.json inflates to 4 GB (declared, and lying about its
size), a 100 MB config (refused by default; linted with the limit raised), 10,000 files, a directory
with symlink loops and a link to /, 1,200 nested directories. Each row is one `masklint` process run
through tests/test_hardening.py's wrapper, which reports the process's own peak RSS (VmHWM) and fails
on a traceback or an "internal error". Needs the seed models of fuzz/run_fuzz.py (fuzz/.seeds, built
with Keras on its first run) for the 100 MB config.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_hardening as H  # noqa: E402  (the wrapper, bomb and config builders)


def measure(label, args, env=None, expect=None):
    t0 = time.perf_counter()
    run = H.lint(*args, env=env, timeout=900)
    dt = time.perf_counter() - t0
    errs = run.error_lines()
    summary = (errs[0].split(": ", 3)[-1][:110] if errs else
               (run.stdout.strip().splitlines() or ["?"])[-1][:110])
    ok = expect is None or expect(run)
    return {"case": label, "exit": run.code, "seconds": round(dt, 2), "peak_rss_mb": round(run.rss_mb, 1),
            "result": summary, "as_expected": ok}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", default="")
    args = ap.parse_args(argv)
    seed = HERE / ".seeds" / "mk102_after_dense.keras"
    if not seed.exists():
        print("fuzz/.seeds is missing: run fuzz/run_fuzz.py once (it builds the seed models with Keras)",
              file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="masklint-bounds"))
    rows = []
    try:
        # 1. zip bombs
        mib = b" " * (1 << 20)
        stream = H._deflate_repeated(mib, 4_000_000_000 // len(mib))
        usize = (4_000_000_000 // len(mib)) * len(mib)
        bomb = work / "bomb.keras"
        bomb.write_bytes(H._zip_one("config.json", stream, usize))
        liar = work / "liar.keras"
        liar.write_bytes(H._zip_one("config.json", stream, 2048))
        rows.append(measure(f"zip bomb: {bomb.stat().st_size / 1e6:.1f} MB .keras, config.json declares "
                            f"{usize / 1e9:.1f} GB", [str(bomb)], expect=lambda r: r.code == 2))
        rows.append(measure("zip bomb lying about its size (2 KB declared, 4 GB in the stream), "
                            "MASKLINT_MAX_CONFIG_BYTES=0 (no limit)", [str(liar)],
                            env={"MASKLINT_MAX_CONFIG_BYTES": "0"}, expect=lambda r: r.code == 2))
        # 2. 100 MB config
        big = work / "huge.json"
        with open(big, "wb") as fh:
            size = H.write_big_config({"mk102_after_dense": str(seed)}, 100 << 20, fh)
        bigk = work / "huge.keras"
        with zipfile.ZipFile(bigk, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("metadata.json", '{"keras_version": "3.15.1"}')
            with zf.open("config.json", "w", force_zip64=True) as fh, open(big, "rb") as src:
                shutil.copyfileobj(src, fh, 1 << 22)
        layers = json.loads(big.read_bytes())["config"]["layers"]
        n_layers = len(layers)
        del layers
        rows.append(measure(f"{size / 1e6:.0f} MB model.to_json() ({n_layers:,} layers), default limit",
                            [str(big)], expect=lambda r: r.code == 2))
        rows.append(measure(f"the same config in a {bigk.stat().st_size / 1e6:.1f} MB .keras, default limit",
                            [str(bigk)], expect=lambda r: r.code == 2))
        rows.append(measure("the same .keras, MASKLINT_MAX_CONFIG_BYTES=256M: linted", [str(bigk)],
                            env={"MASKLINT_MAX_CONFIG_BYTES": "256M"}, expect=lambda r: r.code == 1))
        # 3. 10,000 files
        many = work / "many"
        for i in range(100):
            d = many / f"d{i:03d}"
            d.mkdir(parents=True)
            for j in range(100):
                text = H.MODEL_PY if (i * 100 + j) % 2 == 0 else f"def f{j}(x):\n    return x + {j}\n"
                (d / f"m{j:03d}.py").write_text(text)
        for jobs in ("1", "2"):
            rows.append(measure(f"10,000 .py files in 100 directories (5,000 Keras scripts), --jobs {jobs}",
                                [str(many), "--jobs", jobs], expect=lambda r: r.code == 1 and
                                "10000 files checked" in r.stdout))
        rows.append(measure("the same, MASKLINT_MAX_FILES=1000", [str(many)], env={"MASKLINT_MAX_FILES": "1000"},
                            expect=lambda r: r.code == 2))
        # 4. symlink loops, a link to /, special files
        top = work / "loops"
        (top / "pkg" / "sub").mkdir(parents=True)
        (top / "pkg" / "model.py").write_text(H.MODEL_PY)
        os.symlink("..", top / "pkg" / "sub" / "up")
        os.symlink(".", top / "loop")
        os.symlink("/", top / "root")
        os.symlink("self.py", top / "self.py")
        os.mkfifo(top / "pipe.py")
        rows.append(measure("directory with `up -> ..`, `loop -> .`, `root -> /`, a self-link, a FIFO",
                            [str(top)], expect=lambda r: r.code == 1 and "1 file checked" in r.stdout))
        # 5. deep directories
        deep = work / "deep"
        deep.mkdir()
        cwd = os.getcwd()
        os.chdir(deep)
        try:
            for _ in range(1200):
                os.mkdir("a")
                os.chdir("a")
            Path("m.py").write_text(H.MODEL_PY)
        finally:
            os.chdir(cwd)
        rows.append(measure("1,200 nested directories", [str(deep)], expect=lambda r: r.code == 1))
    finally:
        os.system(f"rm -rf {str(work)!r}")  # coreutils rm: shutil.rmtree recurses once per level
    w = max(len(r["case"]) for r in rows)
    print(f"{'case':{w}}  exit  seconds  peak RSS  result")
    for r in rows:
        flag = "" if r["as_expected"] else "  UNEXPECTED"
        print(f"{r['case']:{w}}  {r['exit']:>4}  {r['seconds']:7.2f}  {r['peak_rss_mb']:6.0f} MB  {r['result']}{flag}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0 if all(r["as_expected"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
