"""The real CLI in a subprocess: exit codes, text and JSON output, selection, bad files."""
import json
import os
import zipfile

import pytest

from conftest import KERAS2_DIR, ROOT, run_cli

EXAMPLES = os.path.join(ROOT, "examples", "models")


def test_examples_seed_ex3_is_mk102_and_fixed_are_clean():
    r = run_cli(os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras"))
    assert r.returncode == 1, r.stderr
    assert ":masking: MK102 [error]" in r.stdout
    for name in ("fixed_ex1_masking_3d", "fixed_ex2_mask_value", "fixed_ex3_mask_zero"):
        r = run_cli(os.path.join(EXAMPLES, name + ".keras"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "No findings" in r.stdout


def test_examples_directory():
    """The seed article's three examples: MK105 at the Masking line (ex. 1, 2), MK102 (ex. 3, code and
    saved model); the corrected examples, the save script and the fixed models are clean."""
    r = run_cli("examples/")
    assert r.returncode == 1
    lines = sorted(ln for ln in r.stdout.splitlines() if ": MK" in ln)
    assert len(lines) == 4, r.stdout
    assert lines[0].startswith("examples/models/seed_ex3_masking_after_embedding.keras:masking: MK102")
    assert lines[1].startswith("examples/seed_ex1_masking_2d.py:28:9: MK105 [error]")
    assert lines[2].startswith("examples/seed_ex2_multiple_mask_values.py:32:9: MK105 [error]")
    assert lines[3].startswith("examples/seed_ex3_masking_after_embedding.py:35:9: MK102 [error]")
    for stem in ("fixed_ex1_masking_3d", "fixed_ex2_mask_value", "fixed_ex3_mask_zero"):
        assert stem not in r.stdout
        r2 = run_cli(f"examples/{stem}.py")
        assert r2.returncode == 0 and "No findings" in r2.stdout


def test_json_output_schema():
    r = run_cli(os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras"), "--format", "json")
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert isinstance(data, list) and len(data) == 1
    d = data[0]
    assert set(d) == {"code", "name", "severity", "message", "fix", "path", "line", "column", "layer",
                      "consumer", "source", "cell", "autofix"}
    assert d["autofix"] is None  # a saved model has no source to fix
    assert (d["code"], d["name"], d["severity"], d["layer"], d["consumer"], d["source"]) == (
        "MK102", "masking-after-embedding", "error", "masking", "lstm", "model")
    assert d["line"] is None and d["column"] is None


def test_json_empty_is_empty_array():
    r = run_cli(os.path.join(EXAMPLES, "fixed_ex3_mask_zero.keras"), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_fail_on_and_select_ignore():
    warn_only = os.path.join(KERAS2_DIR, "k2_seq_emb_nomask_lstm.h5")  # MK101 warning
    assert run_cli(warn_only).returncode == 1
    assert run_cli(warn_only, "--fail-on", "error").returncode == 0
    assert run_cli(warn_only, "--ignore", "MK101").returncode == 0
    assert run_cli(warn_only, "--ignore", "missing-mask").returncode == 0
    assert run_cli(warn_only, "--select", "MK1").returncode == 1
    assert run_cli(warn_only, "--select", "MK102").returncode == 0
    assert run_cli(warn_only, "--exit-zero").returncode == 0
    r = run_cli(warn_only, "--select", "MK999")
    assert r.returncode == 2 and "unknown rule" in r.stderr


def test_bad_files_exit_2_one_line_and_others_still_linted(tmp_path):
    bad = {
        "truncated.keras": None,
        "garbage.keras": b"\x00\x01not a zip at all",
        "empty.h5": b"",
        "lfs.keras": b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
        "notjson.json": b"{not json",
        "list.json": b"[1, 2, 3]",
        "broken.h5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 100,
    }
    good = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras")
    with open(good, "rb") as fh:
        bad["truncated.keras"] = fh.read()[:3000]
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    args = [str(tmp_path / n) for n in bad] + [good]
    r = run_cli(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    err_lines = r.stderr.strip().splitlines()
    assert len(err_lines) == len(bad), r.stderr
    for ln in err_lines:
        assert ln.startswith("masklint: error: ")
    assert any("Git LFS pointer" in ln for ln in err_lines)
    assert "MK102" in r.stdout  # the good file was still linted


def test_missing_path_exit_2():
    r = run_cli("does/not/exist.keras")
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


def test_zip_without_config_and_layer_config(tmp_path):
    p = tmp_path / "weights_only.keras"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("metadata.json", "{}")
    r = run_cli(str(p))
    assert r.returncode == 2 and "without config.json" in r.stderr
    q = tmp_path / "layer.json"
    q.write_text(json.dumps({"class_name": "Dense", "config": {"units": 2}}))
    r = run_cli(str(q))
    assert r.returncode == 2 and "not a model" in r.stderr


def test_rules_and_rule_commands():
    r = run_cli("rules")
    assert r.returncode == 0
    for code in ("MK001", "MK101", "MK109"):
        assert code in r.stdout
    r = run_cli("rule", "MK102")
    assert r.returncode == 0 and "masking-after-embedding" in r.stdout
    r = run_cli("rule", "mask-dropped")
    assert r.returncode == 0 and "MK104" in r.stdout
    assert run_cli("rule", "MK999").returncode == 2


def test_no_colour_when_piped_and_force_colour():
    good = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras")
    assert "\x1b[" not in run_cli(good).stdout
    assert "\x1b[" in run_cli(good, env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run_cli(good, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_version_and_help():
    r = run_cli("--version")
    assert r.returncode == 0 and "masklint" in r.stdout
    r = run_cli("--help")
    assert r.returncode == 0 and "rules" in r.stdout


def test_directory_walk_skips_venv_and_gitignored(tmp_path):
    src = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras")
    data = open(src, "rb").read()
    for sub in ("models", "venv_like", "ignored", "node_modules", ".git"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "m.keras").write_bytes(data)
    (tmp_path / "venv_like" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "models" / "notes.json").write_text("{}")  # .json only when named explicitly
    r = run_cli(str(tmp_path))
    assert r.returncode == 1
    assert "1 file checked" in r.stdout, r.stdout


@pytest.mark.parametrize("ext", [".keras", ".h5", ".json"])
def test_default_path_is_cwd(tmp_path, ext):
    src = os.path.join(EXAMPLES, "fixed_ex3_mask_zero.keras")
    (tmp_path / "m.keras").write_bytes(open(src, "rb").read())
    r = run_cli(cwd=str(tmp_path))
    assert r.returncode == 0 and "1 file checked" in r.stdout


@pytest.mark.parametrize("args", [
    [],
    ["examples/models"],
    ["examples/models", "--format", "json"],
    ["examples/models", "--format=json", "--select", "MK1", "--ignore=MK102"],
    ["--fail-on", "error", "tests/fixtures/keras2"],
    ["tests/fixtures/keras2", "--select", "missing-mask,MK104", "--exit-zero"],
    ["--", "examples/models/fixed_ex3_mask_zero.keras"],
    ["examples/models", "--select", "MK999"],
    ["examples/models", "--format", "xml"],
    ["nope.keras", "examples/models"],
    ["examples", "--statistics", "--extend-ignore", "MK105"],
    ["examples", "-q", "--format", "github", "--isolated"],
    ["examples/models", "--format=sarif"],
    ["examples", "--format", "markdown", "--extend-select=MK2"],
])
def test_fast_path_and_click_path_agree(args):
    """Plain lint calls skip the click import; both paths must behave identically."""
    fast = run_cli(*args)
    slow = run_cli(*args, env={"MASKLINT_NO_FASTPATH": "1"})
    assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout)
    assert fast.stderr.splitlines()[:1] == slow.stderr.splitlines()[:1] or (
        fast.returncode == 2 and slow.returncode == 2)


def test_rule_docs_ship_in_the_package():
    from masklint.docs import doc_path
    from masklint.findings import RULES

    for code in RULES:
        p = doc_path(code)
        assert p is not None and os.path.basename(os.path.dirname(p)) == "rules_docs"


# -- what a newcomer tripped over --------------------------------------------------------------------

def test_help_names_source_files_too():
    r = run_cli("--help")
    assert r.returncode == 0 and "(.py)" in r.stdout and ".keras" in r.stdout
    r = run_cli("check", "--help")
    assert r.returncode == 0 and "(.py)" in r.stdout


def test_rules_columns_are_aligned():
    from masklint.findings import RULES

    r = run_cli("rules")
    lines = r.stdout.splitlines()
    assert len(lines) == len(RULES)
    # the severity and the summary start in the same column on every line (MK203's name is the longest)
    sev_cols = {ln.index(f" {RULES[ln[:5]].severity} ", 7 + len(RULES[ln[:5]].name)) for ln in lines}
    sum_cols = {ln.index(RULES[ln[:5]].summary) for ln in lines}
    assert len(sev_cols) == 1 and len(sum_cols) == 1, r.stdout


def _merged(*args, cwd=None):
    """stdout and stderr in the order a terminal shows them."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "masklint", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, cwd=cwd or ROOT, env=env, timeout=120)


def test_summary_is_honest_when_a_file_could_not_be_linted(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import keras\ndef f(:\n    pass\n")
    r = run_cli(str(bad))
    assert r.returncode == 2
    assert r.stdout == "1 file could not be linted; 0 files checked.\n"  # no "No findings"
    assert r.stderr.startswith(f"masklint: error: {bad}: syntax error")
    clean = os.path.join(ROOT, "examples", "fixed_ex3_mask_zero.py")
    r = run_cli(str(bad), clean)
    assert r.stdout == "1 file could not be linted; no findings in 1 file checked.\n"
    # on a terminal the summary comes last, after the error line
    m = _merged(str(bad), "examples/seed_ex3_masking_after_embedding.py")
    lines = m.stdout.splitlines()
    assert len(lines) == 4, m.stdout
    assert lines[0].startswith("examples/seed_ex3_masking_after_embedding.py:35:9: MK102 [error]")
    assert lines[1].startswith(f"masklint: error: {bad}: syntax error")
    assert lines[2] == "Found 1 finding (1 error); 1 file checked, 1 file could not be linted."
    assert lines[3] == "[*] 1 fixable with --fix."  # ruff's hint after the verdict
    # the JSON output is unchanged: the findings only
    r = run_cli(str(bad), "--format", "json")
    assert r.returncode == 2 and json.loads(r.stdout) == []


def _main(*args):
    """masklint.cli.main in this process: (exit code)."""
    import gc

    from masklint.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        return exc.code
    finally:
        gc.enable()  # main() turns the cyclic GC off for its run
    raise AssertionError("main() did not exit")


def test_internal_error_is_reported_as_one(monkeypatch, capsys, tmp_path):
    from masklint import analysis

    seed = os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py")
    model = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras")

    def broken(self):
        raise KeyError("a bug")

    monkeypatch.setattr(analysis.Analysis, "run", broken)
    assert _main(seed, model) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"masklint: internal error: {seed}: KeyError: 'a bug' (please report it; --debug shows the traceback)",
        f"masklint: internal error: {model}: KeyError: 'a bug' (please report it; --debug shows the traceback)"]
    assert "Traceback" not in err and out.endswith("2 files could not be linted; 0 files checked.\n")
    # --debug: the same line, then the traceback; the other files are still linted. A RuntimeError
    # that is not the analysis' node budget is a bug too.
    def not_a_limit(self):
        raise RuntimeError("not a limit")

    monkeypatch.setattr(analysis.Analysis, "run", not_a_limit)
    clean = tmp_path / "plain.py"  # no Keras in it: never analysed
    clean.write_text("print('hello')\n")
    assert _main(seed, str(clean), "--debug") == 2
    out, err = capsys.readouterr()
    first, *rest = err.splitlines()
    assert first == f"masklint: internal error: {seed}: RuntimeError: not a limit (please report it; --debug " \
                    "shows the traceback)"
    assert rest[0] == "Traceback (most recent call last):" and rest[-1] == "RuntimeError: not a limit"
    assert "in not_a_limit" in err
    assert out.endswith("1 file could not be linted; no findings in 1 file checked.\n")


def test_analysis_limits_stay_could_not_be_linted(monkeypatch, capsys):
    """The analysis' node budget is the file's problem (one 'error' line), not masklint's bug."""
    from masklint import analysis

    class Tiny(analysis.Analysis):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            self.budget = 1

    monkeypatch.setattr(analysis, "Analysis", Tiny)
    model = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.keras")
    assert _main(model) == 2
    _, err = capsys.readouterr()
    assert err == f"masklint: error: {model}: analysis budget exceeded\n"


def test_unexpected_error_outside_a_file_is_one_line(monkeypatch, capsys):
    from masklint import lint_command

    def broken(*args, **kw):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(lint_command.Project, "lint", broken)
    assert _main(os.path.join(ROOT, "examples")) == 2
    _, err = capsys.readouterr()
    assert err == ("masklint: internal error: ZeroDivisionError: division by zero "
                   "(please report it; --debug shows the traceback)\n")
