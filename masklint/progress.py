"""A progress bar on standard error for long runs, only on a terminal (never when piped)."""
from __future__ import annotations

import os
import time

#: runs with fewer files than this finish before a bar would be useful
MIN_FILES = 50


class Progress:
    def __init__(self, stream, label: str = "files", min_total: int = MIN_FILES):
        self.stream = stream
        self.label = label
        self.min_total = min_total
        self.shown = False
        self.last = 0.0

    @classmethod
    def for_stream(cls, stream, **kw) -> "Progress | None":
        """A bar when ``stream`` is a terminal (and ``NO_PROGRESS``/``CI`` are unset), else None."""
        if os.environ.get("MASKLINT_NO_PROGRESS") or os.environ.get("CI"):
            return None
        try:
            if not stream.isatty():
                return None
        except (AttributeError, ValueError):
            return None
        return cls(stream, **kw)

    def update(self, done: int, total: int) -> None:
        if total < self.min_total:
            return
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        fill = int(width * done / total) if total else width
        text = f"\rmasklint: [{'#' * fill}{'.' * (width - fill)}] {done}/{total} {self.label}"
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            return
        self.shown = True

    def close(self) -> None:
        if self.shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.shown = False
