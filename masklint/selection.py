"""Which findings count: rule selection (codes, prefixes, names) and the failure threshold.

Shared by the command line, ``[tool.masklint]`` (:mod:`masklint.config`) and the Python API; depends
on the rule registry only.
"""
from __future__ import annotations

from ._record import factory, record
from .findings import NAMES, RULES, SEVERITIES, SEVERITY_RANK

#: ``--fail-on`` / ``fail-on``: the lowest severity that makes the exit code 1 ("never": none does)
FAIL_ON = (*SEVERITIES, "never")


class UsageError(Exception):
    """A command-line value masklint cannot use (the CLI reports it like click's usage errors)."""


def parse_codes(values, opt: str) -> list[str]:
    """Codes, code prefixes (MK1) or rule names, comma- or space-separated; ``ALL`` is every rule."""
    out = []
    for v in values:
        for item in v.replace(",", " ").split():
            up = item.upper()
            if up == "ALL":
                out.append("MK")
            elif up.startswith("MK") and (up in RULES or any(c.startswith(up) for c in RULES)):
                out.append(up)
            elif item in NAMES:
                out.append(NAMES[item])
            else:
                raise UsageError(f"Invalid value for '{opt}': unknown rule code or name {item!r}")
    return out


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    # the most specific matching prefix wins, like ruff
    sel = max((len(s) for s in select if code.startswith(s)), default=0)
    ign = max((len(s) for s in ignore if code.startswith(s)), default=-1)
    return not (ign >= 0 and ign >= sel)


def fails(severity: str, threshold: str) -> bool:
    """Whether a finding of ``severity`` makes the exit code 1 under ``threshold`` (one of FAIL_ON)."""
    return threshold != "never" and SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@record
class Selection:
    """The command line's ``--select``/``--ignore``/``--extend-select``/``--extend-ignore`` (parsed)."""

    select: list[str] = factory(list)
    ignore: list[str] = factory(list)
    extend_select: list[str] = factory(list)
    extend_ignore: list[str] = factory(list)
    severity: dict = factory(dict)  # --severity: code -> level (masklint.severity.parse_cli)

    @classmethod
    def parse(cls, select=(), ignore=(), extend_select=(), extend_ignore=()) -> "Selection":
        """From the raw option values; raises :class:`UsageError` naming the option."""
        return cls(parse_codes(select, "--select"), parse_codes(ignore, "--ignore"),
                   parse_codes(extend_select, "--extend-select"), parse_codes(extend_ignore, "--extend-ignore"))

    def codes(self, s) -> tuple[list[str], list[str]]:
        """The (select, ignore) code prefixes for files configured by ``s`` (a config.Settings).

        ``--select`` replaces the configuration's select and ignore (the command line wins, like ruff's
        later layer); ``--ignore``/``--extend-*`` add to what the configuration says."""
        if self.select:
            sel, ign = list(self.select), []
        else:
            sel, ign = list(s.select or []), list(s.ignore)
        ext = list(s.extend_select) + list(self.extend_select)
        if ext and sel:
            sel += ext
        ign += list(s.extend_ignore) + list(self.ignore) + list(self.extend_ignore)
        return sel, ign
