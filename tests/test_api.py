"""The public Python API (``masklint.lint_paths``, ``lint_file``, ``lint_model_file``): typed, and
configured by ``[tool.masklint]`` exactly as the command line is."""
import inspect
import json
import os
import textwrap

import pytest

import masklint
from conftest import KERAS2_DIR, run_cli

# two mistakes in one script: MK102 (Masking after an Embedding) and MK101 (token ids without a mask)
SCRIPT = textwrap.dedent("""\
    import keras
    from keras import layers

    clf = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        layers.Embedding(100, 8),
        layers.Masking(0.0),
        layers.LSTM(4),
    ])

    tagger = keras.Sequential([keras.Input(shape=(None,)), layers.Embedding(1000, 8), layers.LSTM(4)])
""")

# a saved model config with a custom layer between the mask and its consumer: MK001 unless taught
CUSTOM_MODEL = {"class_name": "Sequential", "config": {"name": "custom", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer",
     "config": {"batch_input_shape": [None, None, 3], "dtype": "float32", "name": "input"}},
    {"module": "keras.layers", "class_name": "Masking", "config": {"name": "masking", "mask_value": 0.0}},
    {"module": "mypkg", "class_name": "Scale", "config": {"name": "scale"}, "registered_name": "mypkg>Scale"},
    {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "units": 4}},
]}}


def project(tmp_path, toml: str | None, files: dict) -> str:
    if toml is not None:
        (tmp_path / "pyproject.toml").write_text(textwrap.dedent(toml))
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return str(tmp_path)


def key(f) -> tuple:
    if isinstance(f, dict):
        return (f["code"], f["path"], f["line"], f["column"])
    return (f.code, f.path, f.line, f.column)


def cli_json(*args, cwd=None):
    r = run_cli(*args, "--format", "json", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return [key(f) for f in json.loads(r.stdout)]


def test_lint_paths_applies_the_configuration_like_the_cli(tmp_path):
    d = project(tmp_path, '[tool.masklint]\nignore = ["MK101"]\n', {"train.py": SCRIPT})
    res = masklint.lint_paths([d])
    assert isinstance(res, masklint.RunResult)
    assert [key(f) for f in res.findings] == cli_json(d)
    assert [f.code for f in res.findings] == ["MK102"]
    assert (res.files, res.errors) == (1, [])
    # isolated: the configuration is not read (both mistakes), as with --isolated
    both = masklint.lint_paths([d], isolated=True)
    assert [key(f) for f in both.findings] == cli_json(d, "--isolated")
    assert [f.code for f in both.findings] == ["MK102", "MK101"]


def test_lint_paths_relative_paths_as_the_cli_prints_them(tmp_path, monkeypatch):
    d = project(tmp_path, '[tool.masklint]\nselect = ["MK101"]\n', {"src/train.py": SCRIPT})
    monkeypatch.chdir(d)
    res = masklint.lint_paths(".")  # one path, not an iterable of characters
    assert [key(f) for f in res.findings] == cli_json(".", cwd=d) == [("MK101", "src/train.py", 11, 56)]


def test_per_file_ignores_exclude_and_extend(tmp_path):
    d = project(tmp_path, """
        [tool.masklint]
        extend-ignore = ["MK102"]
        exclude = ["generated"]
        [tool.masklint.per-file-ignores]
        "legacy/*.py" = ["missing-mask"]
    """, {"a.py": SCRIPT, "legacy/b.py": SCRIPT, "generated/c.py": SCRIPT})
    res = masklint.lint_paths([d])
    assert [key(f) for f in res.findings] == cli_json(d)
    assert [(os.path.relpath(f.path, d), f.code) for f in res.findings] == [("a.py", "MK101")]
    assert res.files == 2  # generated/ is excluded


def test_known_mask_layers_and_lint_model_file(tmp_path):
    d = project(tmp_path, None, {"m.json": json.dumps(CUSTOM_MODEL)})
    m = os.path.join(d, "m.json")
    assert [f.code for f in masklint.lint_model_file(m)] == ["MK001"]
    (tmp_path / "pyproject.toml").write_text('[tool.masklint.known-mask-layers]\nScale = "drop"\n')
    found = masklint.lint_model_file(m)
    assert [(f.code, f.layer) for f in found] == [("MK104", "scale")]
    assert [key(f) for f in found] == cli_json(m)
    assert [f.code for f in masklint.lint_model_file(m, isolated=True)] == ["MK001"]
    assert [f.code for f in masklint.lint_file(m)] == ["MK104"]  # lint_file: source or model


def test_lint_file_source_and_errors(tmp_path):
    d = project(tmp_path, '[tool.masklint]\nignore = ["MK102"]\nexclude = ["train.py"]\n', {"train.py": SCRIPT})
    p = tmp_path / "train.py"
    # named explicitly, the file is linted even though the configuration excludes it from walks
    assert [f.code for f in masklint.lint_file(p)] == ["MK101"]
    assert [f.code for f in masklint.lint_file(str(p), isolated=True)] == ["MK102", "MK101"]
    assert masklint.lint_paths([d]).files == 0
    (tmp_path / "bad.py").write_text("import keras\ndef f(:\n")
    with pytest.raises(masklint.LintError, match="syntax error"):
        masklint.lint_file(tmp_path / "bad.py")
    with pytest.raises(masklint.LintError):
        masklint.lint_model_file(os.path.join(KERAS2_DIR, "README.md"))


def test_a_bad_configuration_raises(tmp_path):
    d = project(tmp_path, "[tool.masklint]\nselct = ['MK1']\n", {"a.py": SCRIPT})
    with pytest.raises(masklint.ConfigError, match=r"\[tool.masklint\] selct: unknown key"):
        masklint.lint_paths([d])
    assert [f.code for f in masklint.lint_paths([d], isolated=True).findings] == ["MK102", "MK101"]
    good = tmp_path / "ci.toml"
    good.write_text("[tool.masklint]\nselect = ['MK102']\n")
    assert [f.code for f in masklint.lint_paths([d], config=good).findings] == ["MK102"]


def test_public_api_is_exported_typed_and_documented():
    for name in ("lint_paths", "lint_file", "lint_model_file", "check", "Finding", "RunResult", "LintError"):
        assert name in masklint.__all__ and hasattr(masklint, name)
    for fn in (masklint.lint_paths, masklint.lint_file, masklint.lint_model_file, masklint.check):
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, fn.__name__
        assert fn.__doc__, fn.__name__
    assert "RunResult" in masklint.lint_paths.__doc__ and "tuple" not in masklint.lint_paths.__doc__
    assert "isolated" in inspect.signature(masklint.lint_paths).parameters


def test_no_submodule_shadows_a_public_name():
    """Importing ``masklint.x`` sets the package attribute ``x``: a module named like a public function
    (``masklint/check.py``) would replace ``masklint.check`` as soon as the CLI imports it."""
    import importlib
    import pkgutil

    for mod in pkgutil.walk_packages(masklint.__path__, "masklint."):
        if mod.name.count(".") == 1:
            assert mod.name.split(".")[1] not in masklint.__all__, mod.name
    importlib.import_module("masklint.cli")
    importlib.import_module("masklint._click_app")
    assert callable(masklint.check) and inspect.isfunction(masklint.lint_paths)
