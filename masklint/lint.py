"""Lint entry points used by the CLI and the public API (no TensorFlow/Keras import)."""
from __future__ import annotations

from .analysis import Analysis, run_analysis
from .config_frontend import build_model_graph
from .findings import Finding, finding_of
from .ir import ModelIR
from .notes import Findings
from .saved_dirs import load_any
from .unsaved_graph import unsaved_parts


def model_ir_from_file(path: str) -> ModelIR:
    return _model_ir(load_any(path))


def _model_ir(mf) -> ModelIR:
    graph = build_model_graph(mf.config)
    return ModelIR(graph=graph, source="model", path=mf.path, format=mf.format, keras_version=mf.keras_version,
                   backend=mf.backend)


def check_ir(ir: ModelIR, known: dict | None = None) -> list[Finding]:
    """Findings of one model IR; ``known`` teaches the behaviour of custom classes (see config.py)."""
    return findings_of(analyse_ir(ir, known), ir)


def analyse_ir(ir: ModelIR, known: dict | None = None) -> Analysis:
    """The mask-flow analysis of one model IR (its states are kept: the probe reads them); raises
    :class:`~masklint.errors.LintError` when the model is beyond the analysis' limits."""
    return run_analysis(ir.graph, keras_major=keras_major(ir.keras_version), known=known, target=lambda: _target(ir))


def _target(ir: ModelIR):
    """A saved model runs on the Keras version and backend its file records; the rest (and a live
    model) on the configured target."""
    from .knowledge import versions

    return versions.of_saved(ir.keras_version, ir.backend, versions.target_for(ir.path))


def findings_of(analysis: Analysis, ir: ModelIR) -> list[Finding]:
    issues = list(analysis.issues.values())
    layers = {lay.path: lay for lay in ir.graph.walk_layers()} if issues else None
    out = [finding_of(rec, ir.path, ir.source, layers) for rec in issues]
    out.sort(key=Finding.sort_key)
    return out


def keras_major(version: str | None) -> int:
    """The Keras major version that saved a file (3 when unknown)."""
    if version and version[:1].isdigit():
        return 2 if version.split(".")[0] in ("1", "2") else 3
    return 3


def lint_model_file(path: str, known: dict | None = None) -> list[Finding]:
    """Lint one saved model (a file or a saved-model directory); raises :class:`~masklint.errors.LintError`
    when it cannot be linted. A model whose layer graph is not saved gives the findings of what its
    config holds, with a note (:mod:`masklint.unsaved_graph`)."""
    mf = load_any(path)
    parts = unsaved_parts(mf)
    if parts is not None:
        note, irs = parts
        return Findings([f for ir in irs for f in check_ir(ir, known)], [note])
    return check_ir(_model_ir(mf), known)
