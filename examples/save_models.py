"""Build the six example models and save them as examples/models/<stem>.keras.

Usage (from any directory; needs TensorFlow + Keras 3, i.e. the ``test`` or
``runtime`` extra)::

    python examples/save_models.py

Seed examples 1 and 2 cannot be built in Keras 3; for those a one-line
reason is printed, any stale .keras file is removed, and the script goes on.
It always exits 0.
"""
import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# TF 2.21 prints its oneDNN notice through absl regardless of
# TF_CPP_MIN_LOG_LEVEL; turning the oneDNN custom ops off silences it.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import warnings  # noqa: E402

import keras  # noqa: E402

HERE = Path(__file__).resolve().parent
MODELS_DIR = HERE / "models"

STEMS = [
    "seed_ex1_masking_2d",
    "seed_ex2_multiple_mask_values",
    "seed_ex3_masking_after_embedding",
    "fixed_ex1_masking_3d",
    "fixed_ex2_mask_value",
    "fixed_ex3_mask_zero",
]


def load_module(stem):
    path = HERE / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"masklint_examples_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def main():
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    for stem in STEMS:
        target = MODELS_DIR / f"{stem}.keras"
        # Fresh name counters and seeds per model, so reruns give the same
        # layer names and the same config.json.
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        try:
            with warnings.catch_warnings():
                # seed_ex3 keeps the article's deprecated `input_length=5`.
                warnings.simplefilter("ignore", UserWarning)
                model = load_module(stem).build_model()
        except Exception as exc:  # noqa: BLE001 - report any build failure
            print(
                f"{stem}: cannot be built in Keras {keras.__version__}: "
                f"{type(exc).__name__}: {first_line(exc)}"
            )
            if target.exists():
                target.unlink()
            continue
        model.save(target)
        print(f"{stem}: saved {target.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
