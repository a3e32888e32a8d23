"""Probe (not part of the engine): how a moving camera sees each step's station, sample by sample.

    .venv/bin/python benchmarks/probe_station_view.py --out bench_out/acc3 --seeds 0,1 --dump DIR

Per pump-line video (the gold and every trainee), every DWELL_STEP s: the settled scene
matched against each gold step's station view (``stations.sighting``: the RANSAC inliers of a
similarity transform and where the station's centre lands in the view), and the camera's pan
path (``pan.pan_path``). Written as one JSON per video to DIR, for offline reading:
whether a stay can be told from a camera sweeping past by how long the station is in view and
how its position moves, rather than by the centre rule that fast performers miss.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk  # noqa: E402
from probe_station_mosaic import task_golds  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache  # noqa: E402
from sopilot_resources.scene.regions import windows  # noqa: E402
from sopilot_resources.scene.pan import pan_path  # noqa: E402
from sopilot_resources.scene.register import view  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402
from sopilot_resources.scene.stations import DWELL_STEP, sighting  # noqa: E402


def track(c: StillCache, refs) -> dict:
    """Every DWELL_STEP s of ``c``: each station's sighting, and the camera's pan path."""
    first, last = float(c.stills.times[0]), float(c.stills.times[-1])
    times = np.arange(first + DWELL_STEP / 2, last - DWELL_STEP / 2 + 1e-6, DWELL_STEP)
    views = [view(settled(c.window(t - DWELL_STEP, t + DWELL_STEP))) for t in times]
    return {"times": times.tolist(), "sightings": [[sighting(r, f, 8) for r in refs] for f in views],
            "path": pan_path(f.hp for f in views).tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--task", default="t02_pump_line")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--dump", required=True)
    a = ap.parse_args()
    dump = Path(a.dump)
    dump.mkdir(parents=True, exist_ok=True)
    emb = get_embedder("color-motion")
    for seed, root, manifest, steps, ge in task_golds(a.out, a.seeds, a.task, emb):
        spans = [(s.start_sec, s.end_sec) for s in steps]
        g = StillCache(ge.stills, side=COARSE_SIDE)
        end = float(ge.stills.times[-1])
        refs = [view(settled(g.window(*windows(spans, s, end)[1]))) for s in range(len(spans))]
        out = {"seed": seed, "video": "gold", "kind": "gold", "spans": spans, **track(g, refs)}
        (dump / f"{seed}_gold.json").write_text(json.dumps(out))
        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["task"] != a.task:
                continue
            te = embeddings_on_disk(root, v["path"], emb)
            t = StillCache(te.stills, size=g.size)
            out = {"seed": seed, "video": Path(v["path"]).name, "kind": v["kind"],
                   "defect": [[d.get("type"), d.get("gold_step")] for d in v.get("deviations", [])], **track(t, refs)}
            (dump / f"{seed}_{Path(v['path']).stem}.json").write_text(json.dumps(out))
            print(seed, Path(v["path"]).name, flush=True)


if __name__ == "__main__":
    main()
