"""Running the model: the intermediate-output view (every tap as an output), eager calls and compiled
``predict`` on the probe batches, and the seeded weight perturbation that is undone afterwards."""
from __future__ import annotations

import re
import warnings

import numpy as np

from ..._record import record


@record
class Run:
    values: list | None = None  # per tap np.ndarray
    masks: list | None = None  # per tap np.ndarray | None (eager only)
    error: BaseException | None = None


def to_numpy(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def run_eager(keras, tap_model, arrays, n_taps) -> Run:
    from keras.src.backend.common.masking import get_keras_mask

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = tap_model(list(arrays), training=False)
    except Exception as exc:  # noqa: BLE001 - the model's own failure is the finding (probe-crash)
        return Run(error=exc)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    vals, masks = [], []
    for o in outs[:n_taps]:
        vals.append(to_numpy(keras, o))
        m = get_keras_mask(o)
        masks.append(None if m is None else to_numpy(keras, m))
    return Run(values=vals, masks=masks)


def run_predict(keras, tap_model, arrays, n_taps) -> Run:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = tap_model.predict(list(arrays), batch_size=max(1, len(arrays[0])), verbose=0)
    except Exception as exc:  # noqa: BLE001
        return Run(error=exc)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    return Run(values=[np.asarray(o) for o in outs[:n_taps]])


def perturb(keras, model, rng) -> list:
    """Add seeded noise to the trainable float weights (biases included); returns what to restore."""
    variables = list(model.trainable_weights)
    if not variables:  # a frozen model: its weights, without running statistics
        variables = [v for v in model.weights if not re.search(r"moving_|variance|mean|count", v.path or "")]
    saved, seen = [], set()
    for v in variables:
        if id(v) in seen:
            continue
        seen.add(id(v))
        w = to_numpy(keras, v)
        if w.dtype.kind != "f" or w.size == 0:
            continue
        std = float(np.std(w)) if w.size > 1 else abs(float(w.reshape(-1)[0]))
        noise = rng.standard_normal(w.shape) * max(0.5 * std, 0.1)
        saved.append((v, w))
        v.assign((w + noise).astype(w.dtype))
    return saved


def restore(saved) -> None:
    for v, w in saved:
        v.assign(w)


def tap_view(keras, model, inputs, taps):
    """The model with every tap as an output (same layers, same weights); raises when it cannot be built."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tap_model = keras.Model(inputs, [tp.tensor for tp in taps], name="masklint_probe")
    jit = getattr(model, "_jit_compile", None)
    if isinstance(jit, bool):  # compiled predict as the model's own: with XLA if it was compiled so
        tap_model._jit_compile = jit
    return tap_model


def run_batches(keras, model, tap_model, n_taps, ref, variants, empty, *, weights, seed, counts) -> tuple:
    """(eager runs, predict runs) by batch key; the passes are counted on ``counts`` (the report).

    Each batch runs once eagerly and once through compiled ``predict``, the all-padding batch eagerly;
    nothing more runs when the reference batch fails eagerly. Perturbed weights are restored however
    it ends."""
    saved = []
    if weights == "perturbed":
        saved = perturb(keras, model, np.random.default_rng([seed, 1]))
    eager, pred = {}, {}
    try:
        r = run_eager(keras, tap_model, ref.arrays, n_taps)
        counts.eager_passes += 1
        eager["reference"] = r
        if r.error is not None:
            return eager, pred
        for b in variants:
            eager[b.key] = run_eager(keras, tap_model, b.arrays, n_taps)
            counts.eager_passes += 1
        r = run_predict(keras, tap_model, ref.arrays, n_taps)
        counts.predict_passes += 1
        pred["reference"] = r
        if r.error is None:
            for b in variants:
                pred[b.key] = run_predict(keras, tap_model, b.arrays, n_taps)
                counts.predict_passes += 1
        eager["empty"] = run_eager(keras, tap_model, empty.arrays, n_taps)
        counts.eager_passes += 1
    finally:
        restore(saved)
    return eager, pred
