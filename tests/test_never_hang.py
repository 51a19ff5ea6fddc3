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
from masklint import h5read
out = {"fork_safe": h5read.fork_safe()}
t = time.monotonic()
res = masklint.lint_paths([sys.argv[2]])
out["api_errors"] = [e[1] for e in res.errors]
out["api_s"] = time.monotonic() - t
if len(sys.argv) > 3:  # a good file after the hang: the reader process was replaced
    good = masklint.lint_paths([sys.argv[3]])
    out["good_errors"] = [e[1] for e in good.errors]
    out["good_findings"] = sorted(f.code for f in good.findings)
    out["reader_pid"] = h5read._READER.proc.pid if h5read._READER.proc else None
    again = masklint.lint_paths([sys.argv[3]])
    out["reader_pid_again"] = h5read._READER.proc.pid if h5read._READER.proc else None
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


def test_the_reader_process_reads_what_the_fork_reads(saved_models, monkeypatch):
    """Every .h5 fixture gives the same config and version through the fork, the reader process and
    the in-process opt-in."""
    from masklint import h5read

    paths = [p for k, p in saved_models.items() if k.endswith(".h5")]
    assert paths
    try:
        for p in paths:
            forked = h5read._read_forked(p, 64 << 20, 30)
            spawned = h5read._READER.read(p, 64 << 20, 30)
            monkeypatch.setenv("MASKLINT_H5_IN_PROCESS", "1")
            direct = h5read.read_h5_bounded(p, 64 << 20)
            monkeypatch.delenv("MASKLINT_H5_IN_PROCESS")
            assert forked == spawned == direct
            assert json.loads(forked[0])["class_name"] in ("Sequential", "Functional")
        # errors come back as the same one line
        bad = os.path.join(ROOT, "fuzz", "regressions", "README.md")
        with pytest.raises(h5read.LintError) as e1:
            h5read._read_forked(bad, 1 << 20, 30)
        with pytest.raises(h5read.LintError) as e2:
            h5read._READER.read(bad, 1 << 20, 30)
        assert str(e1.value) == str(e2.value) and "damaged HDF5" in str(e1.value)
    finally:
        h5read._READER.stop()


def test_the_memory_bound_stops_a_runaway_read(tmp_path, monkeypatch):
    """A read that would take more than MASKLINT_H5_MEMORY beyond the child's start gets a MemoryError
    in the child, reported as one line; without the bound the same file reads."""
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("the address-space bound needs Linux /proc")
    import h5py

    from masklint import h5read

    big = tmp_path / "big_config.h5"
    cfg = json.dumps({"class_name": "Sequential", "config": {"name": "x" * (96 << 20), "layers": []}})
    with h5py.File(big, "w") as f:
        f.attrs["model_config"] = cfg
    try:
        monkeypatch.setenv("MASKLINT_H5_MEMORY", "16M")
        for read in (h5read._read_forked, h5read._READER.read):
            with pytest.raises(h5read.LintError) as exc:
                read(str(big), None, 60)
            assert str(exc.value) == "is too large to read in the memory available (MASKLINT_H5_MEMORY)"
        monkeypatch.setenv("MASKLINT_H5_MEMORY", "0")  # no bound
        h5read._READER.stop()
        raw, _ = h5read._read_forked(str(big), None, 60)
        assert len(raw) == len(cfg)
    finally:
        h5read._READER.stop()
