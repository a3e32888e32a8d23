"""Free space where SOPilot writes, and the temporary files failed writes leave behind.

A full disk fails every run (Dagster's SQLite "database or disk is full", an embedding that
cannot be saved). The inbox sensor measures free space on every tick (``low_disks``) and says
so, each tick, while it is under the floor (SOPILOT_MIN_FREE_MB); once space is back it sweeps
the temporary files such failures left (``sweep_temp_files``) and retries the failed videos."""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

#: names of SOPilot's own temporary files: ``.<name>.<8 hex>.tmp`` (fsutil, the DuckDB file)
#: and its ``.wal``, and ``<name>.tmp.npz`` (embeddings)
TEMP_SUFFIXES = (".tmp", ".tmp.wal", ".tmp.npz")
#: folders under the data root holding what people dropped or kept: never swept
USER_FOLDERS = ("inbox", "quarantine", "archive")
#: a temporary file older than this is a leftover (a write takes seconds)
TEMP_MAX_AGE_SEC = 3600.0


@dataclass(frozen=True)
class DiskSpace:
    what: str  # "the data folder (SOPILOT_DATA_DIR)", "DAGSTER_HOME"
    path: Path
    free_bytes: int
    floor_bytes: int

    @property
    def low(self) -> bool:
        return self.free_bytes < self.floor_bytes

    def message(self) -> str:
        return (f"disk under {self.path} ({self.what}) is full: {self.free_bytes / 1e6:.0f} MB free, under "
                f"the {self.floor_bytes / 1e6:.0f} MB floor (SOPILOT_MIN_FREE_MB). Runs fail until space is "
                f"freed, and new files wait in the inbox; free space, or move SOPILOT_DATA_DIR / DAGSTER_HOME "
                f"to a bigger disk. Failed videos are retried once space is back")


def disk_space(places: dict[str, Path], floor_mb: float) -> list[DiskSpace]:
    """Free space of each place (``{what: path}``), one entry per filesystem (the first place
    named on it); a place that does not exist yet is measured at its nearest existing parent."""
    out, seen = [], set()
    for what, path in places.items():
        p = Path(path)
        while not p.exists() and p != p.parent:
            p = p.parent
        try:
            dev = os.stat(p).st_dev
            free = shutil.disk_usage(p).free
        except OSError:
            continue
        if dev in seen:
            continue
        seen.add(dev)
        out.append(DiskSpace(what, Path(path), int(free), int(floor_mb * 1e6)))
    return out


def is_temp_file(name: str) -> bool:
    return name.endswith(".tmp.npz") or (name.startswith(".") and name.endswith((".tmp", ".tmp.wal")))


def sweep_temp_files(root: Path, max_age_sec: float = TEMP_MAX_AGE_SEC, now: float | None = None,
                     skip: tuple[Path, ...] = ()) -> list[Path]:
    """Deletes SOPilot's temporary files older than ``max_age_sec`` under the data root
    ``root`` (never in inbox/, quarantine/ or archive/, nor under ``skip``, e.g. DAGSTER_HOME);
    returns them. A write in progress is younger, and every finished write renamed its file, so
    nothing else matches."""
    now = time.time() if now is None else now
    gone, skipped = [], {Path(p).resolve() for p in skip}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == Path(root):
            dirnames[:] = [d for d in dirnames if d not in USER_FOLDERS]
        dirnames[:] = [d for d in dirnames if (here / d).resolve() not in skipped]
        for name in filenames:
            if not is_temp_file(name):
                continue
            p = Path(dirpath) / name
            try:
                if now - p.lstat().st_mtime > max_age_sec:
                    p.unlink()
                    gone.append(p)
            except OSError:
                continue
    return gone


class DiskWatch:
    """For a process that stays up when the disk is full (``sopilot serve``): the inbox sensor
    cannot even start a tick while DAGSTER_HOME has no space left, so the server says it.
    ``check(now)`` returns the full-disk message at most every ``every_sec`` while a place is
    under the floor, one line when space is back, else None."""

    def __init__(self, places: dict[str, Path], floor_mb: float, every_sec: float = 30.0):
        self.places, self.floor_mb, self.every_sec = places, floor_mb, every_sec
        self.low, self.said = False, -1e18

    def check(self, now: float | None = None) -> str | None:
        now = time.monotonic() if now is None else now
        low = [s for s in disk_space(self.places, self.floor_mb) if s.low]
        if low and now - self.said >= self.every_sec:
            self.low, self.said = True, now
            return " ".join(s.message() for s in low)
        if not low and self.low:
            self.low = False
            return "free space is back above the floor (SOPILOT_MIN_FREE_MB); failed runs are retried"
        return None
