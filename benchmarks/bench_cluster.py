"""The cluster profile, one Celery worker vs two: the same 30-video drop, time until all scored.

    .venv/bin/python benchmarks/bench_cluster.py [--workers 1 2] [--rounds 1]

For each worker count, on a fresh Postgres database, Redis and data root (tests/services.py
starts both servers on localhost): `sopilot serve --deployment cluster` (webserver, daemon, code
server: the real run launcher) and that many `sopilot worker` processes, all started and ready
before the clock starts. Then 30 files go into the inbox at once: a gold with its steps file, 24
distinct trainee videos, 3 byte-for-byte duplicates and 2 bad files (not a video; cut short).
The figure is the time until DuckDB `scores` has the 24 rows (`scored_s`); the round ends once
both bad files are quarantined too (the cut-short one after SOPILOT_TRUNCATED_AFTER, 30 s here:
the inbox waits that long for the rest of a copy). Checks,
every round: each trainee scored exactly once, the duplicates archived, the bad files quarantined.

Videos: the tests' synthetic SOP clips (tests/dagster_support.py: 160x120 MJPG, 12 s), so the
figure is about orchestration and step distribution more than decoding.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from dagster_support import write_steps, write_video  # noqa: E402
from services import free_port, postgres_server, redis_server  # noqa: E402

N_TRAINEES, N_DUPS = 24, 3


def make_set(d: Path) -> Path:
    """The 30 files, once, in ``d`` (inbox layout, ready to copy)."""
    if (d / "done").exists():
        return d
    t = d / "t1"
    gold = write_video(t / "gold" / "gold.avi", order=(0, 1, 2, 3))
    write_steps(gold)
    orders = [(0, 1, 2, 3), (0, 2, 1, 3), (0, 1, 3, 2), (1, 0, 2, 3)]
    for i in range(N_TRAINEES):
        write_video(t / "trainee" / f"tr{i:02d}.avi", order=orders[i % 4], seed=100 + i)
    for i in range(N_DUPS):
        shutil.copyfile(t / "trainee" / f"tr{i:02d}.avi", t / "trainee" / f"again{i}.avi")
    (t / "trainee" / "not_a_video.avi").write_bytes(b"not a video" * 500)
    data = (t / "trainee" / "tr05.avi").read_bytes()
    (t / "trainee" / "cut_short.avi").write_bytes(data[: len(data) // 3])
    (d / "done").touch()
    return d


def _count(root: Path) -> tuple[int, int]:
    import duckdb

    db = root / "sopilot.duckdb"
    if not db.exists():
        return 0, 0
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            n, distinct = con.execute("SELECT count(*), count(DISTINCT trainee_file) FROM scores").fetchone()
        finally:
            con.close()
    except Exception:
        return 0, 0
    return n, distinct


def one_round(n_workers: int, files: Path, pg, broker: str, work: Path, timeout: float) -> dict:
    root, home = work / "data", work / "home"
    db = pg.create_db(f"bench_{n_workers}_{int(time.time() * 1000) % 10**8}")
    env = {**os.environ, "SOPILOT_DEPLOYMENT": "cluster", "SOPILOT_POSTGRES_URL": db,
           "SOPILOT_CELERY_BROKER": broker, "SOPILOT_DATA_DIR": str(root), "DAGSTER_HOME": str(home),
           "SOPILOT_STABLE_SECONDS": "1", "SOPILOT_TRUNCATED_AFTER": "30s", "SOPILOT_GOLD_MIN_SEC": "1", "SOPILOT_HEAVY_SCHEDULE": "off",
           "SOPILOT_SOAK_SCHEDULE": "off", "SOPILOT_AUTOPILOT_SCHEDULE": "off"}
    procs, logs = [], []

    def start(args, name):
        log = open(work / f"{name}.log", "wb")
        logs.append(log)
        procs.append(subprocess.Popen([sys.executable, "-m", "sopilot_assets.cli", *args], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True))

    port = free_port()
    start(["serve", "--port", str(port)], "serve")
    for i in range(n_workers):
        start(["worker", "--name", f"w{i}"], f"worker{i}")
    try:
        ready = time.monotonic() + 300
        while not (all(b" ready." in (work / f"worker{i}.log").read_bytes() for i in range(n_workers))
                   and _serving(port)):
            if time.monotonic() > ready or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"the cluster did not start; see {work}")
            time.sleep(0.5)
        time.sleep(5)  # the daemon's first sensor ticks
        t0 = time.monotonic()
        shutil.copytree(files / "t1", root / "inbox" / "t1", dirs_exist_ok=True)
        end, scored = t0 + timeout, None
        while True:
            n, distinct = _count(root)
            bad = len(list((root / "quarantine").rglob("*.avi"))) if (root / "quarantine").exists() else 0
            if n >= N_TRAINEES and scored is None:
                scored = time.monotonic() - t0
            if (n >= N_TRAINEES and bad >= 2) or time.monotonic() > end:
                break
            time.sleep(1)
        wall = time.monotonic() - t0
        archived = len(list((root / "archive").rglob("*.avi"))) if (root / "archive").exists() else 0
        return {"workers": n_workers, "scored_s": round(scored or wall, 1), "wall_s": round(wall, 1), "scores": n, "distinct": distinct,
                "quarantined": bad, "archived": archived, "ok": n == distinct == N_TRAINEES and bad == 2
                and archived == N_DUPS}
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        for log in logs:
            log.close()


def _serving(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--keep", action="store_true", help="keep the work folders")
    a = ap.parse_args()
    files = make_set(REPO / "build" / "cache" / "bench_cluster")
    rows = []
    with postgres_server() as pg, redis_server() as broker:
        for r in range(a.rounds):
            for n in a.workers:
                work = Path(tempfile.mkdtemp(prefix=f"sopilot-bench-cluster-{n}-"))
                row = one_round(n, files, pg, broker, work, a.timeout)
                row["round"] = r + 1
                rows.append(row)
                print(row, flush=True)
                if not a.keep:
                    shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    by = {}
    for row in rows:
        by.setdefault(row["workers"], []).append(row["scored_s"])
    if 1 in by and 2 in by:
        one, two = sorted(by[1])[len(by[1]) // 2], sorted(by[2])[len(by[2]) // 2]
        print(f"all 24 scored: 1 worker {one:.1f} s, 2 workers {two:.1f} s: ratio {one / two:.2f}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
