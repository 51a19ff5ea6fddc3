"""Input generators for fuzzing masklint's front ends (standard library + h5py only; no Keras).

Every generator takes a ``random.Random`` and returns ``(ext, data)`` -- the file extension to save
the input under and its bytes -- so that one integer seed reproduces one input exactly.  Used by the
standalone run (``fuzz/run_fuzz.py``) and by the hypothesis tests (``tests/test_fuzz_*.py``).

Families:

* ``config``     structural mutations of real model configs (deleted keys, wrong types, NaN/Infinity,
                 absurd shapes, unknown classes, duplicated/renamed layers, cycles and dangling
                 ``keras_history``, deep nesting), saved as ``.keras``, ``.json`` or ``.h5``
* ``json_text``  text mutations of real ``config.json`` files (tokens such as ``NaN``, ``1e999``,
                 5,000-digit ints, deep ``[[[...]]]``, invalid UTF-8, truncation), as ``.keras`` or ``.json``
* ``zip``        byte mutations and forged headers of real ``.keras`` zips (lying sizes, other
                 compression methods, encryption flag, duplicate or missing members, bombs)
* ``h5``         byte mutations of real HDF5 models, and HDF5 files whose ``model_config`` attribute
                 has the wrong type, size or encoding
* ``bytes``      arbitrary bytes, with and without a model file's magic number
* ``notebook``   Jupyter notebooks made of the generated scripts (``bench/source_corpus/notebook_corpus.py``):
                 ``source`` lists and strings swapped, magic/shell/help lines injected, odd characters,
                 missing keys, wrong types, other kernels and nbformat versions, hostile outputs (deep,
                 runs of short strings full of brackets and escapes), other JSON layouts, BOM/CRLF/UTF-16,
                 then sometimes JSON-text mutations, byte flips or a truncation
* ``py``         mutated Keras model scripts (lines deleted/duplicated/swapped, names and literals
                 replaced, truncation, bad encodings), and generated pathological source (deep
                 nesting, long chains, recursive helpers, 50,000 lines)
"""
from __future__ import annotations

import copy
import io
import json
import random
import struct
import zipfile
import zlib

# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------

NAN = float("nan")
INF = float("inf")

