"""Issue 13 item 2: PyAV (FFmpeg threads, ``skip_frame=NONREF``) against the product's OpenCV
sampler (grab every frame, retrieve the kept ones), on speed and on scores.

    pip install -e '.[bench]'      # PyAV
    .venv/bin/python benchmarks/bench_decode_pyav.py --set bench_out/acc3/seed1-v2 \\
        --long bench_out/long_videos/t01_valve_gold_120_720p.mp4 --rounds 3

Speed: each decoder samples ``--long`` (4 frames a second, as ingest does) ``--rounds`` times,
alternating; min and median wall seconds, and OpenCV grabbing every frame as the
decode-everything yardstick. Scores: every H.264 video of ``--set`` sampled by each decoder
(the same frames? pixel difference), ingested by each, and every H.264 trainee scored against
its task's gold (ingested by the same decoder): pairs whose score, verdict and deviations are
identical.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pyav_sampler import iter_sampled_frames_av  # noqa: E402

import sopilot_resources.video.reader as reader  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.ingest import ingest_video  # noqa: E402
from sopilot_resources.scoring.engine import score_embeddings  # noqa: E402
from sopilot_resources.scoring.steps import load_steps  # noqa: E402
from sopilot_resources.video import probe  # noqa: E402
from sopilot_resources.video.sampler import iter_sampled_frames  # noqa: E402

DECODERS = {
    "opencv (product)": iter_sampled_frames,
    "pyav, every frame": lambda p, **kw: iter_sampled_frames_av(p, skip_nonref=False, **kw),
    "pyav, NONREF skipped": iter_sampled_frames_av,
}


def grab_all(path: Path) -> int:
    cap, n = cv2.VideoCapture(str(path)), 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def speed(path: Path, rounds: int) -> dict:
    runs: dict[str, list[float]] = {k: [] for k in ["opencv, grab every frame", *DECODERS]}
    info = probe(path)
    for _ in range(rounds):
        for name in runs:
            t = time.perf_counter()
            grab_all(path) if name.startswith("opencv, grab") else sum(1 for _ in DECODERS[name](path, info=info))
            runs[name].append(time.perf_counter() - t)
    return {k: {"min": min(v), "median": statistics.median(v)} for k, v in runs.items()}


def scores(root: Path) -> dict:
    man = json.loads((root / "manifest.json").read_text())
    vids = [p for task in man["tasks"] for p in sorted((root / task).rglob("*.mp4"))
            if probe(p).codec.lower() in ("avc1", "h264")]
    frames = []
    for p in vids:
        a, b = list(iter_sampled_frames(p)), list(iter_sampled_frames_av(p))
        moved = sum(abs(x.time - y.time) > 1e-6 for x, y in zip(a, b))
        diff = float(np.mean([np.abs(x.rgb.astype(np.int16) - y.rgb).mean() for x, y in zip(a, b)]))
        frames.append({"video": str(p.relative_to(root)), "samples": [len(a), len(b)], "moved": moved, "pixel_diff": diff})
    emb, out = get_embedder("color-motion"), {}
    for name, fn in (("opencv", iter_sampled_frames), ("pyav", iter_sampled_frames_av)):
        reader.iter_sampled_frames = fn  # the ingest path's sampler, for this comparison only
        for task, t in man["tasks"].items():
            gold = ingest_video(root / t["gold"], emb)
            steps = load_steps(root / t["steps_file"])
            for p in vids:
                if p.parent.name == "trainee" and p.parent.parent.name == task:
                    r = score_embeddings(gold, ingest_video(p, emb), steps)
                    out.setdefault(str(p.relative_to(root)), {})[name] = [
                        r.score, r.verdict, sorted([d.type, d.gold_step] for d in r.deviations)]
    reader.iter_sampled_frames = iter_sampled_frames
    same = sum(v["opencv"] == v["pyav"] for v in out.values())
    return {"frames": frames, "pairs": out, "identical": same, "n_pairs": len(out)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, required=True, help="a demo set (bench_accuracy.py --out ... --seed N)")
    ap.add_argument("--long", type=Path, required=True, help="a long H.264 video for the speed runs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench_out/decode_pyav.json"))
    a = ap.parse_args()
    sp = speed(a.long, a.rounds)
    for k, v in sp.items():
        print(f"{k:26s} min {v['min']:6.2f} s  median {v['median']:6.2f} s")
    sc = scores(a.set)
    for f in sc["frames"]:
        print(f"{f['video']}: samples {f['samples'][0]} / {f['samples'][1]}, {f['moved']} moved, "
              f"mean pixel difference {f['pixel_diff']:.2f}")
    print(f"pairs identical (score, verdict, deviations): {sc['identical']} of {sc['n_pairs']}")
    for k, v in sc["pairs"].items():
        if v["opencv"] != v["pyav"]:
            print(f"  {k}: {v['opencv'][:2]} -> {v['pyav'][:2]}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"speed": sp, **sc}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
