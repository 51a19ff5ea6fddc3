"""MK304 probe-crash: the model raises on a correctly padded probe batch."""
from __future__ import annotations

from .base import Rule

RULE = Rule("MK304", "probe-crash", "error", "the model raises on a correctly padded probe batch")
