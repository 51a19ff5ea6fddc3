"""MK002 unused-noqa: a ``# noqa: MK...`` comment suppresses nothing on its line (stale suppressions hide
new mistakes), like ruff's RUF100. Only masklint codes and rule names are judged: a bare ``# noqa`` and
other tools' codes are not masklint's. Every rule is computed on every run, so "nothing to suppress" is
a fact even when the rule is deselected."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule

RULE = Rule("MK002", "unused-noqa", "info",
            "a '# noqa: MK...' comment suppresses nothing on its line (stale suppressions hide new mistakes)")


@record
class UnusedNoqa(Record):
    RULE = RULE
    culprit: object = None  # no layer: the comment itself is the culprit
    consumer: str | None = None
    tokens: tuple = ()  # the codes or names, as written, that suppress nothing
    line: int = 0
    column: int = 0

    def message(self) -> str:
        what = ", ".join(self.tokens)
        return f"unused noqa: {what} suppress{'es' if len(self.tokens) == 1 else ''} nothing on this line"

    def fix(self) -> str:
        return f"remove {', '.join(self.tokens)} from the comment"

    def location(self):
        return None, self.line, self.column

    def roles(self) -> dict:
        return {}


def check(lines: list[str], used: dict[int, set[str]], noqa, resolve) -> list[UnusedNoqa]:
    """The unused codes of each ``# noqa: ...`` comment. ``used``: line -> codes found on it before
    suppression; ``noqa``: the compiled comment pattern (group ``codes``); ``resolve``: a code or rule name
    as written -> its code, or None when it is not masklint's."""
    out = []
    for i, line in enumerate(lines, 1):
        if "noqa" not in line:
            continue
        m = noqa.search(line)
        if not m or not m.group("codes"):
            continue
        unused = []
        for tok in m.group("codes").replace(",", " ").split():
            code = resolve(tok)
            if code is None or code == RULE.code:
                continue
            if code not in used.get(i, ()):
                unused.append(tok)
        if unused:
            out.append(UnusedNoqa(tokens=tuple(unused), line=i, column=len(line[:m.start()]) + 1))
    return out
