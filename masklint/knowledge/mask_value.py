"""Masking ``mask_value`` values that can never match or that break the arithmetic."""
from __future__ import annotations

import math


def bad_mask_value(value, input_dtype: str | None) -> str | None:
    """Why a Masking ``mask_value`` can never match or breaks the arithmetic (the bad-mask-value rule),
    else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return "NaN never equals anything (NaN != NaN), so no step is ever masked"
        if isinstance(value, float) and math.isinf(value) or abs(value) >= 1e18:
            return (f"{value!r} is so large that float32 products overflow: masked losses become "
                    "inf * 0 = NaN")
        if isinstance(value, float) and not value.is_integer() and input_dtype and (
                input_dtype.startswith("int") or input_dtype.startswith("uint")):
            return f"the input is {input_dtype}, so the fractional value {value!r} can never match"
    return None
