"""MK203 embedding-without-padding-slot: ``Embedding(input_dim=len(vocab))`` where ids run 1..len(vocab)
(a 1-based tokenizer index with 0 kept for padding): the largest id is out of range."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK203", "embedding-without-padding-slot", "warning",
            "Embedding(input_dim=len(vocab)) with 1-based ids: the largest id is out of range")


@record
class EmbeddingWithoutPaddingSlot(Record):
    RULE = RULE
    HOW = "out-of-range"
    culprit: object  # the Embedding call
    consumer: str | None = None
    vocab: str | None = None  # the source text of the vocabulary (``tokenizer.word_index``)

    def message(self) -> str:
        return (f"Embedding {q(self.culprit.path)} has input_dim=len({self.vocab}), but Tokenizer ids run from 1 to "
                f"len({self.vocab}) (0 is kept for padding): the largest id is out of range (an error on CPU, "
                f"silent zeros on GPU)")

    def fix(self) -> str:
        return f"use input_dim=len({self.vocab}) + 1"
