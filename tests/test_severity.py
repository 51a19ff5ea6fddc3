"""Per-rule severity overrides: ``[tool.masklint.severity]`` and ``--severity CODE=LEVEL``.

The overridden severity is the finding's severity everywhere: the exit code and ``--fail-on`` (real CLI
runs in a subprocess), every output format, ``--statistics`` and the Python API; ``"ignore"`` drops the
rule. A bad key or value is a configuration error naming the key (exit 2).

The project linted here has one MK102 (error, examples/seed_ex3_masking_after_embedding.py) and one
MK101 (warning, tests/fixtures/realcode/imdb_lstm_nomask.py).
"""
from __future__ import annotations

import json
import os
import shutil

import pytest
from conftest import ROOT, run_cli

from masklint.config import ConfigError, parse_table
from masklint.selection import UsageError
from masklint.severity import apply, parse_cli

ERROR_FILE = os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py")
WARNING_FILE = os.path.join(ROOT, "tests", "fixtures", "realcode", "imdb_lstm_nomask.py")


def project(tmp_path, table: str | None) -> str:
    shutil.copy(ERROR_FILE, tmp_path / "train.py")
    shutil.copy(WARNING_FILE, tmp_path / "imdb.py")
    text = '[project]\nname = "reviews"\n'
    if table is not None:
        text += "\n[tool.masklint]\n" + table
    (tmp_path / "pyproject.toml").write_text(text)
    return str(tmp_path)


def findings(cwd, *args) -> tuple[int, list[dict]]:
    r = run_cli("--format", "json", *args, ".", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def sev(found: list[dict]) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in found}


# -- parsing ------------------------------------------------------------------------------------------
def test_parse_codes_and_names():
    s = parse_table({"severity": {"MK101": "error", "mk204": "info", "unknown-mask-behaviour": "ignore"}},
                    "pyproject.toml", "/p")
    assert s.severity == {"MK101": "error", "MK204": "info", "MK001": "ignore"}
    assert parse_table({}, "pyproject.toml", "/p").severity == {}


@pytest.mark.parametrize("table, key", [
    ({"MK999": "error"}, "severity.MK999"),
    ({"MK1": "error"}, "severity.MK1"),  # one rule per entry, not a prefix
    ({"missing-mask": "fatal"}, "severity.missing-mask"),
    ({"MK101": "Error"}, "severity.MK101"),
    ({"MK101": 2}, "severity.MK101"),
    ("error", "severity"),
])
def test_parse_errors_name_the_key(table, key):
    with pytest.raises(ConfigError) as exc:
        parse_table({"severity": table}, "pyproject.toml", "/p")
    assert str(exc.value).startswith(f"[tool.masklint] {key}: ")


def test_parse_cli():
    assert parse_cli(["MK101=error,MK001=ignore", "padded-targets=info"]) == {
        "MK101": "error", "MK001": "ignore", "MK205": "info"}
    for bad in (["MK101"], ["MK101=loud"], ["MK9=error"]):
        with pytest.raises(UsageError, match="--severity"):
            parse_cli(bad)


def test_apply_command_line_wins_rule_by_rule():
    from masklint.findings import Finding

    fs = [Finding(code="MK101", message="m"), Finding(code="MK102", message="m"), Finding(code="MK001", message="m")]
    kept = apply(fs, {"MK101": "error", "MK102": "info", "MK001": "ignore"}, {"MK102": "warning"})
    assert [(f.code, f.severity) for f in kept] == [("MK101", "error"), ("MK102", "warning")]
    assert apply(fs[:1], None, None) == fs[:1]


# -- the exit code follows the overridden severity (real CLI) -------------------------------------------
def test_defaults_without_a_table(tmp_path):
    cwd = project(tmp_path, None)
    code, found = findings(cwd)
    assert code == 1 and sev(found) == {"MK101": "warning", "MK102": "error"}
    code, _ = findings(cwd, "--fail-on", "error")
    assert code == 1  # the MK102 error


def test_lowered_severity_passes_the_gate(tmp_path):
    cwd = project(tmp_path, '[tool.masklint.severity]\nMK102 = "warning"\nmissing-mask = "info"\n')
    code, found = findings(cwd)
    assert code == 1 and sev(found) == {"MK101": "info", "MK102": "warning"}
    code, _ = findings(cwd, "--fail-on", "error")
    assert code == 0  # neither is an error any more
    r = run_cli(".", "--fail-on", "error", cwd=cwd)
    assert r.returncode == 0 and "Found 2 findings (1 warning, 1 info)" in r.stdout


def test_raised_severity_fails_the_gate(tmp_path):
    cwd = project(tmp_path, 'fail-on = "error"\n[tool.masklint.severity]\nMK102 = "ignore"\n')
    code, found = findings(cwd)
    assert code == 0 and sev(found) == {"MK101": "warning"}  # MK102 dropped, a warning passes fail-on=error
    (tmp_path / "pyproject.toml").write_text((tmp_path / "pyproject.toml").read_text() + 'MK101 = "error"\n')
    code, found = findings(cwd)
    assert code == 1 and sev(found) == {"MK101": "error"}


def test_ignore_everything_is_a_clean_run(tmp_path):
    cwd = project(tmp_path, '[tool.masklint.severity]\nMK101 = "ignore"\nmasking-after-embedding = "ignore"\n')
    r = run_cli(".", cwd=cwd)
    assert r.returncode == 0 and "No findings; 2 files checked." in r.stdout


