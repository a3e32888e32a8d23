"""A ledger of finished heavy work items: one small JSON file per entry, no lock.

``<data>/heavy/ledger.json`` is the compacted ledger (item key -> {"done_at": ..., **info});
each new entry is a file of its own, ``ledger.d/<hash of the key>.json``, written under a
temporary name and renamed into place. So any number of writers on any number of hosts (Celery
workers on a network share, where ``flock`` cannot be trusted) add entries at once without ever
dropping one another's, and a process killed at any moment leaves a whole entry or none.
``compact()`` folds the entry files into ``ledger.json`` (idle time, one caller at a time: the
heavy job, which runs once at a time through the ``gpu`` pool); it removes only the files it
folded in, so entries written meanwhile stay.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from ..storage.fsutil import atomic_write_json, read_json


class WorkLedger:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.dir = self.path.with_name(self.path.stem + ".d")
        self.dir.mkdir(parents=True, exist_ok=True)

    def _entry_path(self, key: str) -> Path:
        return self.dir / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.json"

    def _files(self) -> list[tuple[Path, dict]]:
        out = []
        for p in sorted(self.dir.glob("*.json")):
            try:
                doc = read_json(p)
            except (OSError, ValueError):
                continue  # removed by a compaction while listed
            if doc and "key" in doc:
                out.append((p, doc))
        return out

    def entries(self) -> dict[str, dict]:
        done = dict((read_json(self.path, {}) or {}).get("done", {}))
        for _, doc in self._files():
            key = doc["key"]
            done.setdefault(key, {k: v for k, v in doc.items() if k != "key"})
        return done

    def is_done(self, key: str) -> bool:
        return self._entry_path(key).exists() or key in self.entries()

    def mark_done(self, key: str, **info) -> None:
        if self.is_done(key):
            return
        atomic_write_json(self._entry_path(key),
                          {"key": key, "done_at": dt.datetime.now(dt.timezone.utc).isoformat(), **info})

    def compact(self) -> int:
        """Folds the entry files into ``ledger.json``; returns how many. One caller at a time."""
        files = self._files()
        if not files:
            return 0
        done = dict((read_json(self.path, {}) or {}).get("done", {}))
        for _, doc in files:
            done.setdefault(doc["key"], {k: v for k, v in doc.items() if k != "key"})
        atomic_write_json(self.path, {"version": 1, "done": done})
        for p, _ in files:
            p.unlink(missing_ok=True)
        return len(files)
