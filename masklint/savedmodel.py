"""A TensorFlow SavedModel directory written by tf.keras (Keras 2): its model config, read from
``keras_metadata.pb`` without TensorFlow and without executing anything.

``keras_metadata.pb`` is a ``SavedMetadata`` message (tf_keras ``protobuf/saved_metadata.proto``)::

    message SavedMetadata { repeated SavedObject nodes = 1; }
    message SavedObject { int32 node_id = 2; string node_path = 3; string identifier = 4;
                          string metadata = 5; VersionDef version = 6; }

The node whose ``node_path`` is ``"root"`` is the model; its ``metadata`` is JSON holding the
model's ``class_name`` and ``config`` (and ``model_config``, the same as ``model.to_json()``, for
models whose config can be saved) and ``keras_version``. Tuples and shapes are written there as
``{"class_name": "__tuple__", "items": [...]}``: they are read back as lists. The message is read with
:mod:`masklint.protobuf_wire`, bounded by ``MASKLINT_MAX_CONFIG_BYTES``.
"""
from __future__ import annotations

import os

from .errors import LintError
from .notes import NotAModel
from .protobuf_wire import LEN, WireError, iter_fields

METADATA_FILE = "keras_metadata.pb"
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
CONFIG_LIMIT = "MASKLINT_MAX_CONFIG_BYTES"
MAX_NODES = 1_000_000
_NODES, _NODE_PATH, _METADATA = 1, 3, 5
_SEQUENCE_TAGS = ("__tuple__", "TensorShape", "__list__")

NO_KERAS_CONFIG = ("is a TensorFlow SavedModel with no Keras config in it (no keras_metadata.pb: an older "
                   "SavedModel, or a Keras 3 model.export() directory, which keeps only traced functions); "
                   "lint the .keras or .h5 file the model was saved to, or the code that builds it")


def is_savedmodel(names) -> bool:
    """Whether a directory with these entry names is a SavedModel directory."""
    return any(n in names for n in SAVED_MODEL_FILES) or METADATA_FILE in names


def read_file_bounded(path: str, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``MASKLINT_MAX_CONFIG_BYTES``."""
    from .loaders import read_bounded

    return read_bounded(path, what, label=what)


def root_metadata(buf: bytes) -> bytes:
    """The ``metadata`` bytes of the root node of a serialized ``SavedMetadata``."""
    view = memoryview(buf)
    try:
        for num, wt, span in iter_fields(view, max_fields=MAX_NODES):
            if num != _NODES or wt != LEN:
                continue
            path = meta = None
            for fnum, fwt, value in iter_fields(view, span[0], span[1], max_fields=MAX_NODES):
                if fwt != LEN:
                    continue
                if fnum == _NODE_PATH:
                    path = value
                elif fnum == _METADATA:
                    meta = value
            if path is not None and bytes(view[path[0]:path[1]]) == b"root":
                if meta is None:
                    raise LintError(f"{METADATA_FILE} has a root node without metadata")
                return bytes(view[meta[0]:meta[1]])
    except WireError as exc:
        raise LintError(f"{METADATA_FILE} is not a valid protobuf message ({exc})") from None
    raise LintError(f"{METADATA_FILE} has no root node (no Keras model in it)")


def untuple(obj, depth: int = 0):
    """``obj`` with tf.keras' ``{"class_name": "__tuple__", "items": [...]}`` records as lists."""
    if depth > 900:  # json.loads stops near 1,000 levels; RecursionError is caught by the caller too
        raise LintError(f"{METADATA_FILE}: the model's metadata is nested too deeply")
    if isinstance(obj, dict):
        if (len(obj) == 2 and obj.get("class_name") in _SEQUENCE_TAGS and isinstance(obj.get("items"), list)):
            return [untuple(v, depth + 1) for v in obj["items"]]
        return {k: untuple(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [untuple(v, depth + 1) for v in obj]
    return obj


def model_of_metadata(meta: dict) -> tuple[dict, str]:
    """(the model dict ``{class_name, config}``, keras_version) of the root node's metadata."""
    version = meta.get("keras_version")
    version = version[:100] if isinstance(version, str) and version else "2"  # only Keras 2 writes this file
    mc = meta.get("model_config")
    if isinstance(mc, dict) and isinstance(mc.get("class_name"), str) and "config" in mc:
        return untuple(mc), version
    cls = meta.get("class_name")
    if not isinstance(cls, str):
        raise LintError(f"{METADATA_FILE}: the root node's metadata has no 'class_name'")
    cfg = meta.get("config")
    return untuple({"class_name": cls, "config": cfg if isinstance(cfg, dict) else {}}), version


def load_savedmodel(path: str):
    """The :class:`~masklint.loaders.ModelFile` of the SavedModel directory ``path``."""
    from .loaders import ModelFile, _loads

    pb = os.path.join(path, METADATA_FILE)
    if not os.path.lexists(pb):
        raise NotAModel(NO_KERAS_CONFIG)
    raw = root_metadata(read_file_bounded(pb, METADATA_FILE))
    meta = _loads(raw, f"the root node's metadata in {METADATA_FILE}")
    if not isinstance(meta, dict):
        raise LintError(f"{METADATA_FILE}: the root node's metadata is not a JSON object")
    try:
        model, version = model_of_metadata(meta)
    except RecursionError:
        raise LintError(f"{METADATA_FILE}: the model's metadata is nested too deeply") from None
    return ModelFile(path, "savedmodel", model, version)
