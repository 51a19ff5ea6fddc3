"""The JSON format (``--format json``): an array, one object per finding (fields: shared/spec/cli.md).

Named ``json_format`` so that it never shadows the standard library's ``json``.
"""
from __future__ import annotations

import json

from ..findings import Finding


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2)


def report(findings: list[Finding], **_) -> str:
    """The array (files that could not be linted are not findings: they go to stderr only)."""
    return format_json(findings) + "\n"