WEIRD = [
    None, 0, -1, 1, 2, 1.5, -0.0, NAN, INF, -INF, 10**30, -(10**30), 2**63, 2**64 + 1, True, False,
    "", "x", "\u0000", "\ud7ff\uffff", "lstm", "keras.src.ops.numpy", "float32", "int32", "mixed_float16",
    [], {}, [None], [0], [-1], [[1, 2, 3]], [None, None, None], [10**30, 10**30], [None] * 300,
    [NAN, INF], {"a": 1}, ["lstm", 0, 0], ["input", -5, 10**9], ["", 0, 0],
    {"class_name": "__keras_tensor__"},
    {"class_name": "__keras_tensor__", "config": {"keras_history": ["nope", 0, 0]}},
    {"class_name": "__keras_tensor__", "config": {"keras_history": [None, NAN, INF]}},
    {"class_name": "__keras_tensor__", "config": {"keras_history": [[], {}, "x"], "shape": [10**30]}},
    {"class_name": "Sequential", "config": {"layers": []}},
    {"class_name": "Functional", "config": {"layers": [], "input_layers": [], "output_layers": []}},
    {"class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}},
    {"class_name": "DTypePolicy", "config": {"name": 7}},
    {"module": "keras.layers", "class_name": "LSTM", "config": {}},
    {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": None},
]

CLASS_NAMES = [
    "LSTM", "GRU", "SimpleRNN", "Bidirectional", "TimeDistributed", "Masking", "Embedding", "Dense",
    "Conv1D", "Conv2D", "ConvLSTM1D", "ConvLSTM2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
    "MultiHeadAttention", "Attention", "AdditiveAttention", "Add", "Concatenate", "Multiply", "Dot", "Lambda",
    "Reshape", "Flatten", "RepeatVector", "Softmax", "LayerNormalization", "BatchNormalization", "Dropout",
    "EinsumDense", "StringLookup", "IntegerLookup", "TextVectorization", "InputLayer", "Sequential",
    "Functional", "Model", "RNN", "LSTMCell", "StackedRNNCells", "CuDNNLSTM", "TFOpLambda",
    "SlicingOpLambda", "NotEqual", "Any", "GetItem", "MyCustomLayer", "", "__keras_tensor__", "Wrapper",
    "keras.layers.LSTM", "lstm",
]

# what a config value is replaced by, per key: wrong types for the keys masklint reads
KEY_VALUES = {
    "mask_value": [NAN, INF, -INF, 1e18, 1e300, 0.5, "0", None, [0.0], 10**30, True],
    "mask_zero": [True, False, 1, "true", None, NAN],
    "return_sequences": [True, False, 1, "yes", None],
    "batch_shape": [[None, None], [None, 10**30, 3], [], [None] * 200, [-1, -1, -1], "x", [NAN], [[None]]],
    "batch_input_shape": [[None, None], [None, 10**30], [], "x", [None, -3]],
    "input_dim": [0, -1, 10**30, NAN, "x", None, 1.5],
    "output_dim": [0, -1, 10**30, None],
    "units": [0, -1, 10**30, NAN, None, "x"],
    "padding": ["causal", "same", "valid", "", 3, None],
    "kernel_size": [[0], [10**9], 1, -1, [], None, "x"],
    "dtype": ["int32", "float32", "string", "bool", None, 3, {"class_name": "DTypePolicy"}],
    "axis": [0, 1, -1, 10**9, [1, 2], None, "x", [NAN]],
    "target_shape": [[-1], [10**30], [], None, "x", [0, 0]],
    "dims": [[2, 1], [1, 1], [], None],
    "layers": [[], None, [None], "x", {}],
    "inbound_nodes": [[], None, [[]], [{}], [[["ghost", 0, 0, {}]]], "x", [[[None, 0, 0]]],
                      [{"args": [], "kwargs": {}}], [{"args": "x", "kwargs": []}]],
    "input_layers": [[], None, [["ghost", 0, 0]], [[[["x", 0, 0]]]], "x", [[None, NAN, INF]]],
    "output_layers": [[], None, [["ghost", 0, 0]], "x", [["input", 10**9, 10**9]]],
    "keras_history": [[], ["ghost", 0, 0], [None, None, None], ["x"], "x", [1, 2, 3]],
    "name": ["", None, 3, "input", "a/b", "x" * 1000],
    "class_name": CLASS_NAMES,
    "module": [None, 3, "keras.src.ops.numpy", "keras.ops", "keras.layers", ""],
    "registered_name": [None, 3, "Custom>X", ""],
    "function": [None, "x", {"class_name": "__lambda__", "config": {"code": "AAAA", "defaults": None}}],
    "vocabulary": [None, [], ["", "[UNK]"], "x"],
    "mask_token": [None, "", 0, "[MASK]"],
    "num_oov_indices": [0, 1, -1, None],
}


def _copy(obj):
    """deepcopy with room for the deeply nested values the mutations themselves create (the limit is
    restored before masklint sees the input)."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        return copy.deepcopy(obj)
    finally:
        sys.setrecursionlimit(old)


def weird_value(rnd: random.Random, key=None):
    if key in KEY_VALUES and rnd.random() < 0.6:
        return _copy(rnd.choice(KEY_VALUES[key]))
    r = rnd.random()
    if r < 0.05:
        return deep_list(rnd.randrange(20, 200))
    if r < 0.08:
        return deep_dict(rnd.randrange(20, 120))
    return _copy(rnd.choice(WEIRD))


def deep_list(n: int):
    v: list = []
    for _ in range(n):
        v = [v]
    return v


def deep_dict(n: int):
    v: dict = {}
    for _ in range(n):
        v = {"class_name": "Sequential", "config": {"layers": [v]}} if n % 2 else {"a": v}
    return v


# --------------------------------------------------------------------------------------------------
# Structural mutations of configs
# --------------------------------------------------------------------------------------------------

def _paths(obj, limit=20000):
    """Key paths of every value in ``obj`` (pre-order, iterative: configs can be deeply nested)."""
    out = []
    stack = [((), obj)]
    while stack and len(out) < limit:
        prefix, o = stack.pop()
        out.append(prefix)
        if isinstance(o, dict):
            stack.extend((prefix + (k,), v) for k, v in reversed(list(o.items())))
        elif isinstance(o, list):
            stack.extend((prefix + (i,), v) for i, v in reversed(list(enumerate(o))))
    return out


def _layers_lists(cfg) -> list[list]:
    """Every ``layers`` list in the config (top level and nested models)."""
    found = []
    stack = [cfg]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            if isinstance(o.get("layers"), list):
                found.append(o["layers"])
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)
    return found


def _layer_names(layers) -> list[str]:
    out = []
    for e in layers:
        if isinstance(e, dict):
            n = e.get("name")
            if not isinstance(n, str) and isinstance(e.get("config"), dict):
                n = e["config"].get("name")
            if isinstance(n, str):
                out.append(n)
    return out


def _history_slots(cfg):
    """(container, key) of every keras_history list and Keras 2 ``[name, i, j, {}]`` reference."""
    slots = []
    stack = [cfg]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "keras_history" and isinstance(v, list):
                    slots.append(v)
                stack.append(v)
        elif isinstance(o, list):
            if len(o) >= 3 and isinstance(o[0], str) and isinstance(o[1], int) and isinstance(o[2], int):
                slots.append(o)
            stack.extend(o)
    return slots


def mutate_config(cfg: dict, rnd: random.Random, n: int) -> dict:
    """``n`` random mutations of a deep copy of ``cfg``."""
    cfg = _copy(cfg)
    for _ in range(n):
        op = rnd.random()
        if op < 0.45:
            _mutate_value(cfg, rnd)
        elif op < 0.55:
            _mutate_refs(cfg, rnd)
        elif op < 0.65:
            _mutate_layers(cfg, rnd)
        elif op < 0.72:
            _mutate_class(cfg, rnd)
        elif op < 0.78:
            cfg = _nest(cfg, rnd)
        elif op < 0.84:
            _cycle(cfg, rnd)
        else:
            _mutate_known_key(cfg, rnd)
    return cfg


def _pick_path(cfg, rnd):
    paths = [p for p in _paths(cfg) if p]
    return rnd.choice(paths) if paths else None


def _get(cfg, path):
    o = cfg
    for k in path:
        o = o[k]
    return o


def _mutate_value(cfg, rnd):
    path = _pick_path(cfg, rnd)
    if path is None:
        return
    parent = _get(cfg, path[:-1])
    key = path[-1]
    r = rnd.random()
    if r < 0.3 and isinstance(parent, dict):
        del parent[key]
    elif r < 0.4 and isinstance(parent, list):
        parent.pop(key)
    elif r < 0.5 and isinstance(parent, list) and parent:
        parent.append(_copy(parent[rnd.randrange(len(parent))]))
    else:
        parent[key] = weird_value(rnd, key if isinstance(key, str) else None)


def _mutate_known_key(cfg, rnd):
    """Replace the value of a key masklint reads (mask_value, batch_shape, inbound_nodes...)."""
    slots = []
    for p in _paths(cfg):
        if p and isinstance(p[-1], str) and p[-1] in KEY_VALUES:
            slots.append(p)
    if not slots:
        return _mutate_value(cfg, rnd)
    p = rnd.choice(slots)
    _get(cfg, p[:-1])[p[-1]] = weird_value(rnd, p[-1])


def _mutate_refs(cfg, rnd):
    """Dangling, out-of-range or self references in keras_history / Keras 2 inbound lists."""
    slots = _history_slots(cfg)
    if not slots:
        return _mutate_value(cfg, rnd)
    h = rnd.choice(slots)
    if len(h) < 3:
        h.extend(["ghost", 0, 0][len(h):])
    names = [n for ls in _layers_lists(cfg) for n in _layer_names(ls)]
    r = rnd.random()
    if r < 0.3:
        h[0] = rnd.choice(["ghost", "", "x" * 300] + names)
    elif r < 0.5:
        h[1] = rnd.choice([-1, 1, 7, 10**9, -(10**9), 2**63])
    elif r < 0.7:
        h[2] = rnd.choice([-1, 1, 7, 4095, 4096, 10**9, 2**63])
    elif r < 0.8:
        h[:] = h[:rnd.randrange(len(h))]
    else:
        h[rnd.randrange(len(h))] = weird_value(rnd)


def _mutate_layers(cfg, rnd):
    lists = _layers_lists(cfg)
    if not lists:
        return _mutate_value(cfg, rnd)
    ls = rnd.choice(lists)
    if not ls:
        ls.append(weird_value(rnd))
        return
    r = rnd.random()
    i = rnd.randrange(len(ls))
    if r < 0.25:  # duplicate a layer (same name twice)
        ls.insert(rnd.randrange(len(ls) + 1), _copy(ls[i]))
    elif r < 0.45:  # swap two layers (references point forward)
        j = rnd.randrange(len(ls))
        ls[i], ls[j] = ls[j], ls[i]
    elif r < 0.6:  # rename a layer: its users' references dangle
        e = ls[i]
        if isinstance(e, dict):
            new = rnd.choice(["renamed", "", "input_layer"] + _layer_names(ls))
            e["name"] = new
            if isinstance(e.get("config"), dict):
                e["config"]["name"] = new
    elif r < 0.75:
        del ls[i]
    elif r < 0.85:
        ls.reverse()
    else:  # many copies: a wide model
        e = ls[i]
        for k in range(rnd.randrange(2, 200)):
            c = _copy(e)
            if isinstance(c, dict):
                c["name"] = f"copy_{k}"
                if isinstance(c.get("config"), dict):
                    c["config"]["name"] = f"copy_{k}"
            ls.append(c)


def _mutate_class(cfg, rnd):
    slots = [p for p in _paths(cfg) if p and p[-1] == "class_name"]
    if not slots:
        return _mutate_value(cfg, rnd)
    p = rnd.choice(slots)
    _get(cfg, p[:-1])["class_name"] = rnd.choice(CLASS_NAMES)
    if rnd.random() < 0.3:
        parent = _get(cfg, p[:-1])
        parent["module"] = rnd.choice(["keras.src.ops.numpy", "keras.layers", "my_package", None])


def _nest(cfg, rnd):
    """Wrap the model in Sequential/Functional shells (nested models, up to 150 deep)."""
    depth = rnd.choice([1, 2, 5, 40, 63, 64, 65, 150])
    inner = cfg
    for i in range(depth):
        if rnd.random() < 0.5:
            inner = {"class_name": "Sequential", "config": {"name": f"n{i}", "layers": [inner]}}
        else:
            inner = {"class_name": "Bidirectional", "config": {"name": f"b{i}", "layer": inner}}
    if inner.get("class_name") == "Bidirectional":
        inner = {"class_name": "Sequential", "config": {"name": "top", "layers": [inner]}}
    return inner


def _cycle(cfg, rnd):
    """Make a layer consume a later layer's output (or its own)."""
    for ls in _layers_lists(cfg):
        names = _layer_names(ls)
        if len(names) < 2:
            continue
        i = rnd.randrange(len(ls))
        e = ls[i]
        if not isinstance(e, dict):
            continue
        src = rnd.choice(names[i:] if i < len(names) else names)
        if rnd.random() < 0.5:
            e["inbound_nodes"] = [[[src, 0, 0, {}]]]
        else:
            e["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
                "shape": [None, None, 3], "dtype": "float32", "keras_history": [src, 0, 0]}}], "kwargs": {}}]
        return
    _mutate_value(cfg, rnd)


