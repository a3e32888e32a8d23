"""Orchestration overhead: N one-minute trainee videos dropped at once, time until all are scored.

    .venv/bin/python benchmarks/bench_orchestration.py [--n 100] [--seconds 60] [--footage full|quick]
                                                       [--parallel-engine]

1. Videos (cached in build/cache/bench_orchestration/), task ``t01_valve`` of the demo: its gold
   (with its steps sidecar) and N trainee videos of ``--seconds`` each.
   - ``--footage full`` (default): the full demo's trainee recordings, as footage comes from
     cameras (640x360 to 1280x720, 30 fps, H.264 / MPEG-4 / MJPEG in mp4, mkv, mov, avi), each
     looped to the length with ffmpeg stream copy (no re-encode) and given its own container
     comment, so every file has its own bytes and is not deduped.
   - ``--footage quick``: the quick demo's 320x180 25 fps recordings, re-encoded as MPEG-4 from
     a different start frame per video (the input of the first measurements).
2. Engine alone, in this process: embed the gold once, then for each trainee embed + score
   (``ingest_video`` + ``score_embeddings``, color-motion, CPU) = the engine's own time. With
   ``--parallel-engine`` also the same work over a pool of ``os.cpu_count()`` worker processes:
   the best the bare engine does on this machine, a stricter reference than the sum.
3. The product: ``sopilot serve`` on a fresh data root (started and ready before the clock
   starts), all files copied into the inbox at once; the clock stops when DuckDB ``scores`` has N
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


def make_videos(n: int, seconds: float, footage: str = "full", seed: int = 0) -> Path:
    """Tree ``<cache>/<footage>_n<N>_s<S>/<task>/{gold,trainee}/...``; reused when complete."""
    out = CACHE / f"{footage}_n{n}_s{int(seconds)}"
    done = out / "done.json"
    if done.exists():
        return out
    from sopilot_resources.demo.generate import generate_demo

    demo = CACHE / f"demo_{footage}"
    if not (demo / "manifest.json").exists():
        shutil.rmtree(demo, ignore_errors=True)
        generate_demo(demo, seed=seed, quick=footage == "quick")
    task = sorted(p.name for p in demo.iterdir() if (p / "gold").is_dir())[0]
    shutil.rmtree(out, ignore_errors=True)
    (out / task / "trainee").mkdir(parents=True)
    shutil.copytree(demo / task / "gold", out / task / "gold")
    sources = sorted(p for p in (demo / task / "trainee").iterdir() if "unrelated" not in p.name)
    if footage == "quick":
        _reencoded_loops(sources, out / task / "trainee", n, seconds)
    else:
        _copied_loops(sources, out / task / "trainee", n, seconds)
    done.write_text(json.dumps({"n": n, "seconds": seconds, "task": task, "footage": footage}))
    return out


def _copied_loops(sources: list[Path], dest: Path, n: int, seconds: float) -> None:
    """Source i % len(sources) looped to ``seconds`` by ffmpeg stream copy (the frames as the
    camera encoded them), with the file number in the container's comment."""
    from sopilot_resources.demo.writer import ffmpeg_exe

    exe = ffmpeg_exe()
    if exe is None:
        raise SystemExit("--footage full needs ffmpeg from the imageio-ffmpeg package (a core dependency)")
    for i in range(n):
        src = sources[i % len(sources)]
        subprocess.run([exe, "-v", "error", "-y", "-stream_loop", "-1", "-i", str(src), "-t", f"{seconds:g}",
                        "-c", "copy", "-map_metadata", "-1", "-metadata", f"comment=sopilot bench {i:03d}",
                        str(dest / f"bench_{i:03d}{src.suffix}")], check=True)


