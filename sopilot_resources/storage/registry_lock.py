"""The lock on the registry's read-modify-write records (part of ``Registry``), without ``flock``.
It guards the task records (golds and their versions, waiting trainees, recordings, profiles) and a
video record's later changes, which two intake runs on two hosts could otherwise both read, change
and write back, one undoing the other. It is held for the milliseconds a registration and its
pairing take, never around reading a video; re-entrant within a thread.

Which lock, by deployment profile (``Settings``: SOPILOT_DEPLOYMENT, SOPILOT_POSTGRES_URL):

- cluster: a Postgres session-level advisory lock (``registry_pg_lock.py``), released by its
  holder or by Postgres the moment the holder's connection ends; a slow holder is never overtaken.
- single (one box, no database): a short file lease, ``registry/lock``, created exclusively
  (written aside, then ``os.link``-ed into place: atomic and exclusive on local disks and NFS
  alike) and removed. A holder killed while it holds the lease leaves the file behind: a waiter
  that has seen the same lease (by its random id) for ``stale_sec`` of its own waiting (no clock
  is compared across hosts) takes it over by renaming it away (only one waiter can) and creating
  its own. On one box a holder is never paused that long in the middle of a registration.

How ``locked()`` learns the profile: from the ``Settings`` the ``Registry`` was made with, and
when it was made without (most are: ``Registry(store.registry_dir)``), from the environment
(``Settings.from_env()``) each time the lock is taken, so that every process of a deployment,
whichever code made its ``Registry``, takes the same lock. Every host of a cluster must therefore
have SOPILOT_DEPLOYMENT=cluster and SOPILOT_POSTGRES_URL set (docs/operations.md, "Scaling out"):
a process without them would take the file lease, which does not exclude the Postgres lock.
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


def lock_url(settings=None) -> str | None:
    """SOPILOT_POSTGRES_URL in the cluster profile (the registry lock is then Postgres'), else None
    (the file lease); ``settings`` default: read from the environment now."""
    if settings is None:
        from ..settings import Settings

        settings = Settings.from_env()  # the cluster profile without its URL raises here
    return settings.postgres_url if settings.deployment == "cluster" else None


class LockMixin:
    root: Path
    settings = None  # the Settings that choose the lock; None: the environment's, at lock time

    @contextlib.contextmanager
    def locked(self, stale_sec: float = STALE_SEC, wait_sec: float = WAIT_SEC):
        """Holds the registry lock for the block (re-entrant within a thread): the Postgres
        advisory lock in the cluster profile, else the file lease."""
        depth = getattr(_held, "depth", {})
        _held.depth = depth
        url = lock_url(self.settings)
        key = f"postgres:{url}" if url else str(self.root.resolve())
        if depth.get(key):
            depth[key] += 1
            try:
                yield
            finally:
                depth[key] -= 1
            return
        if url:
            from .registry_pg_lock import advisory_locked

            with advisory_locked(url, wait_sec):
                depth[key] = 1
                try:
                    yield
                finally:
                    depth[key] = 0
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
