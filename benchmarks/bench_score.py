"""`sopilot score` end to end vs the published SOPilot code and vs our re-implementation of it.

    .venv/bin/python benchmarks/bench_score.py --runs 3 --peer-src /tmp/published_sopilot/src \\
        --peer-commit c9ca052f3a4cc15f51f4296b0c18c735bb9fdff5
    .venv/bin/python benchmarks/bench_score.py --runs 3 --footage 60x720      # the older 60 s 720p pair
    .venv/bin/python benchmarks/bench_score.py --runs 5 --scene-cost          # ours vs ours --no-scene
    .venv/bin/python benchmarks/bench_score.py --runs 5 --vs-tree ../wt_old   # ours vs another checkout
    .venv/bin/python benchmarks/bench_score.py --runs 5 --vs-tree ../wt_old --task 1   # ... on the moving camera
    .venv/bin/python benchmarks/bench_score.py --runs 7 --vs-env OPENCV_FOR_THREADS_NUM=1  # ours vs ours with a variable set
    .venv/bin/python benchmarks/bench_score.py --runs 5 --profile benchmarks/data/result_check.json --vs-tree ../wt_old
                                  # ours with the result check on vs another checkout's default
    .venv/bin/python benchmarks/bench_score.py --runs 5 --with-steps --profile benchmarks/data/end_state_check.json \
        --vs-tree ../wt_old       # ... with the gold's true steps file (the end-state check needs one)
    .venv/bin/python benchmarks/bench_score.py --runs 5 --with-steps --trainees 4 --vs-tree ../wt_old
                                  # one gold, four trainees in one command
    .venv/bin/python benchmarks/bench_score.py --runs 7 --with-steps --gold-cached --vs-tree ../wt_old
                                  # each command with its gold cached (embeddings, step changes)

Contenders, each run as a whole cold process on the same gold/trainee pair, alternately
(ours, ours-cached, re-impl, published, decode, ours, ...; ``--runs`` rounds per footage):

* ours       ``sopilot score GOLD TRAINEE --json --compact --no-cache`` (its ``timings`` are kept): cold,
             no embeddings cache read or written, both videos decoded;
* ours-cached  "ours, gold cached": ``sopilot score GOLD TRAINEE --json --compact --cache-dir D`` where D
             holds what the command keeps of the gold only: its embeddings (warmed once per footage
             by ``sopilot score GOLD GOLD --cache-dir D``, untimed) and its step changes (then
             ``sopilot score GOLD TRAINEE --cache-dir D``, untimed; scene/gold_store.py); the
             trainee's entry each run stores is removed after it, untimed, so the gold is read back
             and the trainee decoded: the many-trainees-one-gold case;
* re-impl    benchmarks/baseline_sopilot.py, our re-implementation of the published approach;
* published  benchmarks/published_peer.py: the real published package (github.com/maruyamakoju/sopilot,
             ``src/sopilot``), imported from ``--peer-src`` (never copied here); only with ``--peer-src``;
* decode     a reference, not a contender: one process grabbing every frame of both videos with
             OpenCV (``cv2.VideoCapture.grab`` loop), to express ingest vs decode-every-frame.

Footage: ``--footage`` takes SECONDSxHEIGHT items (default 30x480,30x720,120x480,120x720), H.264
30 fps, rendered once by benchmarks/long_videos.py (16:9: 854x480, 1280x720) and cached under
bench_out/long_videos/ (60x720 is the pair the older one-minute benchmark used); of the valve (a
fixed camera) unless ``--task 1``: the pump line, whose camera moves between stations (what the
moving camera's own scene evidence costs).

Per run: wall time and CPU utilisation = (user + sys CPU seconds of the child process and its
waited-for children, from ``getrusage(RUSAGE_CHILDREN)`` deltas) / wall. Per footage: median, min
and max wall per contender; published/ours and re-impl/ours as the median (min, max) of the
per-round ratios; CPU utilisation and CPU seconds (with the same per-round ratios: the load of
other jobs on a shared machine moves CPU seconds far less than wall time); ours /
decode-every-frame. One untimed warm-up run of each contender first (it also warms numba's
on-disk cache, as any installed copy would after its first use) and one untimed decode pass per
footage (page cache). Results:
bench_out/bench_score/results.json; a markdown table is printed. The comparisons
(``--scene-cost``, ``--vs-tree``, ``--vs-env``) append each pair's rounds to
bench_out/bench_score/compare.jsonl.

``--scene-cost`` runs ``sopilot score`` against ``sopilot score --no-scene`` instead, on the 60 s
720p pair (what keeping stills and comparing pictures costs per pair); ``--vs-tree DIR`` against
the same command of another checkout (a worktree of an earlier commit: what a change costs);
``--vs-env KEY=VALUE`` against the same command with one environment variable set (e.g.
OpenCV's thread pool size, ``OPENCV_FOR_THREADS_NUM``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from long_videos import gold_steps_file, one_minute_video  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "bench_out" / "bench_score"
BASELINE = ("import sys; sys.path.insert(0, %r); import baseline_sopilot as b; "
            "print(b.similarity(sys.argv[1], sys.argv[2]))" % str(HERE))
DECODE = ("import sys, cv2\n"
          "n = []\n"
          "for p in sys.argv[1:]:\n"
          "    cap = cv2.VideoCapture(p); k = 0\n"
          "    while cap.grab(): k += 1\n"
          "    cap.release(); n.append(k)\n"
          "print(n)\n")
WIDTH = {360: 640, 480: 854, 540: 960, 720: 1280, 1080: 1920}
DEFAULT_FOOTAGE = "30x480,30x720,120x480,120x720"
# A run of ours that dies on these is most likely the product tree being edited under us: retry.
TRANSIENT = ("ImportError", "ModuleNotFoundError", "TypeError", "SyntaxError", "AttributeError")


def run(cmd: list[str], retry: bool = False, env: dict | None = None, cwd: Path | None = None) -> dict:
    """One cold process: wall seconds, child CPU seconds, utilisation, stdout. ``cwd``: where it
    runs (``python -m`` puts that directory before PYTHONPATH on ``sys.path``)."""
    for attempt in range(4):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode == 0:
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            return {"wall": wall, "cpu": cpu, "util": cpu / wall, "stdout": p.stdout, "attempts": attempt + 1}
        tail = p.stderr[-2000:]
        if retry and attempt < 3 and any(t in tail for t in TRANSIENT):
            print(f"  run failed ({tail.strip().splitlines()[-1][:120]}); retrying in 60 s", file=sys.stderr)
            time.sleep(60)
            continue
        raise RuntimeError(f"{' '.join(cmd[:3])} ... exited {p.returncode}:\n{tail}")
    raise AssertionError("unreachable")


def video_info(path: Path) -> dict:
    import cv2
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cap.release()
    return {"path": str(path), "width": w, "height": h, "fps": fps, "frames": n,
            "seconds": round(n / fps, 2), "bytes": path.stat().st_size}


def footage_spec(spec: str) -> tuple[int, tuple[int, int], int]:
    """SECONDSxHEIGHT -> (seconds, (width, height), the gold's index for long_videos). It caches
    by index/role/height only: one index per length keeps lengths apart (60 s uses 0 for the
    gold and 1 for the trainee, the pair the older one-minute benchmark rendered)."""
    seconds, height = (int(x) for x in spec.lower().split("x"))
    return seconds, (WIDTH.get(height, (height * 16 // 9) // 2 * 2), height), 0 if seconds == 60 else seconds


def footage_pair(spec: str, task: int = 0) -> tuple[Path, Path]:
    """(gold, trainee) of demo task ``task`` (0: the valve, a fixed camera; 1: the pump line,
    a camera moving between stations), SECONDSxHEIGHT."""
    seconds, size, index = footage_spec(spec)
    gold = one_minute_video(index, "gold", size=size, seconds=float(seconds), task_index=task)
    trainee = one_minute_video(index + 1, "trainee", size=size, seconds=float(seconds), task_index=task)
    for v in (gold, trainee):
        got = video_info(v)["seconds"]
        if not 0.75 * seconds <= got <= 1.25 * seconds:  # trainees run at 0.85-1.15x the gold's pace
            raise SystemExit(f"{v} lasts {got} s, not about {seconds} s: stale cache? delete it")
    return gold, trainee


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):  # no lscpu: the report names no CPU model
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "")
    return {"nproc": os.cpu_count(), "cpu_model": model, "platform": platform.platform(),
            "python": platform.python_version()}


def stats(xs: list[float]) -> dict:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def scene_cost(a) -> int:
    """``sopilot score`` vs ``sopilot score --no-scene`` (``--scene-cost``), or vs the same
    command of another checkout (``--vs-tree DIR``: ``python -m sopilot_assets.cli`` with DIR first
    on PYTHONPATH, e.g. a worktree of an earlier commit), on the 60 s 720p pair (or each pair of
    an explicit ``--footage``), alternating."""
    specs = ["60x720"] if a.footage == DEFAULT_FOOTAGE else [s.strip() for s in a.footage.split(",") if s.strip()]
    for spec in specs:
        gold, trainee = footage_pair(spec, a.task)
        seconds, _, index = footage_spec(spec)
        steps = gold_steps_file(gold, index, float(seconds), a.task) if a.with_steps else None
        more = [extra_trainee(spec, k, a.task) for k in range(1, a.trainees)]
        compare_pair(a, gold, trainee, steps, more)
    return 0


def extra_trainee(spec: str, k: int, task: int = 0) -> Path:
    """The k-th further trainee (k >= 1) of the footage ``spec``'s gold (another performer,
    pace and look), for ``--trainees``."""
    seconds, size, index = footage_spec(spec)
    return one_minute_video(index + 1 + k, "trainee", size=size, seconds=float(seconds), task_index=task)


def compare_pair(a, gold: Path, trainee: Path, steps: Path | None = None, more: list[Path] = ()) -> None:
    args = ["score", str(gold), str(trainee), *map(str, more), "--json", "--compact", "--no-cache"] + \
        (["--steps", str(steps)] if steps else [])
    plain = [sys.executable, "-m", "sopilot_assets.cli", *args]
    ours = plain + (["--profile", str(a.profile.resolve())] if a.profile else [])
    here = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    # each command runs in its own tree: `python -m` puts the working directory first on
    # sys.path, before PYTHONPATH (run from this checkout, "another tree" would run this one)
    cwd_ours, cwd_base = HERE.parent, HERE.parent
    if a.vs_tree:
        base, label, cwd_base = plain, f"tree {a.vs_tree}", a.vs_tree.resolve()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(a.vs_tree.resolve()), os.environ.get("PYTHONPATH", "")])}
    elif a.vs_env:
        key, _, value = a.vs_env.partition("=")
        base, label, env = plain, a.vs_env, {**here, key: value}
    elif a.profile:
        base, label, env = plain, "no --profile", None
    else:
        base, label, env = ours + ["--no-scene"], "--no-scene", None
    gold_kept = {}
    if a.gold_cached:  # each command with a cache of its own holding what it keeps of the gold
        ours, base = (with_gold_cache(c, gold, OUT / "cache" / f"vs-{k}", gold_kept, e, w)
                      for c, k, e, w in ((ours, "ours", here, cwd_ours), (base, "base", env or here, cwd_base)))
    run(ours, retry=True, env=here, cwd=cwd_ours)
    run(base, retry=True, env=env or here, cwd=cwd_base)
    load_before = os.getloadavg()[0]
    t_ours, t_base, scores, same = [], [], {}, True
    for _ in range(a.runs):
        for d, stem in gold_kept.items():  # untimed: the trainees miss again, the gold hits
            keep_gold(d, stem)
        o = run(ours, retry=True, env=here, cwd=cwd_ours)
        b = run(base, retry=True, env=env or here, cwd=cwd_base)
        t_ours.append(o["wall"])
        t_base.append(b["wall"])
        do, db = json.loads(o["stdout"]), json.loads(b["stdout"])
        do, db = (x if isinstance(x, list) else [x] for x in (do, db))  # several trainees: a list
        scores = {"ours": [x["score"] for x in do], label: [x["score"] for x in db]}
        same = same and all(x.get(k) == y.get(k) for x, y in zip(do, db) for k in ("score", "verdict", "deviations"))
    ratios = [o / b for o, b in zip(t_ours, t_base)]
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "compare.jsonl", "a", encoding="utf-8") as f:  # every comparison kept, to check a figure
        f.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "against": label,
                            "gold": gold.name, "trainee": trainee.name, "more_trainees": [p.name for p in more], "gold_cached": bool(a.gold_cached),
                            "wall_ours": t_ours, "wall_base": t_base,
                            "ratios": ratios, "ratio_median": statistics.median(ratios), "same_results": same,
                            "load_before": load_before, "load_after": os.getloadavg()[0],
                            "machine": machine()}) + "\n")
    print(f"videos: {gold.name}, {trainee.name}; scores {scores}; score, verdict, deviations "
          f"{'the same' if same else 'DIFFER'} in every round")
    print(f"sopilot score   median {statistics.median(t_ours):6.2f} s  (min {min(t_ours):.2f}, max {max(t_ours):.2f})")
    print(f"{label:15s} median {statistics.median(t_base):6.2f} s  (min {min(t_base):.2f}, max {max(t_base):.2f})")
    print(f"ours / {label}, per pair: median {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}) over {a.runs} alternating rounds (the median of the "
          f"rounds' ratios, not the ratio of the medians; appended to {OUT / 'compare.jsonl'})")


def gold_only_cache(sopilot: list[str], gold: Path, d: Path, env: dict | None = None, cwd: Path | None = None) -> Path:
    """``d`` emptied, then holding the gold's embeddings only (``sopilot score GOLD GOLD
    --cache-dir d``, untimed; ``sopilot``: the command before ``score``); its entry's path.
    :func:`keep_gold` keeps it with whatever else of the gold a later run stores beside it."""
    shutil.rmtree(d, ignore_errors=True)
    run([*sopilot, "score", str(gold), str(gold), "--json", "--compact", "--cache-dir", str(d)],
        retry=True, env=env, cwd=cwd)
    entries = [q for q in d.rglob("*") if q.is_file() and ".scene-" not in q.name]
    if len(entries) != 1 or not entries[0].name.endswith(".npz"):
        raise SystemExit(f"warming {d} left {entries}, not one .npz entry")
    return entries[0]


def with_gold_cache(cmd: list[str], gold: Path, d: Path, kept: dict, env: dict, cwd: Path) -> list[str]:
    """``cmd`` (``python -m sopilot_assets.cli score ... --no-cache``) with ``--cache-dir d``
    instead, ``d`` holding the gold's embeddings only (:func:`gold_only_cache`; ``kept[d]``:
    its entry's name)."""
    kept[d] = gold_only_cache(cmd[:3], gold, d, env, cwd).stem
    return [x for x in cmd if x != "--no-cache"] + ["--cache-dir", str(d)]


