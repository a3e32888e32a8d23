"""`sopilot worker` leaves no config folder behind: removed when it is stopped with SIGTERM, and
one a `kill -9` left is removed by the next worker on the host (a real Celery worker on the test
Redis, tests/services.py)."""
from __future__ import annotations

import os
import signal

import pytest

from cluster_support import Workers, cluster_env

pytestmark = pytest.mark.timeout(150)


def _dirs(tmp):
    return sorted(p.name for p in tmp.glob("sopilot-worker-*"))


def test_worker_removes_its_config_folder_on_sigterm_and_after_kill9(tmp_path, redis_url):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**cluster_env(tmp_path, "postgresql+psycopg2://unused@127.0.0.1:1/x", redis_url), "TMPDIR": str(tmp)}
    workers = Workers(env, tmp_path)
    try:
        workers.start("a")
        workers.wait_ready()
        [mine] = _dirs(tmp)
        assert (tmp / mine / "dagster_celery_config.py").is_file()
        os.kill(workers.procs["a"].pid, signal.SIGTERM)  # the worker process itself, as systemd would
        assert workers.procs["a"].wait(60) == 0
        assert _dirs(tmp) == []

        workers.start("b")
        workers.wait_ready()
        [left] = _dirs(tmp)
        workers.kill9("b")  # no chance to clean up
        assert _dirs(tmp) == [left]
        stranger = tmp / "sopilot-worker-alive"  # another live worker's folder stays
        stranger.mkdir()
        (stranger / "pid").write_text(str(os.getpid()))
        workers.start("c")
        workers.wait_ready()
        assert left not in _dirs(tmp) and "sopilot-worker-alive" in _dirs(tmp) and len(_dirs(tmp)) == 2
    finally:
        workers.stop()
    assert _dirs(tmp) == ["sopilot-worker-alive"]


def test_the_sweep_spares_a_worker_that_is_still_starting(tmp_path):
    """Two workers started together: one's sweep must not remove the other's folder between its
    ``mkdtemp`` and its pid file (seen in CI: "worker gpu did not start: FileNotFoundError"). A
    folder without a pid file counts as starting for STARTING_SEC, then as left by a dead worker."""
    import time

    from sopilot_assets.worker_cli import PREFIX, STARTING_SEC, sweep_config_dirs

    starting, stale, dead = (tmp_path / f"{PREFIX}{n}" for n in ("starting", "stale", "dead"))
    for d in (starting, stale, dead):
        d.mkdir()
    old = time.time() - STARTING_SEC - 5
    os.utime(stale, (old, old))
    (dead / "pid").write_text("999999999")  # no such process
    gone = sweep_config_dirs(str(tmp_path))
    assert sorted(p.name for p in gone) == [dead.name, stale.name]
    assert _dirs(tmp_path) == [starting.name]
