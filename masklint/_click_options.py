"""click options generated from the one option table (:data:`masklint.options.OPTIONS`)."""
from __future__ import annotations

import click

from .options import BY_DEST, OPTIONS, Option


def _param_type(o: Option):
    if o.kind == "choice":
        return click.Choice(o.choices)
    if o.kind == "int":
        return click.IntRange(min=o.minimum) if o.minimum is not None else int
    if o.kind == "float":
        return float
    if o.kind == "path":
        return click.Path(dir_okay=False)
    return None  # str, codes: click's default (text)


def click_option(o: Option, **overrides):
    """The click decorator of option ``o``; ``overrides`` (e.g. another default) win."""
    kw: dict = {"help": o.help}
    if o.kind == "flag":
        kw["is_flag"] = True
    else:
        t = _param_type(o)
        if t is not None:
            kw["type"] = t
        if o.multiple:
            kw["multiple"] = True
        else:
            kw["default"] = o.default
    kw.update(overrides)
    return click.option(*o.flags, o.dest, **kw)


def table_options(group: str | None = None):
    """A decorator adding every option of the table (of ``group`` only, if given), in table order."""
    chosen = [o for o in OPTIONS if group is None or o.group == group]

    def decorate(f):
        for o in reversed(chosen):  # click lists options in the order the decorators are written
            f = click_option(o)(f)
        return f

    return decorate


def option(dest: str, **overrides):
    """The click decorator of the table's option ``dest`` (for the other commands that share it)."""
    return click_option(BY_DEST[dest], **overrides)