def _reencoded_loops(sources: list[Path], dest: Path, n: int, seconds: float) -> None:
    clips = [_frames(p) for p in sources]
    for i in range(n):
        frames, fps = clips[i % len(clips)]
        total = int(round(seconds * fps))
        h, w = frames[0].shape[:2]
        vw = cv2.VideoWriter(str(dest / f"bench_{i:03d}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        for k in range(total):
            vw.write(frames[(k + i) % len(frames)])
        vw.release()


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


def _task(tree: Path):
    """(gold path, its steps, trainee paths) of the benchmark tree."""
    from sopilot_resources.scoring.steps import find_sidecar, load_steps

    task_dir = next(p for p in tree.iterdir() if p.is_dir())
    gold_path = next(p for p in (task_dir / "gold").iterdir() if not p.name.endswith(".json"))
    return gold_path, load_steps(find_sidecar(gold_path)), sorted((task_dir / "trainee").iterdir())


def engine_times(tree: Path) -> dict:
    from sopilot_resources.embedders.registry import get_embedder
    from sopilot_resources.ingest import ingest_video
    from sopilot_resources.scoring.engine import score_embeddings

    gold_path, steps, trainees = _task(tree)
    emb = get_embedder("color-motion", device="cpu")
    t0 = time.perf_counter()
    gold = ingest_video(gold_path, emb)
    gold_sec = time.perf_counter() - t0
    per = []
    for p in trainees:
        t = time.perf_counter()
        tr = ingest_video(p, emb)
        t1 = time.perf_counter()
        score_embeddings(gold, tr, steps, device="cpu")
        per.append({"file": p.name, "ingest_sec": t1 - t, "score_sec": time.perf_counter() - t1})
    total = gold_sec + sum(x["ingest_sec"] + x["score_sec"] for x in per)
    return {"gold_ingest_sec": gold_sec, "trainees": per, "total_sec": total}


_WORKER: dict = {}


def _worker_init(gold_path: str) -> None:
    from threadpoolctl import threadpool_limits

    from sopilot_resources.embedders.registry import get_embedder
    from sopilot_resources.ingest import ingest_video

    threadpool_limits(1, user_api="blas")  # as the pipeline's runs: processes share the cores
    _WORKER["emb"] = get_embedder("color-motion", device="cpu")
    _WORKER["gold"] = ingest_video(Path(gold_path), _WORKER["emb"])


def _worker_score(path: str, steps) -> float:
    from sopilot_resources.ingest import ingest_video
    from sopilot_resources.scoring.engine import score_embeddings

    return score_embeddings(_WORKER["gold"], ingest_video(Path(path), _WORKER["emb"]), steps, device="cpu").score


def engine_parallel_time(tree: Path, workers: int) -> float:
    """Wall time of the same work over ``workers`` processes (each embeds the gold once, pool
    start-up included): what the bare engine does at best on this machine."""
    from concurrent.futures import ProcessPoolExecutor

    gold_path, steps, trainees = _task(tree)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_worker_init, initargs=(str(gold_path),)) as pool:
        list(pool.map(_worker_score, [str(p) for p in trainees], [steps] * len(trainees)))
    return time.perf_counter() - t0


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
    ap.add_argument("--footage", choices=("full", "quick"), default="full",
                    help="full: the full demo's 360p-720p camera-like recordings; quick: 320x180 re-encodes")
    ap.add_argument("--parallel-engine", action="store_true",
                    help="also time the engine over a pool of os.cpu_count() processes")
    ap.add_argument("--timeout", type=float, default=7200.0)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    a = ap.parse_args()
    tree = make_videos(a.n, a.seconds, a.footage)
    load0 = os.getloadavg()
    eng = engine_times(tree)
    par = engine_parallel_time(tree, os.cpu_count() or 1) if a.parallel_engine else None
    pipe = pipeline_time(tree, a.n, a.timeout)
    load1 = os.getloadavg()
    overhead = pipe["wall_sec"] / eng["total_sec"] - 1.0
    res = {"n": a.n, "seconds": a.seconds, "footage": a.footage, "engine_total_sec": eng["total_sec"],
           "engine_gold_ingest_sec": eng["gold_ingest_sec"],
           "engine_mean_trainee_sec": (eng["total_sec"] - eng["gold_ingest_sec"]) / a.n,
           "engine_parallel_sec": par, "pipeline": pipe, "overhead": overhead,
           "overhead_vs_parallel_engine": pipe["wall_sec"] / par - 1.0 if par else None,
           "cpu": platform.processor() or platform.machine(),
           "cores": os.cpu_count(), "loadavg_before": load0, "loadavg_after": load1,
           "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print(json.dumps(res, indent=2))
    print(f"\n{a.n} x {a.seconds:.0f} s videos ({a.footage}): engine {eng['total_sec']:.1f} s, "
          f"pipeline {pipe['wall_sec']:.1f} s -> overhead {overhead * 100:+.1f} % (target <= +25 %)")
    if par:
        print(f"engine over {os.cpu_count()} processes {par:.1f} s -> pipeline vs that "
              f"{res['overhead_vs_parallel_engine'] * 100:+.1f} %")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
