"""Source facts for the probe: how a factory's module pads the data it feeds its models.

``masklint probe pkg.module:factory`` reads the factory's module with the source front end (as text, never
executing it again) and takes the padding side of its ``pad_sequences`` calls (Keras pads ``"pre"`` by
default) when every padding fact of the module agrees; the probe then knows whether the data is pre-padded
(:mod:`.probe.contract`)."""
from __future__ import annotations

import sys


def padding_side_of_module(module_name: str) -> str | None:
    """``"pre"`` / ``"post"`` when every padding fact of the (imported) module's source says so, else None."""
    from ..frontends.source import extract

    path = getattr(sys.modules.get(module_name), "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        graphs = extract(text, str(path))[0]
    except Exception:  # noqa: BLE001 - source the front end cannot read: no fact
        return None
    sides = {f.side for g in graphs for f in list(g.padding) if f.side in ("pre", "post")}
    return sides.pop() if len(sides) == 1 else None
