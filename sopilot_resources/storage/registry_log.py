"""The registry's shared, append-only parts, safe for any number of writers on any number of
hosts without ``flock`` (part of ``Registry``).

The announcement log: entry ``n`` is ``log/<n:09d>.json``. A writer writes its entry whole under
a temporary name and ``os.link``s it to the first free number (``create_exclusive_json``): the
link fails when the number is taken, and the writer tries the next one. So no two writers ever
get the same number, no entry is ever overwritten or half-visible, and numbers are handed out
without holes (number n+1 is only tried once n exists). ``seq.json`` is only a hint of the
highest number, written after the entry; readers and writers look past it for newer entries.

Pending pairs (pair keys not scored yet): one file per pair, ``pending/<hash of key>.json``;
adding one creates its file, dropping one removes it. No read-modify-write of a shared list, so
an intake run adding a pair and the sensor dropping a scored one never undo each other. A
``pending_pairs.json`` of an earlier release is split into files on the first change.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from .fsutil import atomic_write_json, create_exclusive_json, read_json


class LogMixin:
    root: Path

    # --- announcement log -------------------------------------------------------------------
    def _entry(self, n: int) -> Path:
        return self.root / "log" / f"{n:09d}.json"

    def _hint(self) -> int:
        doc = read_json(self.root / "seq.json", {"seq": 0}) or {"seq": 0}
        return int(doc.get("seq", 0))

    def log(self, kind: str, key: str) -> int:
        """Appends ``{kind, key}`` (kind: "video", "pair", "steps" or "retry") as the next
        numbered entry; returns its number (seq)."""
        n = self.last_seq() + 1
        while not create_exclusive_json(self._entry(n), {"seq": n, "kind": kind, "key": key}):
            n += 1  # another writer took it meanwhile
        if n > self._hint():
            atomic_write_json(self.root / "seq.json", {"seq": n})
        return n

    def last_seq(self) -> int:
        """The highest entry number there is (the hint, then a look past it)."""
        n = self._hint()
        while self._entry(n + 1).exists():
            n += 1
        return n

    def log_after(self, seq: int, limit: int) -> list[dict]:
        """Log entries with seq > ``seq``, oldest first, at most ``limit``; stops at the first
        number not written yet (so an entry being written now is read on the next call, never
        skipped). A hole below the hint (left by a crash in releases before this scheme) is
        passed over."""
        out, n, hint = [], seq + 1, self._hint()
        while len(out) < limit:
            doc = read_json(self._entry(n))
            if doc is None:
                if n > hint:
                    break
                n += 1
                continue
            doc["seq"] = n
            out.append(doc)
            n += 1
        return out

    # --- pending pairs ----------------------------------------------------------------------
    def _pending_file(self, key: str) -> Path:
        return self.root / "pending" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"

    def _migrate_pending(self) -> None:
        legacy = self.root / "pending_pairs.json"
        keys = read_json(legacy)
        if keys is None:
            return
        for k, key in enumerate(keys):
            create_exclusive_json(self._pending_file(key), {"key": key, "at": k})
        legacy.unlink(missing_ok=True)

    def pending_pairs(self) -> list[str]:
        """Pair keys not scored yet, in the order they were added."""
        docs = [d for p in (self.root / "pending").glob("*.json") if (d := read_json(p))]
        docs.sort(key=lambda d: (d.get("at", 0), d["key"]))
        keys = list(read_json(self.root / "pending_pairs.json", []) or []) + [d["key"] for d in docs]
        return list(dict.fromkeys(keys))

    def add_pending_pair(self, key: str) -> None:
        self._migrate_pending()
        create_exclusive_json(self._pending_file(key), {"key": key, "at": time.time_ns()})

    def drop_pending_pairs(self, keys) -> None:
        self._migrate_pending()
        for key in keys:
            self._pending_file(key).unlink(missing_ok=True)
