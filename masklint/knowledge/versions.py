"""What depends on the Keras version and the backend: the :class:`Target` a model runs on, and the
behaviours of the knowledge table that differ by version range or backend.

Where the target comes from:

* a saved model: the ``keras_version`` and ``backend`` its file records (``.keras``: ``metadata.json``;
  ``to_json()`` files: top-level keys; a Keras 1/2 file is TensorFlow);
* a live model: the Keras that built it (``keras.__version__``, ``keras.backend.backend()``);
* source code: the configured target (``[tool.masklint] target-keras`` and
  ``backend``), by default the installed Keras' version read from its package metadata (never
  imported) and ``KERAS_BACKEND``, else the ``backend`` of ``$KERAS_HOME/keras.json``
  (``~/.keras/keras.json``), else TensorFlow (Keras' own order).

The behaviours (each with the source it was read from):

* :data:`NO_OUTPUT_MASK`: Keras >= 3.16 sets ``supports_masking = False`` on ``RNN`` (so on every
  LSTM/GRU/SimpleRNN/ConvLSTM), ``Bidirectional`` and ``TimeDistributed`` (keras-team/keras#23235,
  ``layers/rnn/rnn.py``, ``bidirectional.py``, ``time_distributed.py`` in keras-nightly
  3.16.0.dev2026102704). Their ``call`` still takes the mask (the RNN skips the padded steps) and
  their ``compute_mask`` is unchanged, but ``Layer.__call__`` only calls ``compute_mask`` when
  ``supports_masking`` is True (``layers/layer.py``, ``_set_mask_metadata``): the output has no mask
  and Keras warns that the layer "will therefore destroy the mask information".
* :func:`cudnn_right_padding`: a masked, cuDNN-eligible LSTM/GRU needs right padding (cudnn-padding) on the
  TensorFlow backend (``backend/tensorflow/rnn.py``, ``_is_sequence_right_padded``; tf.keras 2 too), and
  on PyTorch for Keras 3.10-3.13 (it raised ValueError on left padding; 3.14+, keras-team/keras#22470,
  takes the generic loop with a mask). On JAX ``lstm``/``gru`` raise NotImplementedError for a mask
  and Keras takes the generic loop (``backend/jax/rnn.py``); NumPy and OpenVINO have no cuDNN path.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager

from .._record import record

BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")


@record
class Target:
    """The Keras a model runs on: ``keras_version`` (major, minor) and ``backend`` (one of
    :data:`BACKENDS`); None where unknown. ``source``: where they came from (``"metadata"``,
    ``"config"``, ``"installed"``), for messages and tests."""

    keras_version: tuple | None = None
    backend: str | None = None
    source: str = "installed"

    def at_least(self, version: tuple) -> bool | None:
        """Whether the target's Keras is ``version`` or later (None: unknown)."""
        return None if self.keras_version is None else self.keras_version >= version

    def describe(self) -> str:
        v = "?" if self.keras_version is None else ".".join(map(str, self.keras_version))
        return f"Keras {v} ({self.backend or 'backend unknown'})"


@record
class VersionedBehaviour:
    """A behaviour of some built-in classes that holds from Keras ``since`` on (``until``: first
    version where it no longer holds, None: still holds)."""

    classes: frozenset
    since: tuple
    until: tuple | None
    ref: str  # where it was read from

    def holds(self, class_name: str, target: Target) -> bool:
        if class_name not in self.classes or target.keras_version is None:
            return False
        v = target.keras_version
        return v >= self.since and (self.until is None or v < self.until)

    def since_text(self) -> str:
        return ".".join(map(str, self.since))


#: the output of these classes has no mask on Keras >= 3.16 (the layer still consumes its input mask)
NO_OUTPUT_MASK = VersionedBehaviour(
    frozenset({"RNN", "LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional",
               "TimeDistributed"}),
    (3, 16), None, "keras-team/keras#23235")


def drops_output_mask(class_name: str, target: Target | None, keras_major: int = 3) -> VersionedBehaviour | None:
    """The versioned behaviour that removes the output mask of ``class_name`` (canonical) on
    ``target``, or None. Keras 1/2 (tf.keras) models are not concerned."""
    if target is None or keras_major < 3:
        return None
    return NO_OUTPUT_MASK if NO_OUTPUT_MASK.holds(class_name, target) else None


def cudnn_right_padding(target: Target | None, keras_major: int = 3) -> bool:
    """Whether a masked, cuDNN-eligible LSTM/GRU needs right-padded data on ``target`` (cudnn-padding).
    An unknown backend counts as TensorFlow (Keras' default)."""
    if keras_major < 3 or target is None:
        return True  # tf.keras 2 is TensorFlow
    backend = target.backend or "tensorflow"
    if backend == "tensorflow":
        return True
    if backend == "torch":
        v = target.keras_version
        return v is not None and (3, 10) <= v < (3, 14)
    return False


