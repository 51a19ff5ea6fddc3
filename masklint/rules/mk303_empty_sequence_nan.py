"""MK303 empty-sequence-nan: an all-padding sample produces NaN or inf."""
from __future__ import annotations

from .base import Rule

RULE = Rule("MK303", "empty-sequence-nan", "warning", "an all-padding sample produces NaN or inf")
