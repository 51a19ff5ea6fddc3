"""``[tool.masklint]`` in the nearest ``pyproject.toml`` (walking up from each linted file).

Keys (all optional)::

    [tool.masklint]
    select = ["<prefix>", "<code>"]  # codes, code prefixes or rule names; default: every rule
    ignore = ["unknown-mask-behaviour"]
    extend-select = ["<prefix>"]     # added to select (or to the default)
    extend-ignore = []
    fail-on = "warning"              # info | warning | error | never
    unsafe-fixes = false             # true: --fix/--diff also apply the fixes labelled unsafe
    exclude = ["legacy/*", "*.h5"]   # globs, relative to the pyproject.toml's directory
    extend-exclude = []
    per-file-ignores = { "tests/*.py" = ["missing-mask"], "models/clf.keras::lstm*" = ["mask-dropped"] }

    target-keras = "3.16"            # the Keras version source code runs on
    backend = "jax"                  # tensorflow | jax | torch | numpy | openvino

    [tool.masklint.known-mask-layers]  # custom layer class (or registered name) -> behaviour
    PositionalEncoding = "propagate"
    "my_pkg>Pooling" = { mask = "consume", mixes-time = true }

    [tool.masklint.probe]
    tolerance = 1e-4
    seed = 0
    lengths = [2, 5, 9]
    pad-value = 0.0
    weights = "perturbed"            # perturbed | trained

    [tool.masklint.severity]         # per-rule severity (masklint.severity): info | warning | error | ignore
    missing-mask = "error"           # rule code or name -> level

``target-keras``/``backend`` default to the installed Keras' version (its package metadata, never
imported) and to ``KERAS_BACKEND`` (else keras.json's backend, else TensorFlow); a saved model uses what
its file records, a live model the Keras that built it (see ``knowledge/versions.py``).

A file is configured by the closest ``pyproject.toml`` that has a ``[tool.masklint]`` table; the
command line overrides it. An unknown key or a bad value is an error (exit 2) that names the key.
The TOML parser is only imported when a ``pyproject.toml`` mentions ``tool.masklint``.
"""
from __future__ import annotations

import fnmatch
import os

from ._record import factory, record
from .errors import LintError
from .selection import FAIL_ON, UsageError, parse_codes

_TOP_KEYS = {"select", "ignore", "extend-select", "extend-ignore", "fail-on", "exclude", "extend-exclude",
             "per-file-ignores", "known-mask-layers", "probe", "target-keras", "backend",
             "unsafe-fixes"}
_TOP_KEYS.add("severity")  # masklint.severity
_PROBE_KEYS = {"tolerance": (float, int), "seed": (int,), "lengths": (list,), "pad-value": (float, int),
               "weights": (str,)}


class ConfigError(LintError):
    pass


@record
class Settings:
    """The configuration that applies to the files under ``root``."""

    root: str = ""  # directory of the pyproject.toml ("" = no configuration file)
    file: str | None = None
    select: list[str] | None = None  # None: every rule
    ignore: list[str] = factory(list)
    extend_select: list[str] = factory(list)
    extend_ignore: list[str] = factory(list)
    fail_on: str | None = None
    exclude: list[str] = factory(list)
    per_file_ignores: list[tuple[str, str | None, list[str]]] = factory(list)  # (glob, layer glob, codes)
    known: dict = factory(dict)  # class or registered name -> knowledge.Spec
    probe: dict = factory(dict)
    severity: dict = factory(dict)  # code -> info | warning | error | ignore (masklint.severity)
    target_keras: str | None = None  # "3.16": the Keras version source code runs on
    backend: str | None = None  # their backend

    def target(self, keras: str | None = None, backend: str | None = None):
        """The :class:`~masklint.knowledge.versions.Target` of source code (``keras``/``backend``: the
        command line's, which override the configuration)."""
        from .knowledge import versions

        return versions.configured(keras or self.target_keras, backend or self.backend)
    unsafe_fixes: bool = False  # ``unsafe-fixes = true``: --fix/--diff also apply the unsafe fixes

    # -- matching -----------------------------------------------------------------------------
    def rel(self, path: str) -> str:
        ap = os.path.abspath(path)
        if self.root:
            try:
                r = os.path.relpath(ap, self.root)
            except ValueError:  # another drive (Windows)
                r = ap
        else:
            r = os.path.relpath(ap)
        return r.replace(os.sep, "/")

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        rel = self.rel(path)
        parts = rel.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for pat in self.exclude:
            pat = pat.rstrip("/")
            if "/" in pat:
                p = pat.lstrip("./")
                if any(fnmatch.fnmatchcase(x, p) for x in prefixes):
                    return True
            elif any(fnmatch.fnmatchcase(x, pat) for x in parts):
                return True
        return False

    def file_ignores(self, path: str, layer: str | None) -> list[str]:
        if not self.per_file_ignores:
            return []
        rel = self.rel(path)
        base = rel.rsplit("/", 1)[-1]
        out: list[str] = []
        for glob, layer_glob, codes in self.per_file_ignores:
            g = glob.lstrip("./") if "/" in glob else glob
            hit = fnmatch.fnmatchcase(rel, g) if "/" in glob else (
                fnmatch.fnmatchcase(base, g) or fnmatch.fnmatchcase(rel, g))
            if not hit:
                continue
            if layer_glob is not None and (layer is None or not fnmatch.fnmatchcase(layer, layer_glob)):
                continue
            out.extend(codes)
        return out


