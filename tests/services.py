"""Real PostgreSQL and Redis for the cluster profile's tests (Debian's packages, installed by
`make services`): each started on a free localhost port with its files in a temporary folder,
and stopped (its folder removed) after. Nothing is mocked: Dagster's Postgres storage and the
Celery broker talk to these servers over TCP exactly as they would to a plant's.

PostgreSQL refuses to run as root; as root (CI, containers) initdb and the server run as the
`postgres` user the package creates.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@dataclass(frozen=True)
class Postgres:
    port: int
    user: str = "sopilot"
    db: str = "sopilot"

    def url(self, db: str | None = None) -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{db or self.db}"

    def create_db(self, name: str) -> str:
        """A fresh database ``name`` on this server; its URL."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)


@contextmanager
def postgres_server():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.fail("PostgreSQL is not installed: run `make services` (make test does) to install Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="sopilot-pg-"))
    data, port = root / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    as_pg = _as_postgres()
    subprocess.run([*as_pg, initdb, "-D", str(data), "-U", "sopilot", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
    subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60",
                    "start"], check=True, capture_output=True)
    try:
        _wait_port(port, 30)
        pg = Postgres(port)
        pg.create_db(pg.db)
        yield pg
    finally:
        subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server():
    exe = shutil.which("redis-server")
    if not exe:
        pytest.fail("redis-server is not installed: run `make services` (make test does) to install Debian's redis-server")
    root = Path(tempfile.mkdtemp(prefix="sopilot-redis-"))
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root),
                             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=open(root / "log", "wb"), stderr=subprocess.STDOUT)
    try:
        _wait_port(port, 30, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
