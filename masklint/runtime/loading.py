"""Getting a live model: safe loading of model files, ``--import`` modules, ``pkg.module:factory``.

Only these functions import Keras, and only when called. Every failure is a one-line
:class:`~masklint.errors.LintError`.

Safety: files are loaded with Keras' ``safe_mode=True``. A model with ``Lambda`` layers stores Python
bytecode that loading would run, so it is refused with a clear message unless ``unsafe=True``
(``--unsafe``). A factory is the user's own code and is imported and called only on explicit request.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
import warnings

from ..errors import LintError

#: ``package.module:callable`` (the callable may be a dotted attribute path)
FACTORY_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: first meaningful line`` of an exception, without Keras' ANSI bold codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # Keras wraps errors raised inside a layer: "Exception encountered when calling X.call()." + the cause
    lines = [ln for ln in lines if not ln.startswith("Exception encountered when calling")
             and not ln.startswith("Arguments received by") and not ln.startswith("•")] or lines
    msg = lines[0] if lines else ""
    if len(msg) > limit:
        msg = msg[: limit - 3] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def prepare_env() -> None:
    """Quiet TensorFlow's C++ logging before its first import (the user's setting wins)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _quiet_fd2():
    """Silence file descriptor 2 (TensorFlow's C++ start-up lines) until the returned callable is called."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except (OSError, ValueError, AttributeError):
        return lambda: None

    def restore():
        try:
            os.dup2(saved, 2)
        finally:
            os.close(saved)
            os.close(devnull)

    return restore


def import_keras():
    if "keras" in sys.modules:
        import keras

        return keras
    quiet = os.environ.get("TF_CPP_MIN_LOG_LEVEL") in (None, "3")
    prepare_env()
    restore = _quiet_fd2() if quiet else (lambda: None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import keras

            if quiet:  # the backend's first operation prints CPU-feature notes: let it happen here
                try:
                    keras.ops.convert_to_numpy(keras.ops.add(keras.ops.ones((1,)), 1.0))
                except Exception:  # noqa: BLE001 - only to warm up the backend
                    pass
    except ImportError as exc:
        raise LintError(f"the runtime checks need Keras 3 and a backend (pip install 'masklint[runtime]'): "
                        f"{one_line(exc)}") from None
    finally:
        restore()
    if quiet:  # tf.function retracing notes across probed models are TensorFlow's, not findings
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if not keras.__version__.startswith("3."):
        raise LintError(f"the runtime checks need Keras 3 (found keras {keras.__version__})")
    return keras


def _cwd_on_path() -> None:
    """Like ``python -m``: modules in the current directory can be imported."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def import_modules(names) -> None:
    """``--import mypkg.layers``: import modules that register custom objects, before loading."""
    _cwd_on_path()
    for name in names or ():
        try:
            importlib.import_module(name)
        except BaseException as exc:  # user code: any exception (even SystemExit) is reported, not raised
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise LintError(f"--import {name}: {one_line(exc)}") from None


def _config_dicts(config, max_depth: int = 200):
    """Every dict anywhere in a saved model config, depth first (bounded: configs can be hostile).

    A raw walk, not the IR, on purpose: the Lambda refusal must also see Lambdas inside configs the
    IR does not model (a custom wrapper's arguments)."""
    stack = [(config, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            continue
        if isinstance(node, dict):
            yield node
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        stack.extend((v, depth + 1) for v in reversed(list(children)) if isinstance(v, (dict, list)))


def find_lambdas(config) -> list[str]:
    """Names of the ``Lambda`` layers anywhere in a saved model config (nested models, wrappers)."""
    out = []
    for d in _config_dicts(config):
        if d.get("class_name") == "Lambda":
            cfg = d.get("config") if isinstance(d.get("config"), dict) else {}
            out.append(str(d.get("name") or cfg.get("name") or "lambda"))
    return out


def custom_classes(config) -> list[str]:
    """Registered names of the non-Keras classes in a saved config (what --import must provide)."""
    from ..knowledge import lookup

    out: list[str] = []
    for d in _config_dicts(config):
        cls, reg, mod = d.get("class_name"), d.get("registered_name"), d.get("module")
        if isinstance(cls, str) and isinstance(d.get("config"), (dict, list)):
            custom = (isinstance(reg, str) and ">" in reg) or (
                mod is None and "module" in d and lookup(cls) is None and cls not in (
                    "Sequential", "Functional", "Model", "InputLayer"))
            if custom and (reg or cls) not in out:
                out.append(reg or cls)
    return out


def load_model_file(path: str, *, unsafe: bool = False, imports=()) -> object:
    """Load a ``.keras`` / ``.h5`` / ``.hdf5`` / model ``.json`` file with Keras.

    The config is read first without Keras (the static loader: clear errors for missing, damaged or
    Git-LFS files), so that Lambda layers are refused before any bytecode is touched.
    """
    from ..loaders import load

    mf = load(path)  # LintError on bad input
    lambdas = find_lambdas(mf.config)
    if lambdas and not unsafe:
        names = ", ".join(repr(n) for n in lambdas[:3]) + (" ..." if len(lambdas) > 3 else "")
        raise LintError(f"has Lambda layers ({names}): loading them runs Python bytecode stored in the file, "
                        f"which Keras' safe mode refuses; pass --unsafe if you trust the file")
    keras = import_keras()
    import_modules(imports)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if mf.format == "json":
                from keras.src.saving import serialization_lib

                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                with serialization_lib.SafeModeScope(not unsafe):
                    model = keras.models.model_from_json(text)
                model._masklint_no_weights = True
            else:
                model = keras.models.load_model(path, compile=False, safe_mode=not unsafe)
    except LintError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        msg = one_line(exc)
        hint = ""
        custom = custom_classes(mf.config)
        if custom and not imports:
            names = ", ".join(custom[:3]) + (" ..." if len(custom) > 3 else "")
            hint = f" (the model uses custom classes: {names}; register them with --import MODULE)"
        elif "Unknown layer" in msg or "Could not locate" in msg or "custom_objects" in msg:
            hint = " (register the custom classes with --import MODULE)"
        raise LintError(f"cannot be loaded by keras {keras.__version__}: {msg}{hint}") from None
    if not isinstance(model, keras.Model):
        raise LintError(f"loads as a {type(model).__name__}, not a keras.Model")
    return model


def is_factory_target(target: str) -> bool:
    """``package.module:factory`` (and not an existing file)."""
    return bool(FACTORY_RE.match(target)) and not os.path.exists(target)


def load_factory(target: str, imports=()) -> object:
    """Import ``package.module`` and call ``factory()`` (the user's own code, on explicit request)."""
    keras = import_keras()
    import_modules(imports)
    mod_name, _, attr = target.partition(":")
    _cwd_on_path()
    try:
        obj = importlib.import_module(mod_name)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LintError(f"cannot import {mod_name!r}: {one_line(exc)}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise LintError(f"{mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, keras.Model):
        return obj
    if not callable(obj):
        raise LintError(f"{attr!r} is neither a zero-argument factory nor a keras.Model")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = obj()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LintError(f"the factory raised {one_line(exc)}") from None
    if not isinstance(model, keras.Model):
        raise LintError(f"the factory returned a {type(model).__name__}, not a keras.Model")
    return model