def keep_gold(d: Path, stem: str) -> None:
    for q in d.rglob("*"):
        if q.is_file() and not q.name.startswith(stem):
            q.unlink()


def parse_output(name: str, stdout: str):
    if name in ("ours", "ours-cached"):
        d = json.loads(stdout)
        return {"score": d.get("score"), "verdict": d.get("verdict"), "timings": d.get("timings"),
                "cache": d.get("metrics", {}).get("embeddings_cache")}
    if name == "published":
        d = json.loads(stdout)
        return {"score": d["score"], "embedding_model": d.get("embedding_model"),
                "clip_count": d.get("clip_count"), "timings": d["_peer"]["timings"]}
    if name == "re-impl":
        return {"similarity": float(stdout.strip().splitlines()[-1])}
    return {"frames": stdout.strip()}


def fmt_wall(s: dict) -> str:
    return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"


def fmt_ratio(s: dict | None) -> str:
    return "-" if s is None else f"**{s['median']:.2f}x** ({s['min']:.2f}-{s['max']:.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed rounds per footage (default 3)")
    ap.add_argument("--scene-cost", action="store_true", help="compare with `sopilot score --no-scene`")
    ap.add_argument("--vs-tree", type=Path, help="compare with `sopilot score` of another checkout (60 s 720p pair, or each --footage given)")
    ap.add_argument("--vs-env", metavar="KEY=VALUE",
                    help="compare with `sopilot score` run with this environment variable set (60 s 720p pair)")
    ap.add_argument("--profile", type=Path, metavar="FILE",
                    help="compare `sopilot score --profile FILE` with `sopilot score` (of --vs-tree when given; "
                         "e.g. a profile with result_check on)")
    ap.add_argument("--with-steps", action="store_true",
                    help="comparisons only: both commands get the gold's true steps (--steps; written beside the "
                         "rendered gold by benchmarks/long_videos.py), e.g. for checks that run on a steps file's steps only")
    ap.add_argument("--trainees", type=int, default=1,
                    help="comparisons only: score this many trainees of the gold in one command (`sopilot "
                         "score GOLD T1 T2 ...`: what a gold scored against many trainees costs)")
    ap.add_argument("--gold-cached", action="store_true",
                    help="comparisons only: each command's gold is cached (--cache-dir of its own, warmed untimed; "
                         "the trainees' entries removed after each run, what it keeps of the gold left)")
    ap.add_argument("--peer-src", type=Path, help="the published repository's src/ folder (adds it as a contender)")
    ap.add_argument("--peer-commit", default="", help="the published commit --peer-src was exported from (recorded)")
    ap.add_argument("--footage", default=DEFAULT_FOOTAGE, help=f"SECONDSxHEIGHT,... (default {DEFAULT_FOOTAGE})")
    ap.add_argument("--task", type=int, default=0,
                    help="demo task of the footage: 0 the valve (fixed camera, default), 1 the pump line (moving camera)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up runs")
    ap.add_argument("--no-reimpl", action="store_true",
                    help="leave out the re-implementation (the published code is the peer; it only costs time)")
    ap.add_argument("--out", type=Path, default=OUT / "results.json")
    a = ap.parse_args()
    if a.vs_env and "=" not in a.vs_env:
        ap.error("--vs-env takes KEY=VALUE")
    if a.scene_cost or a.vs_tree or a.vs_env or a.profile:
        return scene_cost(a)

    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    sopilot = str(Path(sys.executable).with_name("sopilot"))
    specs = [s.strip() for s in a.footage.split(",") if s.strip()]
    pairs = {s: footage_pair(s, a.task) for s in specs}  # render everything before timing anything

    def warm_gold_cache(spec: str, gold: Path, trainee: Path) -> tuple[Path, Path]:
        """A fresh cache folder holding what `sopilot score` keeps of the gold only (its
        embeddings, and its step changes as a pair with ``trainee`` makes them); (folder, the
        gold's entry)."""
        d = OUT / "cache" / spec
        entry = gold_only_cache([sopilot], gold, d)
        run([sopilot, "score", str(gold), str(trainee), "--json", "--compact", "--cache-dir", str(d)], retry=True)
        keep_gold(d, entry.stem)
        return d, entry

    def contenders(gold: Path, trainee: Path, cache: Path) -> list[tuple[str, list[str], bool]]:
        c = [("ours", [sopilot, "score", str(gold), str(trainee), "--json", "--compact", "--no-cache"], True),
             ("ours-cached", [sopilot, "score", str(gold), str(trainee), "--json", "--compact",
                              "--cache-dir", str(cache)], True)]
        if not a.no_reimpl:
            c.append(("re-impl", [sys.executable, "-c", BASELINE, str(gold), str(trainee)], False))
        if a.peer_src:
            c.append(("published", [sys.executable, str(HERE / "published_peer.py"), "--src", str(a.peer_src),
                                    str(gold), str(trainee)], False))
        c.append(("decode", [sys.executable, "-c", DECODE, str(gold), str(trainee)], False))
        return c

    expect_cache = {"ours": {"gold": "off", "trainee": "off"}, "ours-cached": {"gold": "hit", "trainee": "miss"}}
    if not a.no_warmup:
        g, t = pairs[specs[0]]
        d, entry = warm_gold_cache(specs[0], g, t)
        for name, cmd, retry in contenders(g, t, d):
            run(cmd, retry=retry)
            keep_gold(d, entry.stem)

    results = []
    for spec in specs:
        gold, trainee = pairs[spec]
        cache_dir, gold_entry = warm_gold_cache(spec, gold, trainee)
        cs = contenders(gold, trainee, cache_dir)
        run(cs[-1][1])  # untimed decode pass: both files in the page cache
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in cs}
        for r in range(a.runs):
            for name, cmd, retry in cs:
                x = run(cmd, retry=retry)
                x["out"] = parse_output(name, x.pop("stdout"))
                if name == "ours-cached":
                    keep_gold(cache_dir, gold_entry.stem)  # untimed: the next round's trainee misses again
                if name in expect_cache and x["out"]["cache"] != expect_cache[name]:
                    raise SystemExit(f"{spec} {name}: embeddings cache {x['out']['cache']}, "
                                     f"expected {expect_cache[name]}")
                runs[name].append(x)
                print(f"{spec} round {r + 1}/{a.runs} {name:9s} {x['wall']:7.2f} s  util {x['util']:.2f}",
                      file=sys.stderr, flush=True)
        walls = {n: [x["wall"] for x in rs] for n, rs in runs.items()}
        row = {
            "footage": spec,
            "gold": video_info(gold), "trainee": video_info(trainee),
            "runs": runs,
            "wall": {n: stats(w) for n, w in walls.items()},
            "cpu_util": {n: stats([x["util"] for x in rs]) for n, rs in runs.items()},
            "cpu_sec": {n: stats([x["cpu"] for x in rs]) for n, rs in runs.items()},
            "cpu_ratio_reimpl_over_ours": (stats([x["cpu"] / o["cpu"] for o, x in zip(runs["ours"], runs["re-impl"])])
                                           if "re-impl" in runs else None),
            "cpu_ratio_published_over_ours": (stats([x["cpu"] / o["cpu"] for o, x in zip(runs["ours"], runs["published"])])
                                              if "published" in runs else None),
            "cpu_ratio_published_over_ours_cached": (
                stats([x["cpu"] / o["cpu"] for o, x in zip(runs["ours-cached"], runs["published"])])
                if "published" in runs else None),
            "ratio_published_over_ours_cached": (
                stats([p / o for o, p in zip(walls["ours-cached"], walls["published"])])
                if "published" in walls else None),
            "ratio_ours_over_ours_cached": stats([o / c for o, c in zip(walls["ours"], walls["ours-cached"])]),
            "ratio_reimpl_over_ours": (stats([b / o for o, b in zip(walls["ours"], walls["re-impl"])])
                                       if "re-impl" in walls else None),
            "ratio_published_over_ours": (stats([p / o for o, p in zip(walls["ours"], walls["published"])])
                                          if "published" in walls else None),
            "ratio_ours_over_decode": stats([o / d for o, d in zip(walls["ours"], walls["decode"])]),
            "ours_timings_median": {k: statistics.median(x["out"]["timings"][k] for x in runs["ours"])
                                    for k in runs["ours"][0]["out"]["timings"]},
            "ours_cached_timings_median": {k: statistics.median(x["out"]["timings"][k] for x in runs["ours-cached"])
                                           for k in runs["ours-cached"][0]["out"]["timings"]},
        }
        if "published" in runs:
            row["published_timings_median"] = {k: statistics.median(x["out"]["timings"][k] for x in runs["published"])
                                               for k in runs["published"][0]["out"]["timings"]}
        results.append(row)

    load_after = os.getloadavg()
    doc = {
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": machine(), "loadavg_before": load_before, "loadavg_after": load_after,
        "runs": a.runs, "peer_src": str(a.peer_src) if a.peer_src else None, "peer_commit": a.peer_commit or None,
        "footage": results,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=1))

    peer, reimpl = bool(a.peer_src), not a.no_reimpl
    print(f"\n{a.runs} alternating rounds per footage; wall s = median (min-max); ratios = median (min-max) of "
          f"per-round ratios; util = CPU s / wall s (median). Load avg before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}; {doc['machine']['nproc']} CPUs {doc['machine']['cpu_model']}.\n")
    hdr = ["footage", "ours s", "ours util", "ours gold cached s"]
    if peer:
        hdr += ["published s", "published util", "published / ours", "published / ours gold cached"]
    hdr += (["re-impl s", "re-impl / ours"] if reimpl else []) + ["decode-every-frame s", "ours / decode"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for row in results:
        w, u = row["wall"], row["cpu_util"]
        cells = [f"{row['footage'].replace('x', ' s ')}p", fmt_wall(w["ours"]), f"{u['ours']['median']:.2f}",
                 fmt_wall(w["ours-cached"])]
        if peer:
            cells += [fmt_wall(w["published"]), f"{u['published']['median']:.2f}",
                      fmt_ratio(row["ratio_published_over_ours"]), fmt_ratio(row["ratio_published_over_ours_cached"])]
        if reimpl:
            cells += [fmt_wall(w["re-impl"]), fmt_ratio(row["ratio_reimpl_over_ours"])]
        cells += [fmt_wall(w["decode"]), f"{row['ratio_ours_over_decode']['median']:.2f}x"]
        print("| " + " | ".join(cells) + " |")
    print("\nCPU seconds (user + sys) per pair, median (min-max); ratios = median of per-round ratios. The load of "
          "other jobs inflates wall time far more than CPU time.\n")
    hdr = ["footage", "ours CPU s", "ours gold cached CPU s"] + \
        (["published CPU s", "published / ours", "published / ours gold cached"] if peer else []) + \
        (["re-impl CPU s", "re-impl / ours"] if reimpl else []) + ["decode CPU s"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for row in results:
        c = row["cpu_sec"]
        cells = [f"{row['footage'].replace('x', ' s ')}p", fmt_wall(c["ours"]), fmt_wall(c["ours-cached"])]
        if peer:
            cells += [fmt_wall(c["published"]), fmt_ratio(row["cpu_ratio_published_over_ours"]),
                      fmt_ratio(row["cpu_ratio_published_over_ours_cached"])]
        if reimpl:
            cells += [fmt_wall(c["re-impl"]), fmt_ratio(row["cpu_ratio_reimpl_over_ours"])]
        cells += [fmt_wall(c["decode"])]
        print("| " + " | ".join(cells) + " |")
    print("\nWhere the time goes (medians, seconds, in-process):\n")
    for row in results:
        line = f"- {row['footage']}: ours " + ", ".join(f"{k} {v:.2f}" for k, v in row["ours_timings_median"].items())
        line += "; ours gold cached " + ", ".join(f"{k} {v:.2f}" for k, v in row["ours_cached_timings_median"].items())
        if peer:
            line += "; published " + ", ".join(f"{k} {v:.2f}" for k, v in row["published_timings_median"].items())
        o = row["runs"]["ours"][0]["out"]
        line += f"; scores: ours {o['score']} ({o['verdict']})"
        if peer:
            line += f", published {row['runs']['published'][0]['out']['score']:.2f}"
        if reimpl:
            line += f", re-impl similarity {row['runs']['re-impl'][0]['out']['similarity']:.3f}"
        print(line)
    print(f"\nresults: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