# -- parsing -----------------------------------------------------------------------------------
def parse_version(text) -> tuple | None:
    """``"3.16"``, ``"3.16.0.dev2026102704"``, ``"2.15.0"`` -> (major, minor); None when not a version."""
    if not isinstance(text, str):
        return None
    parts = text.strip().split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    minor = ""
    for ch in parts[1]:
        if not ch.isdigit():
            break
        minor += ch
    if not minor:
        return None
    return int(parts[0]), int(minor)


def parse_backend(text) -> str | None:
    """A backend name as Keras spells it (``"pytorch"`` is Keras' own alias of torch); None if unknown."""
    if not isinstance(text, str):
        return None
    b = text.strip().lower()
    b = "torch" if b == "pytorch" else b
    return b if b in BACKENDS else None


# -- the default target ------------------------------------------------------------------------
_INSTALLED: list = []  # the installed version, read once per process


def installed_keras_version() -> tuple | None:
    """The installed Keras' (major, minor), from package metadata (Keras is never imported)."""
    if not _INSTALLED:
        _INSTALLED.append(_read_installed())
    return _INSTALLED[0]


_DIST_INFO = re.compile(r"^keras(?:_nightly)?-(\d+\.\d+[^-]*)\.dist-info$", re.I)


def _read_installed() -> tuple | None:
    import sys

    # the name of the installed distribution's .dist-info directory holds its version: listing
    # site-packages costs well under a millisecond, importlib.metadata ~18 ms (it imports email, zipfile...)
    for entry in sys.path:
        if not entry.endswith(("site-packages", "dist-packages")):
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for n in names:
            m = _DIST_INFO.match(n)
            if m is not None and parse_version(m.group(1)) is not None:
                return parse_version(m.group(1))
    from importlib import metadata

    for dist in ("keras", "keras-nightly"):
        try:
            v = parse_version(metadata.version(dist))
        except Exception:  # noqa: BLE001 - not installed, or broken metadata
            continue
        if v is not None:
            return v
    return None


def default_backend(environ=None) -> str:
    """The backend Keras would pick: ``KERAS_BACKEND``, else ``keras.json``'s, else TensorFlow."""
    env = os.environ if environ is None else environ
    b = parse_backend(env.get("KERAS_BACKEND"))
    if b is not None:
        return b
    home = env.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    if home not in _KERAS_JSON:
        _KERAS_JSON[home] = _keras_json_backend(os.path.join(home, "keras.json"))
    return _KERAS_JSON[home] or "tensorflow"


_KERAS_JSON: dict = {}  # KERAS_HOME -> the backend its keras.json names (read once per process)


def _keras_json_backend(file: str) -> str | None:
    try:
        with open(file, "rb") as fh:
            raw = fh.read(1 << 16)
        import json

        return parse_backend(json.loads(raw).get("backend"))
    except Exception:  # noqa: BLE001 - no file, or not Keras' JSON
        return None


def configured(keras: str | None = None, backend: str | None = None) -> Target:
    """The target of source code and live models: the configured values (already validated), the
    rest from the installation."""
    v = parse_version(keras) if keras is not None else None
    b = parse_backend(backend) if backend is not None else None
    source = "config" if v is not None or b is not None else "installed"
    return Target(v if v is not None else installed_keras_version(), b or default_backend(), source)


def of_saved(keras_version: str | None, backend: str | None, fallback: Target | None = None) -> Target:
    """The target of a saved model: what its file records, the rest from ``fallback`` (the configured
    target). A Keras 1/2 file ran on TensorFlow."""
    v = parse_version(keras_version)
    b = parse_backend(backend)
    if v is not None and v[0] < 3:
        b = "tensorflow"
    fb = fallback or configured()
    if v is None and b is None:
        return fb
    return Target(v if v is not None else fb.keras_version, b or fb.backend, "metadata")


_TF_KERAS = re.compile(rb"^[ \t]*(?:import|from)[ \t]+tf_keras\b", re.M)
_KERAS3 = re.compile(rb"^[ \t]*(?:import|from)[ \t]+keras\b", re.M)


def of_source(raw: bytes, target: Target) -> Target:
    """Code that imports ``tf_keras`` (and not ``keras``) runs on Keras 2 and TensorFlow, whatever the
    configured target (the source front end reads ``tf_keras.layers`` as ``keras.layers``)."""
    if _TF_KERAS.search(raw) and not _KERAS3.search(raw):
        return Target((2, 0), "tensorflow", "source")
    return target


# -- the configured target of each linted file -------------------------------------------------
_TARGET_FOR = None  # path -> Target, while a configured run lints (forked workers inherit it)


@contextmanager
def targets(target_for):
    """Within the block, :func:`target_for` answers with ``target_for(path)`` (a run's configuration)."""
    global _TARGET_FOR
    saved, _TARGET_FOR = _TARGET_FOR, target_for
    try:
        yield
    finally:
        _TARGET_FOR = saved


def target_for(path: str | None) -> Target:
    """The configured target of the file ``path`` (the installation's when no run configures one)."""
    if _TARGET_FOR is not None:
        try:
            t = _TARGET_FOR(path)
        except Exception:  # noqa: BLE001 - a configuration lookup failing is reported elsewhere
            t = None
        if t is not None:
            return t
    return configured()
