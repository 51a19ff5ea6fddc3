"""SARIF 2.1.0 output (``--format sarif``), for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` lists every rule with its document as help; each result carries the
rule id and index, a level, the message with its fix, a location and a stable
``partialFingerprints`` entry. Source findings point at file/line/column; model findings at the model
file, with the culprit's layer path as a logical location; notebook findings at the line and column of
the ``.ipynb`` file where the cell line is stored, ``cell C, line L`` in the message and the cell in
``properties`` (:mod:`.cells`). Files that could not be linted become
``toolExecutionNotifications`` of the invocation. Valid against the OASIS SARIF 2.1.0 schema
(tests/test_formats.py checks it offline).
"""
from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

from .._version import __version__
from ..findings import RULES, Finding
from .cells import cell_words, file_region, located_message, role_file_line
from .common import fingerprint, rel_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "masklint/v1"


def _first_paragraph(doc: str, heading: str) -> str | None:
    """The first paragraph (or list, joined) under ``## heading`` of a rule document, as plain text."""
    m = re.search(rf"^## {re.escape(heading)}\s*\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    if not m:
        return None
    paras = [p.strip() for p in re.split(r"\n\s*\n", m.group(1)) if p.strip()]
    if not paras:
        return None
    text = paras[0]
    if text.endswith(":") and len(paras) > 1:  # "... at:" followed by a list
        text += "\n" + paras[1]
    return " ".join(line.strip() for line in text.splitlines())


def rule_descriptor(code: str) -> dict:
    from ..docs import rule_doc

    r = RULES[code]
    doc = rule_doc(code)
    full = _first_paragraph(doc, "What it detects") or r.summary
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {"tags": ["keras", "masking", "padding"]},
    }


def _artifact(path: str, root: str | None) -> dict:
    """An artifactLocation: relative to %SRCROOT% when inside the root, else an absolute file URI."""
    rel = rel_path(path, root)
    if not rel.startswith("../") and rel != ".." and not os.path.isabs(rel):
        return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}
    ap = os.path.abspath(path).replace(os.sep, "/")
    if not ap.startswith("/"):  # a Windows drive path
        ap = "/" + ap
    return {"uri": "file://" + quote(ap, safe="/:")}


def _root_uri(root: str | None) -> str:
    ap = os.path.abspath(root if root is not None else os.curdir).replace(os.sep, "/")
    if not ap.startswith("/"):
        ap = "/" + ap
    if not ap.endswith("/"):
        ap += "/"
    return "file://" + quote(ap, safe="/:")


def _logical(path: str, kind: str = "module") -> dict:
    name = path.rsplit("/", 1)[-1]
    return {"name": name, "fullyQualifiedName": path, "kind": kind}


def _location(f: Finding, root: str | None, layer: str | None, line: int | None, column: int | None,
              **extra) -> dict:
    phys: dict = {"artifactLocation": _artifact(f.path, root)}
    if line is not None:
        region = {"startLine": line}
        if column:
            region["startColumn"] = column
        phys["region"] = region
    elif f.line is None:
        # a model file has no lines; GitHub code scanning needs region.startLine to place a result, so
        # the finding sits on "line 1" of the file and the layer path is the logical location
        phys["region"] = {"startLine": 1}
    loc: dict = {"physicalLocation": phys}
    if layer:
        loc["logicalLocations"] = [_logical(layer)]
    loc.update(extra)
    return loc


def _related(f: Finding, root: str | None) -> list[dict]:
    """The producer and the consumer of the mask, where the finding knows them."""
    flow = f.extra.get("flow") or {}
    out = []
    roles = (("upstream", "feeds the culprit"), ("replaced", "creates the mask that is replaced"),
             ("producer", "creates the mask"), ("consumer", "sees padding"))
    seen = {f.layer}
    for role, words in roles:
        path = flow.get(role) if flow else (f.consumer if role == "consumer" else None)
        if not path or path == "loss" or path in seen:
            continue
        seen.add(path)
        cls = flow.get(role + "_class")
        label = f"{cls} '{path}'" if cls else f"'{path}'"
        line = role_file_line(f, flow, role) if f.line is not None else None
        at = cell_words(flow.get(role + "_cell"), flow.get(role + "_line")) if f.cell is not None else None
        out.append(_location(f, root, path, line, None, id=len(out) + 1,
                             message={"text": f"{label} {words}" + (f" ({at})" if at else "")}))
    return out


def result(f: Finding, index: dict[str, int], root: str | None) -> dict:
    text = located_message(f, f.message + (f" (fix: {f.fix})" if f.fix else ""))
    line, column = file_region(f)
    res = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": LEVEL.get(f.severity, "warning"),
        "message": {"text": text},
        "locations": [_location(f, root, f.layer, line, column)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f, root)},
        "properties": {"name": f.name, "source": f.source, "layer": f.layer, "consumer": f.consumer,
                       "fix": f.fix},
    }
    if f.cell is not None:  # a notebook: the region is the .ipynb file's line, the cell is kept here
        res["properties"].update(cell=f.cell, cellLine=f.line, cellColumn=f.column)
    related = _related(f, root)
    if related:
        res["relatedLocations"] = related
    return res


def sarif_log(findings: list[Finding], *, errors: list[tuple[str, str]], root: str | None = None,
              version: str = "0") -> dict:
    codes = list(RULES)
    index = {c: i for i, c in enumerate(codes)}
    notifications = [{
        "level": "error",
        "message": {"text": f"{path}: {reason}"},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(path, root)}}],
        "descriptor": {"id": "masklint/could-not-lint"},
    } for path, reason in errors]
    invocation = {"executionSuccessful": not errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": {
            "name": "masklint",
            "version": version,
            "semanticVersion": version,
            "rules": [rule_descriptor(c) for c in codes],
        }},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "results": [result(f, index, root) for f in findings],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def report(findings: list[Finding], *, errors: list[tuple[str, str]], root: str | None = None,
           version: str = __version__, **_) -> str:
    """The SARIF log as indented JSON."""
    return json.dumps(sarif_log(findings, errors=errors, root=root, version=version), indent=2) + "\n"
