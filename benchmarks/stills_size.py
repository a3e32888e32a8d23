"""How large the stills kept at ingest are, per video of a demo set (its cached embeddings).

    .venv/bin/python benchmarks/stills_size.py --out bench_out/acc3 --seed 0

Ingests what is not cached yet (as ``bench_accuracy`` does), then prints per task the stills'
size (px) and MB per video-minute (min / median / max), and the largest of the set.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_set_args, embeddings_on_disk, load_set  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    add_set_args(ap)
    a = ap.parse_args()
    root, manifest = load_set(a.out, a.seed, a.quick)
    emb = get_embedder("color-motion")
    per_task: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, set] = defaultdict(set)
    for v in manifest["videos"]:
        st = embeddings_on_disk(root, v["path"], emb).stills
        minutes = (float(st.times[-1]) + 0.5) / 60.0  # stills every 0.5 s: the last one covers its half second
        per_task[v["task"]].append(st.nbytes / 1e6 / minutes)
        sizes[v["task"]] |= {st.frame(i).shape[1::-1] for i in range(0, len(st), max(1, len(st) // 4))}
    for task, mb in sorted(per_task.items()):
        print(f"{task:14s} {len(mb):3d} videos, stills {sorted(sizes[task])} px, MB per minute "
              f"min {min(mb):.2f} median {statistics.median(mb):.2f} max {max(mb):.2f}")
    print(f"largest: {max(max(m) for m in per_task.values()):.2f} MB per video-minute")
    return 0


if __name__ == "__main__":
    sys.exit(main())
