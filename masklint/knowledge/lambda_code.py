"""Read a marshalled Python code object as data: never unmarshalled, never run.

Keras saves a ``Lambda`` layer's function as ``base64(marshal.dumps(fn.__code__))``. The bytes come
from the linted file -- hostile input -- so masklint never calls ``marshal.loads`` (or exec, eval,
pickle) on them. This module is a small reader of the marshal format (version 4, written by CPython
3.4 to 3.13) that understands only what a code object holds: ints, floats, complex numbers, strings,
bytes, tuples, frozensets, ``None``/``True``/``False``/``...``, nested code objects and back
references. Anything else (lists, sets, dicts, unknown type codes) makes the whole input unreadable.

The Python version that saved the function is not recorded, and code objects are laid out
differently by version (``Python/marshal.c``, ``w_complex_object``), so each known layout is tried
and the one that parses every byte, with values of the right types and sane counts, wins:

* ``3.11+`` (3.11, 3.12, 3.13): argcount, posonlyargcount, kwonlyargcount, stacksize, flags (int32
  each); code, consts, names, localsplusnames, localspluskinds, filename, name, qualname; firstlineno
  (int32); linetable, exceptiontable.
* ``3.8-3.10``: argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags; code, consts,
  names, varnames, freevars, cellvars, filename, name; firstlineno; lnotab (``linetable`` in 3.10).
* ``3.0-3.7``: as 3.8-3.10 without posonlyargcount.

Bounds: at most ``MAX_INPUT`` bytes, ``MAX_DEPTH`` levels of nesting (so the recursion here is at
most that deep), ``MAX_ITEMS`` elements per container and ``MAX_OBJECTS`` objects in all; every
length is checked against the bytes left before anything is allocated. Each object read consumes
at least one byte and back references are not copied, so the work is linear in the input (times
the three layouts). Malformed input gives ``None``, never an exception.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_INPUT = 1 << 20
MAX_DEPTH = 32
MAX_ITEMS = 1 << 16
MAX_OBJECTS = 1 << 18
MAX_COUNT = 1 << 16  # argcount and the like: far above anything real, well below int32 nonsense

FLAG_REF = 0x80
CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
CO_FAST_LOCAL, CO_FAST_CELL, CO_FAST_FREE = 0x20, 0x40, 0x80  # localspluskinds bits (3.11+)

LAYOUTS = ("3.11+", "3.8-3.10", "3.0-3.7")


class StopIterationConst:
    """Stands for the ``StopIteration`` constant (marshal type ``S``)."""

    def __repr__(self) -> str:
        return "StopIteration"


STOP_ITERATION = StopIterationConst()


@dataclass(frozen=True)
class CodeRecord:
    """What masklint knows of a serialized code object. Nested code objects in ``consts`` are
    ``CodeRecord`` too; the other constants are None, bool, int, float, complex, str, bytes,
    Ellipsis, ``STOP_ITERATION``, and tuples and frozensets of those."""

    layout: str  # one of LAYOUTS
    argcount: int  # positional arguments, positional-only ones included (3.8+)
    posonlyargcount: int
    kwonlyargcount: int
    nlocals: int  # len(varnames) for 3.11+, which does not store it
    stacksize: int
    flags: int
    code: bytes  # co_code
    consts: tuple
    names: tuple  # co_names: globals and attributes used
    varnames: tuple
    cellvars: tuple
    freevars: tuple
    local_names: tuple  # co_localsplusnames (3.11+); varnames, cellvars that are no argument, freevars
    filename: str
    name: str
    qualname: str | None  # 3.11+ only
    firstlineno: int
    arg_names: tuple  # positional, keyword-only, then *args and **kwargs names

    @property
    def positional_names(self) -> tuple:
        """The names ``inspect.getfullargspec(fn).args`` gives: what Keras checks for ``mask``."""
        return self.arg_names[:self.argcount]


class _Bad(Exception):
    """Malformed, unsupported or over a bound."""


_SINGLETONS = {"N": None, "T": True, "F": False, ".": Ellipsis, "S": STOP_ITERATION}
_PENDING = object()  # a reserved back-reference slot whose object is still being read
_INT32 = struct.Struct("<i")
_FLOAT = struct.Struct("<d")


class _Reader:
    def __init__(self, data: bytes, layout: str):
        self.data = data
        self.pos = 0
        self.layout = layout
        self.refs: list = []
        self.objects = 0

    # -- raw fields ---------------------------------------------------------------------------
    def take(self, n: int) -> bytes:
        if n < 0 or n > len(self.data) - self.pos:
            raise _Bad("truncated")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _Bad("truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def int32(self) -> int:
        return _INT32.unpack(self.take(4))[0]

    def size(self) -> int:
        """A length field: non-negative and no larger than the bytes left."""
        n = self.int32()
        if n < 0 or n > len(self.data) - self.pos:
            raise _Bad("size")
        return n

    def float_str(self) -> float:  # old text float: one length byte, then ASCII
        text = self.take(self.byte())
        if not text or any(c not in b"0123456789+-.eEinfatyINFATY" for c in text):
            raise _Bad("float")
        return float(text.decode("ascii"))

    # -- objects ------------------------------------------------------------------------------
    def obj(self, depth: int):
        if depth > MAX_DEPTH:
            raise _Bad("too deep")
        self.objects += 1
        if self.objects > MAX_OBJECTS:
            raise _Bad("too many objects")
        code = self.byte()
        flag, t = code & FLAG_REF, chr(code & ~FLAG_REF)
        if t == "r":
            n = self.int32()
            if not 0 <= n < len(self.refs) or self.refs[n] is _PENDING:
                raise _Bad("bad reference")
            return self.refs[n]
        if t in _SINGLETONS:  # CPython never registers these as references
            return _SINGLETONS[t]
        # containers and code objects take their reference slot before their items (pre-order)
        slot = -1
        if flag:
            slot = len(self.refs)
            self.refs.append(_PENDING)
        v = self.value(t, depth)
        if flag:
            self.refs[slot] = v
        return v

    def value(self, t: str, depth: int):
        if t == "i":
            return self.int32()
        if t == "I":
            return int.from_bytes(self.take(8), "little", signed=True)
        if t == "l":
            return self.long()
        if t == "g":
            return _FLOAT.unpack(self.take(8))[0]
        if t == "y":
            return complex(_FLOAT.unpack(self.take(8))[0], _FLOAT.unpack(self.take(8))[0])
        if t == "f":
            return self.float_str()
        if t == "x":
            return complex(self.float_str(), self.float_str())
        if t == "s":
            return self.take(self.size())
        if t in "aA":
            return self.take(self.size()).decode("latin-1")
        if t in "zZ":
            return self.take(self.byte()).decode("latin-1")
        if t in "ut":
            return self.take(self.size()).decode("utf-8", "surrogatepass")
        if t in "()":
            n = self.byte() if t == ")" else self.size()
            return tuple(self.items(n, depth))
        if t == ">":
            try:
                return frozenset(self.items(self.size(), depth))
            except TypeError:  # an unhashable item
                raise _Bad("frozenset") from None
        if t == "c":
            return self.code(depth)
        raise _Bad(f"type {t!r} not read")  # lists, sets, dicts, NULL, unknown

    def items(self, n: int, depth: int) -> list:
        if n > MAX_ITEMS or n > len(self.data) - self.pos:  # every item takes a byte at least
            raise _Bad("container size")
        return [self.obj(depth + 1) for _ in range(n)]

    def long(self) -> int:
        """A 'l' int: signed count of 15-bit digits, least significant first."""
        n = self.int32()
        count = abs(n)
        if count > (len(self.data) - self.pos) // 2:
            raise _Bad("long size")
        digits = struct.unpack(f"<{count}H", self.take(2 * count))
        if any(d >= 1 << 15 for d in digits) or (count and digits[-1] == 0):
            raise _Bad("long digits")
        # 8 digits are 120 bits, 15 bytes: pack them so that one from_bytes builds the int (linear)
        buf = bytearray()
        for k in range(0, count, 8):
            chunk = 0
            for j, d in enumerate(digits[k:k + 8]):
                chunk |= d << (15 * j)
            buf += chunk.to_bytes(15, "little")
        v = int.from_bytes(bytes(buf), "little")
        return -v if n < 0 else v

    # -- code objects -------------------------------------------------------------------------
    def count(self) -> int:
        v = self.int32()
        if not 0 <= v <= MAX_COUNT:
            raise _Bad("count")
        return v

    def typed(self, depth: int, kind):
        v = self.obj(depth + 1)
        if kind == "names":
            if not isinstance(v, tuple) or not all(isinstance(s, str) for s in v):
                raise _Bad("names")
        elif not isinstance(v, kind):
            raise _Bad(f"not {kind}")
        return v

    def code(self, depth: int) -> CodeRecord:
        new, old = self.layout == "3.11+", self.layout == "3.0-3.7"
        argcount = self.count()
        posonly = 0 if old else self.count()
        kwonly = self.count()
        nlocals = None if new else self.count()
        stacksize = self.count()
        flags = self.int32()
        if flags < 0:
            raise _Bad("flags")
        code = self.typed(depth, bytes)
        consts = self.typed(depth, tuple)
        names = self.typed(depth, "names")
        qualname = None
        if new:
            local_names = self.typed(depth, "names")
            kinds = self.typed(depth, bytes)
            if len(kinds) != len(local_names):
                raise _Bad("localspluskinds")
            varnames = tuple(n for n, k in zip(local_names, kinds) if k & CO_FAST_LOCAL)
            cellvars = tuple(n for n, k in zip(local_names, kinds) if k & CO_FAST_CELL)
            freevars = tuple(n for n, k in zip(local_names, kinds) if k & CO_FAST_FREE)
            nlocals = len(varnames)
        else:
            varnames = self.typed(depth, "names")
            freevars = self.typed(depth, "names")
            cellvars = self.typed(depth, "names")
            local_names = varnames + tuple(c for c in cellvars if c not in varnames) + freevars
        filename = self.typed(depth, str)
        name = self.typed(depth, str)
        if new:
            qualname = self.typed(depth, str)
        firstlineno = self.int32()
        self.typed(depth, bytes)  # line table
        if new:
            self.typed(depth, bytes)  # exception table
        nargs = argcount + kwonly + bool(flags & CO_VARARGS) + bool(flags & CO_VARKEYWORDS)
        # the arguments come first in the local names (CPython refuses a shorter varnames)
        if posonly > argcount or nargs > len(varnames) or local_names[:nargs] != varnames[:nargs]:
            raise _Bad("arguments")
        return CodeRecord(self.layout, argcount, posonly, kwonly, nlocals, stacksize, flags, code, consts,
                          names, varnames, cellvars, freevars, local_names, filename, name, qualname,
                          firstlineno, varnames[:nargs])


def read_code(data) -> CodeRecord | None:
    """The code object serialized in ``data`` (``marshal.dumps(fn.__code__)`` bytes), read as data;
    None when no known layout reads it exactly to its end."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) > MAX_INPUT:
        return None
    data = bytes(data)
    if not data or data[0] & ~FLAG_REF != ord("c"):
        return None
    for layout in LAYOUTS:
        r = _Reader(data, layout)
        try:
            rec = r.obj(0)
        except (_Bad, ValueError, UnicodeDecodeError, OverflowError, struct.error, RecursionError):
            continue
        if r.pos == len(data) and isinstance(rec, CodeRecord):
            return rec
    return None


