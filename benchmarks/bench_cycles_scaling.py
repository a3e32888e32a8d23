"""Finding cycles in long recordings: time and memory against recording length (issue 16 item 5).

    .venv/bin/python benchmarks/bench_cycles_scaling.py --set bench_out/cycles/seed0-c10-14-r1 [--hours 0.5 1 2 4]

Takes a shift recording's clip embeddings from a ``bench_cycles.py`` set (cached there), repeats
them to each length, and times ``cycles.locate.locate_cycles`` with the default window and with
one window over the whole recording. Memory: the peak of NumPy allocations (``tracemalloc``)
during the call, beside the recording's own vectors (which ingest holds: 2 clips a second).
"""
from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np

from sopilot_resources.cycles.find import CycleParams
from sopilot_resources.cycles.locate import locate_cycles
from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.scoring.steps import load_steps


def tiled(emb: ClipEmbeddings, seconds: float) -> ClipEmbeddings:
    """emb repeated end to end until it lasts ``seconds``."""
    reps = int(np.ceil(seconds / float(emb.ends[-1])))
    span = float(emb.ends[-1]) + 0.5
    off = np.repeat(np.arange(reps) * span, len(emb))
    n = int(np.searchsorted(np.tile(emb.starts, reps) + off, seconds))
    return replace(emb, vectors=np.tile(emb.vectors, (reps, 1))[:n], starts=(np.tile(emb.starts, reps) + off)[:n],
                   ends=(np.tile(emb.ends, reps) + off)[:n], quality=np.tile(emb.quality, (reps, 1))[:n],
                   motion=np.tile(emb.motion, reps)[:n], stills=None)


def measure(gold, steps, rec, params) -> tuple[float, float, int]:
    tracemalloc.start()
    t0 = time.perf_counter()
    cycles = locate_cycles(gold, rec, steps, params)
    sec = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return sec, peak / 2**20, len(cycles)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", required=True)
    ap.add_argument("--hours", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    a = ap.parse_args()
    root = Path(a.set)
    man = json.loads((root / "shift_manifest.json").read_text())
    cache = next((root / ".emb_cache").iterdir())
    rec0 = man["recordings"][0]
    tm = man["tasks"][rec0["task"]]
    gold = ClipEmbeddings.load(cache / (tm["gold"].replace("/", "__") + ".npz"))
    steps = load_steps(root / Path(tm["gold"]).with_suffix(".steps.json"))
    base = ClipEmbeddings.load(cache / (rec0["path"].replace("/", "__") + ".npz"))
    locate_cycles(gold, base, steps)  # compile / load the kernel
    print("| hours | clips | vectors MiB | windowed s | windowed peak MiB | one window s | one window peak MiB | cycles |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for h in a.hours:
        rec = tiled(base, h * 3600)
        w_sec, w_mb, n = measure(gold, steps, rec, CycleParams())
        o_sec, o_mb, n2 = measure(gold, steps, rec, CycleParams(window=len(rec)))
        print(f"| {h:g} | {len(rec)} | {rec.vectors.nbytes / 2**20:.0f} | {w_sec:.1f} | {w_mb:.0f} | {o_sec:.1f} | {o_mb:.0f} | "
              f"{n}{'' if n == n2 else f' / {n2}'} |")


if __name__ == "__main__":
    main()
