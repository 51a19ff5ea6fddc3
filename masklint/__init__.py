"""masklint: find Keras masking and padding mistakes.

The static API (:func:`lint_paths`, :func:`lint_file`, :func:`lint_model_file`) never imports
TensorFlow or Keras and applies the ``[tool.masklint]`` configuration exactly as the command line does
(``isolated=True`` skips it). The runtime API (:func:`check`, :func:`probe`, :mod:`masklint.testing`)
imports Keras when it is called.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

from ._version import __version__
from .config import ConfigError
from .errors import LintError
from .findings import Finding
from .runner import RunResult

__all__ = ["__version__", "ConfigError", "Finding", "LintError", "RunResult", "check", "lint_file",
           "lint_model_file", "lint_paths", "probe"]

def _paths(paths) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):  # one path, not an iterable of characters
        paths = [paths]
    return [os.fspath(p) for p in paths]


def lint_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, isolated: bool = False,
               config: str | os.PathLike[str] | None = None, jobs: int | None = None) -> RunResult:
    """Lint files and directories the way ``masklint PATH...`` does.

    Directories are walked for ``.py``/``.pyi``, ``.keras``, ``.h5`` and ``.hdf5`` files (a ``.json``
    model config only when named). Each file gets the ``[tool.masklint]`` table of its nearest
    ``pyproject.toml``: ``select``, ``ignore``, ``extend-select``, ``extend-ignore``,
    ``per-file-ignores``, ``exclude``/``extend-exclude``, ``known-mask-layers`` and ``severity``
    (``fail-on`` decides only the CLI's exit code). ``config`` pins one ``pyproject.toml`` for every file; ``isolated=True``
    ignores every configuration file. ``jobs``: worker processes for large runs (default: all cores).

    Returns a :class:`RunResult`: ``findings`` (the reported :class:`Finding` objects, sorted; paths
    as the CLI prints them), ``errors`` (``(path, reason)`` of each file that could not be linted; a
    run never raises for one file), ``files`` (how many were checked) and ``collected`` (every file
    looked at). Raises :class:`ConfigError` when a configuration file is invalid.
    """
    from .project import lint_paths as _lint

    return _lint(_paths(paths), config=None if config is None else os.fspath(config), isolated=isolated,
                 jobs=jobs)


def _lint_one(path, model: bool, isolated: bool, config) -> list[Finding]:
    from .project import Project

    p = os.fspath(path)
    project = Project.load([p], config=None if config is None else os.fspath(config), isolated=isolated)
    if model:
        from .lint import lint_model_file as _lint
    else:
        from .runner import lint_file as _lint
    with project.targeting():
        res = RunResult(findings=_lint(p, project.known(p)), files=1)
    return project.finish(res).findings


def lint_file(path: str | os.PathLike[str], *, isolated: bool = False,
              config: str | os.PathLike[str] | None = None) -> list[Finding]:
    """The findings of one file: model code (``.py``/``.pyi``) or a saved model (any other name:
    ``.keras``, ``.h5``, ``.hdf5``, ``.json``), sorted, configured as by :func:`lint_paths` (a file
    named here is linted even when the configuration excludes it).

    Raises :class:`LintError` (one-line reason) when the file cannot be linted, :class:`ConfigError`
    for an invalid configuration.
    """
    return _lint_one(path, False, isolated, config)


def lint_model_file(path: str | os.PathLike[str], *, isolated: bool = False,
                    config: str | os.PathLike[str] | None = None) -> list[Finding]:
    """The findings of one saved model (``.keras``, ``.h5``, ``.hdf5``, or a ``model.to_json()``
    file, whatever its name), sorted, configured as by :func:`lint_file`.

    Raises :class:`LintError` (one-line reason) when the file cannot be linted, :class:`ConfigError`
    for an invalid configuration.
    """
    return _lint_one(path, True, isolated, config)


def check(model, *, probe: bool = False, label: str | None = None, known: dict | None = None,
          **probe_options) -> list[Finding]:
    """Findings for a built ``keras.Model`` (a live model, not a file), sorted.

    The model's graph goes through the same analysis as a saved file (``source="model"``), with the mask
    behaviour of custom and third-party layers read from the live objects (``supports_masking``, what
    ``compute_mask`` returns), so they are not reported as unknown (unknown-mask-behaviour). Subclassed models have no
    graph: the static part is then empty and a ``UserWarning`` says so.

    ``probe=True`` also runs the padding probe (``source="probe"``: the runtime rules); ``probe_options`` are
    those of :func:`probe` (``pad_value``, ``data``, ``seed``, ``tolerance``, ``lengths``, ``weights``).
    ``known`` maps custom class names to behaviours (``knowledge.custom_spec``) the live objects cannot tell.
    No configuration file is read.
    """
    import warnings

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
