"""MK204 cudnn-padding: a masked, cuDNN-eligible LSTM/GRU gets left-padded data (``pad_sequences``'
default ``padding="pre"``, or a left-padded sample) or all-padding rows: on a GPU the compiled
``fit``/``predict`` fails cuDNN's right-padding assertion."""
from __future__ import annotations

from .._record import record
from .base import Record, Rule, q, sample_of

RULE = Rule("MK204", "cudnn-padding", "warning",
            "a masked cuDNN-eligible LSTM/GRU gets left-padded data: compiled fit/predict fail on a GPU")


@record
class CudnnPadding(Record):
    """``why``: None (code: the culprit is the padding call, the consumer the RNN) or ``"sample"`` (the
    ``--data`` sample for input ``sample`` is left-padded, ``side="pre"``, or has ``empty_rows``
    all-padding rows: the culprit is the RNN it reaches). ``rnn_class``: the RNN's class as printed
    (``Bidirectional(LSTM)`` for a wrapped one)."""

    RULE = RULE
    HOW = "left-padded"
    culprit: object
    consumer: str | None = None
    rnn_class: str | None = None
    why: str | None = None
    sample: str | None = None
    side: str | None = None
    empty_rows: int = 0
    backend: str | None = None  # the target backend (the rule holds on TensorFlow, and PyTorch on Keras 3.10-3.13)

    def message(self) -> str:
        if self.why == "sample":
            what = ["is left-padded"] if self.side == "pre" else []
            if self.empty_rows:
                what.append(f"has {self.empty_rows} all-padding row{'s' if self.empty_rows != 1 else ''}")
            return (f"{sample_of(self.sample)} {' and '.join(what)}, and it reaches the masked, cuDNN-eligible "
                    f"{self.rnn_class} {q(self.culprit.path)}: on a GPU, compiled fit/predict fail cuDNN's "
                    f"right-padding assertion")
        if self.backend == "torch":
            return (f"{self.culprit.class_name} left-pads the data fed to the masked, cuDNN-eligible "
                    f"{self.rnn_class} {q(self.consumer)}: on Keras 3.10-3.13 with the PyTorch backend, it raises "
                    f"on a GPU (cuDNN needs right padding)")
        return (f"{self.culprit.class_name} left-pads the data fed to the masked, cuDNN-eligible {self.rnn_class} "
                f"{q(self.consumer)}: on a GPU, compiled fit/predict fail cuDNN's right-padding assertion")

    def fix(self) -> str:
        if self.why == "sample":
            what = (["pad with padding='post'"] if self.side == "pre" else []) + (
                ["drop empty rows"] if self.empty_rows else [])
            return f"{' and '.join(what)}, or pass use_cudnn=False to {q(self.culprit.path)}"
        return ("pass padding='post' to pad_sequences" if self.culprit.class_name == "pad_sequences"
                else "pad after the data") + ", or use_cudnn=False on the RNN"

    def extra(self) -> dict:
        if self.why == "sample":
            return {"side": self.side, "empty_rows": self.empty_rows}
        return {"backend": self.backend} if self.backend == "torch" else {}  # TensorFlow: as before

    def roles(self) -> dict:
        if self.why == "sample":
            return {}  # no layer pads a data sample: no mask path to draw
        return Record.roles(self)
