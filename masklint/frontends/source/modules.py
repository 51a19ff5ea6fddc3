"""Imports between the files of one lint run: ``from data import load_data`` in ``train.py`` binds the
value ``load_data`` has in the linted file ``data.py`` (a function, a class, a constant, a padded array),
found by interpreting that module's body -- never by importing it.

:class:`ProjectIndex` knows the linted ``.py`` files of a run and resolves an import the way Python
would for code run from the project: relative imports (``from .data import x``, ``from ..models import
build``) from the importer's package; absolute ones (``from data import x``, ``from myproj.data import
x``, ``import myproj.data as d``) from the importer's own directory first (sibling scripts import each
other as top-level modules), then each directory above it, up to the directory roots the run was given.
Packages with and without ``__init__.py`` resolve alike. Only files being linted are ever resolved: linting
``train.py`` alone resolves none of its imports (they stay unknown, so nothing is reported from them).
Names of well-known libraries (``keras``, ``tensorflow``, ``numpy``...) are never resolved to project files.

Resolution is lazy: an import binds :class:`LazyName`/:class:`ModuleRef` values, and a module is parsed
(through the guarded :func:`~.parse_guard.parse`) and its body interpreted only when a name from it is
used; then once per process (the entry is cached by path), so a run parses each file at most twice (once
as linted, once as imported). A module imported while it is being loaded (an import cycle) is unknown.
Values that carry state a run mutates (models, layers, instances) are not shared: they are unknown to
the importer.
"""
from __future__ import annotations

import os
import re

from .values import UNKNOWN, Arr, ClassVal, Const, Func, Ref

#: the scope key that names the file a scope's code comes from (None: the file being linted)
FILE_KEY = "__masklint_file__"
#: top-level names that are libraries, never project files
LIBRARIES = frozenset(("keras", "tensorflow", "tf_keras", "numpy", "jax", "torch", "scipy", "sklearn", "pandas",
                       "tensorflow_datasets", "tensorflow_text", "tensorflow_hub", "keras_nlp", "keras_hub",
                       "keras_cv", "transformers", "os", "sys", "re", "math", "json", "typing", "collections",
                       "functools", "itertools", "pathlib", "random", "string", "dataclasses"))
MAX_SOURCE_BYTES = 20 * 1024 * 1024
_PLAIN = (int, float, str, bool, type(None), bytes)
_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b|import[ \t]+([\w.]+))", re.M)


def _norm(p: str) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(p)))


class ModuleEntry:
    """A loaded module: its text, libcst tree, global scope (after its body ran) and display path."""

    __slots__ = ("path", "text", "module", "scope", "layers", "positioned")

    def __init__(self, path, text, module, scope, layers):
        self.path, self.text, self.module, self.scope, self.layers = path, text, module, scope, layers
        self.positioned = False


def _mentions_keras(raw: bytes) -> bool:
    return b"keras" in raw or b"tensorflow" in raw


