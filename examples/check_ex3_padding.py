"""Measure how seed example 3 (Masking after Embedding) depends on padding, vs the fixed model.

Needs TensorFlow + Keras 3 (the `test` or `runtime` extra). Run: python examples/check_ex3_padding.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0], [6, 7, 8, 9, 0]])


def pad_to(data, length):
    out = np.zeros((data.shape[0], length), dtype=data.dtype)
    n = min(length, data.shape[1])
    out[:, :n] = data[:, :n]
    return out


def run(stem):
    model = keras.models.load_model(os.path.join(HERE, "models", stem + ".keras"))

    def call(x):  # eager layer-by-layer call: masks flow as in the model, any length is accepted
        lstm_out = None
        for lay in model.layers:
            x = lay(x)
            if isinstance(lay, keras.layers.LSTM):
                lstm_out = np.asarray(x)
        return lstm_out, np.asarray(x)

    outs = {n: call(pad_to(DATA, n)) for n in (4, 5, 10)}
    print(f"== {stem}")
    if stem.startswith("seed"):
        emb, masking = model.layers[0], model.layers[1]
        e = emb(DATA)
        print("Masking.compute_mask(embedding output):\n", np.asarray(masking.compute_mask(e)))
        table = np.asarray(emb.embeddings)
        print(f"embedding table: {int((table == 0).sum())} of {table.size} entries exactly 0; "
              f"min |entry| = {np.abs(table).min():.4g}")
    for n in (4, 10):
        print(f"pad 5 -> {n}: max|dLSTM| = {np.abs(outs[n][0] - outs[5][0]).max():.3g}, "
              f"max|dpred| = {np.abs(outs[n][1] - outs[5][1]).max():.3g}")
    for n in (4, 5, 10):
        print(f"pred at pad length {n}: {np.round(outs[n][1].ravel(), 6).tolist()}")


if __name__ == "__main__":
    run("seed_ex3_masking_after_embedding")
    run("fixed_ex3_mask_zero")
