"""masklint.knowledge.lambda_code: Keras Lambda functions (marshalled code objects) read as data.

The reader is checked against real ``marshal.dumps`` output: of this interpreter (the test makes
the bytes itself), and of CPython 3.7-3.13 (``tests/fixtures/lambda_code/py3.*.json``, written by
``make_fixtures.py`` beside them with each interpreter). masklint itself never unmarshals.
"""
import ast
import base64
import codecs
import glob
import importlib.util
import json
import marshal
import os
import random
import subprocess
import sys
import types
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import HERE, run_cli
from masklint import knowledge as K
from masklint.knowledge import lambda_code as LC
from masklint.knowledge.lambda_code import CodeRecord, read_code, returned_argument

FIXTURES = os.path.join(HERE, "fixtures", "lambda_code")
_spec = importlib.util.spec_from_file_location("make_fixtures", os.path.join(FIXTURES, "make_fixtures.py"))
MF = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MF)


def record_fields(r: CodeRecord) -> dict:
    """The fields make_fixtures.code_fields writes for a real code object, from a record."""
    return {
        "argcount": r.argcount, "posonlyargcount": r.posonlyargcount, "kwonlyargcount": r.kwonlyargcount,
        "nlocals": r.nlocals, "stacksize": r.stacksize, "flags": r.flags, "code": r.code.hex(),
        "consts": [MF.enc(x, record_fields) for x in r.consts], "names": list(r.names),
        "varnames": list(r.varnames), "cellvars": list(r.cellvars), "freevars": list(r.freevars),
        "filename": r.filename, "name": r.name, "qualname": r.qualname, "firstlineno": r.firstlineno,
        "arg_names": list(r.arg_names),
    }


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


FIXTURE_SAMPLES = [(doc["python"], s) for doc in map(_load, sorted(glob.glob(os.path.join(FIXTURES, "py3.*.json"))))
                   for s in doc["samples"]]
SAMPLE_IDS = [f"{v}-{s['id']}" for v, s in FIXTURE_SAMPLES]
VERSIONS = sorted({v for v, _ in FIXTURE_SAMPLES})


def keras3_fn(raw: bytes) -> dict:
    """A Lambda function as Keras 3 saves it (``serialization_lib``, ``python_utils.func_dump``)."""
    return {"class_name": "__lambda__", "config": {"code": codecs.encode(raw, "base64").decode("ascii"),
                                                     "defaults": None, "closure": None}}


def keras2_fn(raw: bytes) -> list:
    """... and as Keras 2 / tf.keras saves it: ``[code, defaults, closure]``."""
    return [codecs.encode(raw, "base64").decode("ascii"), None, None]


def code_of(src: str, filename: str = "<test>") -> types.CodeType:
    """The code object of the function ``src`` defines (compiled, not run)."""
    return next(c for c in compile(src, filename, "exec").co_consts if isinstance(c, types.CodeType))


# --------------------------------------------------------------------------------------------------
# (a) round trips against real marshal output
# --------------------------------------------------------------------------------------------------

def test_fixtures_cover_every_version():
    assert {v.rsplit(".", 1)[0] for v in VERSIONS} >= {"3.8", "3.9", "3.10", "3.11", "3.12", "3.13"}, VERSIONS


@pytest.mark.parametrize("version,sample", FIXTURE_SAMPLES, ids=SAMPLE_IDS)
def test_reader_matches_the_real_code_object_of_each_version(version, sample):
    rec = read_code(base64.b64decode(sample["marshal_b64"]))
    assert rec is not None
    assert record_fields(rec) == sample["fields"]
    minor = int(version.split(".")[1])
    assert rec.layout == ("3.11+" if minor >= 11 else "3.8-3.10" if minor >= 8 else "3.0-3.7")
    assert returned_argument(rec) == sample["returns"]


