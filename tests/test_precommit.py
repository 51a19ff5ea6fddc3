"""The pre-commit hooks in .pre-commit-hooks.yaml.

The fast tests check the manifest itself. The integration tests run the real thing:
`pre-commit try-repo` builds a fresh virtualenv, pip-installs masklint and its dependencies from
the package index, and runs each hook on a throwaway git repository.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MANIFEST = os.path.join(ROOT, ".pre-commit-hooks.yaml")
MODELS = os.path.join(ROOT, "examples", "models")
SEED_MODEL = "seed_ex3_masking_after_embedding.keras"   # has an MK102 error
CLEAN_MODEL = "fixed_ex3_mask_zero.keras"                # no finding
LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 123\n"
)


def _hooks():
    try:
        import yaml
    except ImportError:
        pytest.skip("PyYAML is not installed")
    with open(MANIFEST, encoding="utf-8") as fh:
        hooks = yaml.safe_load(fh)
    assert isinstance(hooks, list)
    return {h["id"]: h for h in hooks}


# ---------------------------------------------------------------------------------------------
# fast: the manifest


def test_manifest_has_both_hooks():
    hooks = _hooks()
    assert set(hooks) == {"masklint", "masklint-models"}
    for hook in hooks.values():
        assert hook["entry"] == "masklint"
        assert hook["language"] == "python"
        assert hook["name"]
        assert hook.get("pass_filenames", True) is True


def test_source_hook_filters_python_stubs_and_notebooks():
    hook = _hooks()["masklint"]
    assert hook["types_or"] == ["python", "pyi", "jupyter"]
    assert "types" not in hook
    # types_or is new in pre-commit 2.9.0; older versions would ignore it and pass every file
    assert tuple(int(p) for p in hook["minimum_pre_commit_version"].split(".")) >= (2, 9, 0)


def test_source_hook_takes_notebooks_not_other_json():
    """pre-commit passes a file when identify's tags for it meet ``types_or``: ``.ipynb`` is tagged
    ``jupyter``; other JSON, saved models and checkpoints of notebooks' siblings are not taken."""
    try:
        from identify.identify import tags_from_filename
    except ImportError:
        pytest.skip("identify (a pre-commit dependency) is not installed")
    wanted = set(_hooks()["masklint"]["types_or"])
    for name in ("train.ipynb", "nb/Tagger.IPYNB", "train.py", "stubs.pyi"):
        assert tags_from_filename(name) & wanted, name
    for name in ("config.json", "model.keras", "weights.h5", "notes.md", "train.ipynb.bak"):
        assert not tags_from_filename(name) & wanted, name
    models = re.compile(_hooks()["masklint-models"]["files"])
    assert not models.search("train.ipynb")


def test_models_hook_files_regex_and_no_types_filter():
    hook = _hooks()["masklint-models"]
    # pre-commit ANDs `types` with `files`; a types filter would drop Git LFS pointers (text)
    assert "types" not in hook
    assert "types_or" not in hook
    files = re.compile(hook["files"])   # pre-commit matches with re.search on the repo-relative path
    for name in ("a/b.keras", "model.keras", "x.h5", "x.hdf5", "deep/dir/weights.hdf5"):
        assert files.search(name), name
    for name in ("x.py", "x.pyi", "model.json", "x.keras.bak", "x.h5.py", "keras", "notes_h5"):
        assert not files.search(name), name


def test_manifest_passes_pre_commit_schema():
    try:
        from pre_commit import clientlib
    except ImportError:
        pytest.skip("pre-commit is not installed")
    loaded = clientlib.load_manifest(MANIFEST)
    assert {h["id"] for h in loaded} == {"masklint", "masklint-models"}


# ---------------------------------------------------------------------------------------------
# integration: pre-commit try-repo


def _pre_commit_cmd():
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        exe = shutil.which("pre-commit")
        if exe is None:
            pytest.skip("pre-commit is not installed")
        return [exe]
    return [sys.executable, "-m", "pre_commit"]


def _index_reachable():
    """pre-commit pip-installs masklint's dependencies into a fresh virtualenv: is the index up?"""
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    if not index.startswith(("http://", "https://")):
        return True   # a local index: nothing to reach
    try:
        req = urllib.request.Request(index + "/click/", method="HEAD")
        with urllib.request.urlopen(req, timeout=10):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _clean_git_env(**extra):
    env = dict(os.environ)
    # when the suite itself runs inside a git hook, these point at the outer repository
    for key in list(env):
        if key.startswith("GIT_") or key.startswith("PRE_COMMIT"):
            env.pop(key)
    env.pop("FORCE_COLOR", None)
    env.pop("PYTHONPATH", None)  # conftest points it at the checkout; the hooks must run what pre-commit installed
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def _git(cwd, *args, env):
    return subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=120)


def _git_init(path, env):
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", env=env)
    _git(path, "config", "user.name", "masklint tests", env=env)
    _git(path, "config", "user.email", "masklint-tests@example.invalid", env=env)
    _git(path, "config", "commit.gpgsign", "false", env=env)


def _commit_all(path, env):
    _git(path, "add", "-A", env=env)
    _git(path, "commit", "-q", "--no-verify", "-m", "snapshot", env=env)


