"""Corrected version of seed example 2 (seed_ex2_multiple_mask_values.py).

Two fixes:
* the data gets a feature axis (``data[..., None]``), as in fixed example 1,
  so ``Masking`` and ``LSTM`` see 3-D input;
* the -1 padding is kept and masked directly with ``Masking(mask_value=-1.0)``.
  The article's ``data[data == -1] = 0`` is dropped: it is not needed, and it
  would make every real 0 in the data indistinguishable from padding.
"""
import numpy as np
import keras
from keras.layers import LSTM, Masking, Dense

# The article's data, padded with -1
data = np.array([
    [1, 2, 3, -1, -1],
    [4, 5, -1, -1, -1],
    [6, 7, 8, 9, -1]
])
# Add the feature axis: (batch, time) -> (batch, time, 1). No -1 -> 0 rewrite.
x = data[..., None].astype("float32")
y = np.array([1, 0, 1])


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(None, 1)),
        Masking(mask_value=-1.0),  # masks the -1 padding steps
        LSTM(units=32),
        Dense(units=1, activation='sigmoid'),
    ])
    return model


if __name__ == "__main__":
    model = build_model()
    model.compile(optimizer='adam', loss='binary_crossentropy')
    model.fit(x, y, epochs=10)
