"""A lint run as configured: ``[tool.masklint]`` applied the same way for the CLI and the Python API.

:class:`Project` finds the configuration of each file (the nearest ``pyproject.toml`` with a
``[tool.masklint]`` table, or one pinned file, or none when isolated) and applies it:

* :meth:`Project.lint`: ``exclude``/``extend-exclude`` drop files, ``known-mask-layers`` teach the
  analysis each file's custom layers;
* :meth:`Project.finish`: paths as users write them (``a.py``, not ``./a.py``), then ``select``,
  ``ignore``, ``extend-*`` (overridden or extended by the command line's :class:`Selection`) and
  ``per-file-ignores``, then ``[tool.masklint.severity]`` (and ``--severity``), findings sorted.

:func:`lint_paths` is both in one call (what ``masklint.lint_paths`` runs). ``fail-on`` and the probe
settings are the CLI's business (:meth:`Project.fail_on`, :meth:`Project.settings`).
"""
from __future__ import annotations

from .config import ConfigError, Resolver, Settings, load_file
from .findings import Finding
from .runner import RunResult
from .runner import lint_paths as _lint_files
from .selection import Selection, selected
from .severity import apply as severity_apply


def display_path(path: str) -> str:
    """A path as users write it: ``deeper/a.py``, not ``./deeper/a.py`` (like ruff)."""
    return path[2:] if path.startswith("./") else path


class Project:
    """The configuration of the files of one run."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self._target = (None, None)  # the command line's --target-keras / --backend

    def target_override(self, keras: str | None = None, backend: str | None = None) -> None:
        """``--target-keras``/``--backend``: they override every file's configuration (a bad version is
        a :class:`ConfigError`)."""
        if keras is not None:
            from .knowledge.versions import parse_version

            v = parse_version(keras)
            if v is None or v[0] < 3:
                raise ConfigError(f"--target-keras: bad value {keras!r} (a Keras 3 version such as \"3.16\")")
        self._target = (keras, backend)

    @classmethod
    def load(cls, paths=(), *, config: str | None = None, isolated: bool = False) -> "Project":
        """The configuration for ``paths``, checked up front: a bad ``pyproject.toml`` above a given
        path is a :class:`ConfigError` before anything is linted (its message names the file and the
        key). ``config``: one pyproject.toml for every file; ``isolated``: no configuration at all."""
        fixed = None
        if config is not None:
            try:
                fixed = load_file(config)
                if fixed is None:
                    raise ConfigError("has no [tool.masklint] table")
            except ConfigError as exc:
                raise ConfigError(f"{config}: {exc}") from None
        project = cls(Resolver(fixed=fixed, isolated=isolated))
        for p in paths:
            project.settings(p)
        return project

    def settings(self, path: str) -> Settings:
        """The settings of the file ``path`` (``-`` is standard input: the current directory's)."""
        return self.resolver.for_path("." if path == "-" else path)

    def known(self, path: str) -> dict | None:
        """The ``known-mask-layers`` of ``path``'s configuration (None when there are none)."""
        return self.settings(path).known or None

    def fail_on(self, path: str) -> str | None:
        return self.settings(path).fail_on

    def lint(self, paths: list[str], *, debug: bool = False, jobs: int | None = None,
             progress=None) -> RunResult:
        """Lint the files under ``paths`` that the configuration does not exclude, each with its
        ``known-mask-layers``. The findings are not selected yet: see :meth:`finish`."""
        with self.targeting():
            return _lint_files(paths, debug=debug, jobs=jobs, keep=lambda p: not self.settings(p).excluded(p),
                               known_for=self.known, progress=progress)

    def targeting(self):
        """A context in which each file is analysed for its configuration's ``target-keras``/``backend``."""
        from .knowledge.versions import targets

        keras, backend = self._target
        return targets(lambda p: self.settings(p or ".").target(keras, backend))

    def select(self, findings: list[Finding], selection: Selection | None = None) -> list[Finding]:
        """The findings the configuration (and the command line's ``selection``) reports, sorted."""
        selection = selection or Selection()
        kept = []
        for f in findings:
            s = self.settings(f.path or ".")
            sel, ign = selection.codes(s)
            if not selected(f.code, sel, ign):
                continue
            pfi = s.file_ignores(f.path, f.layer)
            if pfi and any(f.code.startswith(c) for c in pfi):
                continue
            if s.severity or selection.severity:  # [tool.masklint.severity], --severity
                if not severity_apply([f], s.severity, selection.severity):
                    continue
            kept.append(f)
        return sorted(kept, key=Finding.sort_key)

    def finish(self, res: RunResult, selection: Selection | None = None) -> RunResult:
        """``res`` with display paths and only the selected findings (in place; returned)."""
        for f in res.findings:
            f.path = display_path(f.path)
        res.errors = [(display_path(p), reason) for p, reason in res.errors]
        res.notes = [(display_path(p), note) for p, note in res.notes]
        res.findings = self.select(res.findings, selection)
        return res


def lint_paths(paths: list[str], *, config: str | None = None, isolated: bool = False, debug: bool = False,
               jobs: int | None = None, progress=None) -> RunResult:
    """Lint ``paths`` with their ``[tool.masklint]`` configuration applied (see the module docstring);
    raises :class:`ConfigError` for a bad configuration."""
    project = Project.load(paths, config=config, isolated=isolated)
    return project.finish(project.lint(paths, debug=debug, jobs=jobs, progress=progress))
