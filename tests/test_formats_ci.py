"""``--format gitlab`` (GitLab Code Quality) and ``--format junit`` (JUnit XML), through the real CLI.

Both are checked against their consumers' published schemas, vendored in tests/fixtures/ci_schemas/
(sources and licenses in its README): GitLab's own JSON schema of a Code Quality issue
(``app/validators/json_schemas/codeclimate.json``) plus what GitLab's documentation of the format
requires beyond it, and the Jenkins xUnit plugin's ``junit-10.xsd``, validated with lxml (a full XSD
validation; the tests that need it skip when lxml is not installed, it is in the ``test`` extra).
The outputs for the examples/ directory validate; GitLab fingerprints survive code moving; notebook
findings point at the ``.ipynb`` file's line, as SARIF and GitHub do.
"""
from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT, run_cli

from masklint.findings import Finding
from masklint.reporters import FORMATS, render

SCHEMAS = os.path.join(ROOT, "tests", "fixtures", "ci_schemas")
EXAMPLES = os.path.join(ROOT, "examples")
NOTEBOOKS = os.path.join(ROOT, "tests", "fixtures", "notebooks")
REALCODE = os.path.join(ROOT, "tests", "fixtures", "realcode")
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


# -- validators -------------------------------------------------------------------------------------
def check_gitlab(text: str) -> list[dict]:
    """The report parsed, after checking it against GitLab's schema and documentation."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (the test extra) validates the report")
    with open(os.path.join(SCHEMAS, "gitlab-codeclimate.json"), encoding="utf-8") as fh:
        schema = json.load(fh)
    data = json.loads(text)
    assert isinstance(data, list)  # "a JSON file containing an array of objects"
    for item in data:
        jsonschema.validate(item, schema)
        # documented beyond the schema
        for key in ("description", "check_name", "fingerprint", "severity"):
            assert isinstance(item[key], str) and item[key], (key, item)
        assert item["severity"] in GITLAB_SEVERITIES
        loc = item["location"]
        assert isinstance(loc["path"], str) and loc["path"] and not os.path.isabs(loc["path"])
        assert "\\" not in loc["path"] and not loc["path"].startswith("./")
        assert isinstance(loc["lines"]["begin"], int) and loc["lines"]["begin"] >= 1
        assert loc["lines"]["end"] >= loc["lines"]["begin"]
    fps = [item["fingerprint"] for item in data]
    assert len(fps) == len(set(fps)), "GitLab keeps one issue per fingerprint"
    return data


def check_junit(text: str) -> ET.Element:
    """The document parsed, after validating it against junit-10.xsd (lxml) and checking its counts."""
    etree = pytest.importorskip("lxml.etree", reason="lxml (the test extra) validates against the XSD")
    schema = etree.XMLSchema(etree.parse(os.path.join(SCHEMAS, "junit-10.xsd")))
    doc = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(doc), schema.error_log
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    errors = [c for c in cases if c.find("error") is not None]
    failures = [c for c in cases if c.find("failure") is not None and c.find("error") is None]
    for el in (root, suite):
        assert el.get("tests") == str(len(cases))
        assert el.get("failures") == str(len(failures))
        assert el.get("errors") == str(len(errors))
    assert len({c.get("name") for c in cases}) == len(cases), "one test case per file"
    return root


def lint(*args, cwd=None):
    return run_cli(*args, cwd=cwd or ROOT)


def test_formats_registered():
    assert "gitlab" in FORMATS and "junit" in FORMATS
    # added, never renamed (shared/spec/cli.md)
    assert {"text", "json", "sarif", "github", "markdown"} <= set(FORMATS)


# -- the examples/ directory -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def examples_json():
    r = lint("--format", "json", "examples", "-q")
    assert r.returncode == 1, r.stderr
    return json.loads(r.stdout)


def test_gitlab_examples_validate(examples_json):
    r = lint("--format", "gitlab", "examples")
    assert r.returncode == 1, r.stderr
    issues = check_gitlab(r.stdout)
    assert len(issues) == len(examples_json) > 0
    by_path = {(i["location"]["path"], i["check_name"]) for i in issues}
    assert by_path == {(f["path"], f["code"]) for f in examples_json}
    for issue, f in zip(issues, examples_json):
        assert issue["check_name"] == f["code"]
        assert issue["description"].startswith(f"{f['code']} {f['name']}: ")
        assert issue["severity"] == {"error": "critical", "warning": "major", "info": "info"}[f["severity"]]
        # source findings at their line; model findings (no lines) on line 1, the layer named
        assert issue["location"]["lines"]["begin"] == (f["line"] or 1)
        if f["line"] is None:
            assert f"(layer {f['layer']})" in issue["description"]


def test_junit_examples_validate(examples_json):
    r = lint("--format", "junit", "examples")
    assert r.returncode == 1, r.stderr
    root = check_junit(r.stdout)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    text = lint("examples").stdout  # the summary line (a "[*] N fixable" line may follow it)
    assert f"{len(cases)} files checked" in text  # one test case per linted file, clean ones too
    assert all(n.startswith("examples/") for n in cases)  # relative to where it runs, as users wrote them
    fails = [(c.get("name"), f.get("type")) for c in root.iter("testcase") for f in c.findall("failure")]
    assert sorted(fails) == sorted((f["path"], f["code"]) for f in examples_json)
    passing = [n for n, c in cases.items() if len(c) == 0]
    assert "examples/fixed_ex3_mask_zero.py" in passing
    f = next(iter(root.iter("failure")))
    assert f.get("message").startswith(f"{f.get('type')} ") and "[error]" in f.get("message")
    assert f.text.splitlines()[0].startswith("examples/")  # the text format's line: location first


# -- fingerprints -------------------------------------------------------------------------------------
def _gitlab(tmp_path, *paths):
    r = lint("--format", "gitlab", *paths, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    return check_gitlab(r.stdout)


def test_gitlab_fingerprint_survives_moved_lines(tmp_path):
    src = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.py")
    shutil.copy(src, tmp_path / "train.py")
    shutil.copy(os.path.join(EXAMPLES, "models", "seed_ex3_masking_after_embedding.keras"), tmp_path / "clf.keras")
    before = _gitlab(tmp_path, "train.py", "clf.keras")
    text = (tmp_path / "train.py").read_text()
    head, sep, rest = text.partition("import")
    (tmp_path / "train.py").write_text(head + "# Sentiment model\n# trained on padded reviews\n\n\n" + sep + rest)
    after = _gitlab(tmp_path, "train.py", "clf.keras")
    assert len(before) == len(after) == 2
    for b, a in zip(before, after):
        assert a["fingerprint"] == b["fingerprint"]
    moved = [(b, a) for b, a in zip(before, after) if b["location"]["path"] == "train.py"]
    assert moved and all(a["location"]["lines"]["begin"] == b["location"]["lines"]["begin"] + 4 for b, a in moved)


def test_gitlab_fingerprint_changes_with_content(tmp_path):
    """A different mistake (another rule, another file or another culprit line) is a new issue."""
    shutil.copy(os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.py"), tmp_path / "a.py")
    shutil.copy(os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.py"), tmp_path / "b.py")
    a, b = _gitlab(tmp_path, "a.py", "b.py")
    assert a["fingerprint"] != b["fingerprint"]


def test_gitlab_identical_findings_get_distinct_fingerprints():
    fs = [Finding(code="MK104", message="mask dropped", path="m.keras", layer=None) for _ in range(3)]
    issues = check_gitlab(render("gitlab", fs, files=1, errors=[]))
    assert len({i["fingerprint"] for i in issues}) == 3


# -- notebooks ----------------------------------------------------------------------------------------
def test_notebook_findings_at_the_ipynb_line(tmp_path):
    nb = os.path.join(NOTEBOOKS, "masking_after_embedding.ipynb")
    shutil.copy(nb, tmp_path / "nb.ipynb")
    js = json.loads(lint("--format", "json", "nb.ipynb", cwd=tmp_path).stdout)
    sarif = json.loads(lint("--format", "sarif", "nb.ipynb", cwd=tmp_path).stdout)
    file_line = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    (issue,) = _gitlab(tmp_path, "nb.ipynb")
    (f,) = js
    assert issue["location"] == {"path": "nb.ipynb", "lines": {"begin": file_line, "end": file_line}}
    assert file_line != f["line"]  # the .ipynb file's line, not the cell's
    assert f"cell {f['cell']}, line {f['line']}: " in issue["description"]
    # the .ipynb line holds the culprit's code
    raw_line = (tmp_path / "nb.ipynb").read_text().splitlines()[file_line - 1]
    assert "Masking" in raw_line
    r = lint("--format", "junit", "nb.ipynb", cwd=tmp_path)
    root = check_junit(r.stdout)
    (case,) = root.iter("testcase")
    assert case.get("name") == "nb.ipynb"
    (failure,) = case.findall("failure")
    assert failure.text.startswith(f"nb.ipynb:cell {f['cell']}:{f['line']}:")
    assert f"cell {f['cell']}, line {f['line']}: " in failure.get("message")


def test_notebook_fingerprint_survives_an_inserted_cell(tmp_path):
    nb = os.path.join(NOTEBOOKS, "masking_after_embedding.ipynb")
    shutil.copy(nb, tmp_path / "nb.ipynb")
    (before,) = _gitlab(tmp_path, "nb.ipynb")
    with open(nb, encoding="utf-8") as fh:
        data = json.load(fh)
    data["cells"].insert(1, {"cell_type": "code", "execution_count": None, "id": "extra1", "metadata": {},
                             "outputs": [], "source": ["SEED = 1234\n", "np.random.seed(SEED)"]})
    (tmp_path / "nb.ipynb").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (after,) = _gitlab(tmp_path, "nb.ipynb")
    assert after["fingerprint"] == before["fingerprint"]
    assert after["location"]["lines"]["begin"] > before["location"]["lines"]["begin"]
    assert after["description"] != before["description"]  # cell C + 1 now


# -- clean runs, errors, hostile text -------------------------------------------------------------------
def test_clean_file(tmp_path):
    shutil.copy(os.path.join(EXAMPLES, "fixed_ex3_mask_zero.py"), tmp_path / "ok.py")
    r = lint("--format", "gitlab", "ok.py", cwd=tmp_path)
    assert r.returncode == 0 and check_gitlab(r.stdout) == []
    r = lint("--format", "junit", "ok.py", cwd=tmp_path)
    assert r.returncode == 0
    root = check_junit(r.stdout)
    (case,) = root.iter("testcase")
    assert case.get("name") == "ok.py" and len(case) == 0


def test_unreadable_file_is_reported(tmp_path):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copy(os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.py"), tmp_path / "train.py")
    r = lint("--format", "gitlab", ".", cwd=tmp_path)
    assert r.returncode == 2 and "broken.keras" in r.stderr
    issues = check_gitlab(r.stdout)
    err = [i for i in issues if i["check_name"] == "masklint/could-not-lint"]
    assert [i["location"]["path"] for i in err] == ["broken.keras"] and err[0]["severity"] == "blocker"
    assert any(i["check_name"] == "MK102" for i in issues)
    r = lint("--format", "junit", ".", cwd=tmp_path)
    assert r.returncode == 2
    root = check_junit(r.stdout)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["broken.keras"].find("error") is not None
    assert cases["train.py"].find("failure") is not None
    assert root.get("errors") == "1" and root.get("failures") == "1"


def test_output_file(tmp_path):
    shutil.copy(os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.py"), tmp_path / "train.py")
    r = lint("--format", "junit", "-o", "report.xml", "train.py", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    check_junit((tmp_path / "report.xml").read_text("utf-8"))


def test_hostile_text_stays_valid():
    """Control characters, markup and quotes in paths and messages: still one valid document each."""
    odd = 'we<ird> & "quoted" \x00\x1b[31m \udcff ]]> name'
    fs = [Finding(code="MK102", message=odd, fix=odd, path=f"dir/{odd}.py", line=3, column=1, layer=odd),
          Finding(code="MK001", message="m", path="x.keras", layer="outer/inner")]
    errors = [(f"bad{odd}.h5", f"reason {odd}")]
    root = check_junit(render("junit", fs, files=2, errors=errors, paths=["x.keras", "clean.py"]))
    assert [c.get("name") for c in root.iter("testcase")][:2] == ["x.keras", "clean.py"]
    check_gitlab(render("gitlab", fs, files=2, errors=errors))
    assert json.loads(render("gitlab", [], files=0, errors=[])) == []


def test_any_text_gives_valid_reports():
    """Arbitrary text in every field a report prints (hypothesis, derandomized): both stay valid.
    (Paths are relative, as the CLI gives them for files under the directory it runs in.)"""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from masklint.findings import RULES

    text = st.text(max_size=40)
    finding = st.builds(Finding, code=st.sampled_from(sorted(RULES)), message=text, fix=st.none() | text,
                        path=text.map(lambda s: s.lstrip("/")), line=st.none() | st.integers(1, 10**6),
                        column=st.none() | st.integers(1, 500), layer=st.none() | text,
                        consumer=st.none() | text, cell=st.none() | st.integers(1, 50))

    @settings(max_examples=150)
    @given(st.lists(finding, max_size=4), st.lists(st.tuples(text, text), max_size=2), st.lists(text, max_size=3))
    def check(findings, errors, paths):
        check_junit(render("junit", findings, files=len(paths), errors=errors, paths=paths))
        check_gitlab(render("gitlab", findings, files=len(paths), errors=errors))

    check()
