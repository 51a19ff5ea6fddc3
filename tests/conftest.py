import contextlib
import hashlib
import os
import subprocess
import sys
import warnings

import pytest
from hypothesis import settings as hypothesis_settings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERAS2_DIR = os.path.join(HERE, "fixtures", "keras2")

# Every `python -m masklint` a test starts, whatever its working directory, runs this checkout's
# masklint: without this, a subprocess started in a temporary directory imports whichever masklint is
# installed (an editable install of another checkout, say) and tests that code instead.
os.environ["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                     if p and p != ROOT])
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# --------------------------------------------------------------------------------------------------
# Hypothesis profiles. The default run (`python -m pytest`, what .ci/run runs) uses "ci": every @given
# test draws the same examples on every run and machine (derandomize: the seed comes from the test
# itself), nothing is read from or written to the example database, and a failure prints its
# @reproduce_failure blob. Random exploration is opt-in: HYPOTHESIS_PROFILE=explore or
# --hypothesis-profile=explore (the plugin loads that after this file). The tests' own @settings(...)
# set max_examples, deadline and health checks only; they must never set derandomize or database, so
# those always come from the profile. Loaded here, before the test modules are imported: a @settings
# object takes its unset values from the profile current when it is created.
# --------------------------------------------------------------------------------------------------
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")

# Fuzz inputs that fail (or hang) are kept here so they can be replayed: masklint FILE, or lint_source_text.
FUZZ_FAILURES = os.environ.get("MASKLINT_FUZZ_FAILURES") or os.path.join(ROOT, ".pytest_cache",
                                                                         "masklint-fuzz-failures")


def _final_hypothesis_run() -> bool:
    """False while hypothesis is still generating or shrinking (failures there are not the report);
    True in its final replay of the minimal failing example, and outside hypothesis."""
    from hypothesis import currently_in_test_context
    from hypothesis.control import current_build_context

    return not currently_in_test_context() or current_build_context().is_final


@contextlib.contextmanager
def keep_on_failure(data, name: str):
    """Save one fuzz input while the check in the with-block runs; keep it if the block raises (and
    say where, in the exception's notes and on stderr), delete it if the block returns.

    ``data``: the input's bytes, or the path of a file holding them. ``name``: a short label whose
    extension is the file's (e.g. ``"mutated_h5.h5"``); a hash of the content makes it unique. The file
    is written *before* the check runs, so an input that hangs until pytest-timeout kills the process
    stays there too. Failures hypothesis meets while shrinking are deleted: only the minimal example
    it replays last is kept."""
    if not isinstance(data, (bytes, bytearray)):
        with open(data, "rb") as fh:
            data = fh.read()
    stem, ext = os.path.splitext(name)
    path = os.path.join(FUZZ_FAILURES, f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}{ext}")
    try:
        os.makedirs(FUZZ_FAILURES, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError:  # a read-only checkout: run the check without saving
        path = None
    try:
        yield path
    except Exception as exc:
        if path is not None and _final_hypothesis_run():
            msg = f"failing fuzz input saved to {path}"
            if hasattr(exc, "add_note"):  # Python 3.11+: shown under the traceback
                exc.add_note(msg)
            print(msg, file=sys.stderr)
        elif path is not None:
            with contextlib.suppress(OSError):
                os.remove(path)
        raise
    else:
        if path is not None:
            with contextlib.suppress(OSError):
                os.remove(path)


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
