"""Keras Lambda functions: read as data, never unmarshalled or run.

Keras stores a Lambda's function as base64(marshal.dumps(fn.__code__)). masklint reads those bytes
with its own bounded reader (masklint.knowledge.lambda_code), which looks only at the code object's fields:
its argument names and its bytecode -- not at the file name, docstring or constants it carries.
"""
from __future__ import annotations


def lambda_code_bytes(fn) -> bytes | None:
    """The base64-decoded marshal bytes of a serialized ``__lambda__`` (or Keras 2 list form)."""
    code = None
    if isinstance(fn, dict) and fn.get("class_name") == "__lambda__" and isinstance(fn.get("config"), dict):
        code = fn["config"].get("code")
    elif isinstance(fn, list) and fn and isinstance(fn[0], str):
        code = fn[0]
    if not isinstance(code, str) or len(code) > 1 << 20:
        return None
    import binascii

    try:
        return binascii.a2b_base64(code)
    except (ValueError, TypeError, binascii.Error):
        return None


def lambda_code(fn):
    """The :class:`~masklint.knowledge.lambda_code.CodeRecord` of a serialized Lambda function; None if unreadable."""
    from .lambda_code import read_code

    raw = lambda_code_bytes(fn)
    return None if raw is None else read_code(raw)


def lambda_mentions_mask(fn) -> bool | None:
    """Whether a serialized Lambda function takes the mask: Keras passes ``mask=`` only when
    ``inspect.getfullargspec(fn).args`` -- the positional parameters -- has a ``mask``
    (a keyword-only ``mask`` or one in ``**kwargs`` gets nothing). None if unreadable."""
    rec = lambda_code(fn)
    return None if rec is None else "mask" in rec.positional_names


def _returns_argument(fn, index: int) -> bool:
    from .lambda_code import returned_argument

    rec = lambda_code(fn)
    return rec is not None and rec.argcount > index and returned_argument(rec) == index


def is_identity_fn(fn) -> bool:
    """``Lambda(lambda x: x)``: the output is the input tensor itself."""
    return _returns_argument(fn, 0)


def is_identity_mask_fn(fn) -> bool:
    """``mask=lambda inputs, mask: mask``: the mask passes unchanged, whatever the function does.
    Keras calls the mask function as ``fn(inputs, mask)``, so it returns its second argument."""
    return _returns_argument(fn, 1)