LIVE = [
    lambda x: x,
    lambda inputs, mask: mask,
    lambda t, mask=None: t,
    lambda a, /, b=(1, 2.5, None), *c, d=frozenset({1}), **e: (a, b, c, d, e),
    lambda t, *, k=3: t[..., k:-1:2],
    lambda t: (lambda u: (lambda w: w * t)(u))(t),
    lambda t: {"a": [t, b"\x00" * 3, "é" * 2, 1j, 2 ** 200, -(2 ** 64), 1e-300, True, None]},
    lambda données, 名前=None: données,
]


@pytest.mark.parametrize("fn", LIVE, ids=range(len(LIVE)))
def test_round_trip_of_live_functions(fn):
    rec = read_code(marshal.dumps(fn.__code__))
    assert record_fields(rec) == MF.code_fields(fn.__code__)


def test_closure_and_defaults_of_a_live_function():
    scale = 2.0

    def masked(t, mask=None, *rest, flag=True, **kw):
        """Docstring that talks about mask."""
        return t * scale if mask is None else [q for q in t if q]

    rec = read_code(marshal.dumps(masked.__code__))
    assert record_fields(rec) == MF.code_fields(masked.__code__)
    assert rec.arg_names == ("t", "mask", "flag", "rest", "kw") and rec.positional_names == ("t", "mask")
    assert rec.freevars == ("scale",) and rec.local_names[-1] == "scale"


@pytest.mark.parametrize("module", ["json.decoder", "dataclasses", "inspect", "masklint.analysis.flow",
                                    "masklint.frontends.source.interpreter"])
def test_round_trip_of_whole_modules(module):
    """Every code object of a few large modules, the module body included (big constant tables,
    exception tables, nested classes and comprehensions)."""
    path = importlib.util.find_spec(module).origin
    with open(path, encoding="utf-8") as fh:
        top = compile(fh.read(), path, "exec")
    n, todo = 0, [top]
    while todo:
        c = todo.pop()
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        raw = marshal.dumps(c)
        if len(raw) > LC.MAX_INPUT:
            continue
        rec = read_code(raw)
        assert rec is not None, c.co_qualname
        assert record_fields(rec) == MF.code_fields(c), c.co_qualname
        n += 1
    assert n > 10


def test_references_of_an_old_marshal_version_and_no_flags():
    """marshal versions 0-2 write no references and text floats ('f', 'x'), version 2 'g'/'y'."""
    c = (lambda t: (t, 1.5, 2j, "s", (1, 2), t in {3, 4})).__code__
    for version in range(marshal.version + 1):
        rec = read_code(marshal.dumps(c, version))
        assert rec is not None and record_fields(rec) == MF.code_fields(c), version


# --------------------------------------------------------------------------------------------------
# (b) never unmarshalled
# --------------------------------------------------------------------------------------------------

_AUDIT = {"on": False, "events": []}


def _audit(event, args):
    if _AUDIT["on"] and event in ("marshal.loads", "marshal.load", "exec", "compile", "pickle.find_class"):
        _AUDIT["events"].append(event)


sys.addaudithook(_audit)  # hooks stay for the process: this one records only while "on"


def test_reader_and_knowledge_never_unmarshal(monkeypatch):
    raws = [base64.b64decode(s["marshal_b64"]) for _, s in FIXTURE_SAMPLES]
    fns = [keras3_fn(raw) for raw in raws] + [keras2_fn(raw) for raw in raws]  # (imports a codec)

    def refuse(*a, **k):
        raise AssertionError("marshal.loads called")

    _AUDIT["on"] = True  # the hook sees marshal.loads
    marshal.loads(marshal.dumps(1))
    _AUDIT["on"] = False
    assert _AUDIT["events"] == ["marshal.loads"]
    monkeypatch.setattr(marshal, "loads", refuse)
    monkeypatch.setattr(marshal, "load", refuse)
    _AUDIT["events"].clear()
    _AUDIT["on"] = True
    try:
        for raw in raws:
            assert read_code(raw) is not None
        for fn in fns:
            assert K.lambda_mentions_mask(fn) is not None
            K.is_identity_fn(fn), K.is_identity_mask_fn(fn)
    finally:
        _AUDIT["on"] = False
    assert _AUDIT["events"] == []


