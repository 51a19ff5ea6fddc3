"""Corrected version of seed example 1 (seed_ex1_masking_2d.py).

``Masking`` and ``LSTM`` need 3-D input (batch, time, features). The
article's 2-D (batch, time) array gets a feature axis of size 1, and the
model declares it with ``keras.Input(shape=(None, 1))``. ``Masking`` then
masks each time step whose features all equal 0.0, giving the LSTM a
(batch, time) mask.
"""
import numpy as np
import keras
from keras.layers import LSTM, Masking, Dense

# Sample data with variable sequence lengths (the article's data)
data = np.array([
    [1, 2, 3, 0, 0],
    [4, 5, 0, 0, 0],
    [6, 7, 8, 9, 0]
])
# Add the feature axis: (batch, time) -> (batch, time, 1)
x = data[..., None].astype("float32")
y = np.array([1, 0, 1])


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(None, 1)),
        Masking(mask_value=0.0),  # masks time steps whose features are all 0.0
        LSTM(units=32),
        Dense(units=1, activation='sigmoid'),
    ])
    return model


if __name__ == "__main__":
    model = build_model()
    model.compile(optimizer='adam', loss='binary_crossentropy')
    model.fit(x, y, epochs=10)
