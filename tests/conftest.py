import os
import subprocess
import sys
import warnings

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERAS2_DIR = os.path.join(HERE, "fixtures", "keras2")

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def run_cli(*args, cwd=None, env=None):
    """Run the real CLI in a subprocess; returns CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("FORCE_COLOR", None)
    if env:
        e.update(env)
    return subprocess.run([sys.executable, "-m", "masklint", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=e, timeout=120)


@pytest.fixture(scope="session")
def saved_models(tmp_path_factory):
    """Build every model of tests/models.py once and save it as .keras; name -> path."""
    pytest.importorskip("keras")
    import keras

    import models

    out = tmp_path_factory.mktemp("models")
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in models.ALL:
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            model = getattr(models, name)()
            p = out / f"{name}.keras"
            model.save(p)
            paths[name] = str(p)
            if name in H5_AND_JSON:
                model.save(out / f"{name}.h5")
                paths[name + ".h5"] = str(out / f"{name}.h5")
                (out / f"{name}.json").write_text(model.to_json())
                paths[name + ".json"] = str(out / f"{name}.json")
    return paths


# models also saved as legacy .h5 (by Keras 3) and to_json()
H5_AND_JSON = {"mk102_seed_sequential", "mk107_conv1d_kernel3", "mk104_ops_multiply", "ok_emb_bilstm_gap",
               "ok_nested_sequential", "mk109_mha_residual"}
