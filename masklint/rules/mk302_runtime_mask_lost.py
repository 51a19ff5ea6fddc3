"""MK302 runtime-mask-lost: the model's output has no runtime mask although the symbolic graph says it has one."""
from __future__ import annotations

from .base import Rule

RULE = Rule("MK302", "runtime-mask-lost", "warning", "the model's output has no runtime mask although the symbolic graph says it has one")