def test_reader_source_imports_no_unmarshaller():
    """No import of marshal/pickle, no exec/eval/compile/loads call in the reader."""
    with open(LC.__file__, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"marshal", "pickle", "dill", "cloudpickle", "types"}, imported
    calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not calls & {"exec", "eval", "compile", "loads", "load", "__import__"}, calls


# --------------------------------------------------------------------------------------------------
# (c) "mask" in the file name, docstring, constants or globals is not a mask argument
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version,sample", FIXTURE_SAMPLES, ids=SAMPLE_IDS)
def test_knowledge_reads_each_version(version, sample):
    raw = base64.b64decode(sample["marshal_b64"])
    assert b"masking_experiments" in raw  # every sample carries "mask" in its file name
    for fn in (keras3_fn(raw), keras2_fn(raw)):
        assert K.lambda_mentions_mask(fn) is sample["mask_arg"]
        assert K.is_identity_fn(fn) is (sample["returns"] == 0 and sample["fields"]["argcount"] >= 1)
        assert K.is_identity_mask_fn(fn) is (sample["returns"] == 1 and sample["fields"]["argcount"] >= 2)


@pytest.mark.parametrize("src,filename,mentions", [
    ("lambda t: t[:, -1]", "/x/masking_experiments/train.py", False),
    ("lambda t: t[:, -1] * mask_value", "<string>", False),
    ("lambda t: (t, 'mask', b'mask')", "<string>", False),
    ("def f(t):\n    'the mask is ignored'\n    return t[:, -1]\n", "/mask/mask.py", False),
    ("lambda t, **mask: t", "<string>", False),
    ("lambda t, *, mask=None: t", "<string>", False),
    ("lambda t, mask=None: t[:, -1]", "/x/exp2/train.py", True),
    ("lambda t, mask: t", "<string>", True),
])
def test_mask_argument_not_mask_bytes(src, filename, mentions):
    raw = marshal.dumps(code_of(src, filename))
    assert b"mask" in raw
    assert K.lambda_mentions_mask(keras3_fn(raw)) is mentions
    assert K.lambda_mentions_mask(keras2_fn(raw)) is mentions


def test_unreadable_functions():
    for fn in (None, "x", [], [3], {"class_name": "__lambda__", "config": {"code": "!!"}},
               keras3_fn(b"mask"), keras3_fn(marshal.dumps((1, "mask"))), keras2_fn(b"")):
        assert K.lambda_mentions_mask(fn) is None
        assert K.is_identity_fn(fn) is False and K.is_identity_mask_fn(fn) is False


# --------------------------------------------------------------------------------------------------
# (d) hostile bytes: a record or None, never an exception, bounded work
# --------------------------------------------------------------------------------------------------

SEED_BYTES = [base64.b64decode(s["marshal_b64"]) for _, s in FIXTURE_SAMPLES if len(s["marshal_b64"]) < 4000]


def _check(data: bytes):
    rec = read_code(data)
    assert rec is None or isinstance(rec, CodeRecord)
    if rec is not None:
        returned_argument(rec)
        assert set(rec.arg_names) <= set(rec.varnames)
    fn = keras3_fn(data)
    assert K.lambda_mentions_mask(fn) in (None, True, False)
    K.is_identity_fn(fn), K.is_identity_mask_fn(fn)
    return rec


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEED_BYTES), st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255),
                                                        st.sampled_from(["set", "insert", "delete"])),
                                              max_size=6),
       st.integers(0, 10 ** 6))
