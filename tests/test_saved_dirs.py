"""Saved models that are directories (unzipped Keras 3 saves, KerasHub presets, SavedModels) in directory
walks; weights-only files skipped by walks; subclassed models linted for what their config shows.

Fixtures: tests/fixtures/savedmodel (made by make_fixtures.py there). The CLI runs in a subprocess."""
import json
import os
import shutil
import zipfile

import pytest

from conftest import ROOT, run_cli
from masklint import lint_paths
from masklint.errors import LintError
from masklint.lint import lint_model_file
from masklint.runner import collect
from masklint.saved_dirs import dir_kind
from masklint.unsaved_graph import graph_note, nested_graphs

FIX = os.path.join(ROOT, "tests", "fixtures", "savedmodel")
K3 = os.path.join(FIX, "k3_unzipped")
PRESET = os.path.join(FIX, "hub_preset")
REPO = os.path.join(FIX, "repo_clean")


def rel(p):
    return os.path.relpath(p, ROOT)


def test_dir_kinds():
    assert dir_kind(["saved_model.pb", "variables", "keras_metadata.pb"]) == "savedmodel"
    assert dir_kind(["saved_model.pb", "variables", "assets"]) == "savedmodel"  # no Keras config: an error later
    assert dir_kind(["config.json", "metadata.json", "model.weights.h5"]) == "keras_dir"
    assert dir_kind(["config.json", "metadata.json", "model.weights.json", "model_00000.weights.h5",
                     "tokenizer.json", "assets"]) == "keras_dir"
    # a Hugging Face model directory, a config next to code, a bare config: not Keras saves
    assert dir_kind(["config.json", "model.safetensors", "tokenizer.json"]) is None
    assert dir_kind(["config.json", "metadata.json", "train.py"]) is None
    assert dir_kind(["config.json"]) is None


def test_unzipped_keras3_save_is_linted_as_a_model():
    found = lint_model_file(K3)
    assert [(f.code, f.layer, f.consumer) for f in found] == [("MK107", "conv1d", "lstm")]


def test_padding_leak_of_the_unzipped_save_measured():
    """MK107's claim measured with Keras 3: the same sequence with more padding changes the output."""
    pytest.importorskip("keras")
    import warnings

    import keras
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.saving.load_model(K3, compile=False)
        seq = [4, 9, 2, 17]
        a = model(np.array([seq + [0] * 2], dtype="int32"))
        b = model(np.array([seq + [0] * 10], dtype="int32"))
    assert abs(float(a[0, 0]) - float(b[0, 0])) > 1e-5


def test_walk_lints_saved_dirs_as_models_not_their_files(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(FIX, repo / "models")
    (repo / "models" / "make_fixtures.py").unlink()  # keep the run to the saved models
    (repo / "models" / "repo_clean" / "train.py").unlink()
    files, errors = collect([str(repo)])
    names = sorted(os.path.relpath(p, repo) for p in files)
    assert errors == []
    assert names == sorted(["models/hub_preset", "models/k3_unzipped", "models/subclassed.keras",
                            "models/tf_clean", "models/tf_masking_after_embedding", "models/tf_subclassed",
                            "models/repo_clean/checkpoints/ckpt.weights.h5",
                            "models/repo_clean/checkpoints/legacy_weights.h5"])
    r = run_cli(str(repo), "--format", "json")
    assert r.returncode == 1, r.stderr
    got = sorted((os.path.relpath(f["path"], repo), f["code"], f["layer"]) for f in json.loads(r.stdout))
    assert got == [("models/k3_unzipped", "MK107", "conv1d"), ("models/tf_masking_after_embedding", "MK102", "masking")]
    notes = [ln for ln in r.stderr.splitlines() if ln.startswith("masklint: note: ")]
    assert len(notes) == 5 and "error" not in r.stderr, r.stderr  # 3 graphs not saved, 2 weights-only files


def test_weights_only_files_in_a_clean_project_exit_0_with_the_note():
    r = run_cli(rel(REPO))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "No findings; 1 file checked; 2 files skipped (no model in them: see the notes)."
    notes = r.stderr.strip().splitlines()
    assert notes == [
        f"masklint: note: {rel(REPO)}/checkpoints/ckpt.weights.h5: skipped: is a weights-only file "
        "(*.weights.h5, written by save_weights), not a model; save the whole model with model.save() to lint it",
        f"masklint: note: {rel(REPO)}/checkpoints/legacy_weights.h5: skipped: is an HDF5 file without a "
        "'model_config' attribute (weights only?); save the whole model with model.save()",
    ]
    res = lint_paths([REPO])  # the Python API: the same skip, the notes in the result
    assert res.errors == [] and res.skipped == 2 and len(res.notes) == 2


def test_weights_only_files_named_explicitly_still_exit_2():
    for name in ("ckpt.weights.h5", "legacy_weights.h5"):
        path = f"{rel(REPO)}/checkpoints/{name}"
        r = run_cli(path)
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"masklint: error: {path}: ") and "weights" in lines[0]


def test_quiet_prints_no_notes():
    r = run_cli(rel(REPO), "--quiet")
    assert r.returncode == 0 and r.stderr == "" and r.stdout == ""


