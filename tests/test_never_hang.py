"""The HDF5 deadline holds in every kind of process.

`fuzz/regressions/h5_attribute_read_loop.h5` makes the HDF5 library spin forever in native code. A
plain CLI run forks a child to read it; a process that has TensorFlow loaded, or runs another thread,
cannot fork safely, and there masklint reads through a spawned reader process with the same deadline.
Each case runs in its own subprocess (the state under test -- TensorFlow imported, a thread running --
is process-wide), with a subprocess timeout far above the deadline so that a regression fails here
instead of hanging the suite.
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

HANG = os.path.join(ROOT, "fuzz", "regressions", "h5_attribute_read_loop.h5")
DEADLINE = 2  # seconds (MASKLINT_H5_TIMEOUT for these tests)

# Prepares the process state, then lints the hanging file (and a good one) through the Python API and
# through the CLI's main() in this same process; prints one JSON line with what came back.
SCRIPT = r"""
import json, os, sys, threading, time
state = sys.argv[1]
if state == "tensorflow":
    import tensorflow  # noqa: F401
elif state == "thread":
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()
import masklint
from masklint import isolation
out = {"fork_safe": isolation.fork_safe()}
t = time.monotonic()
res = masklint.lint_paths([sys.argv[2]])
out["api_errors"] = [e[1] for e in res.errors]
out["api_s"] = time.monotonic() - t
if len(sys.argv) > 3:  # a good file after the hang: the reader process was replaced
    good = masklint.lint_paths([sys.argv[3]])
    out["good_errors"] = [e[1] for e in good.errors]
    out["good_findings"] = sorted(f.code for f in good.findings)
    out["reader_pid"] = isolation.READER.pid
    again = masklint.lint_paths([sys.argv[3]])
    out["reader_pid_again"] = isolation.READER.pid
t = time.monotonic()
from masklint.cli import main
try:
    main([sys.argv[2]])
except SystemExit as exc:
    out["cli_code"] = exc.code