def test_fuzz_mutated_real_bytes(base, edits, cut):
    data = bytearray(base)
    for pos, val, op in edits:
        p = pos % (len(data) + 1)
        if op == "set" and p < len(data):
            data[p] = val
        elif op == "insert":
            data.insert(p, val)
        elif op == "delete" and p < len(data):
            del data[p]
    if cut % 3 == 0:
        data = data[:cut % (len(data) + 1)]
    _check(bytes(data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(data):
    _check(data)
    _check(b"\xe3" + data)  # at least a code object's type byte


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEED_BYTES), st.integers(0, 10 ** 6), st.sampled_from(
    [b"r\x00\x00\x00\x00", b"r\xff\xff\xff\x7f", b")\xff", b"(\xff\xff\xff\x7f", b"l\xff\xff\xff\x7f",
     b"s\xff\xff\xff\x7f", b"\xe3" + b"\x00" * 24, b"[\x01\x00\x00\x00N", b"{N0", b"<\x00\x00\x00\x00",
     b"l\x01\x00\x00\x00\x00\x00", b"f\x03nan", b"f\x05\x00\x00\x00\x00\x00", b"?"]))
def test_fuzz_spliced_marshal_tokens(base, pos, token):
    p = pos % (len(base) + 1)
    _check(base[:p] + token + base[p:])
    _check(base[:p] + token + base[p + len(token):])


def test_truncations_of_real_samples():
    """Every prefix of some real samples, of each version, is None (a code object read
    exactly to the end of its bytes is the only thing accepted)."""
    for _, s in FIXTURE_SAMPLES:
        if s["id"] not in ("identity", "big_constants", "closure", "try_except"):
            continue
        raw = base64.b64decode(s["marshal_b64"])
        assert read_code(raw) is not None
        for k in range(len(raw)):
            assert read_code(raw[:k]) is None
        assert read_code(raw + b"N") is None


def _count_objects(monkeypatch):
    """Counts the objects the reader reads (its unit of work)."""
    seen = {"n": 0}
    orig = LC._Reader.obj

    def counting(self, depth):
        seen["n"] += 1
        return orig(self, depth)

    monkeypatch.setattr(LC._Reader, "obj", counting)
    return seen


def test_hostile_shapes_are_bounded(monkeypatch):
    seen = _count_objects(monkeypatch)
    big = 1 << 19
    cases = [
        b"\xe3" + b"\x00" * 20 + b")\x01" * big,  # 500,000 nested tuples
        b"\xe3" + b"\x00" * 20 + b"(\xff\xff\x00\x00" + b"N" * big,  # a 65,535-item tuple, then nothing
        b"\xe3" + b"\x00" * 20 + b"s\xff\xff\xff\x7f",  # 2 GB declared
        b"\xe3" + b"\x00" * 20 + b"l\xff\xff\xff\x7f" + b"\x01\x00" * 100,
        b"\xe3" + b"\x00" * 20 + b"\xa9\x01r\x01\x00\x00\x00",  # a tuple containing itself
        b"\xe3" + b"\x00" * 20 + b"(" + (200000).to_bytes(4, "little") + b"N" * 200000,  # over MAX_ITEMS
        b"\xe3" * (LC.MAX_INPUT + 1),
        bytes(random.Random(0).randrange(256) for _ in range(200000)),
    ]
    for data in cases:
        seen["n"] = 0
        assert _check(data) is None
        # every object read takes a byte at least; three layouts are tried, and _check reads 4 times
        assert seen["n"] <= 4 * 3 * (len(data) + 1)


def test_deep_nesting_stops_at_max_depth():
    c = (lambda t: t).__code__
    nested = 1
    for _ in range(LC.MAX_DEPTH + 5):
        nested = (nested,)
    assert read_code(marshal.dumps(c.replace(co_consts=(nested,)))) is None
    ok = 1
    for _ in range(LC.MAX_DEPTH - 4):
        ok = (ok,)
    assert read_code(marshal.dumps(c.replace(co_consts=(ok,)))).consts == (ok,)


