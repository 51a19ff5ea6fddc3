"""TensorFlow SavedModel directories written by tf.keras: ``keras_metadata.pb`` read with masklint's own
bounded protobuf wire reader (masklint/protobuf_wire.py, masklint/savedmodel.py), never TensorFlow.

The fixtures are real (tests/fixtures/savedmodel/make_fixtures.py, tf_keras 2.21); the padding leak
that the finding claims is measured with tf_keras where it is installed."""
import os
import shutil

import pytest

from conftest import ROOT, run_cli
from masklint.errors import LintError
from masklint.lint import keras_major, lint_model_file, model_ir_from_file
from masklint.protobuf_wire import MAX_GROUP_DEPTH, WireError, iter_fields, read_varint
from masklint.savedmodel import NO_KERAS_CONFIG, root_metadata, untuple

FIX = os.path.join(ROOT, "tests", "fixtures", "savedmodel")
BAD = os.path.join(FIX, "tf_masking_after_embedding")
CLEAN = os.path.join(FIX, "tf_clean")


# ---- the wire format ---------------------------------------------------------------------------

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def ld(num: int, payload: bytes) -> bytes:
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def node(path: bytes, metadata: bytes | None, node_id: int = 0) -> bytes:
    body = varint(2 << 3) + varint(node_id) + ld(3, path) + ld(4, b"_tf_keras_network")
    return ld(1, body + (ld(5, metadata) if metadata is not None else b""))


def test_varints():
    assert read_varint(b"\x96\x01", 0, 2) == (150, 2)
    assert read_varint(varint((1 << 64) - 1), 0, 10) == ((1 << 64) - 1, 10)
    for bad, why in [(b"\x80", "truncated"), (b"\xff" * 11, "longer than 10"), (varint(1 << 64), "over 64 bits")]:
        with pytest.raises(WireError, match=why):
            read_varint(bad, 0, len(bad))


def test_fields_and_bounds():
    msg = varint(1 << 3) + varint(300) + ld(2, b"abc") + varint(3 << 3 | 5) + b"\x01\x00\x00\x00"
    assert list(iter_fields(msg)) == [(1, 0, 300), (2, 2, (5, 8)), (3, 5, 1)]
    cases = [(ld(1, b"abc")[:-1], "past the end"), (varint(2 << 3 | 2) + varint(1 << 40), "past the end"),
             (b"\x00\x01", "field number 0"), (varint(1 << 3 | 6), "wire type 6"), (varint(1 << 3 | 7), "wire type 7"),
             (varint(1 << 3 | 1) + b"\x00" * 7, "truncated fixed"), (varint(1 << 3 | 4), "not started"),
             (varint(1 << 3 | 3) * (MAX_GROUP_DEPTH + 2), "nested more than"),
             (varint(1 << 3 | 3) + varint(2 << 3 | 4), "not started"), (varint(1 << 3 | 3), "truncated group")]
    for data, why in cases:
        with pytest.raises(WireError, match=why):
            list(iter_fields(data))
    groups = varint(1 << 3 | 3) * 10 + varint(1 << 3 | 4) * 10 + varint(2 << 3) + b"\x05"
    assert list(iter_fields(groups)) == [(1, 3, None), (2, 0, 5)]
    with pytest.raises(WireError, match="more than 3 fields"):
        list(iter_fields(varint(1 << 3) + b"\x00" * 1 + (varint(1 << 3) + b"\x00") * 3, max_fields=3))


def test_root_node_found_anywhere_and_errors_are_one_line():
    meta = b'{"class_name": "Sequential", "config": {"layers": []}}'
    data = node(b"root.layer-0", b"{}", 1) + node(b"root", meta) + node(b"root.layer-1", b"{}", 2)
    assert root_metadata(data) == meta
    for data, why in [(node(b"root.layer-0", b"{}"), "no root node"), (node(b"root", None), "without metadata"),
                      (b"\x0a\xff\xff\xff\xff\x0f", "not a valid protobuf message"), (b"", "no root node")]:
        with pytest.raises(LintError, match=why) as exc:
            root_metadata(data)
        assert "\n" not in str(exc.value)


