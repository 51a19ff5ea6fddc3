"""Seed example 1 ("Basic Masking and LSTM"), as written in the article.

Source: seed article "How can Keras masking layers be used as input to LSTM
layers?" (Example 1). Only restructured so that importing it has no side
effects: the model is built in ``build_model()`` and the article's
compile + fit runs under ``__main__``.

BROKEN in Keras 3: ``data`` is 2-D (batch, time) with no feature axis, so
``Masking`` yields a per-sample mask and ``LSTM`` rejects its 2-D input with
``expected ndim=3, found ndim=2``. ``build_model()`` therefore raises.
See fixed_ex1_masking_3d.py for the corrected version.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import LSTM, Masking, Dense

# Sample data with variable sequence lengths
data = np.array([
    [1, 2, 3, 0, 0],
    [4, 5, 0, 0, 0],
    [6, 7, 8, 9, 0]
])


def build_model():
    # Define the model
    model = keras.Sequential([
        Masking(mask_value=0), # Masking layer, masking 0s
        LSTM(units=32), # LSTM layer
        Dense(units=1, activation='sigmoid') # Output layer
    ])
    # Build it the way the article's fit would: input shape (None, 5).
    model.build((None,) + data.shape[1:])
    return model


if __name__ == "__main__":
    model = build_model()
    # Compile and train the model (simplified for brevity)
    model.compile(optimizer='adam', loss='binary_crossentropy')
    model.fit(data, np.array([1, 0, 1]), epochs=10) #Example labels
