"""Read a saved Keras model's config without importing TensorFlow or Keras.

Supported: ``.keras`` zips (``config.json`` + ``metadata.json``), legacy HDF5 files (root attribute
``model_config``), and JSON files written by ``model.to_json()`` (Keras 3 and Keras 2 / tf.keras).
Every failure is a :class:`LintError` with a one-line reason.
"""
from __future__ import annotations

import json
import os
import stat
import zipfile
from ._record import record

from .errors import LintError, first_line, limit, over
from .h5read import NO_MODEL_CONFIG, read_h5_bounded, split_version
from .notes import NotAModel

#: Default largest model config that is parsed (bytes); the limit in force is
#: ``errors.limit("MASKLINT_MAX_CONFIG_BYTES")``, read from the environment at each load.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
CONFIG_LIMIT = "MASKLINT_MAX_CONFIG_BYTES"
ZIP_LIMIT = "MASKLINT_MAX_ZIP_ENTRIES"
METADATA_MAX_BYTES = 1 << 20

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
LFS_MAGIC = b"version https://git-lfs.github.com/spec/"


WEIGHTS_ONLY = ("is a weights-only file (*.weights.h5, written by save_weights), not a model; "
                "save the whole model with model.save() to lint it")


@record
class ModelFile:
    path: str
    format: str  # "keras", "h5" or "json"
    config: dict  # the model's {class_name, config, ...} dict
    keras_version: str | None = None
    backend: str | None = None  # the backend that saved it, where the file records it



_SURROGATE_ESCAPE = None


def _loads(text: str | bytes, what: str):
    try:
        obj = json.loads(text)
        return _without_lone_surrogates(obj, text) if (b"\\u" in text if isinstance(text, bytes)
                                                      else "\\u" in text) else obj
    except RecursionError:
        raise LintError(f"{what} is nested too deeply to parse") from None
    except MemoryError:
        raise LintError(f"{what} is too large to parse in the memory available") from None
    except (ValueError, UnicodeDecodeError) as exc:  # also ints over Python's 4300-digit limit
        raise LintError(f"{what} is not valid JSON ({first_line(exc)})") from None


def _without_lone_surrogates(obj, text):
    """JSON's ``\\udXXX`` escapes can encode half a surrogate pair, which no output stream can write
    (UnicodeEncodeError when a finding names such a layer): replace each with U+FFFD. Pairs (Keras
    escapes every non-ASCII character, emoji as pairs) are already joined by the parser."""
    global _SURROGATE_ESCAPE
    if _SURROGATE_ESCAPE is None:
        import re

        _SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if not _SURROGATE_ESCAPE.search(raw):
        return obj
    clean = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return json.loads(clean)


def _check_model_dict(obj, what: str) -> dict:
    if not isinstance(obj, dict):
        raise LintError(f"{what} is not a Keras model config (top level is {type(obj).__name__})")
    if "class_name" not in obj or "config" not in obj:
        raise LintError(f"{what} is not a Keras model config (no 'class_name'/'config')")
    if not isinstance(obj.get("class_name"), str):
        raise LintError(f"{what} is not a Keras model config ('class_name' is not a string)")
    return obj