def test_tuples_are_lists():
    cfg = {"batch_input_shape": {"class_name": "__tuple__", "items": [None, {"class_name": "__tuple__", "items": [3]}]},
           "layer": {"class_name": "LSTM", "items": [1]}}
    assert untuple(cfg) == {"batch_input_shape": [None, [3]], "layer": {"class_name": "LSTM", "items": [1]}}


# ---- the real fixtures -------------------------------------------------------------------------

def test_tf_keras_savedmodel_mistake_found_with_keras2_semantics():
    ir = model_ir_from_file(BAD)
    assert ir.format == "savedmodel" and ir.keras_version == "2.21.0" and keras_major(ir.keras_version) == 2
    found = lint_model_file(BAD)
    assert [(f.code, f.layer, f.consumer) for f in found] == [("MK102", "masking", "lstm")]
    shapes = [lay.config.get("batch_input_shape") for lay in ir.graph.walk_layers() if lay.class_name == "InputLayer"]
    assert shapes == [[None, None]]  # written as a __tuple__ record


def test_tf_keras_savedmodel_clean_is_silent():
    assert lint_model_file(CLEAN) == []


def test_tf_keras_subclassed_savedmodel_is_a_note_not_an_error():
    found = lint_model_file(os.path.join(FIX, "tf_subclassed"))
    assert list(found) == [] and len(found.notes) == 1
    assert "'Encoder'" in found.notes[0] and "masklint.check(model)" in found.notes[0]


def test_cli_names_the_layer_and_the_clean_one_is_silent():
    r = run_cli(BAD, "--format", "json")
    assert r.returncode == 1, r.stderr
    assert '"layer": "masking"' in r.stdout and '"code": "MK102"' in r.stdout
    r = run_cli(CLEAN)
    assert r.returncode == 0 and r.stdout.strip() == "No findings; 1 file checked.", r.stdout + r.stderr


def test_no_keras_config_one_line_exit_2(tmp_path):
    old = tmp_path / "old_savedmodel"
    shutil.copytree(CLEAN, old)
    os.remove(old / "keras_metadata.pb")
    export = tmp_path / "k3_export"  # what Keras 3 model.export() leaves: the traced functions only
    (export / "variables").mkdir(parents=True)
    (export / "saved_model.pb").write_bytes(b"\x08\x01")
    (export / "fingerprint.pb").write_bytes(b"")
    for d in (old, export):
        r = run_cli(str(d))
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert lines == [f"masklint: error: {d}: {NO_KERAS_CONFIG}"], r.stderr
        assert "no Keras config in it" in lines[0] and "Traceback" not in r.stderr


def test_metadata_over_the_size_limit(tmp_path):
    r = run_cli(BAD, env={"MASKLINT_MAX_CONFIG_BYTES": "1K"})
    assert r.returncode == 2 and "keras_metadata.pb is 10,736 bytes, over the limit" in r.stderr, r.stderr


def test_damaged_metadata_is_one_line(tmp_path):
    d = tmp_path / "damaged"
    shutil.copytree(BAD, d)
    raw = (d / "keras_metadata.pb").read_bytes()
    for data in (raw[:len(raw) // 2], b"\xff" * 20, raw[:3] + b"\xff" + raw[4:]):
        (d / "keras_metadata.pb").write_bytes(data)
        r = run_cli(str(d))
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_padding_leak_measured_with_tf_keras():
    """MK102's claim on the tf.keras model, measured: the same review with more padding gives a different
    output (the Masking masks nothing); the clean model's output does not change."""
    pytest.importorskip("tf_keras", reason="tf_keras (TensorFlow 2 Keras) is needed to load the SavedModel")
    import numpy as np
    import tf_keras

    seq = [5, 12, 7, 3]
    short = np.array([seq + [0] * 2], dtype="int32")
    long = np.array([seq + [0] * 12], dtype="int32")
    outs = {}
    for name, path in (("bad", BAD), ("clean", CLEAN)):
        model = tf_keras.models.load_model(path, compile=False)
        outs[name] = abs(float(model(short)[0, 0]) - float(model(long)[0, 0]))
    assert outs["bad"] > 1e-4 and outs["clean"] < 1e-6, outs
