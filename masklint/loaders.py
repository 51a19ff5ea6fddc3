"""Read a saved Keras model's config without importing TensorFlow or Keras.

Supported: ``.keras`` zips (``config.json`` + ``metadata.json``), legacy HDF5 files (root attribute
``model_config``), and JSON files written by ``model.to_json()`` (Keras 3 and Keras 2 / tf.keras).
Every failure is a :class:`LintError` with a one-line reason.
"""
from __future__ import annotations

import json
import os
import zipfile
from ._record import record

from .errors import LintError

#: Largest ``config.json`` (uncompressed) or HDF5 ``model_config`` attribute that is parsed.
MAX_CONFIG_BYTES = int(os.environ.get("MASKLINT_MAX_CONFIG_BYTES", 256 * 1024 * 1024))

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
LFS_MAGIC = b"version https://git-lfs.github.com/spec/"


@record
class ModelFile:
    path: str
    format: str  # "keras", "h5" or "json"
    config: dict  # the model's {class_name, config, ...} dict
    keras_version: str | None = None


def _loads(text: str | bytes, what: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise LintError(f"{what} is nested too deeply to parse") from None
    except (ValueError, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LintError(f"{what} is not valid JSON ({msg})") from None


def _check_model_dict(obj, what: str) -> dict:
    if not isinstance(obj, dict):
        raise LintError(f"{what} is not a Keras model config (top level is {type(obj).__name__})")
    if "class_name" not in obj or "config" not in obj:
        raise LintError(f"{what} is not a Keras model config (no 'class_name'/'config')")
    if not isinstance(obj.get("class_name"), str):
        raise LintError(f"{what} is not a Keras model config ('class_name' is not a string)")
    return obj


def read_head(path: str, n: int = 512) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except IsADirectoryError:
        raise LintError("is a directory") from None
    except OSError as exc:
        raise LintError(f"cannot read file ({exc.strerror or exc})") from None


def load(path: str) -> ModelFile:
    """Load the model config of a ``.keras``, ``.h5``/``.hdf5`` or ``.json`` file."""
    head = read_head(path)
    if head.startswith(LFS_MAGIC):
        raise LintError(
            "is a Git LFS pointer, not a model: the real file was never fetched "
            "(run `git lfs pull`, or set `lfs: true` on actions/checkout)"
        )
    if not head:
        raise LintError("is empty (0 bytes), not a model file")
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return _load_keras_zip(path)
    if head.startswith(HDF5_MAGIC):
        return _load_h5(path)
    if head.lstrip()[:1] in (b"{", b"["):
        return _load_json(path)
    ext = os.path.splitext(path)[1].lower()
    kind = {".keras": "a .keras zip", ".h5": "an HDF5 file", ".hdf5": "an HDF5 file"}.get(ext, "a model file")
    raise LintError(f"is not {kind} (unrecognised content)")


def _load_keras_zip(path: str) -> ModelFile:
    try:
        with zipfile.ZipFile(path) as zf:
            try:
                info = zf.getinfo("config.json")
            except KeyError:
                raise LintError("is a zip without config.json, not a .keras model") from None
            if info.file_size > MAX_CONFIG_BYTES:
                raise LintError(
                    f"config.json would inflate to {info.file_size} bytes, over the "
                    f"{MAX_CONFIG_BYTES}-byte limit (MASKLINT_MAX_CONFIG_BYTES)"
                )
            with zf.open(info) as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
            if len(raw) > MAX_CONFIG_BYTES:
                raise LintError(f"config.json exceeds the {MAX_CONFIG_BYTES}-byte limit")
            version = None
            if "metadata.json" in zf.namelist():
                minfo = zf.getinfo("metadata.json")
                if minfo.file_size < 1 << 20:
                    try:
                        meta = json.loads(zf.read(minfo))
                        if isinstance(meta, dict) and isinstance(meta.get("keras_version"), str):
                            version = meta["keras_version"]
                    except (ValueError, RecursionError, zipfile.BadZipFile):
                        pass
    except LintError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise LintError(f"is a damaged or truncated zip ({exc})") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        # zlib errors and CRC mismatches surface as these
        raise LintError(f"is a damaged or truncated zip ({type(exc).__name__}: {exc})") from None
    cfg = _check_model_dict(_loads(raw, "config.json"), "config.json")
    return ModelFile(path, "keras", cfg, version)


def _load_h5(path: str) -> ModelFile:
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a base dependency
        raise LintError("needs h5py to read HDF5 files (pip install h5py)") from None
    try:
        with h5py.File(path, "r") as f:
            attrs = f.attrs
            if "model_config" not in attrs:
                raise LintError(
                    "is an HDF5 file without a 'model_config' attribute (weights only?); "
                    "save the whole model with model.save()"
                )
            raw = attrs["model_config"]
            version = attrs.get("keras_version")
    except LintError:
        raise
    except Exception as exc:  # h5py raises OSError, KeyError, ValueError, RuntimeError...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LintError(f"is a damaged HDF5 file ({msg})") from None
    if hasattr(raw, "tobytes") and not isinstance(raw, (bytes, str)):
        raw = raw.tobytes()
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    if not isinstance(raw, (bytes, str)):
        raise LintError("has a 'model_config' attribute that is not a JSON string")
    if len(raw) > MAX_CONFIG_BYTES:
        raise LintError(f"model_config exceeds the {MAX_CONFIG_BYTES}-byte limit")
    cfg = _check_model_dict(_loads(raw, "model_config"), "model_config")
    return ModelFile(path, "h5", cfg, version if isinstance(version, str) else None)


def _load_json(path: str) -> ModelFile:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise LintError(f"cannot read file ({exc.strerror or exc})") from None
    if size > MAX_CONFIG_BYTES:
        raise LintError(f"is {size} bytes, over the {MAX_CONFIG_BYTES}-byte limit")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise LintError(f"cannot read file ({exc.strerror or exc})") from None
    obj = _loads(raw, "the file")
    cfg = _check_model_dict(obj, "the JSON")
    version = obj.get("keras_version") if isinstance(obj.get("keras_version"), str) else None
    return ModelFile(path, "json", cfg, version)


def looks_like_model_json(path: str) -> bool:
    """Cheap check used when walking directories: is this ``.json`` a Keras model config?"""
    head = read_head(path, 4096)
    return head.lstrip()[:1] == b"{" and b'"class_name"' in head and (
        b'"Sequential"' in head or b'"Functional"' in head or b'"Model"' in head
    )
