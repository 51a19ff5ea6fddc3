"""The probe's entry points: probe a live model (``data`` as a path, an array or ``{input name: array}``)
or a model file, with the ``--data`` checks on top."""
from __future__ import annotations

import warnings

import numpy as np

from ...errors import LintError
from ...findings import Finding
from ..loading import import_keras, load_model_file
from .data_checks import data_checks
from .driver import _Probe
from .report import ProbeReport


def probe_report(model, *, label=None, pad_value=None, data=None, seed=0, tolerance=None, lengths=None,
                 weights="perturbed", live=None, known=None, padding_side=None) -> ProbeReport:
    """Probe a live model; ``data`` is a path to a ``.npy``/``.npz`` sample or a numpy array. ``live``: the
    live front end's analysis of the model (:func:`masklint.frontends.live.analyse`), when the caller has
    it; the findings name its IR layers. ``padding_side``: ``"pre"`` or ``"post"`` when the real data is known
    to be padded so (a change under pre-padding alone is reported only for pre-padded data)."""
    keras = import_keras()
    label = label or getattr(model, "name", "model")
    arrays, data_path = None, None
    if data is not None:
        if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
            from ..data import load_data

            data_path = str(data)
            arrays = load_data(data_path)
        elif isinstance(data, dict):
            arrays = {k: np.asarray(v) for k, v in data.items()}
        else:
            arrays = {"": np.asarray(data)}
    if not isinstance(model, keras.Model):
        raise LintError(f"expected a keras.Model, got {type(model).__name__}")
    if arrays is not None and live is None:  # the data checks read the static analysis' mask states
        from ...frontends.live import analyse

        try:
            live = analyse(model, label, known)
        except LintError:
            live = None
    p = _Probe(model, label, pad_value=pad_value, data=arrays, data_path=data_path, seed=seed,
               tolerance=tolerance, lengths=lengths, weights=weights, live=live, padding_side=padding_side)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = p.go()
    if arrays is not None:
        rep.data_findings = data_checks(p, live)
    return rep


def probe_file(path, *, pad_value=None, data=None, seed=0, tolerance=None, lengths=None, unsafe=False,
               imports=(), weights="perturbed", known=None, padding_side=None) -> list[Finding]:
    """Load a model file safely and probe it; raises LintError when it cannot be probed."""
    return probe_file_report(path, pad_value=pad_value, data=data, seed=seed, tolerance=tolerance,
                             lengths=lengths, unsafe=unsafe, imports=imports, weights=weights,
                             known=known, padding_side=padding_side).all_findings()


def probe_file_report(path, *, pad_value=None, data=None, seed=0, tolerance=None, lengths=None, unsafe=False,
                      imports=(), weights="perturbed", known=None, padding_side=None) -> ProbeReport:
    model = load_model_file(str(path), unsafe=unsafe, imports=imports)
    rep = probe_report(model, label=str(path), pad_value=pad_value, data=data, seed=seed, tolerance=tolerance,
                       lengths=lengths, weights=weights, known=known, padding_side=padding_side)
    if getattr(model, "_masklint_no_weights", False):
        rep.notes.insert(0, "a model .json holds no weights: the probe runs on freshly initialised ones")
    return rep
