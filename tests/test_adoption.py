"""Adopting masklint on legacy code: baselines, statistics, quiet, stdin, output files, progress."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

from conftest import ROOT, run_cli

EXAMPLES = os.path.join(ROOT, "examples")

DROPPED = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input((None, 3)),
    layers.Masking(0.0),
    layers.Conv1D(8, 1),
    layers.LSTM(4),
])
"""
AFTER_EMBEDDING = """\
import keras
from keras import layers

clf = keras.Sequential([
    keras.Input((None,), dtype="int32"),
    layers.Embedding(1000, 16),
    layers.Masking(0.0),
    layers.LSTM(8),
])
"""


def legacy_repo(tmp_path):
    """A repository with 3 findings: two in code, one in a saved model."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "dropped.py").write_text(DROPPED)
    (tmp_path / "src" / "clf.py").write_text(AFTER_EMBEDDING)
    (tmp_path / "models").mkdir()
    shutil.copy(os.path.join(EXAMPLES, "models", "seed_ex3_masking_after_embedding.keras"),
                tmp_path / "models" / "seed.keras")
    return str(tmp_path)


def findings(r):
    return json.loads(r.stdout)


def test_baseline_reports_only_new_findings(tmp_path):
    d = legacy_repo(tmp_path)
    r = run_cli(".", "--format", "json", cwd=d)
    assert r.returncode == 1 and len(findings(r)) == 3
    r = run_cli(".", "--write-baseline", "masklint-baseline.json", cwd=d)
    assert r.returncode == 0 and "Wrote 3 findings" in r.stderr, r.stderr
    data = json.loads((tmp_path / "masklint-baseline.json").read_text())
    assert data["tool"] == "masklint" and len(data["findings"]) == 3
    r = run_cli(".", "--baseline", "masklint-baseline.json", cwd=d)
    assert r.returncode == 0 and "No findings" in r.stdout and "3 more in the baseline" in r.stdout, r.stdout

    # code moves: a new model above the old ones, blank lines, a comment -- same mistakes, other lines
    src = tmp_path / "src" / "dropped.py"
    moved = DROPPED.replace("model = keras.Sequential", "\n\n# the old model, unchanged\nmodel = keras.Sequential")
    new_model = textwrap.dedent("""\
        import keras
        from keras import layers

        extra = keras.Sequential([
            keras.Input((None, 3)),
            layers.Masking(0.0),
            layers.Flatten(),
            layers.Dense(1),
        ])
        ok = keras.Sequential([keras.Input((None, 3)), layers.Masking(0.0), layers.LSTM(4)])
    """)
    src.write_text(new_model + moved.split("from keras import layers\n", 1)[1])
    r = run_cli(".", "--baseline", "masklint-baseline.json", "--format", "json", cwd=d)
    new = findings(r)
    assert r.returncode == 1
    assert [(f["path"], f["code"], f["line"]) for f in new] == [("src/dropped.py", "MK107", 7)], new
    # the old Conv1D finding moved from line 7 to line 18 and is still suppressed
    r = run_cli(".", "--format", "json", cwd=d)
    lines = sorted((f["path"], f["code"], f["line"]) for f in findings(r))
    assert ("src/dropped.py", "MK104", 18) in lines and len(lines) == 4


def test_baseline_counts_duplicates_and_rejects_bad_files(tmp_path):
    d = legacy_repo(tmp_path)
    run_cli(".", "--write-baseline", "b.json", cwd=d)
    # a second, identical mistake in the same file is new although its text matches a baseline entry
    clf = tmp_path / "src" / "clf.py"
    clf.write_text(AFTER_EMBEDDING + AFTER_EMBEDDING.split("\n", 3)[3].replace("clf =", "clf2 ="))
    r = run_cli(".", "--baseline", "b.json", "--format", "json", cwd=d)
    assert [f["code"] for f in findings(r)] == ["MK102"] and r.returncode == 1
    (tmp_path / "bad.json").write_text("[1, 2")
    r = run_cli(".", "--baseline", "bad.json", cwd=d)
    assert r.returncode == 2 and r.stderr.strip() == "masklint: error: bad.json: is not a masklint baseline (not valid JSON)"
    r = run_cli(".", "--baseline", "missing.json", cwd=d)
    assert r.returncode == 2 and "missing.json" in r.stderr and "Traceback" not in r.stderr


def test_statistics_quiet_and_output_file(tmp_path):
    d = legacy_repo(tmp_path)
    r = run_cli(".", "--statistics", cwd=d)
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["2  MK102  [error]  masking-after-embedding", "1  MK104  [error]  mask-dropped"]
    r = run_cli(".", "--statistics", "--format", "json", cwd=d)
    assert [(s["code"], s["count"]) for s in json.loads(r.stdout)] == [("MK102", 2), ("MK104", 1)]
    r = run_cli(".", "-q", cwd=d)
    assert len(r.stdout.splitlines()) == 3 and "Found" not in r.stdout
    r = run_cli(".", "--format", "json", "--output-file", "report.json", cwd=d)
    assert r.returncode == 1 and r.stdout == ""
    assert len(json.loads((tmp_path / "report.json").read_text())) == 3


def test_stdin_filename_for_editors(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.masklint.per-file-ignores]\n'legacy/*' = ['MK104']\n")
    cmd = [sys.executable, "-m", "masklint", "-", "--stdin-filename", "src/train.py", "--format", "json"]
    r = subprocess.run(cmd, input=DROPPED, capture_output=True, text=True, cwd=str(tmp_path), timeout=60)
    f, = json.loads(r.stdout)
    assert (f["path"], f["line"], f["code"], r.returncode) == ("src/train.py", 7, "MK104", 1)
    # the configuration is found from the name given
    cmd[5] = "legacy/train.py"
    r = subprocess.run(cmd, input=DROPPED, capture_output=True, text=True, cwd=str(tmp_path), timeout=60)
    assert json.loads(r.stdout) == [] and r.returncode == 0
    # a model's bytes on stdin
    with open(os.path.join(EXAMPLES, "models", "seed_ex3_masking_after_embedding.keras"), "rb") as fh:
        raw = fh.read()
    r = subprocess.run([sys.executable, "-m", "masklint", "-", "--stdin-filename", "m.keras"], input=raw,
                       capture_output=True, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 1 and r.stdout.startswith(b"m.keras:masking: MK102")
    # broken source on stdin: one line, exit 2
    r = subprocess.run([sys.executable, "-m", "masklint", "-"], input="import keras\ndef f(:\n", capture_output=True,
                       text=True, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("masklint: error: -: syntax error")


def test_no_progress_bar_when_piped(tmp_path):
    for i in range(60):
        (tmp_path / f"m{i}.py").write_text(DROPPED)
    r = run_cli(".", "-q", cwd=str(tmp_path))
    assert r.returncode == 1 and r.stderr == "" and "\r" not in r.stdout


def test_progress_bar_on_a_terminal(tmp_path):
    import pty

    for i in range(60):
        (tmp_path / f"m{i}.py").write_text(DROPPED)
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MASKLINT_NO_PROGRESS")}
    p = subprocess.Popen([sys.executable, "-m", "masklint", ".", "--format", "json", "--jobs", "1"],
                         stdout=subprocess.PIPE, stderr=slave, cwd=str(tmp_path), env=env)
    out, _ = p.communicate(timeout=120)
    os.close(slave)
    err = b""
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            err += chunk
    except OSError:
        pass
    os.close(master)
    assert len(json.loads(out)) == 60
    assert b"60/60 files" in err and b"\r" in err
