"""The registry lock in the cluster profile: a Postgres advisory lock (real Postgres, separate
processes as workers on several hosts would be). No update lost under several writers; a holder
killed with SIGKILL releases it at once (no 30 s takeover timer); one box keeps the file lease."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import pytest
from procs_support import run_together
from test_registry_concurrency import _count_up

from sopilot_resources.settings import Settings, SettingsError
from sopilot_resources.storage.fsutil import read_json
from sopilot_resources.storage.registry import Registry
from sopilot_resources.storage.registry_lock import lock_url
from sopilot_resources.storage.registry_pg_lock import KEY, connect_args


@pytest.fixture
def cluster_lock_env(postgres, tmp_path, monkeypatch):
    """The cluster profile's settings in the environment (spawned processes inherit them)."""
    url = postgres.url()
    for var, value in {"SOPILOT_DEPLOYMENT": "cluster", "SOPILOT_POSTGRES_URL": url,
                       "SOPILOT_EXECUTOR": "k8s", "SOPILOT_DATA_DIR": str(tmp_path / "data"),
                       "DAGSTER_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(var, value)
    return url


def _advisory_locks(url: str) -> int:
    import psycopg2

    conn = psycopg2.connect(**connect_args(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_cluster_lock_serializes_read_modify_write_across_processes(cluster_lock_env, tmp_path):
    root = tmp_path / "registry"
    root.mkdir()
    run_together(_count_up, [(str(root), 40)] * 4)
    assert read_json(root / "counter.json")["n"] == 160  # no update undone by another
    assert not (root / "lock").exists()

    with Registry(root).locked():
        assert not (root / "lock").exists()  # no file lease beside the Postgres lock
        assert _advisory_locks(cluster_lock_env) == 1
        with Registry(tmp_path / "another").locked():  # one lock per deployment: re-entrant
            assert _advisory_locks(cluster_lock_env) == 1  # the same session's lock, not a second
    assert _advisory_locks(cluster_lock_env) == 0


def _hold(root: str, held) -> None:
    with Registry(root).locked():
        held.set()
        time.sleep(120)  # until killed (not waiting on a shared Event: a killed waiter would wedge it)


def test_a_killed_holder_releases_the_cluster_lock_at_once(cluster_lock_env, tmp_path):
    ctx = mp.get_context("spawn")
    held = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), held))
    holder.start()
    try:
        assert held.wait(60)
        with pytest.raises(TimeoutError, match=rf"the registry is locked by .*'pid': {holder.pid}"):
            with Registry(tmp_path).locked(wait_sec=0.3):
                raise AssertionError("the lock was granted while the holder process held it")
        os.kill(holder.pid, signal.SIGKILL)
        t0 = time.monotonic()
        with Registry(tmp_path).locked(wait_sec=20):
            took = time.monotonic() - t0
        assert took < 5  # Postgres ends the dead session's lock: no 30 s wait for a stale lease
        assert not (tmp_path / "lock").exists()
    finally:
        holder.kill()
        holder.join(30)


def test_one_box_keeps_the_file_lease(tmp_path, monkeypatch, postgres):
    for var in ("SOPILOT_DEPLOYMENT", "SOPILOT_POSTGRES_URL"):
        monkeypatch.delenv(var, raising=False)
    assert lock_url() is None
    with Registry(tmp_path).locked():
        assert read_json(tmp_path / "lock")["pid"] == os.getpid()
    assert not (tmp_path / "lock").exists()
    # settings given to the Registry choose its lock over the environment's
    cluster = Settings(deployment="cluster", postgres_url=postgres.url(), executor="k8s")
    assert lock_url(cluster) == postgres.url()
    with Registry(tmp_path, settings=cluster).locked():
        assert not (tmp_path / "lock").exists() and _advisory_locks(postgres.url()) == 1


def test_cluster_profile_without_its_url_refuses_to_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("SOPILOT_DEPLOYMENT", "cluster")
    monkeypatch.delenv("SOPILOT_POSTGRES_URL", raising=False)
    monkeypatch.setenv("SOPILOT_EXECUTOR", "k8s")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with pytest.raises(SettingsError, match="SOPILOT_POSTGRES_URL"):
        with Registry(tmp_path).locked():
            raise AssertionError("a lock was granted without the cluster's Postgres")
    assert not (tmp_path / "lock").exists()  # never falls back to the file lease


def test_connect_args_of_a_sqlalchemy_url():
    assert connect_args("postgresql+psycopg2://sop:p%40ss%2Fw@db.plant:6432/sopilot?sslmode=require") == {
        "user": "sop", "password": "p@ss/w", "host": "db.plant", "port": 6432, "dbname": "sopilot",
        "sslmode": "require"}
    assert -(2 ** 63) <= KEY < 2 ** 63
