"""The probe's report: what one probe did (inputs, lengths, passes, largest differences) and found, as
an object and as text."""
from __future__ import annotations

from ..._record import factory, record
from ...findings import Finding
from ...rules.base import num
from .comparison import DEFAULT_RTOL


@record
class ProbeReport:
    """What one probe did and found; ``findings`` are the runtime rules' findings (source ``probe``),
    ``data_findings`` those of the ``--data`` sample (source ``data``)."""

    label: str
    findings: list = factory(list)
    data_findings: list = factory(list)
    notes: list = factory(list)
    inputs: list = factory(list)  # SeqInput
    real_length: int = 0
    lengths: list = factory(list)
    fixed: bool = False
    rows_per_batch: int = 0
    weights: str = "perturbed"
    seed: int = 0
    rtol: float = DEFAULT_RTOL
    eager_passes: int = 0
    predict_passes: int = 0
    taps: int = 0
    largest: dict = factory(dict)  # mode -> (diff, tol, description) over the model outputs (contract rows)
    variants: list = factory(list)  # per (mode, padded length, side): largest output difference
    empty_rows_evidence: bool = False
    probed: bool = False

    @property
    def forward_passes(self) -> int:
        return self.eager_passes + self.predict_passes

    def all_findings(self) -> list:
        return sorted(self.data_findings + self.findings, key=Finding.sort_key)

    def summary_lines(self) -> list[str]:
        out = []
        lab = self.label
        for n in self.notes:
            out.append(f"probe: {lab}: note: {n}")
        if not self.probed:
            return out
        ins = "; ".join(f"input {s.name!r} ({s.kind}) padded with {num(s.pad)} ({s.pad_source})" for s in self.inputs)
        if self.fixed:
            shape = (f"real length {self.real_length} in {self.inputs[0].time if self.inputs else '?'} fixed steps, "
                     f"post and pre")
        else:
            shape = (f"real length {self.real_length}, padded to {'/'.join(str(t) for t in self.lengths)} steps "
                     f"post and pre")
        out.append(f"probe: {lab}: {ins}; {shape}, rows shuffled; weights {self.weights}"
                   f"{f' (seed {self.seed})' if self.weights == 'perturbed' else ''}")
        parts = []
        for mode in ("eager", "predict"):
            if mode in self.largest:
                d, tol, _ = self.largest[mode]
                parts.append(f"{num(d)} ({mode})")
        if parts:
            _, tol, _ = next(iter(self.largest.values()))
            out.append(f"probe: {lab}: largest |difference| at the real positions of the outputs: "
                       f"{' / '.join(parts)}; tolerance {num(tol)} = {self.rtol:g} x output scale; "
                       f"{self.forward_passes} forward passes ({self.eager_passes} eager, "
                       f"{self.predict_passes} predict)")
        return out

    def text(self) -> str:
        from ...reporters.text import format_text, summary

        lines = [format_text(f, False) for f in self.all_findings()]
        lines += self.summary_lines()
        lines.append(summary(self.all_findings(), 1, 0))
        return "\n".join(lines)

