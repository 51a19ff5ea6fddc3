"""Whether an LSTM/GRU takes the cuDNN path on a GPU."""
from __future__ import annotations

from .layers import canonical


def cudnn_eligible(class_name: str, config: dict) -> bool | None:
    """Would this LSTM/GRU (or Bidirectional of one) take the cuDNN path on a GPU (§6)? None: unknown."""
    cfg = config if isinstance(config, dict) else {}
    name = canonical(class_name)
    if name == "Bidirectional":
        inner = cfg.get("layer")
        if not isinstance(inner, dict):
            return None
        return cudnn_eligible(inner.get("class_name", ""), inner.get("config", {}))
    if name not in ("LSTM", "GRU"):
        return False
    checks = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True, "unroll": False,
              "recurrent_dropout": 0}
    if name == "GRU":
        checks["reset_after"] = True
    for key, want in checks.items():
        if key in cfg:
            v = cfg[key]
            if v is None:
                return None  # written in code masklint could not resolve
            if v != want:
                return False
    if "use_cudnn" in cfg:
        if cfg["use_cudnn"] is None:
            return None
        if cfg["use_cudnn"] is False:
            return False
    return True
