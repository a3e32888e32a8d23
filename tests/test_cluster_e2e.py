"""The cluster profile end to end, all as separate processes: `sopilot serve --deployment cluster`
(webserver, daemon with the inbox sensor, code server) on a real PostgreSQL, two `sopilot worker`
Celery processes through a real Redis (tests/services.py), one shared data root. 30 files go into
the inbox at once (a gold with its steps file, 24 distinct trainees, 3 byte-for-byte duplicates,
2 bad files); one worker is killed with `kill -9` while it holds a step. Every good trainee is
scored exactly once, the bad files are quarantined with their reason, the duplicates archived,
nothing dropped is lost, and the step the killed worker held is finished by the other one."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cluster_support import TESTS, Workers, cluster_env
from dagster_support import write_steps, write_video
from services import free_port

from sopilot_resources.storage import ResultsStore

pytestmark = pytest.mark.timeout(900)
N_TRAINEES, N_DUPS = 24, 3
RECEIVED = re.compile(rb"Task execute_plan\[([0-9a-f-]+)\] received")
DONE = re.compile(rb"Task execute_plan\[([0-9a-f-]+)\] succeeded")


def _drop_set(d: Path) -> Path:
    t = d / "t1"
    gold = write_video(t / "gold" / "gold.avi", order=(0, 1, 2, 3), step_sec=1.5)
    write_steps(gold, step_sec=1.5)
    orders = [(0, 1, 2, 3), (0, 2, 1, 3), (0, 1, 3, 2), (1, 0, 2, 3)]
    for i in range(N_TRAINEES):
        write_video(t / "trainee" / f"tr{i:02d}.avi", order=orders[i % 4], seed=100 + i, step_sec=1.5)
    for i in range(N_DUPS):
        shutil.copyfile(t / "trainee" / f"tr{i:02d}.avi", t / "trainee" / f"again{i}.avi")
    (t / "trainee" / "not_a_video.avi").write_bytes(b"not a video" * 500)
    data = (t / "trainee" / "tr05.avi").read_bytes()
    (t / "trainee" / "cut_short.avi").write_bytes(data[: len(data) // 3])
    return t


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _held(log: Path) -> set[bytes]:
    """Celery tasks the worker received and has not finished."""
    text = log.read_bytes()
    return set(RECEIVED.findall(text)) - set(DONE.findall(text))


def _wait(what, timeout: float, why: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout:.0f} s for {why}")


def test_thirty_files_two_workers_one_killed_mid_step(tmp_path, postgres, redis_url):
    env = cluster_env(tmp_path, postgres.create_db("t_e2e"), redis_url, SOPILOT_STABLE_SECONDS="1",
                      SOPILOT_TRUNCATED_AFTER="20s", SOPILOT_GOLD_MIN_SEC="1", SOPILOT_CELERY_VISIBILITY_TIMEOUT="40",
                      SOPILOT_MAX_BATCH="6",
                      SOPILOT_HEAVY_SCHEDULE="off", SOPILOT_SOAK_SCHEDULE="off", SOPILOT_AUTOPILOT_SCHEDULE="off",
                      SOPILOT_COMPACT_SCHEDULE="off")
    root = Path(env["SOPILOT_DATA_DIR"])
    files = _drop_set(tmp_path / "set")
    dropped = {p.name: p.read_bytes() for p in files.rglob("*") if p.is_file()}
    port = free_port()
    path = os.pathsep.join([str(TESTS), str(TESTS.parent), os.environ.get("PYTHONPATH", "")])
    serve_log = open(tmp_path / "serve.log", "wb")
    serve = subprocess.Popen([sys.executable, "-m", "sopilot_assets.cli", "serve", "--port", str(port)],
                             env={**os.environ, **env, "PYTHONPATH": path}, stdout=serve_log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    workers = Workers(env, tmp_path)
    rs = ResultsStore(root / "results", root / "sopilot.duckdb")
    try:
        workers.start("w1", "dagster")
        workers.start("w2", "dagster")
        workers.wait_ready(180)
        _wait(lambda: _serving(port), 180, "sopilot serve")
        shutil.copytree(files, root / "inbox" / "t1")

        logs = {n: tmp_path / f"worker-{n}.log" for n in ("w1", "w2")}
        for _ in range(5):
            victim = _wait(lambda: next((n for n in logs if _held(logs[n])), None), 240, "a worker holding a step")
            workers.kill9(victim)
            held = _held(logs[victim])  # its log as it died: what it held then
            if held:
                break
            workers.start(victim, "dagster")  # it finished just before the kill: again
            workers.wait_ready(180)
        assert held, "no worker was caught holding a step"
        survivor = "w2" if victim == "w1" else "w1"
        # the broker hands what the killed worker held to the other one, which finishes it
        _wait(lambda: held <= set(DONE.findall(logs[survivor].read_bytes())), 240,
              f"the other worker to finish {sorted(held)}")

        def settled():
            try:
                n = rs.query("SELECT count(*) AS n FROM scores")[0]["n"]
            except Exception:  # noqa: BLE001 - no table yet
                return False
            return n >= N_TRAINEES and len(list((root / "quarantine").rglob("*.avi"))) >= 2
        _wait(settled, 420, "every trainee scored and both bad files quarantined")
        assert any(b"sopilot_intake_job" in log.read_bytes() for log in logs.values())  # the inbox taken on a worker
    finally:
        workers.stop()
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGTERM)
            try:
                serve.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
        serve_log.close()

    scores = rs.query("SELECT trainee_sha256, min(trainee_file) AS name, count(*) AS n FROM scores GROUP BY 1")
    assert len(scores) == N_TRAINEES and all(x["n"] == 1 for x in scores)  # each good trainee once
    # of a trainee and its copy, the one taken first is scored and the other archived
    archived = sorted(p.name for p in (root / "archive").rglob("*.avi"))
    names = {f"tr{i:02d}.avi" for i in range(N_TRAINEES)} | {f"again{i}.avi" for i in range(N_DUPS)}
    assert len(archived) == N_DUPS and {x["name"] for x in scores} | set(archived) == names
    reasons = {r["file_name"]: r["reason"] for r in rs.query(
        "SELECT file_name, reason FROM ingest_events WHERE action = 'quarantined'")}
    assert reasons == {"not_a_video.avi": "unreadable", "cut_short.avi": "truncated"}
    for name in ("not_a_video.avi", "cut_short.avi"):
        assert (root / "quarantine" / f"{name}.reason.json").exists()
    assert not [p for p in (root / "inbox").rglob("*") if p.is_file()]
    kept = {p.read_bytes() for p in root.rglob("*") if p.is_file() and p.suffix in (".avi", ".json")}
    assert all(b in kept for b in dropped.values())  # nothing dropped is lost
