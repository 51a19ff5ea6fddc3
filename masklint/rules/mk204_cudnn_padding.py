"""MK204 cudnn-padding: a masked, cuDNN-eligible LSTM/GRU gets left-padded data (``pad_sequences``'
default ``padding="pre"``, or a left-padded sample) or all-padding rows: on a GPU the compiled
``fit``/``predict`` fails cuDNN's right-padding assertion."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q

RULE = Rule("MK204", "cudnn-padding", "warning",
            "a masked cuDNN-eligible LSTM/GRU gets left-padded data: compiled fit/predict fail on a GPU")


@record
class CudnnPadding(Record):
    RULE = RULE
    HOW = "left-padded"
    culprit: object  # the padding call (source)
    consumer: str | None = None  # the RNN
    rnn_class: str | None = None

    def message(self) -> str:
        return (f"{self.culprit.class_name} left-pads the data fed to the masked, cuDNN-eligible {self.rnn_class} "
                f"{q(self.consumer)}: on a GPU, compiled fit/predict fail cuDNN's right-padding assertion")

    def fix(self) -> str:
        return ("pass padding='post' to pad_sequences" if self.culprit.class_name == "pad_sequences"
                else "pad after the data") + ", or use_cudnn=False on the RNN"
