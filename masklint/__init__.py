"""masklint: find Keras masking and padding mistakes.

Static linting (saved models, and later source code) never imports TensorFlow or Keras; the runtime
API (:func:`check`, :func:`probe`, :mod:`masklint.testing`) imports Keras when it is called.
"""
__version__ = "0.1.0"

__all__ = ["__version__", "check", "lint_model_file", "lint_paths", "probe"]


def lint_model_file(path):
    """Findings for one saved model file (``.keras``, ``.h5``, ``.json``)."""
    from .lint import lint_model_file as _f

    return _f(path)


def lint_paths(paths):
    """Lint files and directories; returns ``(findings, errors, files_checked)``."""
    from .runner import lint_paths as _f

    return _f(paths)


def check(model, *, probe=False, label=None, known=None, **probe_options):
    """Findings for a built ``keras.Model`` (a live model, not a file).

    The model's graph goes through the same analysis as a saved file (``source="model"``), with the mask
    behaviour of custom and third-party layers read from the live objects (``supports_masking``, what
    ``compute_mask`` returns), so they are not reported as unknown (MK001). Subclassed models have no
    graph: the static part is then empty and a ``UserWarning`` says so.

    ``probe=True`` also runs the padding probe (``source="probe"``, MK301-MK304); ``probe_options`` are
    those of :func:`probe` (``pad_value``, ``data``, ``seed``, ``tolerance``, ``lengths``, ``weights``).
    ``known`` maps custom class names to behaviours (``knowledge.custom_spec``) the live objects cannot tell.
    """
    import warnings

    from .findings import Finding
    from .frontends.live import analyse

    live = analyse(model, label, known)
    if live.note:
        warnings.warn(f"masklint: {live.note}", UserWarning, stacklevel=2)
    out = list(live.findings)
    if probe:
        from .runtime.probe import probe_report

        out += probe_report(model, label=label, live=live, known=known, **probe_options).all_findings()
    return sorted(out, key=Finding.sort_key)


def probe(model, **options):
    """Run the padding probe on a built ``keras.Model``; returns a ``ProbeReport`` (``.findings``,
    ``.all_findings()``, ``.largest``, ``.variants``, ``.forward_passes``, ``.text()``).

    Options: ``pad_value``, ``data`` (a ``.npy``/``.npz`` path, an array, or ``{input name: array}``),
    ``seed`` (0), ``tolerance`` (relative, default 1e-5), ``lengths`` (padded lengths), ``weights``
    (``"perturbed"`` or ``"trained"``), ``label``.
    """
    from .runtime.probe import probe_report

    return probe_report(model, **options)
