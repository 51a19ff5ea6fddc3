"""Findings and the rule registry (codes, names, severities: fixed by the rule catalogue)."""
from __future__ import annotations

from ._record import factory, record

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@record
class Rule:
    code: str
    name: str
    severity: str
    summary: str


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("MK001", "unknown-mask-behaviour", "info",
         "a layer whose mask behaviour masklint does not know sits on a path that carries a mask"),
    Rule("MK002", "unused-noqa", "info",
         "a '# noqa: MK...' comment suppresses nothing on its line (stale suppressions hide new mistakes)"),
    Rule("MK101", "missing-mask", "warning",
         "a mask consumer reads a padded sequence that carries no mask"),
    Rule("MK102", "masking-after-embedding", "error",
         "Masking applied to a learned representation, which never equals mask_value"),
    Rule("MK103", "mask-replaced", "warning",
         "a mask computed on the wrong thing replaces or precedes the real one"),
    Rule("MK104", "mask-dropped", "error",
         "a masked tensor loses its mask before a consumer that needs it"),
    Rule("MK105", "mask-rank", "error",
         "a mask computed on a tensor of the wrong rank"),
    Rule("MK106", "bad-mask-value", "error",
         "mask_value can never match or breaks the arithmetic"),
    Rule("MK107", "padding-mixed", "error",
         "a masked sequence reaches a layer that mixes time steps and ignores the mask"),
    Rule("MK108", "mask-crash", "error",
         "the mask's shape guarantees a crash at call time although the model builds"),
    Rule("MK109", "loss-sees-padding", "warning",
         "the model's sequence output carries no mask although its input is masked"),
    Rule("MK201", "mask-value-mismatch", "error",
         "the data's padding value differs from what the mask producer masks"),
    Rule("MK202", "real-values-masked", "error",
         "real steps equal the mask value, so they are silently skipped (e.g. token id 0 is a real token)"),
    Rule("MK203", "embedding-without-padding-slot", "warning",
         "Embedding(input_dim=len(vocab)) with 1-based ids: the largest id is out of range"),
    Rule("MK204", "cudnn-padding", "warning",
         "a masked cuDNN-eligible LSTM/GRU gets left-padded data: compiled fit/predict fail on a GPU"),
    Rule("MK205", "padded-targets", "warning",
         "padded sequence targets while the model's sequence output has no mask"),
    Rule("MK301", "padding-leak", "error",
         "outputs at the valid positions change when only the padding changes (runtime probe)"),
    Rule("MK302", "runtime-mask-lost", "warning",
         "the model's output has no runtime mask although the symbolic graph says it has one"),
    Rule("MK303", "empty-sequence-nan", "warning",
         "an all-padding sample produces NaN or inf"),
    Rule("MK304", "probe-crash", "error",
         "the model raises on a correctly padded probe batch"),
)}

NAMES = {r.name: r.code for r in RULES.values()}


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
            "layer": self.layer, "consumer": self.consumer, "source": self.source,
        }

    def sort_key(self):
        return (self.path, self.line or 0, self.column or 0, self.layer or "", self.code)