def _err(file: str, key: str, why: str) -> ConfigError:
    return ConfigError(f"[tool.masklint] {key}: {why}")


def _codes(file: str, key: str, value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(file, key, "expected a list of rule codes, prefixes or names")
    try:
        return parse_codes(value, key)
    except UsageError as exc:
        raise _err(file, key, str(exc).split(": ", 1)[-1]) from None


def _globs(file: str, key: str, value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _err(file, key, "expected a list of glob patterns")
    return list(value)


def _known(file: str, value) -> dict:
    from .knowledge import CUSTOM_KINDS, custom_spec

    key = "known-mask-layers"
    if not isinstance(value, dict):
        raise _err(file, key, "expected a table of layer class -> behaviour")
    kinds = ", ".join(sorted(CUSTOM_KINDS))
    out = {}
    for cls, beh in value.items():
        mixes = None
        if isinstance(beh, dict):
            unknown = set(beh) - {"mask", "mixes-time"}
            if unknown:
                raise _err(file, f"{key}.{cls}", f"unknown key {sorted(unknown)[0]!r} (allowed: mask, mixes-time)")
            mixes = beh.get("mixes-time")
            if mixes is not None and not isinstance(mixes, bool):
                raise _err(file, f"{key}.{cls}.mixes-time", "expected true or false")
            beh = beh.get("mask")
        if beh not in CUSTOM_KINDS:
            raise _err(file, f"{key}.{cls}", f"unknown behaviour {beh!r} (one of: {kinds})")
        out[cls] = custom_spec(beh, mixes)
    return out


def _probe(file: str, value) -> dict:
    if not isinstance(value, dict):
        raise _err(file, "probe", "expected a table")
    out = {}
    for k, v in value.items():
        types = _PROBE_KEYS.get(k)
        if types is None:
            raise _err(file, f"probe.{k}", f"unknown key (allowed: {', '.join(sorted(_PROBE_KEYS))})")
        if isinstance(v, bool) or not isinstance(v, types):
            raise _err(file, f"probe.{k}", f"bad value {v!r}")
        if k == "lengths" and not (v and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)):
            raise _err(file, "probe.lengths", "expected a list of positive integers")
        if k == "tolerance" and not v > 0:
            raise _err(file, "probe.tolerance", "expected a positive number")
        if k == "weights" and v not in ("perturbed", "trained"):
            raise _err(file, "probe.weights", "expected 'perturbed' or 'trained'")
        out[k.replace("-", "_")] = v
    return out


def parse_table(table, file: str, root: str) -> Settings:
    """Validate the ``[tool.masklint]`` table of ``file``."""
    if not isinstance(table, dict):
        raise _err(file, "tool.masklint", "expected a table")
    s = Settings(root=root, file=file)
    for key, value in table.items():
        if key not in _TOP_KEYS:
            hint = f" (did you mean {key.replace('_', '-')!r}?)" if key.replace("_", "-") in _TOP_KEYS else ""
            raise _err(file, key, f"unknown key{hint}")
        if key == "select":
            s.select = _codes(file, key, value)
        elif key == "ignore":
            s.ignore = _codes(file, key, value)
        elif key == "extend-select":
            s.extend_select = _codes(file, key, value)
        elif key == "extend-ignore":
            s.extend_ignore = _codes(file, key, value)
        elif key == "fail-on":
            if value not in FAIL_ON:
                raise _err(file, key, f"bad value {value!r} (one of: {', '.join(FAIL_ON)})")
            s.fail_on = value
        elif key in ("exclude", "extend-exclude"):
            s.exclude.extend(_globs(file, key, value))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise _err(file, key, "expected a table of glob -> codes")
            for glob, codes in value.items():
                path_glob, sep, layer_glob = glob.partition("::")
                if not path_glob or (sep and not layer_glob):
                    raise _err(file, f"{key}.{glob}", "expected 'glob' or 'glob::layer-path'")
                s.per_file_ignores.append((path_glob, layer_glob if sep else None,
                                           _codes(file, f"{key}.{glob}", codes)))
        elif key == "known-mask-layers":
            s.known = _known(file, value)
        elif key == "probe":
            s.probe = _probe(file, value)
        elif key == "severity":
            from .severity import SeverityError, parse_table as parse_severity

            try:
                s.severity = parse_severity(value)
            except SeverityError as exc:
                raise _err(file, f"severity.{exc.key}" if exc.key else "severity", exc.why) from None
        elif key in ("target-keras", "backend"):
            _target_key(s, file, key, value)
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise _err(file, key, "expected true or false")
            s.unsafe_fixes = value
    return s


def _target_key(s: Settings, file: str, key: str, value) -> None:
    from .knowledge import versions

    if key == "target-keras":
        v = versions.parse_version(value)
        if v is None or v[0] < 3:
            raise _err(file, key, f"bad value {value!r} (a Keras 3 version such as \"3.16\")")
        s.target_keras = value
    else:
        if versions.parse_backend(value) is None:
            raise _err(file, key, f"bad value {value!r} (one of: {', '.join(versions.BACKENDS)})")
        s.backend = value


def load_file(file: str) -> Settings | None:
    """The settings in ``file`` (a pyproject.toml), or None when it has no ``[tool.masklint]``."""
    try:
        with open(file, "rb") as fh:
            raw = fh.read(16 * 1024 * 1024)
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror or exc})") from None
    if b"tool.masklint" not in raw and not (b"masklint" in raw and b"[tool]" in raw):
        return None  # the common case: a pyproject.toml that does not configure masklint
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"is not valid TOML: {exc}") from None
    tool = data.get("tool")
    if not isinstance(tool, dict) or "masklint" not in tool:
        return None
    return parse_table(tool["masklint"], file, os.path.dirname(os.path.abspath(file)))


