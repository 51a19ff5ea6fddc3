"""The README's rule table agrees with the rule registry and with the documents in ``rules/``."""
import os
import re

from masklint.findings import RULES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW = re.compile(r"^\| (MK\d{3}) \| ([a-z0-9-]+) \| (info|warning|error) \| (.+) \|$")


def readme_rules():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("\n## Rules\n", 1)[1].split("\n## ", 1)[0]
    return [ROW.match(line).groups() for line in section.splitlines() if ROW.match(line)]


def test_readme_rule_table_matches_registry_and_docs():
    rows = readme_rules()
    assert [r[0] for r in rows] == sorted(RULES), "README rule table: one row per rule, in code order"
    docs = sorted(os.listdir(os.path.join(ROOT, "rules")))
    for code, name, severity, summary in rows:
        rule = RULES[code]
        assert (name, severity) == (rule.name, rule.severity), code
        assert f"{code}-{name}.md" in docs, f"rules/{code}-{name}.md is missing"
        assert summary.strip()