# --------------------------------------------------------------------------------------------------
# Serialisation
# --------------------------------------------------------------------------------------------------

def dumps(obj) -> bytes:
    """JSON with NaN/Infinity literals; very deep structures fall back to a repr-like encoder."""
    try:
        return json.dumps(obj).encode()
    except (RecursionError, ValueError):
        return _dumps_iter(obj).encode()


def _dumps_iter(obj) -> str:
    out = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, str) and o.startswith("\x00tok:"):
            out.append(o[5:])
        elif isinstance(o, dict):
            stack.append("\x00tok:}")
            items = list(o.items())
            for k, (key, v) in reversed(list(enumerate(items))):
                stack.append(v)
                stack.append("\x00tok:" + json.dumps(str(key)) + ":")
                if k:
                    stack.append("\x00tok:,")
            stack.append("\x00tok:{")
        elif isinstance(o, list):
            stack.append("\x00tok:]")
            for k, v in reversed(list(enumerate(o))):
                stack.append(v)
                if k:
                    stack.append("\x00tok:,")
            stack.append("\x00tok:[")
        else:
            out.append(json.dumps(o))
    # the stack pops in order, tokens were pushed reversed
    return "".join(out)


def keras_zip(config_bytes: bytes, metadata: bytes | None = b'{"keras_version": "3.15.1"}',
              method=zipfile.ZIP_DEFLATED, weights: bytes | None = b"") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        if metadata is not None:
            zf.writestr("metadata.json", metadata)
        zf.writestr("config.json", config_bytes)
        if weights is not None:
            zf.writestr("model.weights.h5", weights)
    return buf.getvalue()