def _regular(path: str) -> os.stat_result:
    """stat() of ``path``; a LintError unless it is a regular file (never open a FIFO or a device:
    reading one can block forever or never end)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise LintError(f"cannot read file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise LintError("is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise LintError("is not a regular file (a FIFO, socket or device)")
    return st


def read_head(path: str, n: int = 512) -> bytes:
    _regular(path)
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
    if path.lower().endswith(".weights.h5") and head.startswith(HDF5_MAGIC):
        raise NotAModel(WEIGHTS_ONLY)
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


def _zip_entries(fh) -> int | None:
    """The member count in the zip's end-of-central-directory record, read before zipfile builds a
    ZipInfo for every member (a forged directory can list millions); None if it cannot be read."""
    try:
        rec = zipfile._EndRecData(fh)  # noqa: SLF001 - the stdlib's own EOCD reader (ZIP64-aware)
    except (AttributeError, OSError, ValueError, EOFError, OverflowError):
        return None
    if not rec:
        return None
    try:
        return int(rec[zipfile._ECD_ENTRIES_TOTAL])  # noqa: SLF001
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def _read_member(member, max_bytes: int | None) -> bytes:
    """Up to ``max_bytes + 1`` bytes of a zip member, inflated 1 MiB at a time: zipfile's ``read()``
    without a size inflates up to 2 GiB per step before it cuts at the declared size."""
    chunks = []
    total = 0
    while True:
        want = 1 << 20 if max_bytes is None else min(1 << 20, max_bytes + 1 - total)
        if want <= 0:
            break
        chunk = member.read(want)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _load_keras_zip(path: str) -> ModelFile:
    max_bytes = limit(CONFIG_LIMIT)
    max_entries = limit(ZIP_LIMIT)
    try:
        with open(path, "rb") as fh:
            if max_entries is not None:
                n = _zip_entries(fh)
                if n is not None and n > max_entries:
                    raise over(ZIP_LIMIT, "the zip's member count", n, "members")
                fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                try:
                    info = zf.getinfo("config.json")
                except KeyError:
                    raise LintError("is a zip without config.json, not a .keras model") from None
                # file_size is what zipfile will inflate at most: it stops there (and reports a
                # damaged zip) however far the compressed stream would go (a zip bomb)
                if max_bytes is not None and info.file_size > max_bytes:
                    raise over(CONFIG_LIMIT, "config.json (uncompressed)", info.file_size)
                with zf.open(info) as member:
                    raw = _read_member(member, max_bytes)
                if max_bytes is not None and len(raw) > max_bytes:
                    raise over(CONFIG_LIMIT, "config.json (uncompressed)", len(raw))
                version = backend = None
                try:
                    minfo = zf.getinfo("metadata.json")
                except KeyError:
                    minfo = None
                if minfo is not None and minfo.file_size <= METADATA_MAX_BYTES:
                    try:
                        with zf.open(minfo) as member:
                            meta = json.loads(member.read(METADATA_MAX_BYTES + 1))
                        if isinstance(meta, dict) and isinstance(meta.get("keras_version"), str):
                            version = meta["keras_version"][:100]
                        if isinstance(meta, dict) and isinstance(meta.get("backend"), str):
                            backend = meta["backend"][:100]
                    except (LintError, MemoryError):
                        raise
                    except Exception:  # noqa: BLE001 - metadata is optional: a bad one is ignored
                        pass
    except (LintError, MemoryError, RecursionError):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise LintError(f"is a damaged or truncated zip ({first_line(exc)})") from None
    except Exception as exc:  # noqa: BLE001 - zlib/bz2/lzma errors, CRC mismatches, EOF, bad offsets...
        raise LintError(f"is a damaged or truncated zip ({type(exc).__name__}: {first_line(exc)})") from None
    cfg = _check_model_dict(_loads(raw, "config.json"), "config.json")
    return ModelFile(path, "keras", cfg, version, backend)


def _load_h5(path: str) -> ModelFile:
    try:
        import h5py  # noqa: F401
    except ImportError:  # pragma: no cover - h5py is a base dependency
        raise LintError("needs h5py to read HDF5 files (pip install h5py)") from None
    max_bytes = limit(CONFIG_LIMIT)
    try:
        raw, version = read_h5_bounded(path, max_bytes)
    except LintError as exc:
        if str(exc) == NO_MODEL_CONFIG:  # a checkpoint: skipped when a directory walk finds it
            raise NotAModel(NO_MODEL_CONFIG) from None
        raise
    if max_bytes is not None and len(raw) > max_bytes:
        raise over(CONFIG_LIMIT, "the 'model_config' attribute", len(raw))
    cfg = _check_model_dict(_loads(raw, "model_config"), "model_config")
    version, backend = split_version(version)
    return ModelFile(path, "h5", cfg, version, backend)


def read_bounded(path: str, what: str = "the file", label: str | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``MASKLINT_MAX_CONFIG_BYTES`` (``what`` names it in
    the size error; ``label``, when given, prefixes the other errors: ``config.json: is a FIFO``)."""
    max_bytes = limit(CONFIG_LIMIT)
    try:
        size = _regular(path).st_size
    except LintError as exc:
        if label is None:
            raise
        raise LintError(f"{label}: {exc}") from None
    if max_bytes is not None and size > max_bytes:
        raise over(CONFIG_LIMIT, what, size)
    try:
        with open(path, "rb") as fh:
            raw = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as exc:
        raise LintError(f"cannot read {label or 'file'} ({exc.strerror or exc})") from None
    if max_bytes is not None and len(raw) > max_bytes:  # it grew since stat()
        raise over(CONFIG_LIMIT, what, len(raw))
    return raw


def _load_json(path: str) -> ModelFile:
    raw = read_bounded(path)
    obj = _loads(raw, "the file")
    cfg = _check_model_dict(obj, "the JSON")
    version = obj.get("keras_version") if isinstance(obj.get("keras_version"), str) else None
    backend = obj.get("backend") if isinstance(obj.get("backend"), str) else None
    return ModelFile(path, "json", cfg, version[:100] if version else None, backend[:100] if backend else None)

