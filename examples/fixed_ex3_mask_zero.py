"""Corrected version of seed example 3 (seed_ex3_masking_after_embedding.py).

The padding id 0 must be masked where it is still visible, at the integer
ids: ``Embedding(..., mask_zero=True)`` emits a mask that is False wherever
the id is 0, and the LSTM skips those steps. No ``Masking`` layer is used
(after an ``Embedding`` it would compare embedding vectors with 0 and mask
nothing). ``input_length`` is dropped: it is deprecated in Keras 3.
"""
import numpy as np
import keras
from keras.layers import Embedding, LSTM, Dense

# Sample integer-encoded sequences (the article's data; 0 is padding)
data = np.array([
    [1, 2, 3, 0, 0],
    [4, 5, 0, 0, 0],
    [6, 7, 8, 9, 0]
])
y = np.array([1, 0, 1])

vocab_size = 10  # ids 1..9 are tokens, 0 is reserved for padding
embedding_dim = 5


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        Embedding(vocab_size, embedding_dim, mask_zero=True),  # masks id 0
        LSTM(units=32),
        Dense(units=1, activation='sigmoid'),
    ])
    return model


if __name__ == "__main__":
    model = build_model()
    model.compile(optimizer='adam', loss='binary_crossentropy')
    model.fit(data, y, epochs=10)