def h5_bytes(attrs: dict) -> bytes:
    """An HDF5 file (in memory) with the given root attributes."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for k, v in attrs.items():
            f.attrs[k] = v
    return buf.getvalue()


def serialise_config(cfg, rnd: random.Random, raw: bytes | None = None) -> tuple[str, bytes]:
    raw = dumps(cfg) if raw is None else raw
    r = rnd.random()
    if r < 0.6:
        meta = rnd.choice([b'{"keras_version": "3.15.1"}', b'{"keras_version": "2.15.0"}', b"{}", b"[",
                           b'{"keras_version": 3}', None, b'{"keras_version": "x"}'])
        return ".keras", keras_zip(raw, meta)
    if r < 0.9:
        if rnd.random() < 0.5 and raw[:1] == b"{":
            ver = rnd.choice(['"3.15.1"', '"2.15.0"', "null", "3", '"x"'])
            raw = b'{"keras_version": ' + ver.encode() + b', "backend": "tensorflow", ' + raw[1:]
        return ".json", raw
    ext = rnd.choice([".h5", ".hdf5"])
    try:
        return ext, h5_bytes({"model_config": raw.decode("utf-8", "surrogatepass"), "keras_version": "2.15.0"})
    except (ValueError, UnicodeError, TypeError):
        return ext, h5_bytes({"model_config": raw})


# --------------------------------------------------------------------------------------------------
# Byte / text mutations
# --------------------------------------------------------------------------------------------------

INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff",
               b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\x01\x00", b"\xff\xff"]


def mutate_bytes(data: bytes, rnd: random.Random, n: int) -> bytes:
    b = bytearray(data)
    for _ in range(n):
        if not b:
            b += rnd.randbytes(rnd.randrange(1, 64))
            continue
        r = rnd.random()
        i = rnd.randrange(len(b))
        if r < 0.3:
            b[i] ^= 1 << rnd.randrange(8)
        elif r < 0.45:
            b[i] = rnd.randrange(256)
        elif r < 0.55:
            v = rnd.choice(INTERESTING)
            b[i:i + len(v)] = v
        elif r < 0.65:
            del b[i:i + rnd.randrange(1, 256)]
        elif r < 0.75:
            b[i:i] = rnd.randbytes(rnd.randrange(1, 64))
        elif r < 0.85:
            j = rnd.randrange(len(b))
            b[i:i] = b[j:j + rnd.randrange(1, 512)]
        else:
            del b[rnd.randrange(len(b) + 1):]
    return bytes(b)


JSON_TOKENS = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1e-999", b"-0", b"null", b"true",
               b'"\\ud800"', b'"\\u0000"', b"9" * 5000, b"-" + b"9" * 4400, b"[]", b"{}", b'""',
               b"[" * 2000 + b"]" * 2000, b'{"a":' * 900 + b"1" + b"}" * 900, b"[" * 200 + b"]" * 200,
               b"\xff\xfe", b"\xc3\x28", b"\xef\xbb\xbf", b'"' + b"x" * 100000 + b'"']


def mutate_json_text(raw: bytes, rnd: random.Random, n: int) -> bytes:
    b = bytearray(raw)
    for _ in range(n):
        r = rnd.random()
        # value positions: right after ':' or ',' or '['
        if r < 0.6 and b:
            starts = [m for m in range(len(b)) if b[m:m + 1] in (b":", b",", b"[")] if len(b) < 200000 else []
            if starts:
                i = rnd.choice(starts) + 1
                j = i
                # replace a short scalar that follows, if any
                while j < len(b) and j - i < 40 and b[j:j + 1] not in (b",", b"}", b"]"):
                    j += 1
                tok = rnd.choice(JSON_TOKENS)
                if rnd.random() < 0.5 and b[i:i + 1] not in (b"{", b"[", b'"'):
                    b[i:j] = b" " + tok
                else:
                    b[i:i] = tok + (b"," if rnd.random() < 0.5 else b"")
                continue
        b = bytearray(mutate_bytes(bytes(b), rnd, 1))
    return bytes(b)


def _cd_entries(data: bytes):
    """Offsets of central-directory (b'PK\\x01\\x02') and local (b'PK\\x03\\x04') headers."""
    cds, locs = [], []
    i = data.find(b"PK")
    while i >= 0:
        sig = data[i:i + 4]
        if sig == b"PK\x01\x02":
            cds.append(i)
        elif sig == b"PK\x03\x04":
            locs.append(i)
        i = data.find(b"PK", i + 2)
    return cds, locs


def forge_zip(data: bytes, rnd: random.Random) -> bytes:
    """Rewrite header fields of a real zip: sizes, method, flags, offsets, name lengths."""
    b = bytearray(data)
    cds, locs = _cd_entries(data)
    for _ in range(rnd.randrange(1, 4)):
        if cds and rnd.random() < 0.6:
            h = rnd.choice(cds)
            field = rnd.choice([(8, "<H"), (10, "<H"), (20, "<I"), (24, "<I"), (28, "<H"), (30, "<H"),
                                (16, "<I"), (42, "<I")])  # flags, method, csize, usize, namelen, extra, crc, offset
        elif locs:
            h = rnd.choice(locs)
            field = rnd.choice([(6, "<H"), (8, "<H"), (18, "<I"), (22, "<I"), (26, "<H"), (28, "<H"), (14, "<I")])
        else:
            break
        off, fmt = field
        size = struct.calcsize(fmt)
        if h + off + size > len(b):
            continue
        maxv = 0xFFFF if fmt == "<H" else 0xFFFFFFFF
        v = rnd.choice([0, 1, 2, 8, 12, 14, 93, 99, 0xFFFF, maxv, maxv - 1, rnd.randrange(maxv + 1)])
        b[h + off:h + off + size] = struct.pack(fmt, min(v, maxv))
    return bytes(b)


def special_zip(rnd: random.Random, config: bytes) -> bytes:
    """Hand-made .keras zips: odd members and compression methods, small bombs."""
    r = rnd.randrange(10)
    if r == 0:  # config.json compressed with bz2/lzma/stored
        return keras_zip(config, method=rnd.choice([zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
    if r == 1:  # no config.json
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("metadata.json", b"{}")
            zf.writestr(rnd.choice(["Config.json", "config.json/", "model/config.json", "config.JSON"]), config)
        return buf.getvalue()
    if r == 2:  # two config.json members
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("config.json", b"[]")
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr("config.json", config)
        return buf.getvalue()
    if r == 3:  # small bomb: a few MB of spaces or of nested brackets, compressed to a few KB
        size = rnd.choice([1 << 20, 4 << 20, 16 << 20])
        body = rnd.choice([b" " * size, b"[" * size, b'{"class_name": "Sequential", "config": {"layers": ['
                           + b"{}," * (size // 3) + b"{}]}}"])
        return keras_zip(body)
    if r == 4:  # empty zip / empty config
        return rnd.choice([b"PK\x05\x06" + b"\x00" * 18, keras_zip(b""), keras_zip(b"null"), keras_zip(b"0")])
    if r == 5:  # metadata oddities
        meta = rnd.choice([b"{" * 5000, b'{"keras_version": ' + b"[" * 3000 + b"]" * 3000 + b"}",
                           b" " * (2 << 20), b"\xff\xfe", b'{"keras_version": "9.9.9"}', b'{"keras_version": "1"}'])
        return keras_zip(config, meta)
    if r == 6:  # a zip inside the zip named config.json
        return keras_zip(keras_zip(config))
    if r == 7:  # many members
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for k in range(rnd.choice([10, 1000, 5000])):
                zf.writestr(f"f{k}", b"")
            zf.writestr("config.json", config)
        return buf.getvalue()
    if r == 8:  # zip with a comment and prepended junk (self-extracting style)
        return rnd.randbytes(rnd.randrange(0, 600)) + keras_zip(config)
    # raw deflate stream with a lying uncompressed size
    body = zlib.compress(config)
    return forge_zip(keras_zip(config), rnd) + body[:rnd.randrange(len(body) + 1)]


def h5_attr_variants(rnd: random.Random, config: bytes) -> bytes:
    import numpy as np

    r = rnd.randrange(12)
    text = config.decode("utf-8", "replace")
    variants = {
        0: lambda: {"model_config": np.int64(3)},
        1: lambda: {"model_config": np.arange(10, dtype="float32")},
        2: lambda: {"model_config": np.array([text, text], dtype=object)},
        3: lambda: {"model_config": ""},
        4: lambda: {"model_config": np.bytes_(config[:60000])},
        5: lambda: {"model_config": np.void(config[:1000])},
        6: lambda: {"model_config": text, "keras_version": np.arange(3)},
        7: lambda: {"model_config": text, "keras_version": b"\xff\xfe"},
        8: lambda: {"model_config": "[" * 3000 + "]" * 3000},
        9: lambda: {"model_config": text.replace('"Functional"', '"Sequential"'), "keras_version": "1.2.0"},
        10: lambda: {"model_config": json.dumps({"class_name": "Sequential", "config": [
            {"class_name": "Dense", "config": {"name": "d"}}]})},
        11: lambda: {"weights_only": 1},
    }
    try:
        return h5_bytes(variants[r]())
    except (TypeError, ValueError):
        return h5_bytes({"model_config": text})


MAGICS = [b"PK\x03\x04", b"PK\x05\x06", b"\x89HDF\r\n\x1a\n", b"{", b"[", b" \n{", b"\xef\xbb\xbf{",
          b"version https://git-lfs.github.com/spec/v1\n", b"", b"\x00" * 8]


def random_bytes(rnd: random.Random) -> tuple[str, bytes]:
    ext = rnd.choice([".keras", ".h5", ".hdf5", ".json", ".py"])
    n = rnd.choice([0, 1, 2, 7, 64, 511, 512, 513, 4096, 70000])
    data = rnd.choice(MAGICS) + rnd.randbytes(n)
    if ext == ".py" and rnd.random() < 0.7:
        data = b"import keras\n" + data
    return ext, data


# --------------------------------------------------------------------------------------------------
# Python source
# --------------------------------------------------------------------------------------------------

PY_TOKENS = ["0", "-1", "1e309", "10**100", "2**63", "True", "None", "'x'", "[]", "{}", "()", "float('nan')",
             "-float('inf')", "x", "self", "keras", "layers", "lambda x: x", "*args", "**kw", "...", "(1,) * 9",
             "layers.Masking", "layers.LSTM(4)", "keras.Sequential", "keras.Model", "mask_zero=True",
             "mask_value=float('nan')", "pad_sequences", "__import__('os')", "x[:, -1]", "[x, x]", "f(f)",
             "return_sequences=True", "'same'", "'causal'", "padding='post'", "value=-1", "input_shape=(None,)"]

PY_LINES = [
    "x = (", "def f(:", "class A(keras.Model", "    return", "\treturn x", "else:", "@", "import",
    "from . import *", "from keras import *", "x = layers.Masking(mask_value=float('nan'))(x)",
    "model = keras.Sequential([layers.Embedding(10, 4), layers.Masking(0.0), layers.LSTM(4)])",
    "def helper(x): return helper(x)", "def a(x): return b(x)", "def b(x): return a(x)", "x = x(x)",
    "model.add(model)", "model = keras.Model(model, model)", "global x", "nonlocal y", "yield x",
    "async def g(): await x", "x: int = keras", "del keras", "keras = None", "layers = keras",
    "L = layers; layers = L", "exec('import os')", "__import__('os').system('true')", "print(*[x] * 3)",
    "match x:\n    case [y]: pass", "lambda: (yield)", "x = [i for i in x]", "f = lambda x: f(x)",
    "# masklint: skip-file", "x = 1  # noqa: MK102", "'''", "\"\"\"unterminated", "\\", "\x00", "\r", "\x0c",
]


def _py_identifiers(text: str) -> list[str]:
    import re

    return sorted(set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", text)))


def mutate_source(text: str, rnd: random.Random, n: int) -> bytes:
    import re

    lines = text.split("\n")
    idents = None
    for _ in range(n):
        r = rnd.random()
        if not lines:
            lines = [rnd.choice(PY_LINES)]
        i = rnd.randrange(len(lines))
        if r < 0.12:
            del lines[i]
        elif r < 0.22:
            lines.insert(i, lines[rnd.randrange(len(lines))])
        elif r < 0.3:
            j = rnd.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif r < 0.4:
            ind = re.match(r"\s*", lines[i]).group(0)
            lines.insert(i, ind + rnd.choice(PY_LINES))
        elif r < 0.62:  # replace a literal or a name by a weird token
            toks = list(re.finditer(r"\b\d+(\.\d*)?\b|'[^'\n]*'|\"[^\"\n]*\"|\b[A-Za-z_]\w*\b", lines[i]))
            if toks:
                m = rnd.choice(toks)
                lines[i] = lines[i][:m.start()] + rnd.choice(PY_TOKENS) + lines[i][m.end():]
        elif r < 0.78:  # rename: confuses the data flow (self references, undefined names, recursion)
            if idents is None:
                idents = _py_identifiers(text) or ["x"]
            toks = list(re.finditer(r"\b[A-Za-z_]\w*\b", lines[i]))
            if toks:
                m = rnd.choice(toks)
                lines[i] = lines[i][:m.start()] + rnd.choice(idents) + lines[i][m.end():]
        elif r < 0.84:  # indentation
            lines[i] = rnd.choice(["    ", "\t", "  ", ""]) + lines[i].lstrip(" ") if rnd.random() < 0.5 \
                else lines[i].lstrip()
        elif r < 0.9:  # keyword argument values
            m = list(re.finditer(r"(\w+)=([^,)\n]+)", lines[i]))
            if m:
                k = rnd.choice(m)
                lines[i] = lines[i][:k.start(2)] + rnd.choice(PY_TOKENS) + lines[i][k.end(2):]
        elif r < 0.95:
            cut = rnd.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut]
        else:
            del lines[rnd.randrange(len(lines)):]
    out = "\n".join(lines)
    r = rnd.random()
    if r < 0.03:
        return b"\xef\xbb\xbf" + out.encode()
    if r < 0.06:
        return out.replace("\n", "\r\n").encode()
    if r < 0.08:
        b = bytearray(out.encode())
        if b:
            b[rnd.randrange(len(b))] = rnd.choice([0x00, 0xff, 0xc3, 0x80])
        return bytes(b)
    if r < 0.09:
        return out.encode("utf-16")
    return out.encode("utf-8", "surrogatepass")


def pathological_source(rnd: random.Random) -> bytes:
    """Generated source that stresses parsers and the analysis: depth, length, recursion."""
    head = "import keras\nfrom keras import layers\n"
    kind = rnd.randrange(14)
    n = rnd.choice([10, 100, 199, 200, 201, 500, 1000, 3000, 10000])
    if kind == 0:
        body = "x = " + "(" * n + "1" + ")" * n
    elif kind == 1:
        body = "x = " + "[" * n + "]" * n
    elif kind == 2:
        body = "x = " + " + ".join(["1"] * min(n, 2000))
    elif kind == 3:
        body = "x = keras.Input((None,))\n" + "\n".join(
            "x = layers.Dense(4)(x)" for _ in range(n)) + "\nm = keras.Model(x, x)"
    elif kind == 4:  # helper functions calling the next one, n deep
        m = min(n, 3000)
        body = "\n".join(f"def f{i}(x):\n    return f{i + 1}(layers.Dense(2)(x))" for i in range(m))
        body += f"\ndef f{m}(x):\n    return layers.LSTM(2)(x)\ni = keras.Input((None, 3))\nm = keras.Model(i, f0(i))"
    elif kind == 5:  # mutual recursion through helpers
        body = ("def a(x):\n    return b(layers.Masking(0.0)(x))\ndef b(x):\n    return a(layers.LSTM(2)(x))\n"
                "i = keras.Input((None, 3))\nm = keras.Model(i, a(i))")
    elif kind == 6:  # a subclassed model calling itself
        body = ("class M(keras.Model):\n    def __init__(self):\n        super().__init__()\n"
                "        self.m = M()\n        self.l = layers.LSTM(2)\n    def call(self, x):\n"
                "        return self.call(self.l(self(x)))\nm = M()")
    elif kind == 7:  # Sequential nested n deep
        m = min(n, 1000)
        body = "m = " + "keras.Sequential([" * m + "layers.LSTM(2)" + "])" * m
    elif kind == 8:  # a long attribute chain / call chain
        body = "x = keras" + ".layers" * min(n, 5000) + "\ny = layers.Dense(1)" + "(x)" * min(n, 5000)
    elif kind == 9:
        body = "x = " + "not " * min(n, 5000) + "x\ny = " + "-" * min(n, 5000) + "1"
    elif kind == 10:  # deep indentation
        m = min(n, 150)
        body = "".join("    " * k + "if x:\n" for k in range(m)) + "    " * m + "m = layers.LSTM(2)"
    elif kind == 11:  # 50,000 lines
        body = "\n".join(f"v{k} = {k}" for k in range(50000 if rnd.random() < 0.1 else 5000))
        body += "\nm = keras.Sequential([layers.Embedding(10, 4), layers.Masking(0.0), layers.LSTM(4)])"
    elif kind == 12:  # lambdas nested / comprehension nesting
        m = min(n, 500)
        body = "f = " + "lambda x: " * m + "layers.LSTM(2)(x)"
    else:  # many models in one file
        body = "\n".join(f"m{k} = keras.Sequential([layers.Embedding(10, 4), layers.Masking(0.0), "
                         f"layers.LSTM(4)])" for k in range(min(n, 2000)))
    return (head + body + "\n").encode()


# --------------------------------------------------------------------------------------------------
# Jupyter notebooks
# --------------------------------------------------------------------------------------------------

NB_MAGIC_LINES = ["%matplotlib inline", "!pip install -q keras", "%%time", "%%bash", "%%capture", "model.fit?",
                  "?len", "model.summary??", "%load_ext autoreload", "%autoreload 2", "files = !ls data/",
                  "x = %env HOME", "  !nvidia-smi", "pip install keras-nlp", "%timeit model(x)",
                  "%run helpers.py", "%%writefile out.py", "!ls \\", "%config InlineBackend.figure_format='retina'",
                  "%%R", "%pylab", "get_ipython().system('ls')", "%%javascript", "!", "%", "?"]
NB_TEXTS = ["", "\n", "\r\n", "\r", "x = 1\r\ny = 2", "\t", "\x0c", "\x00", "\ufeff", "\u2028", "\x1c", "\x85",
            "\ud800", "'''", '"""', "\\", "# noqa: MK101", "# masklint: skip-file", "def f(:\n",
            "model = keras.Sequential([layers.Embedding(10, 4), layers.LSTM(4)])", "é" * 3, "\U0001f600",
            '"cells": [', "]}", "\\\"", "\\\\"]