class Resolver:
    """Finds (and caches) the settings of each file; ``fixed`` pins one configuration for all."""

    def __init__(self, fixed: Settings | None = None, isolated: bool = False):
        self.fixed = fixed
        self.isolated = isolated
        self._dirs: dict[str, Settings] = {}
        self._files: dict[str, Settings | None] = {}
        self.errors: list[tuple[str, str]] = []
        self.default = Settings()

    def for_path(self, path: str) -> Settings:
        if self.fixed is not None:
            return self.fixed
        if self.isolated:
            return self.default
        d = os.path.dirname(os.path.abspath(path))
        return self._for_dir(d)

    def _for_dir(self, d: str) -> Settings:
        chain = []
        found = None
        cur = d
        while True:
            hit = self._dirs.get(cur)
            if hit is not None:
                found = hit
                break
            chain.append(cur)
            cand = os.path.join(cur, "pyproject.toml")
            if os.path.isfile(cand):
                s = self._load(cand)
                if s is not None:
                    found = s
                    break
            parent = os.path.dirname(cur)
            if parent == cur:
                break
            cur = parent
        found = found or self.default
        for c in chain:
            self._dirs[c] = found
        return found

    def _load(self, file: str) -> Settings | None:
        if file not in self._files:
            try:
                self._files[file] = load_file(file)
            except ConfigError as exc:
                self._files[file] = None
                raise ConfigError(f"{file}: {exc}") from None
        return self._files[file]
