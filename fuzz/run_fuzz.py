#!/usr/bin/env python3
"""Standalone fuzzing of every masklint front end (the long run; the test suite runs a bounded one).

    .venv/bin/python fuzz/run_fuzz.py                  # 100,000 inputs, seed 0, all cores
    .venv/bin/python fuzz/run_fuzz.py -n 1000000 --seed 7
    .venv/bin/python fuzz/run_fuzz.py --replay 12345   # re-run one input (prints its outcome)

Input ``i`` is generated from ``random.Random(f"{seed}:{i}")`` alone, so every input can be replayed.
Each input is written to a file and linted with the function the CLI calls per file
(:func:`masklint.runner.lint_file`); its findings are rendered as text and JSON like the CLI does.
Expected outcomes: findings (maybe none), or a :class:`~masklint.errors.LintError` with a one-line,
non-empty reason (the CLI's exit-2 line).  Anything else is a failure: another exception (including
``RecursionError`` and ``MemoryError``), a Python warning the CLI would print next to its report (a
``SyntaxWarning``...), output the CLI could not encode, an input running longer than ``--timeout``
seconds, a worker
killed by a signal (a crash in native code) or silent for longer than the timeout (a hang in native
code).  Failures are saved to ``fuzz/failures/`` (the input, and a ``.txt`` with the reason and the
replay command).

Workers are forked processes (``--jobs``, default: all cores) with an address-space limit
(``--mem-limit``, default 4 GiB), so a crash, hang or memory blow-up is recorded and the run goes on.
Seeds: the repository's saved models (``examples/models``, ``tests/fixtures/keras2``), the models of
``tests/models.py`` saved by Keras once into ``fuzz/.seeds/`` (skipped without Keras, or with
``--no-build-seeds``), the example scripts, 300 generated model scripts
(``bench/source_corpus/make_corpus.py``), and the marshalled Lambda functions of CPython 3.7-3.13 in
``tests/fixtures/lambda_code`` (the ``lambda`` family: mutated, in the Lambda layers of real configs).
"""
from __future__ import annotations

import argparse
import glob
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from multiprocessing.connection import wait
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED_CACHE = HERE / ".seeds"
FAILURES = HERE / "failures"
sys.path.insert(0, str(HERE))

import mutators as M  # noqa: E402
import dir_mutators as D  # noqa: E402

# family -> weight (per cent of the inputs)
FAMILIES = {"config": 31, "json_text": 10, "zip": 10, "h5": 8, "bytes": 5, "py": 30, "py_patho": 3, "lambda": 3,
            "notebook": 6, "savedmodel": 4, "kerasdir": 3}


# --------------------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------------------

BUILD_SEEDS = r"""
import os, sys, warnings
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, sys.argv[2])
import keras, models
out = sys.argv[1]
H5 = {"mk102_seed_sequential", "mk107_conv1d_kernel3", "mk104_ops_multiply", "ok_emb_bilstm_gap",
      "ok_nested_sequential", "mk109_mha_residual", "mk104_lambda"}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name in models.ALL:
        keras.backend.clear_session()
        m = getattr(models, name)()
        m.save(os.path.join(out, name + ".keras"))
        if name in H5:
            m.save(os.path.join(out, name + ".h5"))
print(len(models.ALL))
"""


