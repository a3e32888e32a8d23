"""The registry lock of the cluster profile: a Postgres session-level advisory lock.

``pg_advisory_lock`` is held by a database session, not by a file on the share: it is released
by ``pg_advisory_unlock`` or by Postgres itself the moment the holder's connection ends (the
process killed, even with ``kill -9``: its socket closes). A holder that is merely slow (an NFS
stall in the middle of a registration) keeps it however long it takes, so no waiter ever takes
it over on a timer and two writers never proceed at once. The holder's session asks the server
to probe its TCP connection (keepalives after 30 s idle), so a holder whose host is lost releases
it within about a minute.

One lock per deployment: the key is fixed (``KEY``), not derived from the data root's path,
since the hosts (and Kubernetes pods) of one deployment share one Postgres database and need
not name the share alike. Each hold opens its own connection (a registration and its pairing
take milliseconds; the connection is closed after, so no session outlives its holder), with
``application_name`` naming the host and process, so a waiter that gives up can say who holds it.

Waiting polls ``pg_try_advisory_lock`` (never a blocking call a signal could not interrupt) until
``wait_sec``. psycopg2 comes with the ``cluster`` extra (dagster-postgres) and is imported here
only when a lock is taken.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid

log = logging.getLogger(__name__)

#: the advisory lock key of the registry (a signed 64-bit integer, as pg_advisory_lock takes it)
KEY = int.from_bytes(hashlib.sha256(b"sopilot:registry-lock").digest()[:8], "big", signed=True)
APP_PREFIX = "sopilot-registry-lock"


def connect_args(url: str) -> dict:
    """psycopg2.connect's keyword arguments for a SQLAlchemy-style URL
    (``postgresql+psycopg2://user:password@host:5432/db?sslmode=require``): parsed by SQLAlchemy,
    as Dagster's Postgres storage parses the same SOPILOT_POSTGRES_URL (percent-escapes decoded,
    query parameters passed on to libpq)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    args = u.translate_connect_args(username="user", database="dbname")
    args.update({k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()})
    return args


def _split(key: int) -> tuple[int, int]:
    """(classid, objid) under which pg_locks shows a bigint advisory key."""
    k = key & 0xFFFFFFFFFFFFFFFF
    return k >> 32, k & 0xFFFFFFFF


def holder(cur, key: int = KEY) -> dict | None:
    """Who holds the lock ``key`` in this database: {host, pid, id, backend_pid}, or None."""
    classid, objid = _split(key)
    cur.execute(
        "SELECT a.application_name, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid AND l.objid = %s::oid"
        " AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (classid, objid))
    row = cur.fetchone()
    if row is None:
        return None
    app, backend = row
    parts = (app or "").split(" ")
    if len(parts) == 4 and parts[0] == APP_PREFIX:
        return {"id": parts[3], "host": parts[1], "pid": int(parts[2]), "backend_pid": backend}
    return {"application_name": app, "backend_pid": backend}


@contextlib.contextmanager
def advisory_locked(url: str, wait_sec: float, key: int = KEY, what: str = "the registry"):
    """Holds the session-level advisory lock ``key`` on the database at ``url`` for the block;
    raises ``TimeoutError`` after ``wait_sec`` of waiting (naming the holder)."""
    import psycopg2

    me = uuid.uuid4().hex[:12]
    app = f"{APP_PREFIX} {socket.gethostname().replace(' ', '_')} {os.getpid()} {me}"
    conn = psycopg2.connect(**connect_args(url), application_name=app[:63],
                            connect_timeout=max(1, min(int(wait_sec), 30)))
    try:
        conn.autocommit = True  # a session lock, outside any transaction
        with conn.cursor() as cur:
            # the server drops a session whose host is gone (no TCP answer) in about a minute
            cur.execute("SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10;"
                        " SET tcp_keepalives_count = 3")
            end, pause = time.monotonic() + wait_sec, 0.01
            while True:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() > end:
                    raise TimeoutError(f"{what} is locked by {holder(cur, key)} for over {wait_sec:.0f} s")
                time.sleep(pause)
                pause = min(pause * 1.5, 0.1)
        try:
            yield
        finally:
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
                    held = cur.fetchone()[0]
            except psycopg2.Error as exc:
                held = False
                log.warning("releasing %s's lock: %s", what, exc)
            if not held:  # the session ended while the block ran (the server restarted, the network)
                log.warning("%s's Postgres lock was lost while it was held: another writer may have "
                            "written at the same time", what)
    finally:
        conn.close()
