"""Rule documents: ``rules/<CODE>-<name>.md`` in the repository, shipped inside the package."""
from __future__ import annotations

import os

from .findings import RULES

_HERE = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = (os.path.join(_HERE, "rules_docs"), os.path.join(os.path.dirname(_HERE), "rules"))


def doc_path(code: str) -> str | None:
    r = RULES[code]
    for d in _CANDIDATES:
        p = os.path.join(d, f"{r.code}-{r.name}.md")
        if os.path.exists(p):
            return p
    return None


def rule_doc(code: str) -> str:
    p = doc_path(code)
    r = RULES[code]
    if p is None:
        return f"{r.code} {r.name} ({r.severity}): {r.summary}"
    with open(p, encoding="utf-8") as fh:
        return fh.read()


#: where a rule's document is published: the repository's ``rules/`` at the installed version's tag
#: (the repository URL as the README's pre-commit section writes it)
RULE_URL = "https://github.com/OWNER/masklint/blob/v{version}/rules/{code}-{name}.md"


def rule_url(code: str) -> str:
    """A stable link to the document of rule ``code`` (the editor server's ``codeDescription.href``)."""
    from ._version import __version__

    r = RULES[code]
    return RULE_URL.format(version=__version__, code=r.code, name=r.name)
