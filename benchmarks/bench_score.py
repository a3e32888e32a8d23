"""`sopilot score` end to end vs the published SOPilot approach, on two one-minute 720p videos.

    .venv/bin/python benchmarks/bench_score.py [--runs 5]
    .venv/bin/python benchmarks/bench_score.py --runs 5 --scene-cost   # ours vs ours --no-scene

Both are run as whole processes, alternately (A B A B ...), on the same pair of H.264
1280x720 30 fps videos; the report gives each one's median wall time and the median of the
per-pair ratios. ``--scene-cost`` runs ``sopilot score`` against ``sopilot score --no-scene``
instead (what keeping stills and comparing pictures costs per pair). The first (untimed) run of ours also warms numba's on-disk cache, as any
installed copy would after its first use.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from long_videos import one_minute_video  # noqa: E402

HERE = Path(__file__).resolve().parent
BASELINE = ("import sys; sys.path.insert(0, %r); import baseline_sopilot as b; "
            "print(b.similarity(sys.argv[1], sys.argv[2]))" % str(HERE))


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scene-cost", action="store_true", help="compare with `sopilot score --no-scene`")
    a = ap.parse_args()
    gold, trainee = one_minute_video(0, "gold"), one_minute_video(1, "trainee")
    ours = [str(Path(sys.executable).with_name("sopilot")), "score", str(gold), str(trainee), "--json", "--compact"]
    base = ours + ["--no-scene"] if a.scene_cost else [sys.executable, "-c", BASELINE, str(gold), str(trainee)]
    name = "--no-scene" if a.scene_cost else "baseline"
    timed(ours)
    timed(base)
    t_ours, t_base = [], []
    for _ in range(a.runs):
        t_ours.append(timed(ours))
        t_base.append(timed(base))
    ratios = [b / o for o, b in zip(t_ours, t_base)]
    print(f"videos: {gold.name}, {trainee.name}")
    print(f"sopilot score   median {statistics.median(t_ours):6.2f} s  (min {min(t_ours):.2f}, max {max(t_ours):.2f})")
    print(f"{name:15s} median {statistics.median(t_base):6.2f} s  (min {min(t_base):.2f}, max {max(t_base):.2f})")
    print(f"speed-up ({name} / ours, per pair): median {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
