"""JUnit XML (``--format junit``), for CI systems that show test reports (GitLab
``artifacts:reports:junit``, Jenkins, Azure Pipelines, CircleCI...).

``<testsuites>`` holds one ``<testsuite name="masklint">``; each linted file is one ``<testcase>``
(``classname`` ``masklint``, ``name`` the file's path relative to the root):

* a clean file is a passing test case;
* each finding is one ``<failure>`` of its file: ``type`` the rule code, ``message`` ``CODE name
  [severity]: message``, the text the finding's line as the text format writes it (location first),
  the fix and the rule's document;
* a file that could not be linted has an ``<error>`` with the reason.

``tests`` counts the test cases, ``failures`` those with a failure (and no error), ``errors`` those
with an error, as Ant and Surefire count them. Every finding is a failure whatever its severity (the
severity is in the message): drop a rule from the report with ``--ignore`` or
``[tool.masklint.severity] CODE = "ignore"``. Valid against the Jenkins xUnit plugin's
``junit-10.xsd`` (tests/test_formats_ci.py checks it). Characters XML 1.0 cannot carry are replaced.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from ..findings import Finding
from .cells import located_message
from .common import rel_path
from .text import format_text

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(s) -> str:
    return _NOT_XML.sub("\ufffd", str(s))


def _attr(s) -> str:
    return quoteattr(_clean(s))


def _text(s) -> str:
    return escape(_clean(s))


def _failure(f: Finding) -> str:
    message = f"{f.code} {f.name} [{f.severity}]: {located_message(f, f.message)}"
    body = [format_text(f, colour=False)]
    if f.line is None and f.layer:
        body.append(f"layer: {f.layer}")
    if f.consumer:
        body.append(f"consumer: {f.consumer}")
    body.append(f"rule: {f.code} {f.name} (its document: masklint rule {f.code})")
    return (f"      <failure type={_attr(f.code)} message={_attr(message)}>"
            f"{_text(chr(10).join(body))}</failure>")


def report(findings: list[Finding], *, errors: list[tuple[str, str]], root: str | None = None,
           paths: list[str] | None = None, **_) -> str:
    """The JUnit XML document (see the module docstring)."""
    order: list[str] = []
    by_file: dict[str, list[Finding]] = {}
    errs: dict[str, list[str]] = {}

    def case(path: str) -> str:
        name = rel_path(path, root) if path else "-"
        if name not in by_file:
            by_file[name] = []
            errs[name] = []
            order.append(name)
        return name

    for p in paths or ():
        case(p)
    for f in findings:
        by_file[case(f.path)].append(f)
    for p, reason in errors:
        errs[case(p)].append(str(reason))
    n_err = sum(1 for n in order if errs[n])
    n_fail = sum(1 for n in order if by_file[n] and not errs[n])
    counts = f'tests="{len(order)}" failures="{n_fail}" errors="{n_err}"'
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="masklint" {counts}>',
           f'  <testsuite name="masklint" {counts} skipped="0">']
    for name in order:
        inner = [f"      <error type=\"could-not-lint\" message={_attr(r)}>{_text(name + ': ' + r)}</error>"
                 for r in errs[name]]
        inner += [_failure(f) for f in by_file[name]]
        head = f"    <testcase classname=\"masklint\" name={_attr(name)}"
        out.append(f"{head}/>" if not inner else "\n".join([f"{head}>", *inner, "    </testcase>"]))
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"
