"""A JSON ledger of finished heavy work items, written atomically.

One file (e.g. ``<data>/heavy/ledger.json``) maps item key -> {"done_at": ..., **info}.
Every update takes an exclusive ``flock`` on a side lock file, re-reads the file, adds the
entry and replaces the file (write temp, fsync, ``os.replace``), so a process killed at any
moment leaves either the old or the new ledger, never a torn one, and two writers never
drop each other's entries.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from pathlib import Path


class WorkLedger:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self):
        with open(self._lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def entries(self) -> dict[str, dict]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return dict(doc.get("done", {}))

    def is_done(self, key: str) -> bool:
        return key in self.entries()

    def mark_done(self, key: str, **info) -> None:
        with self._locked():
            done = self.entries()
            if key in done:
                return
            done[key] = {"done_at": dt.datetime.now(dt.timezone.utc).isoformat(), **info}
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "done": done}, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
