"""Findings: what a rule's record becomes once it is located in a file -- the JSON fields of the output
contract -- and the mask path the reports draw. The rules themselves live in :mod:`masklint.rules`."""
from __future__ import annotations

from ._record import factory, record
from .rules import NAMES, RULES, SEVERITIES, SEVERITY_RANK, Record

__all__ = ["NAMES", "RULES", "SEVERITIES", "SEVERITY_RANK", "Finding", "finding_of"]


@record
class Finding:
    code: str
    message: str
    fix: str | None = None
    path: str = ""
    line: int | None = None
    column: int | None = None
    layer: str | None = None
    consumer: str | None = None
    source: str = "model"
    severity: str = ""
    extra: dict = factory(dict)
    cell: int | None = None  # notebooks: the 1-based code cell (``line``/``column`` are then within it)
    #: the offered autofix (``fix_plan.py``): ``{"applicability": "safe"|"unsafe", "title": ...}``, else None
    autofix: dict | None = None

    def __post_init__(self):
        if not self.severity:
            self.severity = RULES[self.code].severity

    @property
    def name(self) -> str:
        return RULES[self.code].name

    def to_json(self) -> dict:
        return {
            "code": self.code, "name": self.name, "severity": self.severity, "message": self.message,
            "fix": self.fix, "path": self.path, "line": self.line, "column": self.column,
            "layer": self.layer, "consumer": self.consumer, "source": self.source, "cell": self.cell,
            "autofix": self.autofix,
        }

    def sort_key(self):
        return (self.path, self.cell or 0, self.line or 0, self.column or 0, self.layer or "", self.code)


def finding_of(rec: Record, path: str, source: str = "model", layers=None) -> Finding:
    """The finding of one record. ``layers`` (optional): a mapping layer path -> Layer of the analysed
    model, used to name the classes and source lines of the roles in ``Finding.extra["flow"]``. The
    record's own measurements (:meth:`Record.extra`) join ``Finding.extra``; a record without a mask path
    to draw (``roles()`` empty) gets no ``"flow"``."""
    message = rec.message()
    if not message:
        raise AssertionError(f"{type(rec).__name__} ({rec.code}) gave no message")
    location = getattr(rec, "location", None)
    if location is not None:
        layer, line, column = location()
    else:
        lay = rec.culprit
        layer, line, column = lay.path, lay.line, lay.column
    consumer = rec.consumer
    f = Finding(code=rec.code, message=message, fix=rec.fix(), path=path, layer=layer,
                consumer=None if consumer == "loss" else consumer, source=source, line=line, column=column)
    f.extra.update(rec.extra())
    roles = rec.roles()
    if roles:
        f.extra["flow"] = flow_of(roles, layers)
    return f


def flow_of(roles: dict, layers=None) -> dict:
    """The mask path as data for the Markdown/Mermaid and SARIF reports: ``how`` and ``detail``, and for
    each role ``<role>`` (layer path or None), ``<role>_class`` and ``<role>_line`` (where known)."""
    flow = {"how": roles.get("how", "other"), "detail": roles.get("detail") if isinstance(roles.get("detail"), str) else None}
    index = layers if layers is not None else {}
    for role in ("producer", "upstream", "replaced", "culprit", "consumer"):
        path, cls, layer = roles.get(role) or (None, None, None)
        if layer is None and path is not None:
            layer = index.get(path)
        if layer is not None and cls is None:
            cls = layer.class_name
        flow[role] = path
        flow[role + "_class"] = cls
        flow[role + "_line"] = getattr(layer, "line", None)
    return flow
