"""IPython syntax in a code cell, one line at a time: what it is and the Python that takes its place.

Every replacement keeps the line where it is and every other character's column:

- a line magic, a shell line, a help line or an automagic becomes ``pass`` at the same indentation
  (``%matplotlib inline``, ``!pip install x``, ``files = !ls``, ``model.fit?``, ``?len``,
  ``np.*load*?``, ``pip install x``, ``cd data``, ``matplotlib inline``); the lines it continues onto
  (a backslash; open brackets of a ``%time`` statement) become empty;
- a ``%time``/``%timeit`` line keeps its statement, which runs: ``%time model.fit(x)`` becomes
  ``pass; model.fit(x)`` (``%timeit -n 10 f()`` becomes ``pass;        f()``), and ``h = %time
  model.fit(x)`` becomes ``h =       model.fit(x)`` -- the statement's columns are unchanged. The caller
  checks the cell still parses and otherwise blanks these lines too (:func:`parses`);
- a cell magic (``%%time``, ``%%capture``...) is found on the cell's first line that is not blank or a
  comment; IPython runs the body of :data:`PYTHON_CELL_MAGICS` as Python (the ``%%`` line is emptied),
  other cell magics hand the body to something else (``%%bash``, ``%%writefile``, ``%%html``). A
  cell magic below other code (which IPython rejects) is a line magic for a Python body; for another
  language the rest of the cell is emptied.

An automagic (a magic or alias typed without ``%``, :data:`AUTOMAGICS`) is the magic's name followed
by what cannot follow a name in Python: ``history = model.fit(...)``, ``time.sleep(1)`` and ``ls``
alone stay Python; after an operator (``ls -la``, ``cd /data``) only a line that is not Python on its
own is a magic.
"""
from __future__ import annotations

import ast
import re
import warnings

#: cell magics whose body IPython runs as Python in the notebook's namespace
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})
#: line magics (and IPython's default shell aliases) that run without their ``%`` (automagic)
AUTOMAGICS = frozenset(
    """pip conda mamba cd ls ll pwd mkdir rmdir rm cp mv cat less man env set_env load_ext
    reload_ext unload_ext matplotlib time timeit prun run tensorflow_version history who whos
    reset reset_selective store autoreload aimport config alias unalias xmode precision pdb debug
    tb pushd popd dirs dhist bookmark sx system pinfo pinfo2 psearch pylab gui colors doctest_mode
    load loadpy logstart logstop sc rehashx""".split()
)
#: line magics whose argument is a Python statement
_PY_ARG = ("time", "timeit", "prun", "memit")

_CELL_MAGIC = re.compile(r"%%(\w*)")
_TIME = re.compile(r"%(time|timeit)((?:\s+-[nrp]\s*\d+|\s+-[tcqo])*)\s+(?=\S)")
_TARGET = r"[\w.]+(?:\[[^\]\n]*\])*"  # name, attribute or subscript: res['ls']
_ASSIGN = re.compile(rf"{_TARGET}(?:\s*,\s*{_TARGET})*\s*=\s*(?=[%!])")
_HELP = re.compile(r"[\w.\[\]()*]+\?\??\s*$")
_WORD = re.compile(r"(\w+)[ \t]+(?=\S)")
#: what follows a name in a Python statement (``history = ...``, ``time.sleep(1)``, ``cd(path)``)
_PY_REST = re.compile(r"=(?!=)|[(\[,:;#\\]|\.\w|[-+*/%&|^<>@]=|(?:is|not|in|and|or|if|else|for)\b")
_OPERATOR = "-+*/%&|^<>@~=!."
_COMPOUND = re.compile(r"(?:for|while|if|elif|else|with|def|class|try|except|finally|async|match)\b|@")

#: a cell longer than this is not parsed to check a ``%time`` rewrite (its ``%time`` lines are blanked)
CHECK_LIMIT = 1 << 20

PYTHON, BLANK, BLANK_PY, BLANK_REST = "python", "blank", "blank-py", "blank-rest"


def cell_magic(lines: list[str]) -> tuple[int, str] | None:
    """(index of the line, magic name) of a cell magic on the first line that is not blank or a
    comment; None when the cell has none."""
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _CELL_MAGIC.match(s)
        return (i, m.group(1)) if m is not None else None
    return None


def rewrite(line: str, rich: bool = True) -> tuple[str, str] | None:
    """``(replacement, kind)`` for a line that starts a statement and is IPython syntax; None for a
    Python line. ``kind``: :data:`PYTHON` (the replacement is Python that may go on onto the next lines
    in brackets), :data:`BLANK` (``pass``; only a backslash continues it), :data:`BLANK_PY` (``pass``
    standing for a Python statement: its open brackets continue it too) or :data:`BLANK_REST` (a cell
    magic such as ``%%bash`` below other code, which IPython rejects: the rest of the cell is its
    body, not Python). ``rich=False``: never keep a ``%time`` statement."""
    s = line.lstrip()
    if not s or s[0] == "#":
        return None
    indent = line[: len(line) - len(s)]
    blank = indent + "pass"
    c = s[0]
    if c == "%":
        m = _TIME.match(s)
        if m is not None and rich and not _COMPOUND.match(s, m.end()):
            return indent + "pass;" + " " * (m.end() - 5) + s[m.end():], PYTHON
        name = re.match(r"%*(\w*)", s).group(1)
        if s.startswith("%%"):  # a cell magic below the cell's first statement
            return blank, BLANK if name in PYTHON_CELL_MAGICS else BLANK_REST
        return blank, BLANK_PY if name in _PY_ARG else BLANK
    if c in "!?":
        return blank, BLANK
    m = _ASSIGN.match(s)
    if m is not None:
        t = _TIME.match(s, m.end())
        if t is not None and t.group(1) == "time" and rich and not _COMPOUND.match(s, t.end()):
            return indent + s[: m.end()] + " " * (t.end() - m.end()) + s[t.end():], PYTHON
        magic = s[m.end()] == "%" and re.match(r"%(\w*)", s[m.end():]).group(1) in _PY_ARG
        return blank, BLANK_PY if magic else BLANK
    if _HELP.match(s):
        return blank, BLANK
    if _automagic(s):
        return blank, BLANK
    return None


def _automagic(s: str) -> bool:
    """Whether statement line ``s`` is a magic typed without its ``%`` (``pip install x``, ``cd ..``,
    ``run train.py``): a magic's name followed by what cannot follow a name in Python. After an
    operator (``ls -la``, ``cd /data``) it is only a magic when the line is not Python on its own and
    opens no bracket a Python statement could go on in."""
    m = _WORD.match(s)
    if m is None or m.group(1) not in AUTOMAGICS:
        return False
    rest = s[m.end():]
    if _PY_REST.match(rest):
        return False
    if rest[0] in _OPERATOR and not rest.startswith(".."):
        return not parses([s]) and s.count("(") + s.count("[") + s.count("{") == 0 and not s.endswith("\\")
    return True


def parses(lines: list[str]) -> bool:
    """Whether ``lines`` are a Python module (parsed by CPython's parser, never run)."""
    text = "\n".join(lines)
    if len(text) > CHECK_LIMIT:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return False
    return True
