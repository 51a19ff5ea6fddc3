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
    # a generated __init__ (like dataclasses, ~4x faster than a generic one; thousands are made per model)
    params, body, env = [], [], {"_factory": factory}
    for n in fields:
        if n not in defaults:
            params.append(n)
            body.append(f"    self.{n} = {n}")
        elif isinstance(defaults[n], factory):
            env[f"_make_{n}"] = defaults[n].make
            params.append(f"{n}=_factory")
            body.append(f"    self.{n} = _make_{n}() if {n} is _factory else {n}")
        else:
            env[f"_dflt_{n}"] = defaults[n]
            params.append(f"{n}=_dflt_{n}")
            body.append(f"    self.{n} = {n}")
    if post_init is not None:
        env["_post_init"] = post_init
        body.append("    _post_init(self)")
    src = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(src, env)  # noqa: S102 - our own generated source, as dataclasses does

    def __repr__(self):
        return f"{name}(" + ", ".join(f"{n}={self.__dict__.get(n)!r}" for n in fields) + ")"

    for n, v in defaults.items():
        if isinstance(v, factory):
            delattr(cls, n)
    cls.__init__ = env["__init__"]
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
