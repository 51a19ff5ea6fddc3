"""--fix and --diff on model code: mechanical fixes that keep formatting and re-lint clean."""
import importlib.util
import os
import shutil
import textwrap
import warnings

import pytest

from conftest import ROOT, run_cli
from masklint.source_lint import fix_source_text, lint_source_text


def fixed(code: str) -> str:
    new = fix_source_text(textwrap.dedent(code).encode(), "m.py")
    assert new is not None
    assert lint_source_text(new.encode(), "m.py") == [], new
    return new


def test_seed_example_3_fix_lints_clean_and_still_builds(tmp_path):
    p = tmp_path / "seed_ex3.py"
    shutil.copy(os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py"), p)
    before = p.read_text()
    r = run_cli("--diff", str(p))
    assert r.returncode == 1 and "+        Embedding(vocab_size, embedding_dim, input_length=5, mask_zero=True)" in r.stdout
    assert "-        Masking(mask_value=0), #Masking layer after embedding" in r.stdout
    assert p.read_text() == before  # --diff writes nothing
    r = run_cli("--fix", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    after = p.read_text()
    assert "mask_zero=True), #Embedding layer" in after  # comments and layout kept
    assert "Masking(mask_value=0)" not in after
    assert run_cli(str(p)).returncode == 0
    # and the fixed file still builds a working model
    keras = pytest.importorskip("keras")
    spec = importlib.util.spec_from_file_location("seed_ex3_fixed", p)
    mod = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(mod)
        model = mod.build_model()
    assert isinstance(model, keras.Model)
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", "LSTM", "Dense"]
    assert model.layers[0].mask_zero is True


def test_fix_functional_and_add():
    new = fixed("""
        import keras
        from keras import layers
        ids = keras.Input((None,), dtype="int32")
        x = layers.Embedding(100, 8, name="emb")(ids)   # token embedding
        x = layers.Masking(0.0)(x)
        model = keras.Model(ids, layers.LSTM(4)(x))
    """)
    assert 'layers.Embedding(100, 8, name="emb", mask_zero=True)(ids)   # token embedding' in new
    assert "x = x" in new and "Masking" not in new
    new = fixed("""
        import keras
        from keras import layers
        model = keras.Sequential()
        model.add(keras.Input((None,), dtype="int32"))
        model.add(layers.Embedding(100, 8, mask_zero=False))
        model.add(layers.Masking(mask_value=0.0))  # wrong place
        model.add(layers.GRU(4))
    """)
    assert "layers.Embedding(100, 8, mask_zero=True)" in new and "Masking" not in new


def test_fix_mask_value_and_proven_padding():
    new = fixed("""
        import keras
        from keras import layers
        from keras.utils import pad_sequences
        x = pad_sequences([[1.0], [2.0, 3.0]], value=-1.0, dtype="float32", padding="post")[..., None]
        model = keras.Sequential([keras.Input((None, 1)), layers.Masking(0.0), layers.LSTM(4)])
        model.fit(x, [0, 1])
    """)
    assert "layers.Masking(-1.0)" in new
    new = fixed("""
        import keras
        from keras import layers
        from keras.utils import pad_sequences
        ids = pad_sequences([[3, 4], [5]], maxlen=10, padding="post")
        model = keras.Sequential([keras.Input((10,), dtype="int32"), layers.Embedding(10, 4), layers.LSTM(4)])
        model.fit(ids, [0, 1])
    """)
    assert "layers.Embedding(10, 4, mask_zero=True)" in new


def test_nothing_to_fix_and_noqa_is_respected():
    clean = b"import keras\nm = keras.Sequential([keras.Input((None, 3)), keras.layers.Masking(0.0), keras.layers.LSTM(2)])\n"
    assert fix_source_text(clean, "m.py") is None
    noqa = textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(10, 4),
                                  layers.Masking(0.0),  # noqa: MK102
                                  layers.LSTM(4)])
    """).encode()
    assert fix_source_text(noqa, "m.py") is None


def test_diff_exit_codes(tmp_path):
    p = tmp_path / "ok.py"
    p.write_text("import keras\n")
    r = run_cli("--diff", str(p))
    assert r.returncode == 0 and r.stdout == ""


def test_fix_removes_the_import_of_the_removed_masking():
    new = fixed("""
        import keras
        from keras.layers import Embedding, Masking, LSTM  # the layers
        model = keras.Sequential([
            keras.Input((None,), dtype="int32"),
            Embedding(100, 8),
            Masking(0.0),
            LSTM(4),
        ])
    """)
    assert "from keras.layers import Embedding, LSTM  # the layers\n" in new and "Masking" not in new
    # the import alone on its line goes with it; an alias too
    new = fixed("""
        import keras
        from keras.layers import Embedding, LSTM
        from keras.layers import Masking as M
        model = keras.Sequential([keras.Input((None,), dtype="int32"), Embedding(100, 8), M(0.0), LSTM(4)])
    """)
    assert "import Masking" not in new and "M(0.0)" not in new
    assert "from keras.layers import Embedding, LSTM\nmodel = " in new
    # still used elsewhere in the file: kept
    new = fixed("""
        import keras
        from keras.layers import Embedding, Masking, LSTM
        clf = keras.Sequential([keras.Input((None,), dtype="int32"), Embedding(100, 8), Masking(0.0), LSTM(4)])
        seq = keras.Sequential([keras.Input((None, 3)), Masking(0.0), LSTM(4)])
    """)
    assert "from keras.layers import Embedding, Masking, LSTM" in new and new.count("Masking(0.0)") == 1


def test_diff_headers_name_the_file_as_written(tmp_path):
    (tmp_path / "src").mkdir()
    shutil.copy(os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py"), tmp_path / "src" / "m.py")
    for arg in (".", "./src/m.py", "src/m.py", str(tmp_path / "src" / "m.py")):
        r = run_cli("--diff", arg, cwd=str(tmp_path))
        assert r.returncode == 1, r.stderr
        assert r.stdout.startswith("--- a/src/m.py\n+++ b/src/m.py\n"), (arg, r.stdout[:80])


def test_fix_follows_the_configuration(tmp_path):
    """--fix changes only what a lint run would report: excluded files and ignored rules are left alone."""
    seed = open(os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py")).read()
    (tmp_path / "pyproject.toml").write_text('[tool.masklint]\nexclude = ["vendored"]\n'
                                             '[tool.masklint.per-file-ignores]\n"legacy.py" = ["MK102"]\n')
    for name in ("vendored/a.py", "legacy.py", "new.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(seed)
    r = run_cli("--diff", ".", cwd=str(tmp_path))
    assert r.returncode == 1 and r.stderr.endswith("1 file would be fixed.\n"), r.stderr
    assert "a/new.py" in r.stdout and "legacy.py" not in r.stdout and "vendored" not in r.stdout
    r = run_cli("--fix", ".", cwd=str(tmp_path))
    assert (tmp_path / "legacy.py").read_text() == seed == (tmp_path / "vendored" / "a.py").read_text()
    assert (tmp_path / "new.py").read_text() != seed
