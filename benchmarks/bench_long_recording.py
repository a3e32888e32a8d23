"""Long shift recordings (issue 16 item 5): time and peak memory of `sopilot score` on a 720p
recording of ~12 min, ~35 min, ~1 h and ~2 h, against the one-pair time scaled by duration.

    .venv/bin/python benchmarks/bench_long_recording.py --memory          # build (once), all runs, memory breakdown
    .venv/bin/python benchmarks/bench_long_recording.py --lengths 30 60   # fewer lengths
    .venv/bin/python benchmarks/bench_long_recording.py --reuse --memory  # runs measured before, new breakdown
    .venv/bin/python benchmarks/bench_long_recording.py --memory-only     # only the in-process breakdown
    .venv/bin/python benchmarks/bench_long_recording.py --no-scene        # the same runs, clips only (results-noscene.json)

Set (built once, cached under bench_out/long_recording/): demo task t01 (all its steps), a
one-cycle gold at 1280x720 30 fps H.264 with its steps file, a *base* shift recording of about
``--base-min`` minutes of cycles (``demo.shift.shift_timeline``: correct and defective cycles,
changeovers, pace drift, starts and stops mid-cycle) at 1280x720 30 fps, and a one-cycle
trainee video by the same performer under the same camera. Longer recordings are copies of the
base joined with ffmpeg's concat demuxer, stream copy (timestamps run on; each join puts the
base's cut-off last cycle next to its cut-off first one).

Each video is scored by one `sopilot score GOLD VIDEO --json` subprocess, one after another;
wall time, and peak RSS of the process tree (psutil, every 0.2 s) plus the process's own
ru_maxrss (os.wait4). Reported per length: seconds per recording-minute, the ratio of wall time
to the base run's time x duration ratio, and to the one-cycle pair's time x duration ratio.
Each run's row is kept in run_<video>.row.json (``--reuse`` takes them instead of running).

``--memory``: in this process, under tracemalloc: ingest of the base and of its 3-copy join
(what a recording keeps per hour: clip vectors, stills), score_recording on the base's
embeddings tiled ``--memory-tiles`` times, and the scene search of one cycle at the same place
of copy 1, 3, 5, 10 (``--probe-copies``). Writes bench_out/long_recording/results.json.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench_out" / "long_recording"
SIZE, FPS = (1280, 720), 30
SOPILOT = [sys.executable, "-m", "sopilot_assets.cli"]


def ffmpeg() -> str:
    from sopilot_resources.demo.writer import ffmpeg_exe

    exe = ffmpeg_exe()
    if exe is None:
        raise SystemExit("no ffmpeg (pip install imageio-ffmpeg)")
    return exe


def ffmpeg_duration(path: Path) -> float:
    """Container duration from `ffmpeg -i` (no ffprobe here: imageio-ffmpeg ships ffmpeg only)."""
    err = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def build_set(out: Path, base_min: float, seed: int, task_index: int) -> dict:
    """Render (once) gold + steps, the base recording and the one-cycle trainee; returns set.json."""
    man_path = out / "set.json"
    if man_path.is_file():
        return json.loads(man_path.read_text())
    from sopilot_resources.demo.arm import GOLD_PERFORMER, random_performer
    from sopilot_resources.demo.clutter import dress_station
    from sopilot_resources.demo.look import gold_look, random_look
    from sopilot_resources.demo.plan import canonical_entries, gold_durations, gold_steps, paced_entries, realize
    from sopilot_resources.demo.procedures import all_tasks
    from sopilot_resources.demo.render import render_performance
    from sopilot_resources.demo.shift import shift_timeline

    out.mkdir(parents=True, exist_ok=True)
    task = dress_station(all_tasks()[task_index], seed, task_index)
    rng = np.random.default_rng([seed, task_index, 500])
    gold = gold_durations(task, rng, quick=False)
    t0 = time.perf_counter()
    gsegs = realize(canonical_entries(task, gold), gold)
    gpath = Path(render_performance(out / "gold", task, gsegs, GOLD_PERFORMER,
                                    gold_look(SIZE, FPS, "h264", int(rng.integers(2**31))))["path"])
    steps = gold_steps(task, gsegs)
    gpath.with_suffix(".steps.json").write_text(json.dumps({"steps": steps}, indent=2) + "\n")
    gold_sec = time.perf_counter() - t0

    vr = np.random.default_rng([seed, task_index, 600])
    cycle_est = sum(gold) + 0.6 * len(gold) + 4.75  # steps, pauses, changeover
    n = math.ceil(base_min * 60 / cycle_est) + 1  # + 1: the first and last are cut partly off
    segs, truth, skip, stop = shift_timeline(task, gold, vr, n)
    look = random_look(vr, SIZE, FPS, "h264", duration=stop)
    perf = random_performer(vr, "long-recording-performer")
    t0 = time.perf_counter()
    base = render_performance(out / "base", task, segs, perf, look, skip_sec=skip)
    base_sec = time.perf_counter() - t0
    one_segs = realize(paced_entries(task, gold, vr, (0.8, 1.2), (0.2, 1.0)), gold)  # 1 s lead-in and tail
    one = render_performance(out / "one_cycle", task, one_segs, perf, look)
    man = {"task": task.key, "seed": seed, "size": list(SIZE), "fps": FPS, "gold": gpath.name,
           "base": Path(base["path"]).name, "base_duration_sec": base["duration_sec"], "base_cycles": truth,
           "one_cycle": Path(one["path"]).name, "one_cycle_duration_sec": one["duration_sec"],
           "render_sec": {"gold": round(gold_sec, 1), "base": round(base_sec, 1)}}
    man_path.write_text(json.dumps(man, indent=1) + "\n")
    return man


def joined(out: Path, base: Path, copies: int) -> Path:
    """``copies`` x the base, joined by the concat demuxer with stream copy (cached)."""
    dst = out / f"joined_x{copies}.mp4"
    if not dst.is_file():
        lst = out / f"joined_x{copies}.txt"
        lst.write_text("".join(f"file '{base.resolve()}'\n" for _ in range(copies)))
        tmp = dst.with_name(dst.stem + ".tmp.mp4")
        subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                        "-i", str(lst), "-c", "copy", str(tmp)], check=True)
        tmp.replace(dst)
    return dst


def run_score(gold: Path, video: Path, log: Path, extra: tuple[str, ...] = ()) -> dict:
    """One `sopilot score GOLD VIDEO --json` subprocess: wall time, peak RSS (tree, polled), JSON."""
    with open(log.with_suffix(".json"), "w") as so, open(log.with_suffix(".err"), "w") as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen([*SOPILOT, "score", str(gold), str(video), "--json", "--no-progress", *extra],
                                stdout=so, stderr=se, cwd=ROOT)
        root, peak, peak_anon = psutil.Process(proc.pid), 0, 0
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            with contextlib.suppress(psutil.Error):  # a child ended between the listing and its reading
                procs = [root, *root.children(recursive=True)]
                mem = [p.memory_info() for p in procs]
                peak = max(peak, sum(m.rss for m in mem))
                # resident minus file-backed: what the process itself holds (a memory-mapped
                # file's pages are page cache, which the kernel drops when memory is short)
                peak_anon = max(peak_anon, sum(m.rss - m.shared for m in mem))
            time.sleep(0.2)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    row = {"video": video.name, "wall_sec": round(wall, 1), "rc": proc.returncode,
           "peak_rss_mb": round(peak / 2**20, 1), "peak_anon_mb": round(peak_anon / 2**20, 1),
           "maxrss_mb": round(ru.ru_maxrss / 1024, 1), "cpu_sec": round(ru.ru_utime + ru.ru_stime, 1)}
    if proc.returncode == 0:
        doc = json.loads(log.with_suffix(".json").read_text())
        stats = doc.get("cycle_stats") or {}
        row.update(cycles_found=stats.get("found"), cycles_complete=stats.get("complete"),
                   trainee_clips=doc["metrics"].get("trainee_clips"),
                   timings={k: round(v, 2) for k, v in doc.get("timings", {}).items()})
    else:
        row["error"] = log.with_suffix(".err").read_text()[-500:]
    return row


def tile(emb, k: int):
    """``k`` copies of ClipEmbeddings ``emb`` end to end (times shifted), stills included."""
    from sopilot_resources.stills import Stills

    span = float(emb.ends[-1]) + 0.5
    sh = [i * span for i in range(k)]
    st = emb.stills
    off = np.concatenate([st.offsets[:-1] + i * st.offsets[-1] for i in range(k)] + [[k * st.offsets[-1]]])
    stills = Stills(np.concatenate([st.times + s for s in sh]), np.tile(st.jpeg, k), off.astype(np.int64))
    return replace(emb, vectors=np.tile(emb.vectors, (k, 1)), starts=np.concatenate([emb.starts + s for s in sh]),
                   ends=np.concatenate([emb.ends + s for s in sh]), quality=np.tile(emb.quality, (k, 1)),
                   motion=np.tile(emb.motion, k), stills=stills)


def memory_breakdown(out: Path, man: dict, tiles: list[int], videos: list[Path], probe: list[int]) -> dict:
    """In-process, under tracemalloc: what ingesting each of ``videos`` keeps and its peak (the
    slope between them is the growth per hour), the arrays the base keeps per hour, and the
    peak of the scoring step (score_recording) on the base's embeddings tiled ``tiles`` times;
    then :func:`scene_search_probe` at copies ``probe``."""
    import tracemalloc

    from sopilot_resources.cycles.recording import score_recording
    from sopilot_resources.embedders.registry import get_embedder
    from sopilot_resources.ingest import ingest_video
    from sopilot_resources.scoring.steps import load_steps

    emb = get_embedder("color-motion")
    gold = ingest_video(out / man["gold"], emb)
    res: dict = {"ingest": [], "scoring": []}
    base = None
    for v in videos:
        tracemalloc.start()
        t0 = time.perf_counter()
        rec = ingest_video(v, emb)
        sec = time.perf_counter() - t0
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        res["ingest"].append({"video": v.name, "recording_min": round(float(rec.ends[-1]) / 60, 1), "sec": round(sec, 1),
                              "clips": len(rec), "stills": len(rec.stills), "kept_mb": round(kept / 2**20, 1),
                              "peak_mb": round(peak / 2**20, 1), "vectors_mb": round(rec.vectors.nbytes / 2**20, 1),
                              "stills_mb": round(rec.stills.nbytes / 2**20, 1)})
        print(f"memory: {res['ingest'][-1]}", file=sys.stderr, flush=True)
        base = rec if base is None else base
        del rec
    a, b = res["ingest"][0], res["ingest"][-1]
    if b is not a:
        dh = (b["recording_min"] - a["recording_min"]) / 60
        res["ingest_growth_mb_per_hour"] = {k: round((b[k] - a[k]) / dh, 1)
                                            for k in ("kept_mb", "peak_mb", "vectors_mb", "stills_mb")}
    res["vector_dim"] = int(base.vectors.shape[1])
    steps = load_steps(out / Path(man["gold"]).with_suffix(".steps.json"))
    for k in tiles:
        rec = tile(base, k)
        tracemalloc.start()
        t0 = time.perf_counter()
        r = score_recording(gold, rec, steps)
        sec = time.perf_counter() - t0
        cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        res["scoring"].append({"copies": k, "recording_min": round(k * man["base_duration_sec"] / 60, 1),
                               "sec": round(sec, 1), "cycles_complete": (r.cycle_stats or {}).get("complete"),
                               "result_kept_mb": round(cur / 2**20, 1), "peak_mb": round(peak / 2**20, 1)})
        print(f"memory: {res['scoring'][-1]}", file=sys.stderr, flush=True)
        del r, rec
    res["scene_search"] = scene_search_probe(gold, base, man, probe, steps)
    return res


def scene_search_probe(gold, base, man: dict, copies: list[int], steps) -> list[dict]:
    """The scene search of one complete cycle (scene.search.trainee_scenes, run when the clips
    report a step missing or wrong, and change_anywhere for one step) at the same place of copy
    k of the base (tiled embeddings): scenes built, seconds and tracemalloc peak."""
    import tracemalloc

    from sopilot_resources.cycles.slicing import time_slice
    from sopilot_resources.scene import scene_evidence
    from sopilot_resources.scene.search import change_anywhere

    span = float(base.ends[-1]) + 0.5
    cyc = next(c for c in man["base_cycles"] if not c["partial"])
    spans = [(st.start_sec, st.end_sec) for st in steps]
    rows = []
    rec = tile(base, max(copies))
    for k in copies:
        t0, t1 = cyc["start_sec"] + (k - 1) * span - 1.5, cyc["end_sec"] + (k - 1) * span + 1.5
        part, _ = time_slice(rec, t0, t1)
        ev = scene_evidence(gold.stills, part.stills, spans)
        if ev._search is None:
            rows.append({"copy": k, "note": "scene not registered"})
            continue
        s = next((i for i, c in enumerate(ev.changes) if c is not None), None)
        tracemalloc.start()
        c0 = time.perf_counter()
        scenes = ev._search(None)
        c1 = time.perf_counter()
        _, peak = tracemalloc.get_traced_memory()
        if s is not None:
            change_anywhere(ev.changes[s], spans[s], scenes)
        c2 = time.perf_counter()
        tracemalloc.stop()
        rows.append({"copy": k, "cycle_at_min": round(t0 / 60, 1), "cycle_sec": round(t1 - t0, 1),
                     "stills_in_slice": len(part.stills), "scenes_built": len(scenes.times),
                     "scenes_sec": round(c1 - c0, 2), "scenes_peak_mb": round(peak / 2**20, 1),
                     "change_anywhere_sec": round(c2 - c1, 2) if s is not None else None})
        print(f"scene search: {rows[-1]}", file=sys.stderr, flush=True)
        del scenes, ev, part
    return rows


def table(rows: list[dict]) -> str:
    head = ("| recording | duration | wall s | s per rec-min | vs base x dur | vs 1-cycle pair x dur | peak RSS MB "
            "| peak anon MB | cycles found / complete | ingest s | scoring s |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        t = r.get("timings", {})
        lines.append(f"| {r['label']} | {r['duration_sec'] / 60:.1f} min | {r['wall_sec']:.1f} | {r['sec_per_min']:.2f} "
                     f"| {r.get('vs_base', '-')} | {r.get('vs_one', '-')} | {r['peak_rss_mb']:.0f} | {r.get('peak_anon_mb', '-')} "
                     f"| {r.get('cycles_found', '-')} / {r.get('cycles_complete', '-')} "
                     f"| {t.get('ingest_sec', float('nan')):.1f} "
                     f"| {t.get('total_sec', float('nan')) - t.get('ingest_sec', float('nan')):.1f} |")
    return head + "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-min", type=float, default=10.0, help="minutes of cycles in the base recording")
    ap.add_argument("--lengths", type=float, nargs="*", default=[30, 60, 120], help="minutes of the joined recordings")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", type=int, default=0, help="demo task index (0: t01, fixed view)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--memory", action="store_true", help="also the in-process memory breakdown (tracemalloc)")
    ap.add_argument("--memory-only", action="store_true", help="only the memory breakdown")
    ap.add_argument("--no-scene", action="store_true",
                    help="score with --no-scene (clips only); rows and results get a -noscene suffix")
    ap.add_argument("--tag", default="", help="suffix of the row and results files, e.g. --tag=-v2 (another code version)")
    ap.add_argument("--memory-tiles", type=int, nargs="+", default=[1, 3],
                    help="copies of the base's embeddings scored in-process under tracemalloc (the first ingest's "
                         "videos: the base and the 2nd entry's joined file)")
    ap.add_argument("--probe-copies", type=int, nargs="+", default=[1, 3, 5, 10],
                    help="the scene search of one cycle at the same place of these copies of the base")
    ap.add_argument("--reuse", action="store_true", help="reuse runs measured before (run_*.row.json) instead of running them")
    ap.add_argument("--cache", action="store_true",
                    help="each run fills a private embeddings cache (bench_out/long_recording/cache<tag>/), then the "
                         "same video is scored again from it (row '... cached'); default: --no-cache")
    a = ap.parse_args()
    t0 = time.perf_counter()
    man = build_set(a.out, a.base_min, a.seed, a.task)
    print(f"set ready in {time.perf_counter() - t0:.0f} s: {a.out}", file=sys.stderr)
    base_path, gold = a.out / man["base"], a.out / man["gold"]
    base_dur = man["base_duration_sec"]
    tag = ("-noscene" if a.no_scene else "") + a.tag
    results_path = a.out / f"results{tag}.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() and a.memory_only else {}
    results.update(machine={"nproc": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                            "load_before": os.getloadavg()}, set=man)
    if not a.memory_only:
        videos = [("1 cycle", a.out / man["one_cycle"]), ("base", base_path)]
        for m in a.lengths:
            k = max(1, round(m * 60 / base_dur))
            videos.append((f"base x{k}", joined(a.out, base_path, k)))
        rows, cached_rows = [], []
        if a.cache:
            os.environ["SOPILOT_CACHE_MAX_MB"] = "100000"  # keep every recording's entry
        for label, v in videos:
            dur = ffmpeg_duration(v)
            print(f"scoring {label}: {v.name} ({dur / 60:.1f} min) ...", file=sys.stderr, flush=True)
            cached = a.out / f"run_{v.stem}{tag}.row.json"
            extra = ("--no-scene",) if a.no_scene else ()
            cache = ("--cache-dir", str(a.out / f"cache{tag}")) if a.cache else ("--no-cache",)
            if a.reuse and cached.is_file():
                r = json.loads(cached.read_text())
            else:
                r = {"label": label, "duration_sec": round(dur, 2),
                     **run_score(gold, v, a.out / f"run_{v.stem}{tag}", (*extra, *cache))}
                r["sec_per_min"] = round(r["wall_sec"] / (dur / 60), 3)
                cached.write_text(json.dumps(r) + "\n")
            print(f"  {r}", file=sys.stderr, flush=True)
            rows.append(r)
            if a.cache and label != "1 cycle":
                again = {"label": f"{label} cached", "duration_sec": round(dur, 2),
                         **run_score(gold, v, a.out / f"run_{v.stem}{tag}-cached", (*extra, *cache))}
                again["sec_per_min"] = round(again["wall_sec"] / (dur / 60), 3)
                print(f"  {again}", file=sys.stderr, flush=True)
                cached_rows.append(again)
        one, base = rows[0], rows[1]
        for r in rows:
            r["vs_one"] = round(r["wall_sec"] / (one["wall_sec"] * r["duration_sec"] / one["duration_sec"]), 3)
            if r is not one:
                r["vs_base"] = round(r["wall_sec"] / (base["wall_sec"] * r["duration_sec"] / base["duration_sec"]), 3)
        results["runs"] = rows + cached_rows
        results["table"] = table(rows + cached_rows)
        print(results["table"])
        results_path.write_text(json.dumps(results, indent=1) + "\n")
    if a.memory or a.memory_only:
        videos = [base_path] + [joined(a.out, base_path, k) for k in a.memory_tiles[1:2]]
        results["memory"] = memory_breakdown(a.out, man, a.memory_tiles, videos, a.probe_copies)
        print(json.dumps(results["memory"], indent=1))
    results["machine"]["load_after"] = os.getloadavg()
    results_path.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
