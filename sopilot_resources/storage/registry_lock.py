"""A short lease on the registry's read-modify-write records (part of ``Registry``), without
``flock``: ``registry/lock`` is created exclusively (written aside, then ``os.link``-ed into place:
atomic and exclusive on local disks and NFS alike), held for the milliseconds a registration and
its pairing take, and removed. It guards the task records (golds and their versions, waiting
trainees, recordings, profiles) and a video record's later changes, which two intake runs on two
hosts could otherwise both read, change and write back, one undoing the other.

A holder killed while it holds the lease leaves the file behind: a waiter that has seen the same
lease (by its random id) for ``stale_sec`` of its own waiting (no clock is compared across hosts)
takes it over by renaming it away (only one waiter can) and creating its own. A lease is only
ever held around a few small file writes, never around reading a video.
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from .fsutil import create_exclusive_json, read_json

STALE_SEC = 30.0
WAIT_SEC = 120.0
_held = threading.local()


class LockMixin:
    root: Path

    @contextlib.contextmanager
    def locked(self, stale_sec: float = STALE_SEC, wait_sec: float = WAIT_SEC):
        """Holds the registry lease for the block (re-entrant within a thread)."""
        depth = getattr(_held, "depth", {})
        _held.depth = depth
        key = str(self.root.resolve())
        if depth.get(key):
            depth[key] += 1
            try:
                yield
            finally:
                depth[key] -= 1
            return
        path = self.root / "lock"
        me = {"id": uuid.uuid4().hex, "host": socket.gethostname(), "pid": os.getpid()}
        seen, since, end = None, time.monotonic(), time.monotonic() + wait_sec
        while not create_exclusive_json(path, me, fsync=False):
            other = (read_json(path) or {}).get("id")
            if other != seen:
                seen, since = other, time.monotonic()
            elif other is not None and time.monotonic() - since >= stale_sec:
                with contextlib.suppress(FileNotFoundError):  # one waiter moves it away, then all retry
                    os.rename(path, path.with_name(f".lock.stale.{uuid.uuid4().hex[:8]}"))
                    for old in path.parent.glob(".lock.stale.*"):
                        old.unlink(missing_ok=True)
                continue
            if time.monotonic() > end:
                raise TimeoutError(f"the registry is locked by {read_json(path)} for over {wait_sec:.0f} s")
            time.sleep(0.02)
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
            if (read_json(path) or {}).get("id") == me["id"]:
                path.unlink(missing_ok=True)