# --- bytecode: does the body only return one of its arguments? --------------------------------
# opcode numbers per CPython version (dis.opmap): the layout says which versions could have written
# the code; each version's table is tried on its own, so numbers of different versions never mix.
_OPS_WORDCODE = {"load": {124}, "ret": 83, "skip": {9}}  # 3.6-3.10: LOAD_FAST, RETURN_VALUE, NOP
_OPS_BY_LAYOUT = {
    "3.0-3.7": (_OPS_WORDCODE,),
    "3.8-3.10": (_OPS_WORDCODE,),
    "3.11+": (
        # 3.11 and 3.12: LOAD_FAST (and 3.12's LOAD_FAST_CHECK), RETURN_VALUE; RESUME, NOP, CACHE skipped
        {"load": {124, 127}, "ret": 83, "skip": {151, 9, 0}},
        # 3.13: renumbered
        {"load": {85, 87}, "ret": 36, "skip": {149, 30, 0}},
    ),
}


def returned_argument(rec: CodeRecord | None) -> int | None:
    """The index of the local variable the function returns unchanged when its whole body is
    ``return <local>`` (``lambda x: x`` gives 0); None for any other body."""
    if rec is None or len(rec.code) % 2 or len(rec.code) > 64:  # such a body is a few instructions
        return None
    pairs = [(rec.code[k], rec.code[k + 1]) for k in range(0, len(rec.code), 2)]
    for ops in _OPS_BY_LAYOUT.get(rec.layout, ()):
        body = [p for p in pairs if p[0] not in ops["skip"]]
        if len(body) == 2 and body[0][0] in ops["load"] and body[1] == (ops["ret"], 0) \
                and body[0][1] < len(rec.varnames):
            return body[0][1]
    return None
