"""The mask-flow analysis: facts about every tensor of a model graph (``state``), shape inference
(``shapes``), the transfer function of every layer kind (``flow``) and the checks at mask consumers and
model outputs (``consumers``). It emits the rules' records; it writes no English.

:func:`run_analysis` runs it as one lint step. Its own limits are the file's problem, reported as a
:class:`LintError` ("could not be linted"): the node budget of a graph too large to analyse and a graph
nested too deeply for the interpreter's stack. Any other exception is a bug in masklint and is left to
propagate (reported as an internal error).
"""
from __future__ import annotations

from ..errors import LintError
from .flow import Analysis
from .state import UNKNOWN, Lost, Mask, State, Time

__all__ = ["UNKNOWN", "Analysis", "Lost", "Mask", "State", "Time", "run_analysis"]


def run_analysis(graph, *, keras_major: int = 3, known: dict | None = None, target=None) -> Analysis:
    """The finished analysis of ``graph`` (its states are kept: the probe reads them); ``target``: the
    :class:`~masklint.knowledge.versions.Target` it runs on, or a callable giving it (default: the
    configured target, see :func:`~masklint.knowledge.versions.target_for`)."""
    analysis = Analysis(graph, keras_major=keras_major, known=known, target=target)
    try:
        return analysis.run()
    except RecursionError:
        raise LintError("model is nested too deeply to analyse") from None
    except RuntimeError as exc:
        if analysis.budget < 0:  # Analysis stops a graph bigger than its node budget with a RuntimeError
            raise LintError(str(exc)) from None
        raise
