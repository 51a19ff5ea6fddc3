"""A small, bounded reader of the protobuf wire format (no schema, no code generation, no imports).

Only what :mod:`masklint.savedmodel` needs: the fields of one message, each as its number, wire type
and value (an int for varints and fixed-width fields, a ``(start, end)`` span of the buffer for
length-delimited ones, ``None`` for a group, which is skipped). Every read is checked against the end
of the message: a varint longer than 10 bytes or over 64 bits, a length past the end, a field number
0, wire types 6 and 7, an end-group without its start and groups nested deeper than
:data:`MAX_GROUP_DEPTH` raise :class:`WireError` (a ``ValueError``). Nothing is allocated in
proportion to a length read from the input: spans are indices into the caller's buffer.
"""
from __future__ import annotations

VARINT, FIXED64, LEN, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5
MAX_GROUP_DEPTH = 64
_MAX_VARINT_BYTES = 10
_U64 = (1 << 64) - 1


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message; ``str()`` is a short reason."""


def read_varint(buf, pos: int, end: int) -> tuple[int, int]:
    """(value, position after it) of the varint at ``pos``; at most 10 bytes, at most 64 bits."""
    value = 0
    shift = 0
    for _ in range(_MAX_VARINT_BYTES):
        if pos >= end:
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            if value > _U64:
                raise WireError("varint over 64 bits")
            return value, pos
        shift += 7
    raise WireError("varint longer than 10 bytes")


def _skip_group(buf, pos: int, end: int, number: int) -> int:
    """The position after the group whose start tag (field ``number``) was just read."""
    open_groups = [number]
    while open_groups:
        if len(open_groups) > MAX_GROUP_DEPTH:
            raise WireError(f"groups nested more than {MAX_GROUP_DEPTH} deep")
        if pos >= end:
            raise WireError("truncated group")
        tag, pos = read_varint(buf, pos, end)
        num, wt = tag >> 3, tag & 7
        if num == 0:
            raise WireError("field number 0")
        if wt == START_GROUP:
            open_groups.append(num)
        elif wt == END_GROUP:
            if open_groups.pop() != num:
                raise WireError("end of a group that was not started")
        else:
            pos = _skip_value(buf, pos, end, wt)
    return pos


def _skip_value(buf, pos: int, end: int, wt: int) -> int:
    if wt == VARINT:
        return read_varint(buf, pos, end)[1]
    if wt == FIXED64 or wt == FIXED32:
        n = 8 if wt == FIXED64 else 4
        if pos + n > end:
            raise WireError("truncated fixed-width field")
        return pos + n
    if wt == LEN:
        n, pos = read_varint(buf, pos, end)
        if n > end - pos:
            raise WireError("length past the end of the message")
        return pos + n
    raise WireError(f"wire type {wt}")


def iter_fields(buf, start: int = 0, end: int | None = None, max_fields: int | None = None):
    """Yield ``(number, wire_type, value)`` for each field of the message in ``buf[start:end]``.

    ``value``: an int (varint, fixed64, fixed32: little-endian, unsigned), ``(start, end)`` for a
    length-delimited field, ``None`` for a group (skipped). ``max_fields`` bounds the count."""
    end = len(buf) if end is None else end
    if not 0 <= start <= end <= len(buf):
        raise WireError("span outside the buffer")
    pos = start
    count = 0
    while pos < end:
        count += 1
        if max_fields is not None and count > max_fields:
            raise WireError(f"more than {max_fields:,} fields")
        tag, pos = read_varint(buf, pos, end)
        num, wt = tag >> 3, tag & 7
        if num == 0:
            raise WireError("field number 0")
        if wt == VARINT:
            value, pos = read_varint(buf, pos, end)
        elif wt == LEN:
            n, pos = read_varint(buf, pos, end)
            if n > end - pos:
                raise WireError("length past the end of the message")
            value = (pos, pos + n)
            pos += n
        elif wt == FIXED64 or wt == FIXED32:
            n = 8 if wt == FIXED64 else 4
            if pos + n > end:
                raise WireError("truncated fixed-width field")
            value = int.from_bytes(bytes(buf[pos:pos + n]), "little")
            pos += n
        elif wt == START_GROUP:
            pos = _skip_group(buf, pos, end, num)
            value = None
        elif wt == END_GROUP:
            raise WireError("end of a group that was not started")
        else:
            raise WireError(f"wire type {wt}")
        yield num, wt, value
