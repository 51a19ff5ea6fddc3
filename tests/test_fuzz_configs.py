"""Mutated real configs: every input ends in findings or one clean LintError, never a crash. A failing
input is kept for replay (conftest.keep_on_failure): a mutated config as JSON, a file as itself."""
import copy
import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KERAS2_DIR, ROOT, keep_on_failure
from masklint.errors import LintError
from masklint.lint import check_ir, lint_model_file
from masklint.config_frontend import build_model_graph
from masklint.ir import ModelIR
from masklint.loaders import load

SEEDS = [
    os.path.join(ROOT, "examples", "models", "seed_ex3_masking_after_embedding.keras"),
    os.path.join(KERAS2_DIR, "k2_fn_emb_bilstm_gap.h5"),
    os.path.join(KERAS2_DIR, "k2_fn_nested.h5"),
    os.path.join(KERAS2_DIR, "k2_fn_concat_mixed.h5"),
    os.path.join(KERAS2_DIR, "k2_fn_timedistributed.h5"),
]
WEIRD = [None, 0, -1, 1.5, float("nan"), float("inf"), "", "x", [], {}, [None], [[1, 2, 3]], {"a": 1},
         ["lstm", 0, 0], True, 10**30, "keras.src.ops.numpy", {"class_name": "__keras_tensor__"},
         {"class_name": "__keras_tensor__", "config": {"keras_history": ["nope", 0, 0]}}]


def _configs():
    return [load(p).config for p in SEEDS]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _mutate(cfg, rnd: random.Random, n: int):
    cfg = copy.deepcopy(cfg)
    for _ in range(n):
        paths = [p for p in _paths(cfg) if p]
        if not paths:
            break
        path = rnd.choice(paths)
        parent = cfg
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = rnd.random()
        if op < 0.3 and isinstance(parent, dict):
            del parent[key]
        elif op < 0.4 and isinstance(parent, list):
            parent.pop(key)
        elif op < 0.55 and isinstance(parent, list) and len(parent) > 1:
            parent.append(copy.deepcopy(parent[rnd.randrange(len(parent))]))  # duplicates, cycles
        else:
            parent[key] = copy.deepcopy(rnd.choice(WEIRD))
    return cfg


def _lint_config(cfg, keep: str = "mutated_config.json"):
    with keep_on_failure(json.dumps(cfg, default=repr).encode(), keep):
        return _check_config(cfg)


def _check_config(cfg):
    try:
        ir = ModelIR(build_model_graph(cfg), "model", "fuzz.keras")
        findings = check_ir(ir)
    except LintError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg
        return None
    for f in findings:
        assert f.code.startswith("MK") and f.message
    return findings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(SEEDS) - 1), n=st.integers(1, 6))
def test_mutated_configs_never_crash(seed, which, n):
    cfg = _configs()[which]
    _lint_config(_mutate(cfg, random.Random(seed), n))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2048), ext=st.sampled_from([".keras", ".h5", ".json", ".hdf5"]))
def test_arbitrary_bytes_never_crash(tmp_path_factory, data, ext):
    p = tmp_path_factory.mktemp("bytes") / ("f" + ext)
    p.write_bytes(data)
    with keep_on_failure(data, "arbitrary_bytes" + ext):
        try:
            lint_model_file(str(p))
        except LintError as exc:
            assert str(exc) and "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, 40000))
def test_truncated_keras_zip(tmp_path_factory, cut):
    data = open(SEEDS[0], "rb").read()
    p = tmp_path_factory.mktemp("trunc") / "t.keras"
    p.write_bytes(data[: cut % len(data)])
    with keep_on_failure(data[: cut % len(data)], "truncated.keras"):
        try:
            lint_model_file(str(p))
        except LintError as exc:
            assert str(exc) and "\n" not in str(exc)


def test_cycle_in_inbound_nodes():
    cfg = load(os.path.join(KERAS2_DIR, "k2_fn_masking_conv1d_lstm.h5")).config
    layers = cfg["config"]["layers"]
    names = [layer["name"] for layer in layers]
    # make the masking layer consume the lstm's output: a cycle
    masking = layers[names.index("masking")]
    masking["inbound_nodes"] = [[["lstm", 0, 0, {}]]]
    with pytest.raises(LintError, match="cycle"):
        build_model_graph(cfg)


def test_dangling_history_and_deep_nesting(tmp_path):
    cfg = load(os.path.join(KERAS2_DIR, "k2_fn_masking_conv1d_lstm.h5")).config
    cfg["config"]["layers"][-1]["inbound_nodes"] = [[["ghost", 0, 0, {}]]]
    with pytest.raises(LintError, match="unknown layer 'ghost'"):
        build_model_graph(cfg)
    deep = "[" * 100000 + "]" * 100000
    p = tmp_path / "deep.json"
    p.write_text(deep)
    with pytest.raises(LintError):
        lint_model_file(str(p))
    # a model nested 200 levels deep
    inner = {"class_name": "Sequential", "config": {"name": "m0", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, None, 3], "name": "i0"}},
        {"class_name": "Masking", "config": {"name": "mk", "mask_value": 0.0}}]}}
    for i in range(1, 200):
        inner = {"class_name": "Sequential", "config": {"name": f"m{i}", "layers": [inner]}}
    p = tmp_path / "nested.json"
    p.write_text(json.dumps(inner))
    with pytest.raises(LintError, match="nested"):
        lint_model_file(str(p))


@pytest.mark.parametrize("name", ["mk109_mha_residual", "mk107_last_step_read", "ok_nested_functional",
                                  "mk104_concat_mixed", "ok_explicit_mask_kwarg", "ok_return_state"])
def test_mutated_keras3_functional_configs(saved_models, name):
    cfg = load(saved_models[name]).config
    rnd = random.Random(name)
    for i in range(150):
        _lint_config(_mutate(cfg, rnd, 1 + i % 5), f"mutated_{name}.json")