def test_unsupported_constants_make_it_unreadable():
    c = (lambda t: t).__code__
    for const in ([1, 2], {1: 2}, {3}):
        assert read_code(marshal.dumps(c.replace(co_consts=(const,)))) is None
    assert read_code(marshal.dumps(c.replace(co_consts=(StopIteration, ...)))).consts == (LC.STOP_ITERATION, ...)


# --------------------------------------------------------------------------------------------------
# (e) the must-show: MK107 on a model saved from a directory whose path contains "mask"
# --------------------------------------------------------------------------------------------------

BUILDER = r'''
import os, sys, warnings
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from keras import layers as L, ops

def masked_mean(t, mask=None):
    m = ops.cast(mask, t.dtype)[..., None]
    return ops.sum(t * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

def mk107_lambda_last_step():  # as tests/models.py, but compiled from this file
    i = keras.Input((7,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = L.LSTM(4, return_sequences=True)(x)
    x = L.Lambda(lambda t: t[:, -1])(x)
    return keras.Model(i, L.Dense(1)(x))

def ok_lambda_takes_mask():
    i = keras.Input((7,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(i)
    x = L.Lambda(lambda t, mask=None: masked_mean(t, mask), output_shape=(4,))(x)
    return keras.Model(i, L.Dense(1)(x))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name in ("mk107_lambda_last_step", "ok_lambda_takes_mask"):
        keras.backend.clear_session()
        globals()[name]().save(os.path.join(sys.argv[1], name + ".keras"))
'''


@pytest.fixture(scope="module", params=["masking_experiments", "exp2"])
def saved_from_dir(request, tmp_path_factory):
    pytest.importorskip("keras")
    d = tmp_path_factory.mktemp("scripts") / request.param
    d.mkdir()
    script = d / "build.py"
    script.write_text(BUILDER, encoding="utf-8")
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run([sys.executable, str(script), str(d)], capture_output=True, text=True, cwd=str(d),
                       env=env, timeout=240)  # under the suite's 300 s per-test limit
    assert r.returncode == 0, r.stderr[-3000:]
    return request.param, d


def _lambda_code_raw(path):
    cfg = json.loads(zipfile.ZipFile(path).read("config.json"))
    lam = next(e for e in cfg["config"]["layers"] if e["class_name"] == "Lambda")
    return cfg, lam, base64.b64decode(lam["config"]["function"]["config"]["code"])


def test_mk107_whatever_directory_saved_the_model(saved_from_dir):
    dirname, d = saved_from_dir
    bad = d / "mk107_lambda_last_step.keras"
    _, _, raw = _lambda_code_raw(bad)
    assert (dirname + "/build.py").encode() in raw  # the saving script's path is in the bytes
    assert (b"mask" in raw) is (dirname == "masking_experiments")
    run = run_cli(str(bad))
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "MK107" in run.stdout, run.stdout
    good = d / "ok_lambda_takes_mask.keras"
    run = run_cli(str(good))
    assert run.returncode == 0 and "MK107" not in run.stdout, (run.stdout, run.stderr)


@pytest.mark.parametrize("version", VERSIONS)
def test_mk107_for_lambdas_saved_by_every_python(saved_from_dir, tmp_path, version):
    """The saved config with its Lambda's code replaced by the same function marshalled by
    CPython 3.7-3.13: MK107 for ``lambda t: t[:, -1]``, none when the function takes the mask."""
    from masklint.lint import lint_model_file

    _, d = saved_from_dir
    cfg, lam, _ = _lambda_code_raw(d / "mk107_lambda_last_step.keras")
    samples = {s["id"]: s for v, s in FIXTURE_SAMPLES if v == version}
    for sid, want in (("last_step", {"MK107"}), ("mask_argument", set())):
        lam["config"]["function"]["config"]["code"] = samples[sid]["marshal_b64"]
        p = tmp_path / f"{sid}.json"
        p.write_text(json.dumps(cfg), encoding="utf-8")
        assert {f.code for f in lint_model_file(str(p))} == want, (version, sid)