NB_VALUES = [None, 0, 1, -1, 4, 3, 5, "4", "code", "markdown", "raw", "", [], {}, [1, 2], ["x = 1\n", 2],
             {"source": "x"}, True, 1e309, float("nan"), "x" * 1000]
NB_KEYS = ("cell_type", "source", "outputs", "metadata", "execution_count", "id", "attachments")


def _nb_value(rnd: random.Random, extra=()):
    """A copy of one of NB_VALUES (never the shared object: a later mutation would grow it in place, and
    every later input would depend on the ones before it)."""
    return _copy(rnd.choice(NB_VALUES + list(extra)))


def _nb_cells(doc):
    cells = doc.get("cells") if isinstance(doc, dict) else None
    return cells if isinstance(cells, list) else []


def _nb_code(doc):
    return [c for c in _nb_cells(doc) if isinstance(c, dict) and c.get("cell_type") == "code"]


def _nb_source_lines(cell) -> list[str]:
    src = cell.get("source")
    if isinstance(src, list):
        return [x if isinstance(x, str) else str(x) for x in src]
    return str(src).splitlines(keepends=True) if isinstance(src, str) else []


def _nb_outputs(rnd: random.Random):
    """Outputs that stress the scanner: deep nesting, runs of short strings full of brackets, quotes and
    escapes (the bulk path), one long string, odd output types."""
    k = rnd.randrange(6)
    if k == 0:
        return [{"output_type": "stream", "name": "stdout",
                 "text": [rnd.choice(['[', ']', '{', '}', '"', '\\', '\\"', 'a"]', '{"x": [', 'é', '\x1b[1m', '\r',
                                      '\n', 'Epoch 1/3 [====>....] - loss: 0.5\n', ' ']) * rnd.randrange(1, 4)
                          for _ in range(rnd.choice([10, 40, 200, 2000]))]}]
    if k == 1:
        return [{"output_type": "display_data", "metadata": {},
                 "data": {"image/png": "iVBORw0KGgo" * rnd.choice([1, 100, 10000]), "text/plain": ["<Figure>"]}}]
    if k == 2:
        return [{"output_type": "execute_result", "data": {"text/plain": deep_list(rnd.choice([10, 100, 511, 600]))},
                 "metadata": {}, "execution_count": 1}]
    if k == 3:
        return [{"output_type": "error", "ename": "ValueError", "evalue": "bad [shape]",
                 "traceback": ["\x1b[0;31m---------\x1b[0m", "Traceback \"x\" {", "]]]"]}]
    if k == 4:
        return [{"output_type": "stream", "name": "stderr", "text": "\\" * rnd.randrange(1, 7) + '"' + "]" * 3}]
    return [{"output_type": _nb_value(rnd), "data": _nb_value(rnd)}]


