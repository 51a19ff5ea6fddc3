"""Seed example 2 ("Handling Multiple Mask Values"), as written in the article.

Source: seed article "How can Keras masking layers be used as input to LSTM
layers?" (Example 2). Only restructured so that importing it has no side
effects: the model is built in ``build_model()`` and the article's
compile + fit runs under ``__main__``.

BROKEN in Keras 3, twice over:
* same failure as example 1: ``Masking`` on 2-D (batch, time) input, so the
  ``LSTM`` raises ``expected ndim=3, found ndim=2``; ``build_model()`` raises;
* the preprocessing ``data[data == -1] = 0`` merges the -1 padding into the
  value 0, so any real 0 in the data would be masked too. Nothing needs this:
  ``Masking(mask_value=-1.0)`` masks the -1 padding directly.
See fixed_ex2_mask_value.py for the corrected version.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import LSTM, Masking, Dense

data = np.array([
    [1, 2, 3, -1, -1],
    [4, 5, -1, -1, -1],
    [6, 7, 8, 9, -1]
])

#masking multiple values simultaneously requires a preprocessing step
data[data == -1] = 0


def build_model():
    model = keras.Sequential([
        Masking(mask_value=0),
        LSTM(units=32),
        Dense(units=1, activation='sigmoid')
    ])
    # Build it the way the article's fit would: input shape (None, 5).
    model.build((None,) + data.shape[1:])
    return model


if __name__ == "__main__":
    model = build_model()
    model.compile(optimizer='adam', loss='binary_crossentropy')
    model.fit(data, np.array([1, 0, 1]), epochs=10)
