"""Orchestration overhead: N one-minute trainee videos dropped at once, time until all are scored.

    .venv/bin/python benchmarks/bench_orchestration.py [--n 100] [--seconds 60]

1. Videos (cached in build/cache/bench_orchestration/): the quick demo's first task gold (with
   its steps sidecar) and N trainee videos of `--seconds` each, made by looping that task's
   trainee recordings with a different start frame per video (so every file has its own bytes
   and is not deduped).
2. Engine alone, in this process: embed the gold once, then for each trainee embed + score
   (`ingest_video` + `score_embeddings`, color-motion, CPU) = the engine's own time.
3. The product: `sopilot serve` on a fresh data root (started and ready before the clock
   starts), all files copied into the inbox at once; the clock stops when DuckDB `scores` has N
   rows. Overhead = pipeline wall time / engine time - 1 (target <= 25 %).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "build" / "cache" / "bench_orchestration"


def make_videos(n: int, seconds: float, seed: int = 0) -> Path:
    """Tree `<cache>/n<N>_s<S>/<task>/{gold,trainee}/...`; reused when already complete."""
    out = CACHE / f"n{n}_s{int(seconds)}"
    done = out / "done.json"
    if done.exists():
        return out
    from sopilot_resources.demo.generate import generate_demo

    demo = CACHE / "demo_quick"
    if not (demo / "manifest.json").exists():
        shutil.rmtree(demo, ignore_errors=True)
        generate_demo(demo, seed=seed, quick=True)
    task = sorted(p.name for p in demo.iterdir() if (p / "gold").is_dir())[0]
    shutil.rmtree(out, ignore_errors=True)
    (out / task / "trainee").mkdir(parents=True)
    shutil.copytree(demo / task / "gold", out / task / "gold")
    sources = sorted(p for p in (demo / task / "trainee").iterdir() if "unrelated" not in p.name)
    clips = [_frames(p) for p in sources]
    for i in range(n):
        frames, fps = clips[i % len(clips)]
        total = int(round(seconds * fps))
        h, w = frames[0].shape[:2]
        dest = out / task / "trainee" / f"bench_{i:03d}.mp4"
        vw = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        for k in range(total):
            vw.write(frames[(k + i) % len(frames)])
        vw.release()
    done.write_text(json.dumps({"n": n, "seconds": seconds, "task": task}))
    return out


def _frames(path: Path):
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames, fps


def engine_times(tree: Path) -> dict:
    from sopilot_resources.embedders.registry import get_embedder
    from sopilot_resources.ingest import ingest_video
    from sopilot_resources.scoring.engine import score_embeddings
    from sopilot_resources.scoring.steps import find_sidecar, load_steps

    task_dir = next(p for p in tree.iterdir() if p.is_dir())
    gold_path = next(p for p in (task_dir / "gold").iterdir() if not p.name.endswith(".json"))
    emb = get_embedder("color-motion", device="cpu")
    steps = load_steps(find_sidecar(gold_path))
    t0 = time.perf_counter()
    gold = ingest_video(gold_path, emb)
    gold_sec = time.perf_counter() - t0
    per = []
    for p in sorted((task_dir / "trainee").iterdir()):
        t = time.perf_counter()
        tr = ingest_video(p, emb)
        t1 = time.perf_counter()
        score_embeddings(gold, tr, steps, device="cpu")
        per.append({"file": p.name, "ingest_sec": t1 - t, "score_sec": time.perf_counter() - t1})
    total = gold_sec + sum(x["ingest_sec"] + x["score_sec"] for x in per)
    return {"gold_ingest_sec": gold_sec, "trainees": per, "total_sec": total}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _score_count(db: Path) -> int:
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return 0
    try:
        return con.execute("SELECT count(*) FROM scores").fetchone()[0]
    finally:
        con.close()


def pipeline_time(tree: Path, n: int, timeout: float) -> dict:
    from sopilot_assets.demo_inbox import copy_into_inbox

    root = Path(tempfile.mkdtemp(prefix="sopilot_bench_"))
    port = _free_port()
    env = dict(os.environ, SOPILOT_DATA_DIR=str(root / "data"))
    env.pop("DAGSTER_HOME", None)
    log = open(root / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "sopilot_assets.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        t_start = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() - t_start > 300:
                    raise RuntimeError(f"server did not start; see {root / 'serve.log'}")
                time.sleep(1)
        time.sleep(10)  # let the code location finish loading; not part of the measured time
        db = root / "data" / "sopilot.duckdb"
        t0, wall0 = time.monotonic(), time.time()
        copy_into_inbox(tree, root / "data" / "inbox")
        first = None
        while (count := _score_count(db)) < n:
            if count and first is None:
                first = time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"only {count}/{n} scored after {timeout:.0f} s; see {root}")
            time.sleep(1)
        wall = time.monotonic() - t0
        runs = _run_stats(root / "data" / "dagster_home", wall0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=240)
        log.close()
    shutil.rmtree(root, ignore_errors=True)
    return {"wall_sec": wall, "first_score_sec": first, **runs}


def _run_stats(home: Path, wall0: float) -> dict:
    import dagster as dg

    from dagster._core.events import DagsterEventType as T

    with dg.DagsterInstance.from_config(str(home)) as inst:
        runs = inst.get_runs()
        durations, steps, failures, timeline = {}, {}, [], []
        for rec in sorted(inst.get_run_records(), key=lambda x: x.create_timestamp.timestamp()):
            r = rec.dagster_run
            timeline.append({"job": r.job_name, "batch": int(r.tags.get("sopilot/batch_size", 1)),
                             "created": round(rec.create_timestamp.timestamp() - wall0, 1),
                             "started": round((rec.start_time or wall0) - wall0, 1),
                             "ended": round((rec.end_time or wall0) - wall0, 1)})
            if r.status.value == "FAILURE":
                msgs = [e.message for e in inst.all_logs(r.run_id, of_type={T.STEP_FAILURE, T.RUN_FAILURE})]
                failures.append({"job": r.job_name, "run_key": r.tags.get("dagster/run_key"),
                                 "messages": [m[:400] for m in msgs]})
            st = inst.get_run_stats(r.run_id)
            if st.start_time and st.end_time:
                durations.setdefault(r.job_name, []).append(st.end_time - st.start_time)
            started = {}
            for e in inst.all_logs(r.run_id, of_type={T.STEP_START, T.STEP_SUCCESS}):
                key = e.dagster_event.step_key
                if e.dagster_event.event_type == T.STEP_START:
                    started[key] = e.timestamp
                elif key in started:
                    steps.setdefault(key, []).append(e.timestamp - started[key])

        def summary(d):
            return {k: {"n": len(v), "sum": round(sum(v), 2), "mean": round(sum(v) / len(v), 2)}
                    for k, v in d.items()}

        return {"runs": len(runs), "failed_runs": sum(r.status.value == "FAILURE" for r in runs),
                "run_sec_by_job": summary(durations), "step_sec": summary(steps), "failures": failures,
                "timeline": timeline}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="trainee videos dropped at once")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each trainee video")
    ap.add_argument("--timeout", type=float, default=7200.0)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    a = ap.parse_args()
    tree = make_videos(a.n, a.seconds)
    load0 = os.getloadavg()
    eng = engine_times(tree)
    pipe = pipeline_time(tree, a.n, a.timeout)
    load1 = os.getloadavg()
    overhead = pipe["wall_sec"] / eng["total_sec"] - 1.0
    res = {"n": a.n, "seconds": a.seconds, "engine_total_sec": eng["total_sec"],
           "engine_gold_ingest_sec": eng["gold_ingest_sec"],
           "engine_mean_trainee_sec": (eng["total_sec"] - eng["gold_ingest_sec"]) / a.n,
           "pipeline": pipe, "overhead": overhead, "cpu": platform.processor() or platform.machine(),
           "cores": os.cpu_count(), "loadavg_before": load0, "loadavg_after": load1,
           "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print(json.dumps(res, indent=2))
    print(f"\n{a.n} x {a.seconds:.0f} s videos: engine {eng['total_sec']:.1f} s, "
          f"pipeline {pipe['wall_sec']:.1f} s -> overhead {overhead * 100:+.1f} % (target <= +25 %)")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