def mutate_notebook_doc(doc: dict, rnd: random.Random, n: int) -> dict:
    """Structural mutations of a notebook: ``source`` as a list or a string (swapped), magic and shell
    lines injected, odd characters in code, keys deleted, values of the wrong type, cell types changed,
    cells duplicated/deleted/reordered, another kernel language, other nbformat versions, hostile outputs."""
    d = _copy(doc)
    for _ in range(n):
        cells = _nb_cells(d)
        code = _nb_code(d)
        r = rnd.randrange(12)
        if r <= 1 and code:  # source list <-> string
            c = rnd.choice(code)
            src = c.get("source")
            if isinstance(src, list):
                c["source"] = "".join(x for x in src if isinstance(x, str))
            elif isinstance(src, str):
                c["source"] = src.splitlines(keepends=True) if rnd.random() < 0.8 else list(src)
        elif r <= 3 and code:  # a magic / shell / help line
            c = rnd.choice(code)
            lines = _nb_source_lines(c)
            at = rnd.randrange(len(lines) + 1)
            ind = rnd.choice(["", "", "    ", "\t"])
            line = ind + rnd.choice(NB_MAGIC_LINES) + ("\n" if rnd.random() < 0.9 else "")
            if at and not lines[at - 1].endswith("\n"):
                lines[at - 1] += "\n"
            lines.insert(at, line)
            c["source"] = lines if isinstance(c.get("source"), list) else "".join(lines)
        elif r == 4 and code:  # odd text in code
            c = rnd.choice(code)
            lines = _nb_source_lines(c) or [""]
            i = rnd.randrange(len(lines))
            j = rnd.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:j] + rnd.choice(NB_TEXTS) + lines[i][j:]
            c["source"] = lines if isinstance(c.get("source"), list) else "".join(lines)
        elif r == 5 and cells:  # a key deleted or given a value of the wrong type
            c = rnd.choice(cells)
            if isinstance(c, dict):
                key = rnd.choice(NB_KEYS)
                if rnd.random() < 0.4:
                    c.pop(key, None)
                else:
                    c[key] = _nb_value(rnd)
            else:
                cells[cells.index(c)] = _nb_value(rnd)
        elif r == 6 and cells:  # cell type
            c = rnd.choice(cells)
            if isinstance(c, dict):
                c["cell_type"] = rnd.choice(["code", "code", "markdown", "raw", "Code", None, 1])
        elif r == 7 and cells:  # duplicate, delete, reorder, replace a cell
            i = rnd.randrange(len(cells))
            k = rnd.randrange(4)
            if k == 0:
                cells.insert(rnd.randrange(len(cells) + 1), _copy(cells[i]))
            elif k == 1:
                del cells[i]
            elif k == 2:
                rnd.shuffle(cells)
            else:
                cells[i] = _nb_value(rnd, [{"cell_type": "code", "source": rnd.choice(NB_TEXTS)}])
        elif r == 8:  # the kernel's language
            meta = d.setdefault("metadata", {}) if isinstance(d.get("metadata"), dict) else d
            ks = meta.setdefault("kernelspec", {})
            if isinstance(ks, dict):
                ks["language"] = rnd.choice(["R", "julia", "python", "Python 3", "", None, 3, ["python"]])
            if rnd.random() < 0.3:
                meta["language_info"] = rnd.choice([{"name": "R"}, {"name": None}, "python", {}])
            if rnd.random() < 0.1:
                d["metadata"] = _nb_value(rnd)
        elif r == 9:  # nbformat versions and the top level
            k = rnd.randrange(5)
            if k == 0:
                d["nbformat"] = _nb_value(rnd)
            elif k == 1:
                d["worksheets"] = [{"cells": d.pop("cells", [])}]
            elif k == 2:
                d.pop(rnd.choice(["cells", "metadata", "nbformat", "nbformat_minor"]), None)
            elif k == 3:
                d["cells"] = _nb_value(rnd)
            else:
                d = rnd.choice([[d], d.get("cells", []), "notebook", None])
                return d
        elif code:  # outputs
            c = rnd.choice(code)
            c["outputs"] = _nb_outputs(rnd)
    return d


