"""The mask-flow analysis: facts about every tensor of a model graph (``state``), shape inference
(``shapes``), the transfer function of every layer kind (``flow``) and the checks at mask consumers and
model outputs (``consumers``). It emits the rules' records; it writes no English."""
from __future__ import annotations

from .flow import Analysis
from .state import UNKNOWN, Lost, Mask, State, Time

__all__ = ["UNKNOWN", "Analysis", "Lost", "Mask", "State", "Time"]
