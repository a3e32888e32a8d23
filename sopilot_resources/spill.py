"""Where bytes wait on disk instead of in memory: anonymous temporary files in a folder on
disk (``SOPILOT_SPILL_DIR``), and ``GrowingRows``, a growing float32 array that moves to such a
file past a size (a recording of hours; docs/scoring.md, "Shift recordings": memory)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: rows (clips: ~34 min at the default 0.5 s hop) past which GrowingRows keeps them in a file
SPILL_ROWS = 4096


def spill_file(prefix: str = "sopilot-") -> BinaryIO:
    """An anonymous temporary file (unlinked at once: it disappears when closed, or with the
    process) in :func:`spill_dir`, else in the system's temporary folder."""
    d = spill_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryFile(prefix=prefix, dir=d)
    except OSError:  # not writable: the system's temporary folder
        return tempfile.TemporaryFile(prefix=prefix)


def spill_dir() -> Path:
    """``SOPILOT_SPILL_DIR``, else ``$XDG_CACHE_HOME/sopilot/spill``, else
    ``~/.cache/sopilot/spill``: on disk (``/tmp`` is often a RAM disk, which would hold the
    spilled bytes in memory after all)."""
    from .settings import Settings

    st = Settings.from_env()
    if st.spill_dir:
        return Path(st.spill_dir)
    return Path(st.xdg_cache_home or Path.home() / ".cache") / "sopilot" / "spill"


class GrowingRows:
    """A growing (n, dim) float32 array in chunks (no list of rows, no doubling copies). Past
    ``spill_rows`` rows (a recording of about half an hour) the chunks go to an anonymous
    temporary file and ``take`` returns it memory-mapped, so a recording of hours holds its
    vectors in the page cache, not in the process."""

    def __init__(self, dim: int, chunk: int = 1024, spill_rows: int | None = None):
        self.spill_rows = SPILL_ROWS if spill_rows is None else int(spill_rows)
        self.dim, self.chunk = dim, max(1, min(chunk, self.spill_rows))
        self.full: list[np.ndarray] = []
        self.file = None
        self.written = 0
        self.cur = np.empty((self.chunk, dim), np.float32)
        self.n = 0

    def append(self, row: np.ndarray) -> None:
        if self.n == self.chunk:
            self._chunk_done()
        self.cur[self.n] = row
        self.n += 1

    def _chunk_done(self) -> None:
        self.full.append(self.cur)
        if self.file is None and len(self.full) * self.chunk >= self.spill_rows:
            self.file = spill_file("sopilot-vectors-")
        if self.file is not None:
            while self.full:
                self.file.write(self.full.pop(0).tobytes())
                self.written += self.chunk
        self.cur, self.n = np.empty((self.chunk, self.dim), np.float32), 0

    def take(self) -> np.ndarray:
        """(rows, dim) float32, writable; the chunks are freed as they are copied."""
        if self.file is not None:
            self.file.write(self.cur[:self.n].tobytes())
            self.file.flush()
            rows, self.written = self.written + self.n, 0
            self.cur, self.n = np.empty((0, self.dim), np.float32), 0
            return np.memmap(self.file, np.float32, "r+", shape=(rows, self.dim))
        out = np.empty((len(self.full) * self.chunk + self.n, self.dim), np.float32)
        a = 0
        while self.full:
            out[a:a + self.chunk] = self.full.pop(0)
            a += self.chunk
        out[a:] = self.cur[:self.n]
        self.cur, self.n = np.empty((0, self.dim), np.float32), 0
        return out
