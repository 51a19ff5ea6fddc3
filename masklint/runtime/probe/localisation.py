"""Localisation: which layer a difference, a lost runtime mask or a crash comes from -- the first layer
(in graph order, among an output's ancestors) whose real outputs change, and where the runtime mask was
dropped, replaced or never made."""
from __future__ import annotations

import re

import numpy as np

from .batches import Batch
from .graph import LiveGraph
from .plan import Tap
from .runs import Run

ATTENTION_CLEARS = ("MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention")


def mask_state(M, rows, L, width, aligned: bool) -> str:
    """ok / wrong / none / na: the runtime mask of a time-aligned tap against the true padding."""
    if not aligned:
        return "na"
    if M is None:
        return "none"
    M = np.asarray(M)
    if M.shape != (len(rows), width):
        return "wrong"
    expected = np.zeros((len(rows), width), dtype=bool)
    for i, r in enumerate(rows):
        expected[i, r.offset:r.offset + L] = True
    return "ok" if np.array_equal(M.astype(bool), expected) else "wrong"


class Localiser:
    """The taps of one probe over the live graph: who is upstream of whom, and where things went wrong."""

    def __init__(self, g: LiveGraph, taps: list, tap_of: dict):
        self.g = g
        self.taps = taps
        self.tap_of = tap_of

    def ancestors(self, tap: Tap) -> set:
        """Tap indices of ``tap`` and every tap upstream of it."""
        out, stack = set(), [tap.node]
        seen = set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            for t in n.outputs:
                tp = self.tap_of.get(id(t))
                if tp is not None:
                    out.add(tp.index)
            for t in n.input_tensors:
                p = self.g.producer.get(id(t))
                if p is not None:
                    stack.append(p[1])
        return out

    def input_taps(self, tap: Tap) -> list:
        return [self.tap_of[id(t)] for t in tap.node.input_tensors if id(t) in self.tap_of]

    def localise(self, out_tap: Tap, diffs: list, batch: Batch, eager: Run | None, ediffs: list, L: int):
        """(first changed tap, culprit tap, how) for a leak seen at ``out_tap``; ``eager`` is the eager run of
        ``batch`` (its runtime masks), ``ediffs`` the differences of that run."""
        anc = self.ancestors(out_tap)
        changed = [self.taps[k] for k in sorted(anc, key=lambda k: self.taps[k].topo) if diffs[k].changed]
        first = changed[0] if changed else out_tap
        if eager is None or eager.masks is None:
            return first, first, "unknown"

        def state(tp: Tap) -> str:
            d = ediffs[tp.index]
            return mask_state(eager.masks[tp.index], batch.rows, L, batch.width, d.comparable and d.time_axis)

        up = self.ancestors(first)
        up_taps = sorted((self.taps[k] for k in up), key=lambda tp: tp.topo)
        states = {tp.index: state(tp) for tp in up_taps}
        cands = [tp for tp in up_taps if states[tp.index] in ("none", "wrong")
                 and any(states.get(i.index) == "ok" for i in self.input_taps(tp))]
        if cands:
            c = cands[-1]
            return first, c, ("dropped" if states[c.index] == "none" else "replaced")
        wrong = [tp for tp in up_taps if states[tp.index] == "wrong"]
        if wrong:
            return first, wrong[0], "wrong"
        ins = self.input_taps(first)
        if any(states.get(i.index) == "ok" for i in ins):
            return first, first, "ignores"
        return first, first, "nomask"

    def mask_lost_at(self, tp: Tap, run: Run) -> Tap:
        """The tap where the runtime mask of output ``tp`` is lost (its symbolic mask goes on)."""
        from keras.src.backend.common.masking import get_keras_mask

        cur, seen = tp, set()
        while cur.index not in seen:
            seen.add(cur.index)
            ins = [i for i in self.input_taps(cur) if get_keras_mask(i.tensor) is not None]
            if not ins or any(run.masks[i.index] is not None for i in ins):
                return cur
            cur = ins[0]
        return cur

    def cleared_by_attention(self, tp: Tap, run: Run):
        for i in self.input_taps(tp):
            if run.masks[i.index] is not None:
                continue
            for _, n in self.g.consumers.get(id(i.tensor), []):
                cls = type(n.operation).__name__
                if cls in ATTENTION_CLEARS:
                    return i.name, n.operation.name, cls
        return None

    def crash_culprit(self, exc) -> str | None:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
        names = {tp.name for tp in self.taps}
        for m in re.finditer(r"""layer ["']([^"']+)["']""", text):
            if m.group(1) in names:
                return m.group(1)
        m = re.search(r"Exception encountered when calling (\w+)\.call\(\)", text)
        if m:
            hits = [tp.name for tp in self.taps if tp.class_name == m.group(1)]
            if len(set(hits)) == 1:
                return hits[0]
        return None