class ProjectIndex:
    """The linted ``.py`` files of a run (``files``: paths as collected) under the given ``roots``."""

    def __init__(self, files, roots=()):
        self.files: dict[str, str] = {}  # normalised path -> path as collected (the display path)
        for p in files:
            if p.lower().endswith(".py"):
                self.files.setdefault(_norm(p), p)
        tops = set()
        for r in roots:
            tops.add(_norm(r) if os.path.isdir(r) else os.path.dirname(_norm(r)))
        self.roots = tops
        self.dirs: set[str] = set()  # directories holding linted files (namespace packages)
        for n in self.files:
            d = os.path.dirname(n)
            while d not in self.dirs and self._inside(d):
                self.dirs.add(d)
                d = os.path.dirname(d)
        self._entries: dict[str, ModuleEntry | None] = {}
        self._loading: set[str] = set()
        self.host_class = None  # the interpreter class that runs module bodies (set by the first bind)
        self.parses = 0  # modules parsed for imports (tests count them)
        self._names = None

    def imports_linted(self, raw: bytes) -> bool:
        """Whether source that never mentions Keras may import a linted file (then it is linted too:
        ``train.py`` calls ``build_model()`` of ``model.py``); a cheap scan of its import lines."""
        if self._names is None:  # only files that mention Keras themselves can lead to a model
            names = set()
            for n, shown in self.files.items():
                try:
                    with open(shown, "rb") as fh:
                        if not _mentions_keras(fh.read(64 * 1024 * 1024)):
                            continue
                except OSError:
                    continue
                names.add(os.path.splitext(os.path.basename(n))[0])
                d = os.path.dirname(n)
                while d in self.dirs:  # the packages holding it
                    names.add(os.path.basename(d))
                    d = os.path.dirname(d)
            self._names = {x.encode() for x in names} - {b"__init__"}
        if not self._names:
            return False
        for m in _IMPORT.finditer(raw):
            target = m.group(1) or m.group(2)
            if target.startswith(b".") or target.split(b".")[0] in self._names:
                return True
        return False

    def _inside(self, d: str) -> bool:
        return any(d == r or d.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots)

    # ---- resolution
    def _module_at(self, base: str, parts: list[str]):
        """(file or None, package directory or None) of the module ``parts`` under ``base``."""
        stem = os.path.join(base, *parts)
        if stem + ".py" in self.files:
            return stem + ".py", None
        init = os.path.join(stem, "__init__.py")
        if init in self.files:
            return init, stem
        if stem in self.dirs:
            return None, stem
        return None

    def resolve(self, importer: str, dotted: str, level: int = 0):
        """The :class:`ModuleRef` of module ``dotted`` imported from the file ``importer`` (``level``: the
        dots of a relative import), or None when it is no linted file."""
        parts = [p for p in dotted.split(".") if p] if dotted else []
        here = os.path.dirname(_norm(importer))
        if level:
            base = here
            for _ in range(level - 1):
                base = os.path.dirname(base)
            if not parts:
                init = os.path.join(base, "__init__.py")
                return ModuleRef(self, init if init in self.files else None, base) if self._inside(base) else None
            found = self._module_at(base, parts)
            return ModuleRef(self, *found) if found else None
        if not parts or parts[0] in LIBRARIES:
            return None
        base = here
        while self._inside(base):
            found = self._module_at(base, parts)
            if found:
                return ModuleRef(self, *found)
            parent = os.path.dirname(base)
            if parent == base:
                break
            base = parent
        return None

    def bind(self, small, scope, importer: str, host) -> None:
        """Rebind the names of an import statement (libcst) that resolve to linted files."""
        import libcst as cst

        from .names import _dotted

        self.host_class = self.host_class or type(host)
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = _dotted(alias.name)
                if alias.asname is not None:
                    ref = self.resolve(importer, full)
                    if ref is not None:
                        scope[alias.asname.name.value] = ref
                else:
                    top = full.split(".")[0]
                    ref = self.resolve(importer, top)
                    if ref is not None:
                        scope[top] = ref
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            level = len(small.relative)
            ref = self.resolve(importer, _dotted(small.module) if small.module is not None else "", level)
            if ref is None:
                return
            for alias in small.names:
                name = _dotted(alias.name)
                local = alias.asname.name.value if alias.asname is not None else name
                scope[local] = LazyName(ref, name)

    # ---- loading
    def entry(self, path: str | None) -> ModuleEntry | None:
        """The loaded module of ``path`` (normalised or as collected), loading it on first use."""
        if path is None:
            return None
        key = _norm(path)
        if key in self._entries:
            return self._entries[key]
        if key in self._loading or key not in self.files or self.host_class is None:
            return None
        self._loading.add(key)
        try:
            ent = self._load(key)
        finally:
            self._loading.discard(key)
        self._entries[key] = ent
        return ent

    def _load(self, key: str) -> ModuleEntry | None:
        import libcst as cst

        from ...errors import LintError
        from .parse_guard import parse

        shown = self.files[key]
        try:
            with open(key, "rb") as fh:
                raw = fh.read(MAX_SOURCE_BYTES + 1)
            if len(raw) > MAX_SOURCE_BYTES:
                return None
            text = raw.decode("utf-8")
            self.parses += 1
            module = parse(text)
        except (OSError, UnicodeDecodeError, LintError, RecursionError, MemoryError):
            return None
        ex = self.host_class(module, project=self, file=shown)
        ex.cst = cst
        glob: dict = {FILE_KEY: shown}
        try:
            ex.entry(lambda: ex.exec_body(module.body, glob))
        except RecursionError:
            return None
        return ModuleEntry(shown, text, module, glob, ex.layers)

    def positions(self, ent: ModuleEntry) -> None:
        """Line/column of the layers the module body made (the origins of its padded arrays), once."""
        if not ent.positioned:
            ent.positioned = True
            from .positions import resolve_positions

            resolve_positions(ent.module, ent.layers, ent.text)


