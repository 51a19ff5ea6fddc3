"""MK301 padding-leak: outputs at the valid positions change when only the padding changes (runtime probe)."""
from __future__ import annotations

from .base import Rule

RULE = Rule("MK301", "padding-leak", "error", "outputs at the valid positions change when only the padding changes (runtime probe)")
