"""Saved models that are directories, recognised by the names of their entries and read as models.

* a TensorFlow SavedModel (``saved_model.pb``; tf.keras adds ``keras_metadata.pb``):
  :mod:`masklint.savedmodel`;
* an unzipped Keras 3 save (``model.save(path, zipped=False)``, Keras >= 3.4): ``config.json``,
  ``metadata.json`` and ``model.weights.h5``, the same files as inside a ``.keras`` zip;
* a KerasHub preset (``backbone.save_to_preset(dir)``): ``config.json`` (the backbone's class and
  hyperparameters, no layer graph), ``metadata.json`` (with ``keras_hub_version``), weights, and
  maybe ``tokenizer.json``, ``preprocessor.json``, ``task.json``, ``assets/``.

A directory walk (:mod:`masklint.runner`) lints such a directory as one model and does not walk into
it. Only names are looked at to recognise one (no file is opened during the walk).
"""
from __future__ import annotations

import json
import os

from .errors import LintError
from .savedmodel import is_savedmodel, load_savedmodel, read_file_bounded

KERAS_DIR_FILES = ("config.json", "metadata.json")
METADATA_MAX_BYTES = 1 << 20


def _has_weights(names) -> bool:
    return any(n.endswith(".weights.h5") or n.endswith(".weights.json") for n in names)


def dir_kind(names) -> str | None:
    """``"savedmodel"``, ``"keras_dir"`` (an unzipped Keras 3 save or a KerasHub preset) or None, for
    a directory whose entries have these ``names``."""
    names = set(names)
    if is_savedmodel(names):
        return "savedmodel"
    if all(n in names for n in KERAS_DIR_FILES) and _has_weights(names):
        return "keras_dir"
    return None


def model_dir_kind(path: str) -> str | None:
    """:func:`dir_kind` of the directory ``path`` (None when it cannot be listed)."""
    try:
        with os.scandir(path) as it:
            names = [e.name for _, e in zip(range(10_000), it)]
    except OSError:
        return None
    return dir_kind(names)


def _keras_version(path: str) -> tuple[str | None, bool]:
    """(keras_version, whether keras_hub wrote it) from ``metadata.json``; a bad one is ignored."""
    meta_path = os.path.join(path, "metadata.json")
    try:
        st = os.stat(meta_path)
        if st.st_size > METADATA_MAX_BYTES or not os.path.isfile(meta_path):
            return None, False
        with open(meta_path, "rb") as fh:
            meta = json.loads(fh.read(METADATA_MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError, MemoryError):
        return None, False
    if not isinstance(meta, dict):
        return None, False
    version = meta.get("keras_version")
    return (version[:100] if isinstance(version, str) and version else None), "keras_hub_version" in meta


def load_keras_dir(path: str):
    """The :class:`~masklint.loaders.ModelFile` of an unzipped Keras 3 save or a KerasHub preset."""
    from .loaders import ModelFile, _check_model_dict, _loads

    raw = read_file_bounded(os.path.join(path, "config.json"), "config.json")
    cfg = _check_model_dict(_loads(raw, "config.json"), "config.json")
    version, hub = _keras_version(path)
    return ModelFile(path, "preset" if hub else "keras_dir", cfg, version)


def load_dir(path: str):
    """The :class:`~masklint.loaders.ModelFile` of a saved-model directory; LintError otherwise."""
    kind = model_dir_kind(path)
    if kind == "savedmodel":
        return load_savedmodel(path)
    if kind == "keras_dir" or os.path.isfile(os.path.join(path, "config.json")):
        return load_keras_dir(path)
    raise LintError("is a directory with no saved model in it (no saved_model.pb, no config.json)")


def load_any(path: str):
    """:func:`masklint.loaders.load` for a file, :func:`load_dir` for a directory."""
    if os.path.isdir(path):
        return load_dir(path)
    from .loaders import load

    return load(path)
