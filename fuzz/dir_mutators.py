"""Inputs for the saved-model directory readers (masklint/savedmodel.py, protobuf_wire.py,
saved_dirs.py): SavedModel directories with a hostile ``keras_metadata.pb`` and unzipped Keras 3
saves / KerasHub presets with hostile ``config.json``/``metadata.json``.

A directory travels as bytes (:func:`pack_dir`: a stored zip whose names ending in ``/`` are
directories) and is written back with :func:`write_input`, so the fuzzer's one-input-one-blob design
holds. Shared by fuzz/run_fuzz.py (families ``savedmodel`` and ``kerasdir``) and
tests/test_fuzz_savedmodel.py.
"""
from __future__ import annotations

import io
import json
import os
import random
import shutil
import zipfile

import mutators as M

DIR_EXTS = (".savedmodel", ".kerasdir")


# ---- the protobuf wire format -------------------------------------------------------------------

def varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 70) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(num: int, wt: int) -> bytes:
    return varint((num << 3) | wt)


def ld(num: int, payload: bytes) -> bytes:
    return tag(num, 2) + varint(len(payload)) + payload


def saved_object(node_id: int, path: bytes, identifier: bytes, metadata: bytes) -> bytes:
    return (tag(2, 0) + varint(node_id) + ld(3, path) + ld(4, identifier) + ld(5, metadata)
            + ld(6, tag(1, 0) + varint(2) + tag(2, 0) + varint(1)))


def saved_metadata(nodes) -> bytes:
    return b"".join(ld(1, saved_object(*n)) for n in nodes)


def root_json(config_text: bytes, rnd: random.Random) -> bytes:
    """The root node's metadata JSON as tf.keras writes it, around a model config."""
    try:
        cfg = json.loads(config_text)
    except (ValueError, RecursionError):
        return config_text
    if not isinstance(cfg, dict):
        return config_text
    meta = {"name": "model", "trainable": True, "class_name": cfg.get("class_name"), "config": cfg.get("config"),
            "keras_version": rnd.choice(["2.15.0", "2.21.0", "3.1.0", "", 7]), "backend": "tensorflow"}
    if rnd.random() < 0.7:
        meta["model_config"] = cfg
    if rnd.random() < 0.3:
        meta["batch_input_shape"] = {"class_name": "__tuple__", "items": [None, None]}
    return M.dumps(meta)


def pb_for_config(config_text: bytes, rnd: random.Random) -> bytes:
    nodes = [(0, b"root", b"_tf_keras_sequential", root_json(config_text, rnd))]
    for k in range(rnd.randrange(4)):
        nodes.append((k + 1, b"root.layer-%d" % k, b"_tf_keras_layer", b'{"name": "dense"}'))
    if rnd.random() < 0.2:
        rnd.shuffle(nodes)
    return saved_metadata(nodes)


def hostile_pb(rnd: random.Random, base: bytes) -> bytes:
    """A message built to break a wire reader: bad varints, lengths, groups, types, counts."""
    r = rnd.randrange(12)
    if r == 0:  # varint longer than 10 bytes / over 64 bits
        return tag(1, 2) + b"\xff" * rnd.randrange(9, 40) + b"\x01"
    if r == 1:
        return tag(1, 2) + varint((1 << 64) + rnd.randrange(1 << 20)) + base[:100]
    if r == 2:  # length past the end
        return tag(1, 2) + varint(rnd.choice([len(base) + 1, 1 << 31, (1 << 64) - 1])) + base[:50]
    if r == 3:  # deep groups (start-group tags, maybe closed)
        depth = rnd.choice([10, 64, 65, 1000, 100_000])
        body = tag(7, 3) * depth
        if rnd.random() < 0.5:
            body += tag(7, 4) * depth
        return body + base
    if r == 4:  # end-group without start, mismatched groups
        return rnd.choice([tag(3, 4), tag(3, 3) + tag(4, 4), tag(1, 3) + tag(1, 4) + tag(1, 4)]) + base
    if r == 5:  # wire types 6 and 7, field number 0
        return rnd.choice([tag(1, 6), tag(1, 7), b"\x00", b"\x02\x00"]) + base
    if r == 6:  # many tiny nodes before (or instead of) the root
        return ld(1, b"") * rnd.choice([1, 1000, 200_000]) + (base if rnd.random() < 0.5 else b"")
    if r == 7:  # nodes nested inside nodes, no root
        msg = b""
        for _ in range(rnd.choice([10, 1000])):
            msg = ld(1, msg)
        return msg
    if r == 8:  # root without metadata, or metadata that is not JSON / not UTF-8
        meta = rnd.choice([None, b"", b"\xff\xfe", b"[1, 2]", b'{"class_name": 3}', b"{" * 5000, b"null"])
        obj = tag(2, 0) + varint(0) + ld(3, b"root") + (ld(5, meta) if meta is not None else b"")
        return ld(1, obj)
    if r == 9:  # fixed-width fields, truncated
        return tag(2, 1) + b"\x00" * rnd.randrange(8) if rnd.random() < 0.5 else tag(2, 5) + b"\x00\x00"
    if r == 10:  # the root node's fields as other wire types
        return ld(1, tag(3, 0) + varint(1) + tag(5, 1) + b"\x00" * 8 + ld(3, b"root")) + base
    return rnd.randbytes(rnd.randrange(1, 200))