def _working_tree_files():
    """The repository's files as they are on disk: tracked plus untracked-but-not-ignored."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, env=_clean_git_env(), capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return None
    return [f for f in out.stdout.split("\0") if f and os.path.isfile(os.path.join(ROOT, f))]


@pytest.fixture(scope="module")
def precommit(tmp_path_factory):
    """(command, env, hook_repo): pre-commit, an isolated PRE_COMMIT_HOME, and a hook repository.

    `pre-commit try-repo` on a local path takes HEAD plus *tracked* uncommitted changes only, so an
    uncommitted new .pre-commit-hooks.yaml (or new module) would be missed. The hook repository is
    therefore a committed snapshot of the working tree, which is what try-repo means to test.
    """
    cmd = _pre_commit_cmd()
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not _index_reachable():
        pytest.skip("no network to the package index (pre-commit pip-installs masklint's dependencies)")
    for name in (SEED_MODEL, CLEAN_MODEL):
        if not os.path.isfile(os.path.join(MODELS, name)):
            pytest.skip(f"examples/models/{name} is missing")

    base = tmp_path_factory.mktemp("precommit")
    env = _clean_git_env(PRE_COMMIT_HOME=str(base / "cache"))

    hook_repo = base / "hook-repo"
    files = _working_tree_files()
    if files is not None:
        for rel in files:
            dst = hook_repo / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.join(ROOT, rel), dst)
    else:   # not a git checkout (e.g. an unpacked sdist)
        shutil.copytree(ROOT, hook_repo, ignore=shutil.ignore_patterns(
            ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
            ".hypothesis"))
    assert (hook_repo / ".pre-commit-hooks.yaml").is_file()
    _git_init(hook_repo, env)
    _commit_all(hook_repo, env)
    return cmd, env, hook_repo


# pre-commit builds the hook's environment (pip-installs masklint and its dependencies from the index):
# 15-20 s here with a warm pip cache, minutes on a cold one. The test's own limit (pytest-timeout,
# pyproject.toml) sits above the subprocess's, so a slow install fails with its output, not a kill.
TRY_REPO_SUBPROCESS_TIMEOUT = 900
TRY_REPO_TIMEOUT = TRY_REPO_SUBPROCESS_TIMEOUT + 60


def _try_repo(precommit, repo, hook_id):
    cmd, env, hook_repo = precommit
    return subprocess.run(
        [*cmd, "try-repo", str(hook_repo), hook_id, "--all-files", "--verbose", "--color", "never"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=TRY_REPO_SUBPROCESS_TIMEOUT)


@pytest.mark.integration
@pytest.mark.timeout(TRY_REPO_TIMEOUT)
def test_models_hook_via_try_repo(precommit, tmp_path):
    repo = tmp_path / "project"
    env = precommit[1]
    _git_init(repo, env)
    (repo / "models").mkdir()
    shutil.copy2(os.path.join(MODELS, SEED_MODEL), repo / "models" / SEED_MODEL)
    shutil.copy2(os.path.join(MODELS, CLEAN_MODEL), repo / CLEAN_MODEL)
    (repo / "lfs.keras").write_text(LFS_POINTER)
    (repo / "train.py").write_text("print('not a model')\n")   # must not reach the models hook
    _commit_all(repo, env)

    res = _try_repo(precommit, repo, "masklint-models")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "MK102" in out, out
    assert SEED_MODEL in out, out
    assert "Git LFS pointer" in out, out          # the pointer was passed to masklint, not filtered
    assert "lfs.keras" in out, out
    assert not re.search(re.escape(CLEAN_MODEL) + r"\S*: MK\d", out), out
    assert "train.py" not in out, out


_SEED_NOTEBOOK = json.dumps({
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Tagger\n", "Padded feature sequences."]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["%matplotlib inline\n", "import keras\n", "from keras import layers"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": ["model = keras.Sequential([\n", "    keras.Input((None, 3)),\n", "    layers.Masking(0.0),\n",
                    "    layers.Conv1D(8, 1),\n", "    layers.LSTM(16),\n", "])"]},
    ],
    "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    "nbformat": 4, "nbformat_minor": 5,
}, indent=1) + "\n"


@pytest.mark.integration
@pytest.mark.timeout(TRY_REPO_TIMEOUT)
def test_source_hook_via_try_repo(precommit, tmp_path):
    """types_or [python, pyi, jupyter]: Python source and notebooks reach the source hook, saved models
    never do."""
    seed_py = os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py")
    if not os.path.isfile(seed_py):
        pytest.skip("examples/seed_ex3_masking_after_embedding.py is missing")
    repo = tmp_path / "project"
    env = precommit[1]
    _git_init(repo, env)
    (repo / "src").mkdir()
    shutil.copy2(seed_py, repo / "src" / "train_seed.py")
    (repo / "src" / "clean.py").write_text("import os\n")
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "tagger.ipynb").write_text(_SEED_NOTEBOOK)
    shutil.copy2(os.path.join(MODELS, SEED_MODEL), repo / SEED_MODEL)
    (repo / "lfs.keras").write_text(LFS_POINTER)
    (repo / "README.md").write_text("# project\n")
    _commit_all(repo, env)

    res = _try_repo(precommit, repo, "masklint")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "MK102" in out, out
    assert "train_seed.py" in out, out
    assert "notebooks/tagger.ipynb:cell 2:4:5: MK104" in out, out   # types_or has jupyter
    assert SEED_MODEL not in out, out
    assert "Git LFS pointer" not in out, out
    assert "lfs.keras" not in out, out
