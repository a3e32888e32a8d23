"""Probe (not part of the engine): can the gold's step boundaries be found from what each step
leaves behind, where its clips show weak boundaries? docs/bench/accuracy.md, "Stop 39".

    .venv/bin/python benchmarks/probe_gold_state_bounds.py --out bench_out/acc3 --seeds 0,1,3,5,19,21,23 [-v]

For each fixed-camera gold (the pump line's camera moves: left out), the settled scene (the
performer removed, :func:`scene.settle.settled`, lighting flattened) around every still at
160 px; at each still, the pixels that changed from 1 s before to 1 s after it by 6 times the
video's typical still-to-still change and that *last* (at least 0.6 of the later scenes
closer to the after look, 0.6 of the earlier ones to the before look): a step's result
appearing. The share of such pixels is a curve whose peaks (2 s apart, 0.15 of its highest)
are candidate step ends, compared with the step files' boundaries within 1 s (alone, and
added to the clips' boundaries from ``detect_steps`` where none is within 1.5 s).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import add_seeds_args, boundary_hits, embeddings_on_disk, seed_sets  # noqa: E402

from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.pictures import StillCache, flatten_light  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402
from sopilot_resources.scoring.peaks import find_peaks  # noqa: E402
from sopilot_resources.scoring.steps import detect_steps, find_sidecar, load_steps  # noqa: E402

GAP, CHANGE_K, LASTS = 2, 6.0, 0.6


def lasting_curve(stills) -> tuple[np.ndarray, np.ndarray]:
    """(times (K,), share of the picture that changed and lasts at each still (K,))."""
    c = StillCache(stills, side=160)
    t = stills.times
    scenes = np.stack([flatten_light(settled(c.window(ti - 0.75, ti + 0.75))) for ti in t])
    noise = float(np.nanmedian(np.nansum(np.abs(np.diff(scenes, axis=0)), -1)))
    out = np.zeros(len(t))
    for i in range(GAP, len(t) - GAP):
        before, after = scenes[i - GAP], scenes[i + GAP]
        changed = np.abs(after - before).sum(-1) > CHANGE_K * noise
        if not changed.any():
            continue
        later, earlier = scenes[i + GAP:], scenes[:i - GAP + 1]
        stays = (np.abs(later - after).sum(-1) < np.abs(later - before).sum(-1)).mean(0) >= LASTS
        was = (np.abs(earlier - before).sum(-1) < np.abs(earlier - after).sum(-1)).mean(0) >= LASTS
        out[i] = float((changed & stays & was).mean())
    return t, out


def main() -> int:
    ap = argparse.ArgumentParser()
    add_seeds_args(ap)
    ap.add_argument("-v", action="store_true", help="every gold's boundaries")
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    tally = {k: np.zeros(3, int) for k in ("clips", "pictures", "both")}
    for seed, root, manifest in seed_sets(a):
        for g in (v for v in manifest["videos"] if v["role"] == "gold" and not v["task"].startswith("t02")):
            e = embeddings_on_disk(root, g["path"], emb)
            truth = load_steps(find_sidecar(root / g["path"]))
            clips = [s.end_sec for s in detect_steps(e.vectors, e.starts, e.ends)[:-1]]
            t, c = lasting_curve(e.stills)
            peaks = find_peaks(c, distance=4, prominence=max(1e-4, 0.15 * float(c.max()))) if c.max() > 0 else []
            pics = [float(t[p]) for p in peaks if 2.0 <= t[p] <= t[-1] - 2.0]
            both = clips + [x for x in pics if all(abs(x - y) > 1.5 for y in clips)]
            for name, ends in (("clips", clips), ("pictures", pics), ("both", both)):
                tally[name] += boundary_hits(ends, truth)
            if a.v:
                print(f"seed {seed} {g['task']}: true {[round((x.end_sec + y.start_sec) / 2, 1) for x, y in zip(truth, truth[1:])]}"
                      f" clips {clips} pictures {[round(x, 1) for x in pics]}")
    for name, (hit, n_true, n_det) in tally.items():
        print(f"{name}: recall {hit / max(1, n_true):.3f} precision {hit / max(1, n_det):.3f} "
              f"({hit} of {n_true} true, {n_det} found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