def mutate_pb(base: bytes, rnd: random.Random) -> bytes:
    r = rnd.random()
    if r < 0.35:
        return M.mutate_bytes(base, rnd, rnd.choice([1, 1, 2, 4, 16]))
    if r < 0.5:
        return base[:rnd.randrange(len(base) + 1)]
    if r < 0.85:
        return hostile_pb(rnd, base)
    return base


# ---- directories as blobs -----------------------------------------------------------------------

def pack_dir(files: dict) -> bytes:
    """``{relative name: bytes}`` (a name ending in ``/``: a directory) as one blob."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, b"" if name.endswith("/") else data)
    return buf.getvalue()


def write_input(workdir: str, ext: str, data: bytes) -> str:
    """Write one fuzz input under ``workdir``; the path to lint (a directory for :data:`DIR_EXTS`)."""
    path = os.path.join(workdir, "input" + ext)
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)
    if ext not in DIR_EXTS:
        with open(path, "wb") as fh:
            fh.write(data)
        return path
    os.makedirs(path)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            target = os.path.join(path, info.filename)
            if info.filename.endswith("/"):
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(zf.read(info))
    return path


def savedmodel_input(rnd: random.Random, pbs: list[bytes], config_texts: list[bytes]) -> bytes:
    """A SavedModel directory (packed) whose ``keras_metadata.pb`` is real, rebuilt or hostile."""
    if pbs and rnd.random() < 0.4:
        base = rnd.choice(pbs)
    else:
        text = rnd.choice(config_texts)
        if rnd.random() < 0.3:
            text = M.mutate_json_text(text, rnd, rnd.choice([1, 2, 4]))
        base = pb_for_config(text, rnd)
    files = {"saved_model.pb": b"\x08\x01", "variables/": b"", "fingerprint.pb": b""}
    r = rnd.random()
    if r < 0.88:
        files["keras_metadata.pb"] = mutate_pb(base, rnd)
    elif r < 0.93:
        files["keras_metadata.pb/"] = b""  # a directory where the file should be
    elif r < 0.96:
        del files["saved_model.pb"]
        files["keras_metadata.pb"] = base
    # else: no keras_metadata.pb (an older SavedModel, a Keras 3 export)
    return pack_dir(files)


def kerasdir_input(rnd: random.Random, config_texts: list[bytes]) -> bytes:
    """An unzipped Keras 3 save or a KerasHub preset (packed), its JSON files mutated."""
    text = rnd.choice(config_texts)
    r = rnd.random()
    if r < 0.5:
        config = M.mutate_json_text(text, rnd, rnd.choice([1, 1, 2, 4]))
    elif r < 0.65:  # a preset: class and hyperparameters only, maybe with nested model configs
        try:
            inner = json.loads(text)
        except (ValueError, RecursionError):
            inner = {}
        hyper = {"name": "backbone", "vocabulary_size": rnd.choice([0, 50, -1, 1 << 70]), "hidden_dim": 8}
        if rnd.random() < 0.5:
            hyper[rnd.choice(["backbone", "encoder", "layers"])] = M.mutate_config(inner, rnd, 1) if inner else []
        cfg = {"module": rnd.choice(["keras_hub.src.models.bert.bert_backbone", None, "mypkg", 3]),
               "class_name": rnd.choice(["BertBackbone", "Encoder", "Dense", "", "Sequential"]),
               "config": hyper, "registered_name": rnd.choice(["keras_hub>BertBackbone", None, "Encoder", []])}
        config = M.dumps(cfg)
    elif r < 0.75:
        config = M.mutate_bytes(text, rnd, rnd.choice([1, 4, 16]))
    else:
        config = text
    meta = rnd.choice([b'{"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}',
                       b'{"keras_version": "3.15.1", "keras_hub_version": "0.32.0"}', b"[]", b"{", b"\xff",
                       b'{"keras_version": 3}', b'{"keras_version": "' + b"9" * 5000 + b'"}',
                       b"[" * 10000, b""])
    files = {"config.json": config, "metadata.json": meta, "model.weights.h5": b""}
    r = rnd.random()
    if r < 0.05:
        del files["config.json"]
        files["config.json/"] = b""
    elif r < 0.1:
        del files["metadata.json"]
        files["metadata.json/"] = b""
    elif r < 0.15:
        files["tokenizer.json"] = b"{}"
        files["assets/tokenizer/vocabulary.txt"] = b"[PAD]\n[UNK]\n"
    return pack_dir(files)
