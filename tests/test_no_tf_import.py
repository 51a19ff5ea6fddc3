"""Static linting never imports TensorFlow or Keras (proved in a fresh interpreter)."""
import os
import subprocess
import sys

from conftest import KERAS2_DIR, ROOT

SCRIPT = r"""
import sys
from masklint.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "jax", "torch"))
print("HEAVY:", ",".join(heavy))
print("LIBCST:", "libcst" in sys.modules)
print("CODE:", code)
"""


def _modules_after(*paths):
    r = subprocess.run([sys.executable, "-c", SCRIPT, *paths], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    out = dict(ln.split(": ", 1) if ": " in ln else (ln.rstrip(":"), "") for ln in r.stdout.splitlines()
               if ln.startswith(("HEAVY", "CODE", "LIBCST")))
    return out


def test_linting_keras_h5_json_imports_no_tensorflow_or_keras(saved_models):
    paths = [
        os.path.join(ROOT, "examples", "models", "seed_ex3_masking_after_embedding.keras"),
        os.path.join(KERAS2_DIR, "k2_fn_emb_bilstm_gap.h5"),
        os.path.join(KERAS2_DIR, "k2_seq_masking_after_embedding.json"),
        saved_models["mk109_mha_residual.h5"],
        saved_models["mk102_seed_sequential.json"],
    ]
    out = _modules_after(*paths)
    assert out.get("CODE") == "1"
    assert out.get("HEAVY") == "", out
    assert out.get("LIBCST") == "False", "model-only runs must not import libcst"


def test_linting_source_imports_no_tensorflow_or_keras():
    paths = [os.path.join(ROOT, "examples", name) for name in
             ("seed_ex1_masking_2d.py", "seed_ex3_masking_after_embedding.py", "fixed_ex3_mask_zero.py")]
    out = _modules_after(*paths)
    assert out.get("CODE") == "1"
    assert out.get("HEAVY") == "", out
    assert out.get("LIBCST") == "True"


def test_help_and_rules_import_no_tensorflow():
    assert _modules_after("rules").get("HEAVY") == ""


def test_models_command_imports_no_tensorflow_or_keras():
    """``masklint models`` on source, a .keras, a Keras 2 .h5 and a model .json: static only."""
    out = _modules_after("models", os.path.join(ROOT, "examples", "seed_ex3_masking_after_embedding.py"),
                         os.path.join(ROOT, "examples", "models", "seed_ex3_masking_after_embedding.keras"),
                         os.path.join(KERAS2_DIR, "k2_fn_emb_bilstm_gap.h5"),
                         os.path.join(KERAS2_DIR, "k2_seq_masking_after_embedding.json"))
    assert out.get("CODE") == "0"
    assert out.get("HEAVY") == "", out