def build_seeds(log) -> None:
    """Save the models of tests/models.py with Keras into fuzz/.seeds (once)."""
    if SEED_CACHE.is_dir() and any(SEED_CACHE.glob("*.keras")):
        return
    tmp = Path(tempfile.mkdtemp(prefix="seeds", dir=str(HERE)))
    log("building seed models with Keras (once; cached in fuzz/.seeds) ...")
    try:
        r = subprocess.run([sys.executable, "-c", BUILD_SEEDS, str(tmp), str(ROOT / "tests")],
                           capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        log(f"  could not build seeds ({exc}); using the repository's files only")
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if r.returncode != 0:
        log("  could not build seeds: " + (r.stderr.strip().splitlines() or ["?"])[-1])
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if SEED_CACHE.exists():
        shutil.rmtree(SEED_CACHE)
    tmp.rename(SEED_CACHE)
    log(f"  saved {r.stdout.strip()} models")


class Seeds:
    def __init__(self, use_cache: bool = True):
        from masklint.loaders import load

        model_files = sorted(glob.glob(str(ROOT / "examples" / "models" / "*.keras")))
        model_files += sorted(glob.glob(str(ROOT / "tests" / "fixtures" / "keras2" / "*.h5")))
        model_files += sorted(glob.glob(str(ROOT / "tests" / "fixtures" / "keras2" / "*.json")))
        if use_cache:
            model_files += sorted(glob.glob(str(SEED_CACHE / "*.keras")))
            model_files += sorted(glob.glob(str(SEED_CACHE / "*.h5")))
        self.configs: list[dict] = []
        self.config_texts: list[bytes] = []
        self.zips: list[bytes] = []
        self.h5s: list[bytes] = []
        for p in model_files:
            cfg = load(p).config
            self.configs.append(cfg)
            self.config_texts.append(json.dumps(cfg).encode())
            data = Path(p).read_bytes()
            if p.endswith(".keras"):
                self.zips.append(data)
            elif p.endswith(".h5"):
                self.h5s.append(data)
        self.model_files = model_files
        # the keras_metadata.pb of the tf.keras SavedModel fixtures (family savedmodel)
        self.pbs = [Path(p).read_bytes() for p in sorted(glob.glob(str(ROOT / "tests" / "fixtures" / "savedmodel"
                                                                       / "*" / "keras_metadata.pb")))]
        self.sources: list[str] = []
        for p in sorted(glob.glob(str(ROOT / "examples" / "*.py"))):
            self.sources.append(Path(p).read_text(encoding="utf-8"))
        tmp = tempfile.mkdtemp(prefix="fuzzcorpus")
        try:
            subprocess.run([sys.executable, str(ROOT / "bench" / "source_corpus" / "make_corpus.py"), tmp,
                            "--n", "300", "--seed", "20261124"], check=True, capture_output=True, timeout=300)
            for p in sorted(glob.glob(os.path.join(tmp, "*.py"))):
                self.sources.append(Path(p).read_text(encoding="utf-8"))
        except (OSError, subprocess.SubprocessError):
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

        sys.path.insert(0, str(ROOT / "bench" / "source_corpus"))
        import notebook_corpus

        # notebooks cut from the generated scripts (the last 60 of them), with markdown, magics and outputs
        generated = self.sources[-60:] or self.sources or ["import keras\n"]
        self.notebooks: list[dict] = notebook_corpus.fuzz_seeds(generated, 60, 20261205)

    def describe(self) -> str:
        return (f"{len(self.configs)} model configs ({len(self.zips)} .keras, {len(self.h5s)} .h5), "
                f"{len(self.sources)} scripts, {len(self.notebooks)} notebooks")


# --------------------------------------------------------------------------------------------------
# Generation (deterministic per index)
# --------------------------------------------------------------------------------------------------

_MARSHAL_SEEDS: list[bytes] = []


def marshal_seeds() -> list[bytes]:
    """Real ``marshal.dumps(fn.__code__)`` bytes of CPython 3.7-3.13 (tests/fixtures/lambda_code)."""
    if not _MARSHAL_SEEDS:
        import base64

        for p in sorted(glob.glob(str(ROOT / "tests" / "fixtures" / "lambda_code" / "py3.*.json"))):
            doc = json.loads(Path(p).read_text(encoding="utf-8"))
            _MARSHAL_SEEDS.extend(base64.b64decode(s["marshal_b64"]) for s in doc["samples"])
    return _MARSHAL_SEEDS


def lambda_input(seeds: Seeds, rnd: random.Random) -> tuple[str, bytes]:
    """A real model config with a Lambda layer whose function (and sometimes ``mask``) is mutated
    marshal bytes: the target is masklint's code-object reader (masklint/knowledge/lambda_code.py), which must
    read them as data -- a record or nothing, no exception, no hang."""
    import codecs
    import copy

    def lambdas(cfg):
        layers = (cfg.get("config") or {}).get("layers") if isinstance(cfg, dict) else None
        return [e for e in layers or [] if isinstance(e, dict) and e.get("class_name") == "Lambda"
                and isinstance(e.get("config"), dict)]

    def fn_value():
        r = rnd.random()
        if r < 0.85:
            raw = M.mutate_bytes(rnd.choice(marshal_seeds()), rnd, rnd.choice([1, 1, 2, 3, 6]))
        elif r < 0.95:
            raw = rnd.choice(marshal_seeds())
        else:
            raw = b"\xe3" + rnd.randbytes(rnd.randrange(200))
        code = codecs.encode(raw, "base64").decode("ascii")
        if rnd.random() < 0.5:  # Keras 3
            return {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}
        return [code, None, None]  # Keras 2

    with_lambda = [c for c in seeds.configs if lambdas(c)]
    cfg = copy.deepcopy(rnd.choice(with_lambda or seeds.configs))
    for lay in lambdas(cfg):
        lay["config"]["function"] = fn_value()
        if rnd.random() < 0.3:
            lay["config"]["mask"] = fn_value()
    return M.serialise_config(cfg, rnd)


_FAMILY_TABLE = [f for f, w in FAMILIES.items() for _ in range(w)]


def generate(seeds: Seeds, seed: int, i: int, families=None) -> tuple[str, str, bytes]:
    """(family, ext, data) of input ``i``."""
    rnd = random.Random(f"{seed}:{i}")
    table = [f for f in _FAMILY_TABLE if not families or f in families]
    fam = rnd.choice(table)
    if fam == "config":
        k = rnd.randrange(len(seeds.configs))
        cfg = M.mutate_config(seeds.configs[k], rnd, rnd.choice([1, 1, 2, 3, 5, 8]))
        ext, data = M.serialise_config(cfg, rnd)
    elif fam == "json_text":
        raw = rnd.choice(seeds.config_texts)
        raw = M.mutate_json_text(raw, rnd, rnd.choice([1, 1, 2, 4]))
        if rnd.random() < 0.6:
            ext, data = ".keras", M.keras_zip(raw)
        else:
            ext, data = ".json", raw
    elif fam == "zip":
        r = rnd.random()
        base = rnd.choice(seeds.zips) if seeds.zips else M.keras_zip(rnd.choice(seeds.config_texts))
        if r < 0.4:
            data = M.mutate_bytes(base, rnd, rnd.choice([1, 2, 4, 16]))
        elif r < 0.7:
            data = M.forge_zip(base, rnd)
        elif r < 0.8:
            data = base[:rnd.randrange(len(base) + 1)]
        else:
            data = M.special_zip(rnd, rnd.choice(seeds.config_texts))
        ext = rnd.choice([".keras"] * 9 + [".h5"])
    elif fam == "h5":
        if rnd.random() < 0.65 and seeds.h5s:
            base = rnd.choice(seeds.h5s)
            if rnd.random() < 0.8:
                data = M.mutate_bytes(base, rnd, rnd.choice([1, 2, 4, 16, 64]))
            else:
                data = base[:rnd.randrange(len(base) + 1)]
        else:
            data = M.h5_attr_variants(rnd, rnd.choice(seeds.config_texts))
        ext = rnd.choice([".h5", ".hdf5"])
    elif fam == "bytes":
        ext, data = M.random_bytes(rnd)
    elif fam == "py":
        text = rnd.choice(seeds.sources)
        data = M.mutate_source(text, rnd, rnd.choice([1, 1, 2, 3, 6, 12]))
        ext = ".py" if rnd.random() < 0.95 else ".pyi"
    elif fam == "lambda":
        ext, data = lambda_input(seeds, rnd)
    elif fam == "notebook":
        ext = ".ipynb"
        data = M.mutate_notebook(rnd.choice(seeds.notebooks), rnd, rnd.choice([1, 1, 2, 3, 6]))
    elif fam == "savedmodel":
        ext, data = ".savedmodel", D.savedmodel_input(rnd, seeds.pbs, seeds.config_texts)
    elif fam == "kerasdir":
        ext, data = ".kerasdir", D.kerasdir_input(rnd, seeds.config_texts)
    else:
        ext, data = ".py", M.pathological_source(rnd)
    return fam, ext, data


# --------------------------------------------------------------------------------------------------
# Checking one input
# --------------------------------------------------------------------------------------------------

class InputTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise InputTimeout()


def _output_errors() -> str:
    """The error handler the CLI writes its output with (strict where it sets none)."""
    from masklint import cli

    if hasattr(cli, "_safe_output"):
        import codecs

        try:
            codecs.lookup_error("masklint")
        except LookupError:
            cli._safe_output()
        return "masklint"
    return "strict"


def check_file(path: str) -> str:
    """Lint ``path`` like the CLI; returns the outcome, raises on a failure."""
    from masklint.errors import LintError
    from masklint.reporters.json_format import format_json
    from masklint.reporters.text import format_text
    from masklint.runner import lint_file

    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:
            findings = lint_file(path)
    except LintError as exc:
        msg = str(exc)
        if not msg or "\n" in msg or "\r" in msg:
            raise AssertionError(f"LintError message is not one non-empty line: {msg!r}") from None
        line = f"masklint: error: {path}: {msg}\n"
        line.encode("utf-8", _output_errors())  # what the CLI writes to stderr must be encodable
        return "lint_error"
    if caught:  # the CLI would print it to stderr, next to the report
        w = caught[0]
        raise AssertionError(f"printed a warning: {w.category.__name__}: {w.message}")
    errors = _output_errors()
    for f in findings:
        format_text(f, False).encode("utf-8", errors)
    format_json(findings).encode("utf-8", errors)
    return "findings" if findings else "clean"


def _worker(wid: int, indices: list[int], seed: int, families, timeout: float, mem_limit: int,
            workdir: str, conn, tensorflow: bool = False) -> None:  # pragma: no cover - child process
    import gc
    import resource

    if tensorflow:  # before the address-space limit: TensorFlow maps gigabytes it never touches
        import tensorflow  # noqa: F401 - masklint then cannot fork: it uses its reader process
    if mem_limit:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGALRM, _alarm)
    # an HDF5 read that never ends is killed (and reported as a damaged file) well within the timeout
    os.environ["MASKLINT_H5_TIMEOUT"] = str(max(1, int(timeout / 3)))
    seeds = SEEDS
    os.makedirs(workdir, exist_ok=True)
    gc.enable()
    parent = os.getppid()
    for n, i in enumerate(indices):
        if os.getppid() != parent:  # the parent was killed: stop too
            os._exit(1)
        try:
            fam, ext, data = generate(seeds, seed, i, families)
        except Exception:  # noqa: BLE001 - a bug of the fuzzer, not of masklint: counted apart
            conn.send((i, "generator", ".txt", "generator_error", traceback.format_exc()[-2000:], 0.0))
            continue
        path = D.write_input(workdir, ext, data)  # a directory for the savedmodel/kerasdir families
        t0 = time.perf_counter()
        err = None
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            outcome = check_file(path)
        except InputTimeout:
            outcome, err = "failure", f"took longer than {timeout:.0f} s"
        except BaseException as exc:  # noqa: BLE001 - every other exception is a failure
            outcome = "failure"
            err = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        dt = time.perf_counter() - t0
        conn.send((i, fam, ext, outcome, err, dt))
        if n % 200 == 199:
            gc.collect()
    conn.send(None)
    conn.close()


