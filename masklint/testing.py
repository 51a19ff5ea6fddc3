"""Helpers for your own test suite: fail a test when a model's outputs depend on padding.

::

    from masklint.testing import assert_padding_invariant

    def test_classifier_ignores_padding():
        model = build_classifier()                 # your factory: a built keras.Model
        report = assert_padding_invariant(model)   # raises PaddingLeakError with the probe report
        print(report.text())                       # the measured largest difference, the passes, ...

Importing this module is cheap; Keras is imported when the assertion runs.
"""
from __future__ import annotations

from .findings import SEVERITY_RANK

__all__ = ["PaddingLeakError", "assert_padding_invariant"]


class PaddingLeakError(AssertionError):
    """The probe found a finding at or above ``fail_on``; ``report`` is the :class:`ProbeReport`."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


def assert_padding_invariant(model, *, pad_value=None, data=None, seed=0, tolerance=None, lengths=None,
                             weights="perturbed", fail_on="warning", include_static=False, label=None,
                             padding_side=None):
    """Probe ``model`` (see :func:`masklint.probe`) and raise :class:`PaddingLeakError` when a finding
    of severity ``fail_on`` or higher comes out (default ``"warning"``: a padding leak, a probe crash, a
    runtime mask lost, NaN on all-padding samples, and the ``data`` checks: mask-value mismatch, real
    values masked, cuDNN padding).

    ``include_static=True`` also applies the static analysis of the live model. ``padding_side="pre"``: the
    real data is pre-padded (a change under pre-padding alone is then a finding).
    The error message is the same report as ``masklint probe`` prints. Returns the report otherwise.
    The model's weights are restored after the probe.
    """
    from .findings import Finding
    from .frontends.live import analyse
    from .reporters.text import format_text
    from .runtime.probe import probe_report

    if fail_on not in SEVERITY_RANK:
        raise ValueError(f"fail_on must be one of {', '.join(SEVERITY_RANK)}")
    live = analyse(model, label) if include_static else None
    rep = probe_report(model, label=label, pad_value=pad_value, data=data, seed=seed, tolerance=tolerance,
                       lengths=lengths, weights=weights, live=live, padding_side=padding_side)
    found = rep.all_findings() + (list(live.findings) if live is not None else [])
    found.sort(key=Finding.sort_key)
    threshold = SEVERITY_RANK[fail_on]
    bad = [f for f in found if SEVERITY_RANK[f.severity] >= threshold]
    if bad:
        lines = [f"masklint found {len(bad)} padding problem{'s' if len(bad) != 1 else ''} in {rep.label!r}:"]
        lines += ["  " + format_text(f, False) for f in found]
        lines += ["  " + ln for ln in rep.summary_lines()]
        raise PaddingLeakError("\n".join(lines), rep)
    return rep