def notebook_bytes(doc, rnd: random.Random) -> bytes:
    """A notebook dict as its file: nbformat's layout or another (compact, indent 2, tabs, ASCII-escaped,
    unsorted), sometimes with a BOM, CRLF line ends or in UTF-16."""
    style = rnd.randrange(6)
    kw = [dict(indent=1, sort_keys=True, ensure_ascii=False), dict(indent=2, ensure_ascii=True),
          dict(separators=(",", ":")), dict(indent="\t", sort_keys=True), dict(indent=1, ensure_ascii=False),
          dict(indent=None)][style]
    try:
        text = json.dumps(doc, **kw)
    except (RecursionError, ValueError):
        text = _dumps_iter(doc)
    if rnd.random() < 0.8:
        text += "\n"
    data = text.encode("utf-8", "surrogatepass")
    r = rnd.random()
    if r < 0.04:
        data = b"\xef\xbb\xbf" + data
    elif r < 0.08:
        data = data.replace(b"\n", b"\r\n")
    elif r < 0.1:
        data = text.encode("utf-16", "surrogatepass")
    return data


def mutate_notebook(doc: dict, rnd: random.Random, n: int) -> bytes:
    """One fuzzed notebook file from a real-looking notebook dict: structural mutations (above), then,
    for some, JSON-text mutations (tokens, deep brackets), byte flips or a truncation."""
    d = mutate_notebook_doc(doc, rnd, n) if rnd.random() < 0.85 else doc
    data = notebook_bytes(d, rnd)
    r = rnd.random()
    if r < 0.12:
        data = mutate_json_text(data, rnd, rnd.choice([1, 2, 4])) if len(data) < 200000 else mutate_bytes(data, rnd, 2)
    elif r < 0.24:
        data = mutate_bytes(data, rnd, rnd.choice([1, 1, 2, 4, 16]))
    elif r < 0.3:
        data = data[:rnd.randrange(len(data) + 1)]
    return data