def test_command_line_overrides_the_configuration(tmp_path):
    cwd = project(tmp_path, '[tool.masklint.severity]\nMK102 = "info"\nMK101 = "info"\n')
    code, found = findings(cwd, "--severity", "MK102=error")
    assert code == 1 and sev(found) == {"MK101": "info", "MK102": "error"}
    code, found = findings(cwd, "--severity", "MK102=ignore,MK101=warning", "--fail-on", "error")
    assert code == 0 and sev(found) == {"MK101": "warning"}


@pytest.mark.parametrize("fast", [True, False])
def test_bad_command_line_value(tmp_path, fast):
    cwd = project(tmp_path, None)
    r = run_cli("--severity", "MK102=loud", ".", cwd=cwd, env=None if fast else {"MASKLINT_NO_FASTPATH": "1"})
    assert r.returncode == 2 and "--severity" in r.stderr and "MK102" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_table_is_a_config_error(tmp_path):
    cwd = project(tmp_path, '[tool.masklint.severity]\nMK102 = "fatal"\n')
    r = run_cli(".", cwd=cwd)
    assert r.returncode == 2 and r.stdout == ""
    assert "severity.MK102" in r.stderr and "fatal" in r.stderr and "pyproject.toml" in r.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.masklint.severity]\nMK777 = "error"\n')
    r = run_cli(".", cwd=cwd)
    assert r.returncode == 2 and "severity.MK777: unknown rule code or name" in r.stderr


def test_per_directory_configuration(tmp_path):
    """The nearest pyproject.toml decides, per file."""
    cwd = project(tmp_path, '[tool.masklint.severity]\nMK102 = "info"\n')
    sub = tmp_path / "legacy"
    sub.mkdir()
    shutil.copy(ERROR_FILE, sub / "old_train.py")
    (sub / "pyproject.toml").write_text("[tool.masklint]\n")
    _, found = findings(cwd)
    assert {(f["path"], f["severity"]) for f in found if f["code"] == "MK102"} == {
        ("train.py", "info"), ("legacy/old_train.py", "error")}


# -- every format shows the overridden severity --------------------------------------------------------
FORMAT_SHOWS = {
    "text": lambda out: "MK102 [info]" in out and "MK101 [error]" in out,
    "json": lambda out: sev(json.loads(out)) == {"MK102": "info", "MK101": "error"},
    "sarif": lambda out: {r["ruleId"]: r["level"] for r in json.loads(out)["runs"][0]["results"]}
    == {"MK102": "note", "MK101": "error"},
    "github": lambda out: "::notice file=train.py" in out and "::error file=imdb.py" in out,
    "markdown": lambda out: "| info | MK102" in out and "| error | MK101" in out,
    "gitlab": lambda out: {i["check_name"]: i["severity"] for i in json.loads(out)}
    == {"MK102": "info", "MK101": "critical"},
    "junit": lambda out: "MK102 masking-after-embedding [info]" in out and "MK101 missing-mask [error]" in out,
}


def test_every_format_shows_the_overridden_severity(tmp_path):
    from masklint.reporters import FORMATS

    assert set(FORMAT_SHOWS) == set(FORMATS)
    cwd = project(tmp_path, '[tool.masklint.severity]\nMK102 = "info"\nMK101 = "error"\n')
    for fmt, shows in FORMAT_SHOWS.items():
        r = run_cli("--format", fmt, ".", cwd=cwd)
        assert r.returncode == 1, (fmt, r.stderr)
        assert shows(r.stdout), (fmt, r.stdout)
    r = run_cli("--statistics", ".", cwd=cwd)
    assert "MK102  [info]" in r.stdout and "MK101  [error]" in r.stdout
    r = run_cli("--statistics", "--format", "json", ".", cwd=cwd)
    assert {s["code"]: s["severity"] for s in json.loads(r.stdout)} == {"MK102": "info", "MK101": "error"}


def test_python_api_follows_the_table(tmp_path):
    from masklint import lint_paths

    cwd = project(tmp_path, '[tool.masklint.severity]\nMK102 = "warning"\nMK101 = "ignore"\n')
    res = lint_paths([cwd])
    assert [(f.code, f.severity) for f in res.findings] == [("MK102", "warning")]


def test_any_table_parses_or_names_the_key():
    """Whatever TOML can hold under [tool.masklint.severity]: a table of overrides or a ConfigError."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalar = st.one_of(st.sampled_from(["info", "warning", "error", "ignore", "Error", ""]), st.text(max_size=8),
                       st.integers(), st.booleans(), st.floats(allow_nan=True))
    key = st.one_of(st.sampled_from(["MK101", "mk001", "missing-mask", "MK1", "ALL"]), st.text(max_size=8))
    value = st.one_of(scalar, st.lists(scalar, max_size=2), st.dictionaries(key, scalar, max_size=3))

    @settings(max_examples=200)
    @given(value)
    def check(table):
        try:
            s = parse_table({"severity": table}, "pyproject.toml", "/p")
        except ConfigError as exc:
            assert str(exc).startswith("[tool.masklint] severity")
        else:
            assert all(v in ("info", "warning", "error", "ignore") for v in s.severity.values())

    check()
