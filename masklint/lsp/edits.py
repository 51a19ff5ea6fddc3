"""The one range of text in which two versions of a document differ, for a code action's edit: the
old text's span after the common prefix and before the common suffix, and what replaces it."""
from __future__ import annotations


def changed_span(old: str, new: str) -> tuple[int, int, str]:
    """``(start, end, replacement)``: ``old[:start] + replacement + old[end:] == new``, with the
    shortest ``old[start:end]`` that a common prefix and suffix give (offsets in code points). The
    span starts at the beginning of a line, so that an edit never splits a ``\\r\\n`` pair."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    start = old.rfind("\n", 0, start) + 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return start, end_old, new[start:end_new]
