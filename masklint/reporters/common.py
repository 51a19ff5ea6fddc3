"""What several report formats (and baselines) share: paths as reports write them, and the stable
identity of a finding."""
from __future__ import annotations

import os
import re

from ..findings import Finding


def rel_path(path: str, root: str | None = None) -> str:
    """``path`` with forward slashes, relative to ``root`` (default: the current directory) when it
    lies inside it; other paths are kept as given (normalized)."""
    p = os.path.normpath(path)
    base = os.path.abspath(root if root is not None else os.curdir)
    ap = os.path.abspath(p)
    try:
        inside = os.path.commonpath([base, ap]) == base
    except ValueError:  # another drive on Windows
        inside = False
    if inside and (os.path.isabs(p) or root is not None):
        p = os.path.relpath(ap, base)
    return p.replace(os.sep, "/")


_LINE_REF = re.compile(r" \(line \d+\)")


def fingerprint(finding: Finding, root: str | None = None) -> str:
    """A stable identity of a finding for baselines and SARIF ``partialFingerprints``.

    sha256 over code, path (relative to ``root``/the current directory, forward slashes), culprit layer
    path and consumer -- never line or column numbers, so the fingerprint survives edits that move code.
    The message (with ``(line N)`` references removed) is used only when the finding names no layer, so
    rewording a message in a new masklint version does not invalidate a baseline.
    """
    import hashlib

    parts = [finding.code, rel_path(finding.path, root) if finding.path else "", finding.layer or "",
             finding.consumer or ""]
    if not finding.layer:
        parts.append(_LINE_REF.sub("", finding.message))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()  # undecodable paths
