"""The ``--data`` checks on top of the probe's input plan: per sequence input with data, its inferred
padding, its mask producer and consumer, and the cuDNN-eligible RNNs it reaches (the sample's
mask-value mismatch, real values masked and cuDNN padding, see :mod:`..data`)."""
from __future__ import annotations


def data_checks(p, live) -> list:
    """The data sample's findings for the inputs of probe ``p`` that have ``--data``; ``live`` is the static
    analysis of the model (:class:`masklint.frontends.live.LiveModel`) or None."""
    from ... import knowledge as K
    from ..data import data_findings

    checks = []
    analysis = getattr(live, "analysis", None)
    graph = getattr(live, "graph", None)
    for s in p.seqs:
        if s.data is None or s.padding is None:
            continue
        consumer = None
        rnns = []
        reach = {n.operation.name for _, n in p.g.downstream(p.g.inputs[s.index])}
        if analysis is not None and graph is not None:
            from ...analysis import Mask

            for st in analysis.states.values():
                m = st.mask
                if isinstance(m, Mask) and m.origin.path == s.producer and m.consumer:
                    consumer = m.consumer if m.consumer != "loss" else None
                    break
            for node in graph.nodes:
                lay = node.layer
                if lay.path not in reach or not node.args:
                    continue
                if K.canonical(lay.class_name) not in ("LSTM", "GRU", "Bidirectional"):
                    continue
                st = analysis.states.get(id(node.args[0]))
                if st is not None and st.masked and K.cudnn_eligible(lay.class_name, lay.config):
                    inner = lay.class_name
                    if inner == "Bidirectional" and lay.inner:
                        inner = f"Bidirectional({lay.inner[0].class_name})"
                    rnns.append((lay, inner))
        producer = p.layer_of(s.producer, s.producer_class) if s.producer is not None else None
        checks.append({"input": s.name, "array": s.data, "padding": s.padding, "producer": producer,
                       "mask_zero": s.producer_class != "Masking" and s.mask_value == 0.0,
                       "mask_value": s.mask_value, "consumer": consumer, "rnns": rnns})
        if s.padding.value is None and not s.padding.given:
            p.report.notes.append(f"--data: no padding found in the array for input {s.name!r}")
    return data_findings(p.label, checks)
