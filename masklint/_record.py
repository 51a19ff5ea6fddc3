"""A light stand-in for :mod:`dataclasses` on the static path.

Importing ``dataclasses`` costs about 8 ms (it pulls in ``inspect``), a third of the time budget of
``masklint model.keras``; these records need only an ``__init__`` from annotations, a ``__repr__`` and
:func:`replace`. Equality is identity, as with ``dataclass(eq=False)``.
"""
from __future__ import annotations


class factory:
    """Default computed per instance (like ``field(default_factory=...)``)."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


def record(cls):
    fields = tuple(cls.__dict__.get("__annotations__", {}))
    defaults = {n: cls.__dict__[n] for n in fields if n in cls.__dict__}
    post_init = cls.__dict__.get("__post_init__")
    name = cls.__name__

    def __init__(self, *args, **kw):
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes at most {len(fields)} positional arguments")
        d = self.__dict__
        for n, v in zip(fields, args):
            d[n] = v
        for n in fields[len(args):]:
            if n in kw:
                d[n] = kw.pop(n)
            elif n in defaults:
                v = defaults[n]
                d[n] = v.make() if isinstance(v, factory) else v
            else:
                raise TypeError(f"{name}() missing argument {n!r}")
        if kw:
            raise TypeError(f"{name}() got unexpected arguments {sorted(kw)}")
        if post_init is not None:
            post_init(self)

    def __repr__(self):
        return f"{name}(" + ", ".join(f"{n}={self.__dict__.get(n)!r}" for n in fields) + ")"

    for n, v in defaults.items():
        if isinstance(v, factory):
            delattr(cls, n)
    cls.__init__ = __init__
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = __repr__
    cls._fields = fields
    return cls


def replace(obj, **changes):
    """A shallow copy of a record with some fields changed."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new
