"""``[tool.masklint]`` configuration, through the real command line in a subprocess."""
import json
import os
import shutil
import textwrap

import pytest

from conftest import ROOT, run_cli

EXAMPLES = os.path.join(ROOT, "examples")
SEED3_PY = os.path.join(EXAMPLES, "seed_ex3_masking_after_embedding.py")
SEED3_KERAS = os.path.join(EXAMPLES, "models", "seed_ex3_masking_after_embedding.keras")

MISTAKE = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((None, 3)),
        layers.Masking(0.0),
        layers.Conv1D(8, 1),
        layers.LSTM(4),
    ])
""")


def codes(r):
    assert r.returncode in (0, 1), r.stderr
    return sorted((os.path.basename(f["path"]), f["code"]) for f in json.loads(r.stdout))


def project(tmp_path, toml: str, files: dict) -> str:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(toml))
    for name, content in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        elif os.path.isfile(content):
            shutil.copy(content, p)
        else:
            p.write_text(content)
    return str(tmp_path)


def test_select_ignore_and_cli_override(tmp_path):
    d = project(tmp_path, """
        [tool.masklint]
        ignore = ["MK104"]
    """, {"a.py": MISTAKE, "b.py": open(SEED3_PY).read()})
    assert codes(run_cli(".", "--format", "json", cwd=d)) == [("b.py", "MK102")]
    # --select replaces the configuration's select and ignore
    assert codes(run_cli(".", "--format", "json", "--select", "MK1", cwd=d)) == [("a.py", "MK104"), ("b.py", "MK102")]
    # --ignore adds to the configured ignore
    r = run_cli(".", "--format", "json", "--ignore", "MK102", cwd=d)
    assert codes(r) == [] and r.returncode == 0
    # --isolated ignores the configuration
    assert codes(run_cli(".", "--format", "json", "--isolated", cwd=d)) == [("a.py", "MK104"), ("b.py", "MK102")]


def test_extend_select_and_fail_on(tmp_path):
    d = project(tmp_path, """
        [tool.masklint]
        select = ["MK102"]
        extend-select = ["mask-dropped"]
        fail-on = "never"
    """, {"a.py": MISTAKE, "b.py": open(SEED3_PY).read()})
    r = run_cli(".", "--format", "json", cwd=d)
    assert codes(r) == [("a.py", "MK104"), ("b.py", "MK102")]
    assert r.returncode == 0  # fail-on = never
    assert run_cli(".", "--fail-on", "error", cwd=d).returncode == 1  # the command line wins


def test_per_file_ignores_for_source_and_model_layers(tmp_path):
    d = project(tmp_path, """
        [tool.masklint.per-file-ignores]
        "legacy/*.py" = ["MK104"]
        "models/seed.keras::mask*" = ["MK102"]
    """, {"legacy/a.py": MISTAKE, "new/a.py": MISTAKE, "models/seed.keras": SEED3_KERAS,
          "models/other.keras": SEED3_KERAS})
    r = run_cli(".", "--format", "json", cwd=d)
    found = sorted((f["path"], f["code"], f["layer"]) for f in json.loads(r.stdout))
    assert found == [("models/other.keras", "MK102", "masking"), ("new/a.py", "MK104", "conv1d")], r.stdout


def test_layer_glob_must_match_the_culprit(tmp_path):
    d = project(tmp_path, """
        [tool.masklint.per-file-ignores]
        "*.keras::lstm*" = ["MK102"]
    """, {"seed.keras": SEED3_KERAS})
    assert codes(run_cli(".", "--format", "json", cwd=d)) == [("seed.keras", "MK102")]


def test_exclude_applies_to_walked_and_named_files(tmp_path):
    d = project(tmp_path, """
        [tool.masklint]
        exclude = ["generated"]
        extend-exclude = ["*_old.py"]
    """, {"generated/a.py": MISTAKE, "b_old.py": MISTAKE, "c.py": MISTAKE})
    r = run_cli(".", "--format", "json", cwd=d)
    assert codes(r) == [("c.py", "MK104")]
    r = run_cli("b_old.py", "generated/a.py", cwd=d)
    assert r.returncode == 0 and "0 files checked" in r.stdout


def test_nearest_pyproject_wins(tmp_path):
    project(tmp_path, """
        [tool.masklint]
        ignore = ["MK104"]
    """, {"top.py": MISTAKE})
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[project]\nname = 'sub'\n")  # no [tool.masklint]: keep walking
    (sub / "a.py").write_text(MISTAKE)
    deeper = tmp_path / "deeper"
    deeper.mkdir()
    (deeper / "pyproject.toml").write_text("[tool.masklint]\nselect = ['MK1']\n")
    (deeper / "a.py").write_text(MISTAKE)
    r = run_cli(".", "--format", "json", cwd=str(tmp_path))
    assert codes(r) == [("a.py", "MK104")]
    assert json.loads(r.stdout)[0]["path"].startswith("deeper")


def test_known_mask_layers_teach_custom_classes(tmp_path, saved_models):
    model = saved_models["mk001_custom_layer"]  # Masking -> custom Scale -> LSTM
    d = str(tmp_path)
    shutil.copy(model, tmp_path / "m.keras")
    assert codes(run_cli("m.keras", "--format", "json", cwd=d)) == [("m.keras", "MK001")]
    # taught by class name: it keeps the mask, so the model is clean
    (tmp_path / "pyproject.toml").write_text('[tool.masklint.known-mask-layers]\nScale = "propagate"\n')
    r = run_cli("m.keras", "--format", "json", cwd=d)
    assert codes(r) == [] and r.returncode == 0
    # taught by registered name that it drops the mask: the LSTM now sees padding
    (tmp_path / "pyproject.toml").write_text(
        '[tool.masklint.known-mask-layers]\n"masklint_tests>Scale" = { mask = "drop" }\n')
    r = run_cli("m.keras", "--format", "json", cwd=d)
    assert codes(r) == [("m.keras", "MK104")]
    assert json.loads(r.stdout)[0]["layer"] == "scale"


@pytest.mark.parametrize("toml, key", [
    ("[tool.masklint]\nselct = ['MK1']\n", "selct"),
    ("[tool.masklint]\nfail_on = 'error'\n", "fail_on"),
    ("[tool.masklint]\nfail-on = 'sometimes'\n", "fail-on"),
    ("[tool.masklint]\nselect = ['MK999']\n", "select"),
    ("[tool.masklint]\nselect = 3\n", "select"),
    ("[tool.masklint.per-file-ignores]\n'a.py' = ['nope']\n", "per-file-ignores.a.py"),
    ("[tool.masklint.known-mask-layers]\nFoo = 'teleport'\n", "known-mask-layers.Foo"),
    ("[tool.masklint.known-mask-layers]\nFoo = { mask = 'drop', speed = 1 }\n", "known-mask-layers.Foo"),
    ("[tool.masklint.probe]\ntolerance = -1\n", "probe.tolerance"),
    ("[tool.masklint.probe]\nlengths = [0]\n", "probe.lengths"),
    ("[tool.masklint.probe]\nspeed = 1\n", "probe.speed"),
    ("[tool.masklint]\nselect = [\n", None),  # not TOML
])
def test_bad_configuration_is_exit_2_naming_the_key(tmp_path, toml, key):
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "a.py").write_text(MISTAKE)
    r = run_cli(".", cwd=str(tmp_path))
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("masklint: error: ") and "pyproject.toml" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    if key:
        assert f"[tool.masklint] {key}:" in lines[0]
    else:
        assert "not valid TOML" in lines[0]


def test_explicit_config_file(tmp_path):
    (tmp_path / "a.py").write_text(MISTAKE)
    cfg = tmp_path / "ci.toml"
    cfg.write_text("[tool.masklint]\nignore = ['MK104']\n")
    r = run_cli(".", "--config", str(cfg), cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli(".", "--config", str(tmp_path / "missing.toml"), cwd=str(tmp_path))
    assert r.returncode == 2 and "missing.toml" in r.stderr


def test_known_custom_mask_creator(tmp_path):
    """A custom layer declared as a mask creator gives a fresh mask: its consumer is satisfied, and a
    Conv1D after it drops that mask (MK104 naming the custom layer as the producer)."""
    keras = pytest.importorskip("keras")
    L = keras.layers

    @keras.saving.register_keras_serializable(package="cfgtest")
    class PadMask(L.Layer):
        def compute_mask(self, x, mask=None):
            return keras.ops.any(keras.ops.not_equal(x, -1.0), axis=-1)

        def call(self, x):
            return x

    good = keras.Sequential([keras.Input((None, 3)), PadMask(name="pad_mask"), L.LSTM(4)])
    bad = keras.Sequential([keras.Input((None, 3)), PadMask(name="pad_mask"), L.Conv1D(4, 1, name="conv1d"),
                            L.LSTM(4)])
    good.save(tmp_path / "good.keras")
    bad.save(tmp_path / "bad.keras")
    (tmp_path / "pyproject.toml").write_text('[tool.masklint.known-mask-layers]\nPadMask = "create"\n')
    r = run_cli(".", "--format", "json", cwd=str(tmp_path))
    found = json.loads(r.stdout)
    assert [(f["path"], f["code"], f["layer"]) for f in found] == [("bad.keras", "MK104", "conv1d")], found
    assert "pad_mask" in found[0]["message"]