out["cli_s"] = time.monotonic() - t
print("RESULT " + json.dumps(out))
"""


def _run(state, *paths):
    env = dict(os.environ, MASKLINT_H5_TIMEOUT=str(DEADLINE), KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("MASKLINT_H5_IN_PROCESS", None)
    r = subprocess.run([sys.executable, "-c", SCRIPT, state, *paths], capture_output=True, text=True,
                       cwd=ROOT, env=env, timeout=240)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, (r.returncode, r.stdout[-2000:], r.stderr[-3000:])
    return json.loads(lines[-1][7:]), r.stderr


@pytest.mark.parametrize("state", ["tensorflow", "thread"])
def test_hanging_h5_returns_within_the_deadline_where_fork_is_unsafe(state, saved_models):
    pytest.importorskip("tensorflow") if state == "tensorflow" else None
    out, err = _run(state, HANG, saved_models["mk102_seed_sequential.h5"])
    assert out["fork_safe"] is False
    want = f"is a damaged HDF5 file (the HDF5 library did not finish reading it within {DEADLINE} s"
    assert len(out["api_errors"]) == 1 and out["api_errors"][0].startswith(want), out
    # the CLI: exit 2 and one line naming the file
    assert out["cli_code"] == 2, out
    err_lines = [ln for ln in err.splitlines() if ln.startswith("masklint: error:")]
    assert err_lines == [f"masklint: error: {HANG}: {out['api_errors'][0]}"], err
    assert "Traceback" not in err
    # the killed reader was replaced: the next file reads normally, through one reused process
    assert out["good_errors"] == [] and out["good_findings"] == ["MK102"], out
    assert out["reader_pid"] is not None and out["reader_pid"] == out["reader_pid_again"], out


def test_hanging_h5_through_the_cli_in_a_fresh_process():
    """The plain CLI (fork available): the same one line, exit 2."""
    r = run_cli(HANG, env={"MASKLINT_H5_TIMEOUT": str(DEADLINE)})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"masklint: error: {HANG}: is a damaged HDF5 file (the HDF5 library did not finish reading it within "
        f"{DEADLINE} s; MASKLINT_H5_TIMEOUT)"], r.stderr


def _modes(monkeypatch):
    """Read functions for each way of running a task: forked child, reader process, in process."""
    from masklint import h5read, isolation

    def forked(p, m):
        monkeypatch.setattr(isolation, "fork_safe", lambda: True)
        monkeypatch.setattr(isolation, "_FORKS", [0])  # under FORKS_BEFORE_READER: really forks
        return h5read.read_h5_bounded(p, m)

    def reader(p, m):
        monkeypatch.setattr(isolation, "fork_safe", lambda: False)
        return h5read.read_h5_bounded(p, m)

    def direct(p, m):
        monkeypatch.setenv("MASKLINT_IN_PROCESS", "1")
        try:
            return h5read.read_h5_bounded(p, m)
        finally:
            monkeypatch.delenv("MASKLINT_IN_PROCESS")

    return forked, reader, direct


def test_the_reader_process_reads_what_the_fork_reads(saved_models, monkeypatch):
    """Every .h5 fixture gives the same config and version through the fork, the reader process and
    the in-process opt-in; errors are the same one line."""
    from masklint import isolation
    from masklint.errors import LintError

    forked, reader, direct = _modes(monkeypatch)
    paths = [p for k, p in saved_models.items() if k.endswith(".h5")]
    assert paths
    try:
        for p in paths:
            got = forked(p, 64 << 20)
            assert got == reader(p, 64 << 20) == direct(p, 64 << 20)
            assert json.loads(got[0])["class_name"] in ("Sequential", "Functional")
        bad = os.path.join(ROOT, "fuzz", "regressions", "README.md")
        msgs = set()
        for read in (forked, reader, direct):
            with pytest.raises(LintError) as exc:
                read(bad, 1 << 20)
            msgs.add(str(exc.value))
        assert len(msgs) == 1 and "damaged HDF5" in msgs.pop()
    finally:
        isolation.READER.stop()


def test_the_memory_bound_stops_a_runaway_read(tmp_path, monkeypatch):
    """A read that would take more than MASKLINT_CHILD_MEMORY beyond the child's start gets a
    MemoryError in the child, reported as one line; without the bound the same file reads."""
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("the address-space bound needs Linux /proc")
    import h5py

    from masklint import isolation
    from masklint.errors import LintError

    forked, reader, _ = _modes(monkeypatch)
    big = tmp_path / "big_config.h5"
    cfg = json.dumps({"class_name": "Sequential", "config": {"name": "x" * (96 << 20), "layers": []}})
    with h5py.File(big, "w") as f:
        f.attrs["model_config"] = cfg
    try:
        monkeypatch.setenv("MASKLINT_CHILD_MEMORY", "16M")
        for read in (forked, reader):
            with pytest.raises(LintError) as exc:
                read(str(big), None)
            assert str(exc.value) == "is too large to read in the memory available (MASKLINT_CHILD_MEMORY)"
        monkeypatch.setenv("MASKLINT_CHILD_MEMORY", "0")  # no bound
        isolation.READER.stop()
        raw, _ = forked(str(big), None)
        assert len(raw) == len(cfg)
    finally:
        isolation.READER.stop()


# --------------------------------------------------------------------------------------------------
# libcst's native parser on source CPython rejects: run in a child with a deadline
# --------------------------------------------------------------------------------------------------

SLOW_SOURCES = {
    # a syntax error at the end of a long flat chain: libcst backtracks for minutes (measured: 5,000
    # links 22 s, 20,000 over 120 s)
    "conditional_chain_then_error": "import keras\n" + "a if b else " * 5000 + "!\n",
}
CRASHING_SOURCES = {
    # valid Python, flat for CPython; libcst recurses per operand and overflows its stack at ~7,000
    "and_chain": "import keras\nx = " + " and ".join(["a"] * 8000) + "\n",
    "comparison_chain": "import keras\nx = " + " < ".join(["a"] * 8000) + "\n",
}


@pytest.mark.parametrize("state", ["plain", "thread"])
def test_source_that_makes_libcst_spin_gets_one_line_within_the_deadline(tmp_path, state):
    p = tmp_path / "chain.py"
    p.write_text(SLOW_SOURCES["conditional_chain_then_error"])
    if state == "plain":
        r = run_cli(str(p), env={"MASKLINT_PARSE_TIMEOUT": "2"})
        code, err = r.returncode, r.stderr
    else:
        script = ("import sys, threading; threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
                  "from masklint.cli import main\nmain([sys.argv[1]])")
        env = dict(os.environ, MASKLINT_PARSE_TIMEOUT="2")
        r = subprocess.run([sys.executable, "-c", script, str(p)], capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=120)
        code, err = r.returncode, r.stderr
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("masklint: error:")]
    assert lines == [f"masklint: error: {p}: source could not be parsed within 2 s (MASKLINT_PARSE_TIMEOUT); "
                     "it does not parse with this Python either"], err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(CRASHING_SOURCES))
def test_flat_chains_that_overflow_libcst_are_refused(tmp_path, name):
    p = tmp_path / f"{name}.py"
    p.write_text(CRASHING_SOURCES[name])
    r = run_cli(str(p))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.strip().splitlines()[-1] == (
        f"masklint: error: {p}: source is nested too deeply to parse (an expression at line 2 chains 8,000 "
        "operands, over 1,000)"), r.stderr


def test_newer_syntax_still_parses_through_the_child(tmp_path):
    """Source CPython 3.11 rejects but libcst parses (a PEP 695 type alias): linted as before, the
    model in it found."""
    p = tmp_path / "newer.py"
    p.write_text("import keras\nfrom keras import layers\ntype Ids = list[int]\n"
                 "model = keras.Sequential([layers.Embedding(100, 8), layers.Masking(0.0), layers.LSTM(4)])\n")
    import ast
    try:
        ast.parse(p.read_text())
        pytest.skip("this Python parses PEP 695 aliases itself")
    except SyntaxError:
        pass
    r = run_cli(str(p))
    assert r.returncode == 1 and "MK102" in r.stdout, (r.stdout, r.stderr)