SEEDS: Seeds | None = None  # set in the parent before forking


def save_failure(seed: int, i: int, fam: str, ext: str, reason: str, families) -> Path:
    FAILURES.mkdir(parents=True, exist_ok=True)
    try:
        _, _, data = generate(SEEDS, seed, i, families)
    except Exception:  # noqa: BLE001
        data = b""
    stem = f"{fam}-s{seed}-{i}"
    p = FAILURES / (stem + ext)
    p.write_bytes(data)
    (FAILURES / (stem + ".txt")).write_text(
        f"input {i} of seed {seed}, family {fam}\nreplay: .venv/bin/python fuzz/run_fuzz.py --seed {seed} "
        f"--replay {i}\nor: .venv/bin/masklint {os.path.relpath(p, ROOT)}\n\n{reason}\n", encoding="utf-8")
    return p


def run(args, log) -> dict:
    global SEEDS
    families = set(args.families.split(",")) if args.families else None
    if not args.no_build_seeds:
        build_seeds(log)
    t_seed = time.perf_counter()
    SEEDS = Seeds(use_cache=not args.no_build_seeds)
    log(f"seeds: {SEEDS.describe()} ({time.perf_counter() - t_seed:.1f} s)")
    import masklint.runner  # noqa: F401 - imported before forking, so workers start warm
    import masklint.lint  # noqa: F401
    import masklint.source_lint  # noqa: F401
    import masklint.frontends.source  # noqa: F401
    import libcst  # noqa: F401
    import h5py  # noqa: F401

    jobs = args.jobs or len(os.sched_getaffinity(0))
    todo = list(range(args.start, args.start + args.n))
    queues = [todo[w::jobs] for w in range(jobs)]
    work_root = Path(tempfile.mkdtemp(prefix="masklint-fuzz", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    ctx = mp.get_context("fork")
    counts: dict[str, dict[str, int]] = {}
    slow: list[tuple[float, int, str]] = []
    secs: dict[str, float] = {}
    failures: list[dict] = []
    done = 0
    t0 = time.perf_counter()
    last_report = t0

    class Slot:
        def __init__(self, w):
            self.w = w
            self.pending = queues[w]
            self.start()

        def start(self):
            r, s = ctx.Pipe(duplex=False)
            self.conn = r
            self.proc = ctx.Process(target=_worker, args=(self.w, self.pending, args.seed, families, args.timeout,
                                                           args.mem_limit, str(work_root / f"w{self.w}"), s,
                                                           args.tensorflow),
                                    daemon=True)
            self.proc.start()
            s.close()
            self.last = time.perf_counter()
            self.finished = not self.pending

    def record_failure(i, fam, ext, reason):
        p = save_failure(args.seed, i, fam, ext, reason, families)
        failures.append({"index": i, "family": fam, "ext": ext, "reason": reason.strip().splitlines()[-1][:300],
                         "file": os.path.relpath(p, ROOT)})
        log(f"  FAILURE #{len(failures)}: input {i} ({fam}{ext}): {failures[-1]['reason']}")

    slots = [Slot(w) for w in range(jobs)]
    while any(not s.finished for s in slots):
        live = {s.conn: s for s in slots if not s.finished}
        ready = wait(list(live) + [s.proc.sentinel for s in live.values()], timeout=1.0)
        now = time.perf_counter()
        for s in list(live.values()):
            got = False
            while s.conn in ready or s.conn.poll():
                ready = [x for x in ready if x is not s.conn]
                try:
                    msg = s.conn.recv()
                except (EOFError, OSError):
                    break
                got = True
                if msg is None:
                    s.finished = True
                    break
                i, fam, ext, outcome, err, dt = msg
                s.pending = s.pending[1:]
                done += 1
                counts.setdefault(fam, {}).setdefault(outcome, 0)
                counts[fam][outcome] += 1
                slow.append((dt, i, fam))
                secs[fam] = secs.get(fam, 0.0) + dt
                if len(slow) > 200:
                    slow.sort(reverse=True)
                    del slow[20:]
                if outcome == "failure":
                    record_failure(i, fam, ext, err or "?")
                elif outcome == "generator_error":
                    log(f"  generator error on input {i}: {(err or '').strip().splitlines()[-1]}")
            if got:
                s.last = now
            if s.finished:
                s.proc.join(5)
                continue
            dead = not s.proc.is_alive()
            hung = now - s.last > args.timeout + 30
            if dead or hung:
                if dead:  # read what it sent before it died
                    while s.conn.poll():
                        try:
                            msg = s.conn.recv()
                        except (EOFError, OSError):
                            break
                        if msg is None:
                            s.finished = True
                            break
                        i, fam, ext, outcome, err, dt = msg
                        s.pending = s.pending[1:]
                        done += 1
                        counts.setdefault(fam, {}).setdefault(outcome, 0)
                        counts[fam][outcome] += 1
                        if outcome == "failure":
                            record_failure(i, fam, ext, err or "?")
                    if s.finished:
                        continue
                    s.proc.join(1)
                    code = s.proc.exitcode
                    reason = (f"worker killed by signal {-code} ({signal.Signals(-code).name})" if code and code < 0
                              else f"worker exited with code {code}")
                else:
                    s.proc.kill()
                    s.proc.join(5)
                    reason = f"no answer for {args.timeout + 30:.0f} s (hang in native code?)"
                if not s.pending:
                    s.finished = True
                    continue
                i = s.pending[0]
                try:
                    fam, ext, _ = generate(SEEDS, args.seed, i, families)
                except Exception:  # noqa: BLE001
                    fam, ext = "generator", ".txt"
                done += 1
                counts.setdefault(fam, {}).setdefault("failure", 0)
                counts[fam]["failure"] += 1
                record_failure(i, fam, ext, reason)
                s.pending = s.pending[1:]
                if s.pending:
                    s.start()
                else:
                    s.finished = True
        if now - last_report > 30:
            last_report = now
            el = now - t0
            log(f"  {done:,}/{args.n:,} inputs, {len(failures)} failures, {el:.0f} s ({done / el:.0f}/s)")
    elapsed = time.perf_counter() - t0
    shutil.rmtree(work_root, ignore_errors=True)
    slow.sort(reverse=True)
    return {"seed": args.seed, "start": args.start, "inputs": done, "failures": failures, "jobs": jobs,
            "seconds": round(elapsed, 1), "per_second": round(done / elapsed, 1), "counts": counts, "family_seconds": {k: round(v, 1) for k, v in secs.items()},
            "masklint": __import__("masklint").__file__,
            "slowest": [{"index": i, "family": f, "seconds": round(d, 2)} for d, i, f in slow[:10]],
            "seeds": SEEDS.describe(), "timeout_s": args.timeout, "mem_limit": args.mem_limit,
            "tensorflow_loaded": args.tensorflow, "revision": args.revision}


def _revision() -> str | None:
    """The commit measured (``-dirty`` when the tree had uncommitted changes)."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def replay(args) -> int:
    global SEEDS
    families = set(args.families.split(",")) if args.families else None
    SEEDS = Seeds(use_cache=not args.no_build_seeds)
    fam, ext, data = generate(SEEDS, args.seed, args.replay, families)
    d = tempfile.mkdtemp(prefix="replay")
    p = D.write_input(d, ext, data)
    print(f"input {args.replay}: family {fam}, {len(data)} bytes, written to {p}")
    print("outcome:", check_file(p))
    return 0


def main(argv=None) -> int:
    global FAILURES
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100_000, help="number of inputs (default 100,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="first input index (to split or resume a run)")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds one input may take (default 30)")
    ap.add_argument("--mem-limit", type=int, default=4 << 30, help="address-space limit per worker, bytes")
    ap.add_argument("--families", default="", help=f"comma-separated subset of {','.join(FAMILIES)}")
    ap.add_argument("--no-build-seeds", action="store_true", help="do not build or use fuzz/.seeds")
    ap.add_argument("--replay", type=int, default=None, help="run input N in this process and print its outcome")
    ap.add_argument("--tensorflow", action="store_true",
                    help="import TensorFlow in every worker first, as a notebook or training script has it: "
                         "masklint then reads HDF5 and parses rejected source through its reader process")
    ap.add_argument("--json", default="", help="also write the summary as JSON to this file")
    ap.add_argument("--failures", default=str(FAILURES), help="where failing inputs are saved (default fuzz/failures)")
    args = ap.parse_args(argv)
    if args.families and not set(args.families.split(",")) <= set(FAMILIES):
        ap.error(f"--families: choose from {','.join(FAMILIES)}")
    FAILURES = Path(args.failures).resolve()
    args.revision = _revision()  # the tree at the start of the run
    if args.replay is not None:
        return replay(args)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = run(args, log)
    gen_errors = res["counts"].get("generator", {}).get("generator_error", 0)
    res["linted"] = res["inputs"] - gen_errors
    print(f"inputs: {res['inputs']:,} (seed {res['seed']}, indices {res['start']}..{res['start'] + args.n - 1}); "
          f"linted: {res['linted']:,}" + (f" ({gen_errors} could not be generated: a fuzzer bug)" if gen_errors else ""))
    print(f"failures: {len(res['failures'])}")
    print(f"masklint: {res['masklint']}")
    print(f"time: {res['seconds']:.1f} s ({res['per_second']:.0f} inputs/s, {res['jobs']} workers)")
    print("per family (outcome: count):")
    for fam in FAMILIES:
        if fam in res["counts"]:
            c = res["counts"][fam]
            t = res["family_seconds"].get(fam, 0.0)
            print(f"  {fam:10s} " + ", ".join(f"{k} {v:,}" for k, v in sorted(c.items()))
                  + f"  ({t:.0f} s in workers, {t / max(1, sum(c.values())) * 1e3:.1f} ms/input)")
    print("slowest inputs: " + ", ".join(f"#{s['index']} {s['family']} {s['seconds']:.1f} s" for s in res["slowest"][:5]))
    if res["failures"]:
        print(f"failing inputs saved in {os.path.relpath(FAILURES, ROOT)}/")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
