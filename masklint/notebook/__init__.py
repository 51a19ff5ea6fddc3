"""Jupyter notebooks (``.ipynb``) as model code: the source front end runs unchanged on the code cells
joined into one module; only positions are mapped back to cells.

:mod:`.scan` reads the notebook's JSON structure without decoding outputs; :mod:`.cells` joins the
code cells into Python (IPython magics neutralised, lines kept in place); :mod:`.locate` maps module
lines back to ``cell N, line L`` (findings, messages, error lines, file lines for SARIF/GitHub);
:mod:`.lint` lints one notebook; :mod:`.write` writes fixed cells back with the file's own JSON layout.
"""
from __future__ import annotations

NOTEBOOK_EXTS = (".ipynb",)


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_EXTS)
