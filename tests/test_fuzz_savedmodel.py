"""Hypothesis over the saved-model directory readers: ``keras_metadata.pb`` (masklint/protobuf_wire.py,
masklint/savedmodel.py) and unzipped Keras 3 saves / KerasHub presets (masklint/saved_dirs.py,
masklint/unsaved_graph.py). Inputs: the real tf.keras metadata files of tests/fixtures/savedmodel and
metadata rebuilt around the fuzz seed configs, mutated in bytes, truncated, or replaced by hostile
messages (varints over 64 bits or longer than 10 bytes, lengths past the end, deep and unbalanced
groups, wire types 6 and 7, 200,000 nodes); directories with hostile ``config.json``/``metadata.json``,
or files where directories should be. Every input ends in findings (maybe with notes) or one
LintError with a one-line reason -- never another exception. The generators are fuzz/dir_mutators.py,
shared with the long run (fuzz/run_fuzz.py --families savedmodel,kerasdir)."""
import glob
import json
import os
import random
import sys
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, keep_on_failure
from masklint.errors import LintError
from masklint.protobuf_wire import WireError, iter_fields
from masklint.reporters.json_format import format_json
from masklint.reporters.text import format_text
from masklint.runner import lint_file
from masklint.savedmodel import root_metadata

sys.path.insert(0, os.path.join(ROOT, "fuzz"))
import dir_mutators as D  # noqa: E402

FIX = os.path.join(ROOT, "tests", "fixtures")
PBS = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(FIX, "savedmodel", "*", "keras_metadata.pb")))]
CONFIGS = [json.dumps(json.load(open(p))).encode() for p in sorted(glob.glob(os.path.join(FIX, "keras2", "*.json")))]
CONFIGS.append(open(os.path.join(FIX, "savedmodel", "k3_unzipped", "config.json"), "rb").read())
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WORK = tempfile.mkdtemp(prefix="fuzz_savedmodel")


def check_dir(ext: str, blob: bytes):
    path = D.write_input(WORK, ext, blob)
    try:
        findings = lint_file(path)
    except LintError as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return None
    for note in getattr(findings, "notes", []):
        assert note and "\n" not in note
    for f in findings:
        assert f.code.startswith("MK") and f.message
        format_text(f, False).encode("utf-8")
    json.loads(format_json(findings))
    return findings


def test_seeds_are_real():
    assert len(PBS) == 3 and len(CONFIGS) >= 3
    for pb in PBS:
        assert json.loads(root_metadata(pb))["keras_version"] == "2.21.0"


@settings(max_examples=300, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1))
def test_savedmodel_dirs(seed):
    blob = D.savedmodel_input(random.Random(seed), PBS, CONFIGS)
    with keep_on_failure(blob, "savedmodel.zip"):
        check_dir(".savedmodel", blob)


@settings(max_examples=200, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1))
def test_keras_dirs(seed):
    blob = D.kerasdir_input(random.Random(seed), CONFIGS)
    with keep_on_failure(blob, "kerasdir.zip"):
        check_dir(".kerasdir", blob)


@settings(max_examples=300, **SETTINGS)
@given(data=st.binary(max_size=400))
def test_wire_reader_on_arbitrary_bytes(data):
    """The wire reader ends every input: its fields, or WireError; the root search a one-line LintError."""
    try:
        for _num, wt, value in iter_fields(data):
            if wt == 2:
                assert 0 <= value[0] <= value[1] <= len(data)
    except WireError as exc:
        assert str(exc)
    try:
        root_metadata(data)
    except LintError as exc:
        assert "\n" not in str(exc)