class ModuleRef:
    """A linted module (``file``: its path, None for a namespace package) or package (``package``: its
    directory, for submodules)."""

    __slots__ = ("index", "file", "package")

    def __init__(self, index: ProjectIndex, file, package):
        self.index, self.file, self.package = index, file, package

    def attr(self, name: str):
        """The value of ``module.name``: a name its body binds, else a submodule, else unknown."""
        ent = self.index.entry(self.file)
        if ent is not None and name in ent.scope:
            return export(ent.scope[name], self.index, ent)
        if self.package is not None:
            found = self.index._module_at(self.package, [name])
            if found:
                return ModuleRef(self.index, *found)
        return UNKNOWN


class LazyName:
    """``from module import name``, looked up on first use."""

    __slots__ = ("ref", "name", "value", "busy")

    def __init__(self, ref: ModuleRef, name: str):
        self.ref, self.name, self.value, self.busy = ref, name, None, False

    def get(self):
        if self.value is None:
            if self.busy:  # a re-export that loops back to itself
                return UNKNOWN
            self.busy = True
            try:
                self.value = self.ref.attr(self.name)
            finally:
                self.busy = False
        return self.value


def _plain(v) -> bool:
    if isinstance(v, (list, tuple)):
        return len(v) <= 10_000 and all(_plain(x) for x in v)
    if isinstance(v, dict):
        return len(v) <= 10_000 and all(_plain(k) and _plain(x) for k, x in v.items())
    return isinstance(v, _PLAIN)


def export(v, index: ProjectIndex, ent: ModuleEntry):
    """What an importer sees of a module's value: functions, classes, plain constants, names of other
    modules and padded arrays (a copy); anything a run mutates is unknown."""
    if isinstance(v, LazyName):
        return v.get()
    if isinstance(v, (Func, ClassVal, Ref, ModuleRef)):
        return v
    if isinstance(v, Const):
        if _plain(v.v):
            return v
        if isinstance(v.v, tuple) and all(isinstance(x, (Arr, Const)) for x in v.v):
            return Const(tuple(export(x, index, ent) for x in v.v))
        return UNKNOWN
    if isinstance(v, Arr):
        if v.pad is not None:
            index.positions(ent)
        return Arr(v.shape, v.dtype, pad=v.pad, ids_start=v.ids_start)
    return UNKNOWN


class TaggedLayers(list):
    """The interpreter's list of layers made: each layer made while code of another file runs is tagged
    with that file (:attr:`masklint.ir.Layer.file`)."""

    __slots__ = ("host",)

    def __init__(self, host):
        super().__init__()
        self.host = host

    def append(self, lay) -> None:
        f = self.host.file
        if f is not None and lay.file is None:
            lay.file = f
        super().append(lay)
