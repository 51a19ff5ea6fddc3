"""Lists built up by ``append``/``extend`` (``blocks = []``, ``blocks.append(LSTM(64))`` in a loop,
then ``Sequential(blocks)``; ``outputs.append(head(x))`` then ``Model(inp, outputs)``): the list value
is updated in place, so the model built from it is not dropped."""
from __future__ import annotations

from .values import Const

_SCALARS = (int, float, str, bool, type(None))


def _item(v):
    """A list element as the interpreter stores it: plain for scalar constants, else the value."""
    return v.v if isinstance(v, Const) and isinstance(v.v, _SCALARS) else v


class Containers:
    """Part of the interpreter (:class:`~.interpreter.Extractor`); the host provides ``cst`` and ``eval``."""

    def list_method(self, node, args, scope) -> bool:
        """Follow ``name.append(v)`` / ``name.extend([...])`` / ``name.insert(i, v)`` on a known list;
        True when followed."""
        f = node.func
        if not (isinstance(f, self.cst.Attribute) and isinstance(f.value, self.cst.Name)
                and f.attr.value in ("append", "extend", "insert")):
            return False
        base = scope.get(f.value.value)
        if not (isinstance(base, Const) and isinstance(base.v, list)):
            return False
        name = f.attr.value
        if name == "append" and len(args) == 1:
            base.v.append(_item(args[0]))
        elif name == "extend" and len(args) == 1 and isinstance(args[0], Const) \
                and isinstance(args[0].v, (list, tuple)):
            base.v.extend(_item(x) for x in args[0].v)
        elif name == "insert" and len(args) == 2 and isinstance(args[0], Const) and isinstance(args[0].v, int):
            base.v.insert(args[0].v, _item(args[1]))
        else:
            return False
        return True
