"""Seed example 3 ("Masking with Embedding Layer"), as written in the article.

Source: seed article "How can Keras masking layers be used as input to LSTM
layers?" (Example 3). Only restructured so that importing it has no side
effects: the model is built in ``build_model()`` and the article's
compile + fit runs under ``__main__``.

Builds and trains in Keras 3, but the masking is a no-op: ``Masking(0)``
placed after ``Embedding`` compares embedding *vectors* with 0, and a learned
embedding vector is never exactly all-zero, so the mask is all True and the
LSTM reads the padding steps. The fix is ``Embedding(..., mask_zero=True)``
with no ``Masking`` layer; see fixed_ex3_mask_zero.py.

``input_length=5`` is kept: Keras 3.15 still accepts it, with
``UserWarning: Argument `input_length` is deprecated. Just remove it.``
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import Embedding, LSTM, Masking, Dense

# Sample integer-encoded sequences
data = np.array([
    [1, 2, 3, 0, 0],
    [4, 5, 0, 0, 0],
    [6, 7, 8, 9, 0]
])

vocab_size = 10 #Example vocabulary size
embedding_dim = 5 #Example embedding dimension


def build_model():
    model = keras.Sequential([
        Embedding(vocab_size, embedding_dim, input_length=5), #Embedding layer
        Masking(mask_value=0), #Masking layer after embedding
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
