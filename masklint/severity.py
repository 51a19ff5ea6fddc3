"""Per-rule severity overrides: ``[tool.masklint.severity]`` and ``--severity CODE=LEVEL``.

::

    [tool.masklint.severity]
    missing-mask = "error"           # a rule name, or its code (any case)
    unknown-mask-behaviour = "ignore"  # "ignore" drops the rule's findings

Values: ``info``, ``warning``, ``error`` or ``ignore``. An override replaces the rule's default severity
on every finding it reports, before anything looks at the severity: ``--fail-on``, the exit code, the
summary line and every output format follow it. ``--severity`` (repeatable, comma-separated) wins over
the configuration, rule by rule. Applied where the findings of a run are selected
(:meth:`masklint.project.Project.select`), so the Python API follows it too.
"""
from __future__ import annotations

from .findings import NAMES, RULES, SEVERITIES, Finding
from .selection import UsageError

#: the values an override may take
VALUES = (*SEVERITIES, "ignore")


class SeverityError(ValueError):
    """A bad override: ``key`` is the offending entry (``""`` for the table itself), ``why`` the reason."""

    def __init__(self, key: str, why: str):
        super().__init__(f"{key}: {why}" if key else why)
        self.key = key
        self.why = why


def rule_code(key: str) -> str | None:
    """The code of a rule given by code (any case) or name, else None. Prefixes are not accepted: an
    override names one rule."""
    if not isinstance(key, str):
        return None
    up = key.strip().upper()
    if up in RULES:
        return up
    return NAMES.get(key.strip())


def _one(key, value) -> tuple[str, str]:
    code = rule_code(key)
    if code is None:
        raise SeverityError(str(key), "unknown rule code or name")
    if not isinstance(value, str) or value not in VALUES:
        raise SeverityError(str(key), f"bad value {value!r} (one of: {', '.join(VALUES)})")
    return code, value


def parse_table(table) -> dict[str, str]:
    """``[tool.masklint.severity]`` -> {code: level}; raises :class:`SeverityError` naming the key."""
    if not isinstance(table, dict):
        raise SeverityError("", "expected a table of rule code or name -> info | warning | error | ignore")
    out: dict[str, str] = {}
    for key, value in table.items():
        code, level = _one(key, value)
        out[code] = level
    return out


def parse_cli(values, opt: str = "--severity") -> dict[str, str]:
    """``--severity <code>=error,<name>=ignore`` (repeatable) -> {code: level}; raises
    :class:`~masklint.selection.UsageError` naming the option and the entry."""
    out: dict[str, str] = {}
    for v in values or ():
        for item in v.replace(",", " ").split():
            key, eq, level = item.partition("=")
            if not eq:
                raise UsageError(f"Invalid value for '{opt}': expected CODE=LEVEL, got {item!r}")
            try:
                code, lev = _one(key, level)
            except SeverityError as exc:
                raise UsageError(f"Invalid value for '{opt}': {exc}") from None
            out[code] = lev
    return out


def apply(findings: list[Finding], configured: dict[str, str] | None,
          command_line: dict[str, str] | None = None) -> list[Finding]:
    """The findings with their overridden severity (in place), those of ignored rules dropped.
    ``command_line`` wins over ``configured`` rule by rule."""
    if not configured and not command_line:
        return findings
    table = dict(configured or {})
    table.update(command_line or {})
    kept = []
    for f in findings:
        level = table.get(f.code)
        if level == "ignore":
            continue
        if level is not None:
            f.severity = level
        kept.append(f)
    return kept