def test_json_format_is_unchanged_by_skips():
    r = run_cli(rel(REPO), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_subclassed_model_is_a_note_not_an_error():
    path = f"{rel(FIX)}/subclassed.keras"
    r = run_cli(path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "No findings; 1 file checked."
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"masklint: note: {path}: the layer graph of 'Encoder' is not saved")
    assert "masklint.check(model)" in lines[0] and "masklint probe package.module:factory" in lines[0]
    r = run_cli(path, "--fail-on", "info")  # a note is not a finding: it never fails a run
    assert r.returncode == 0


def test_kerashub_preset_lints_what_the_config_holds_and_says_so():
    r = run_cli(rel(PRESET))
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "KerasHub 'BertBackbone'" in lines[0] and "not its layer graph" in lines[0]
    assert "masklint.check(model)" in lines[0]


def _keras_zip(path, config):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", '{"keras_version": "3.15.1"}')


def _functional(name, layers_):
    """A functional model config (Keras 3 form) of a chain of layers after an int input."""
    entries = [{"module": "keras.layers", "class_name": "InputLayer", "name": "ids",
                "config": {"batch_shape": [None, None], "dtype": "int32", "name": "ids"}, "inbound_nodes": []}]
    prev = "ids"
    for cls, lname, cfg in layers_:
        entries.append({"module": "keras.layers", "class_name": cls, "name": lname, "config": {"name": lname, **cfg},
                        "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                            "shape": [None, None], "dtype": "float32", "keras_history": [prev, 0, 0]}}],
                            "kwargs": {}}]})
        prev = lname
    return {"module": "keras", "class_name": "Functional", "name": name,
            "config": {"name": name, "layers": entries, "input_layers": [["ids", 0, 0]],
                       "output_layers": [[prev, 0, 0]]}}


def test_model_configs_among_constructor_arguments_are_linted(tmp_path):
    bad = _functional("backbone", [("Embedding", "tok", {"input_dim": 50, "output_dim": 8, "mask_zero": True}),
                                   ("Conv1D", "conv", {"filters": 8, "kernel_size": 3, "padding": "same"}),
                                   ("LSTM", "rnn", {"units": 8})])
    ok = _functional("backbone", [("Embedding", "tok", {"input_dim": 50, "output_dim": 8, "mask_zero": True}),
                                  ("LSTM", "rnn", {"units": 8})])
    for backbone, want in ((bad, [("MK107", "backbone/conv")]), (ok, [])):
        task = {"module": "mypkg.tasks", "class_name": "ReviewClassifier", "registered_name": "mypkg>ReviewClassifier",
                "config": {"name": "review_classifier", "num_classes": 2, "backbone": backbone}}
        path = tmp_path / "task.keras"
        _keras_zip(path, task)
        found = lint_model_file(str(path))
        assert [(f.code, f.layer) for f in found] == want
        assert len(found.notes) == 1 and "'ReviewClassifier'" in found.notes[0]


def test_single_builtin_layer_is_still_not_a_model(tmp_path):
    path = tmp_path / "dense.keras"
    _keras_zip(path, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 3},
                      "registered_name": None})
    with pytest.raises(LintError, match="single 'Dense' layer, not a model"):
        lint_model_file(str(path))
    assert graph_note({"class_name": "LSTM", "config": {}}) is None
    assert graph_note({"class_name": "Sequential", "config": {"layers": []}}) is None
    assert graph_note({"class_name": "Encoder", "config": {"units": 4}}) is not None


def test_nested_graph_search_is_bounded():
    deep = {"a": 1}
    for _ in range(10_000):
        deep = {"x": deep, "y": [deep]}
    assert nested_graphs(deep) == []
    many = {f"m{i}": {"class_name": "Sequential", "config": {"layers": []}} for i in range(1000)}
    assert len(nested_graphs(many)) == 32


def test_models_command_understands_saved_dirs():
    r = run_cli("models", rel(os.path.join(FIX, "tf_masking_after_embedding")), rel(K3), "--format", "json")
    assert r.returncode == 0, r.stderr
    got = {os.path.basename(e["path"]): [m["layers"] for m in e["models"]] for e in json.loads(r.stdout)}
    assert set(got) == {"tf_masking_after_embedding", "k3_unzipped"}
    assert all(len(v) == 1 and v[0] >= 4 for v in got.values()), got


def test_a_directory_that_is_not_a_save_is_still_walked(tmp_path):
    hf = tmp_path / "hf_model"
    hf.mkdir()
    (hf / "config.json").write_text('{"architectures": ["BertModel"]}')
    (hf / "model.safetensors").write_bytes(b"\0" * 8)
    (hf / "train.py").write_text("import keras\nx = keras.layers.Dense(3)\n")
    files, errors = collect([str(tmp_path)])
    assert [os.path.relpath(p, tmp_path) for p in files] == ["hf_model/train.py"] and errors == []


def test_models_command_says_why_a_subclassed_model_has_no_graph():
    r = run_cli("models", f"{rel(FIX)}/subclassed.keras", "--format", "json")
    assert r.returncode == 0, r.stderr
    [entry] = json.loads(r.stdout)
    assert entry["models"] == [] and entry["error"] is False and "'Encoder' is not saved" in entry["skipped"]


def test_a_walk_skips_a_savedmodel_without_keras_config_with_a_note(tmp_path):
    export = tmp_path / "serving" / "export"
    (export / "variables").mkdir(parents=True)
    (export / "saved_model.pb").write_bytes(b"\x08\x01")
    (tmp_path / "model.py").write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n")
    r = run_cli(str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.startswith(f"masklint: note: {export}: skipped: is a TensorFlow SavedModel with no Keras config")
    assert "1 file skipped" in r.stdout


def test_findings_and_notes_cross_worker_processes():
    import pickle

    from masklint.notes import Findings, SkipReason

    f = pickle.loads(pickle.dumps(Findings(["x"], ["a note"])))
    assert list(f) == ["x"] and f.notes == ["a note"]
    assert isinstance(pickle.loads(pickle.dumps(SkipReason("why"))), SkipReason)
