"""Probe (not part of the engine; not adopted): a moving camera's stations seen from the
neighbouring stations, as one settled picture per station before and after its step.

    .venv/bin/python benchmarks/probe_station_mosaic.py --out bench_out/acc3 --seeds 0,1 [--pictures DIR]

A body-worn camera stands at one station while the performer's arm works there, so a step's
result is never seen settled from its own station (``probe_station_state.py``). Here every
still taken while the camera is at a neighbouring station or on its way (from the gold's
arrival at the station before, to its departure from the station after) is registered onto
the station's view (ORB features, a RANSAC similarity: shift, zoom, roll) and the per-pixel
median of those before the step, and of those after it, is the station's *before* and *after*
mosaic, the arm working elsewhere. For the trainee, the stills after its camera last left the
station (``station_dwell``).

Printed per trainee and gold step (``*``: the defect's step):
- ``undo``: agreement / size of the trainee's after-mosaic minus the gold's over the gold's
  change region (after minus before, two halves of the stills agreeing, lasting in both), as
  :mod:`sopilot_resources.scene.end_state` measures a fixed camera's end (undone: >= 0.7 / 0.75);
- ``diff``: the strongest difference blob near the station's centre between the two
  after-mosaics, in noise units (the difference's robust spread) x its area in px.

``--pictures DIR`` writes, per trainee and step, gold after | trainee after | difference.
docs/bench/accuracy.md, "Station mosaics" has what it showed on seeds 0 and 1.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accuracy import embeddings_on_disk, load_set  # noqa: E402
from sopilot_resources.embedders.registry import get_embedder  # noqa: E402
from sopilot_resources.scene.end_state import end_state  # noqa: E402
from sopilot_resources.scene.outcome import _robust_scale  # noqa: E402
from sopilot_resources.scene.pictures import COARSE_SIDE, StillCache, flatten_light, match_colours  # noqa: E402
from sopilot_resources.scene.regions import (BORDER, GoldChange, consistent_region, correlation, lasting,  # noqa: E402
                                             off_border, slack_distance, windows)
from sopilot_resources.scene.register import MIN_AGREEMENT, agreement_hp, matched_points, view  # noqa: E402
from sopilot_resources.scene.settle import settled  # noqa: E402
from sopilot_resources.scene.stations import dwell  # noqa: E402
from sopilot_resources.scoring.build_pair import build_evidence  # noqa: E402
from sopilot_resources.scoring.profile import Profile  # noqa: E402
from sopilot_resources.scoring.steps import find_sidecar, load_steps  # noqa: E402


def registered(c: StillCache, ref, idx, size) -> tuple[np.ndarray, list[np.ndarray]]:
    """(times, pictures) of the stills ``idx`` of ``c`` that register onto ``ref`` (a View)."""
    times, pics = [], []
    for i in idx:
        im = c.get(int(i))
        v = view(im)
        pts = matched_points(ref, v, 12)
        if pts is None:
            continue
        m, inl = cv2.estimateAffinePartial2D(*pts, method=cv2.RANSAC, ransacReprojThreshold=3.0)
        if m is None or inl.sum() < 12:
            continue
        h = np.vstack([m, [0, 0, 1]])
        if agreement_hp(ref.hp, v.hp, h) < MIN_AGREEMENT:
            continue
        out = cv2.warpPerspective(im, h, size, flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP, borderValue=(-1e4,) * 3)
        out[(out < -1).any(-1)] = np.nan
        times.append(float(c.stills.times[int(i)]))
        pics.append(out)
    return np.array(times), pics


def median(pics: list[np.ndarray]) -> np.ndarray | None:
    if len(pics) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an all-NaN pixel: seen in none
        return np.nanmedian(np.stack(pics), 0)


def gold_change(g, ref, s, spans, when, size):
    """(GoldChange or None, flattened gold after-mosaic, gold after-mosaic) of step s."""
    t, n = g.stills.times, len(spans)
    b_idx = np.flatnonzero((t < spans[s][0]) & (t >= (when[s - 1][0] if s > 0 else -1)))
    a_idx = np.flatnonzero((t > spans[s][1]) & (t <= (when[s + 1][1] if s + 1 < n else t[-1] + 1)))
    (tb, pb), (ta, pa) = registered(g, ref, b_idx, size), registered(g, ref, a_idx, size)
    after = median(pa)
    halves = [median(pb[k::2]) for k in (0, 1)] + [median(pa[k::2]) for k in (0, 1)]
    if after is None or median(pb) is None or any(h is None for h in halves):
        return None, None if after is None else flatten_light(after), after
    fb, fa = flatten_light(median(pb)), flatten_light(after)
    d1, d2 = (flatten_light(halves[2 + k]) - flatten_light(halves[k]) for k in (0, 1))
    line = (np.concatenate([tb, ta]), np.nan_to_num(np.stack([flatten_light(p) for p in pb + pa]), nan=1e3))
    keep, _ = lasting(fb, fa, spans[s], line)
    region = off_border(consistent_region(d1, d2) & keep)
    ok = region & np.isfinite(d1).all(-1) & np.isfinite(d2).all(-1)
    rel = correlation(d1[ok].ravel(), d2[ok].ravel()) if ok.sum() >= 6 else 0.0
    return (GoldChange(s, region, fa - fb, True, rel) if rel >= 0.7 else None), fa, after


def strongest(diff: np.ndarray, width: int) -> tuple[float, int]:
    """(strength, area) of the difference blob (> 4 noise units) near the centre with the
    largest strength x area."""
    cand = cv2.morphologyEx((diff > 4.0).astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    h = cand.shape[0]
    m = int(round(BORDER * h))
    n, labels, stats, cents = cv2.connectedComponentsWithStats(cand, connectivity=8)
    best = (0.0, 0)
    for j in range(1, n):
        x, y, bw, bh, area = stats[j]
        if area < 8 or y < m or y + bh > h - m or abs(cents[j][0] - width / 2) > 0.3 * width:
            continue
        st = float(np.median(diff[labels == j]))
        best = max(best, (st, int(area)), key=lambda b: b[0] * b[1])
    return best


def task_golds(out: str, seeds: str, task: str, emb):
    """Per seed of ``seeds`` ("0,1"): (seed, set folder, manifest, the gold's steps, the gold's
    embeddings) of demo task ``task``."""
    for seed in map(int, seeds.split(",")):
        root, manifest = load_set(out, seed, False)
        gv = next(v for v in manifest["videos"] if v["role"] == "gold" and v["task"] == task)
        yield seed, root, manifest, load_steps(find_sidecar(root / gv["path"])), embeddings_on_disk(root, gv["path"], emb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench_out/acc3")
    ap.add_argument("--task", default="t02_pump_line")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--pictures", default=None)
    a = ap.parse_args()
    emb = get_embedder("color-motion")
    for seed, root, manifest, steps, ge in task_golds(a.out, a.seeds, a.task, emb):
        spans = [(s.start_sec, s.end_sec) for s in steps]
        g = StillCache(ge.stills, side=COARSE_SIDE)
        end, size, n = float(ge.stills.times[-1]), g.size, len(spans)
        refs = [view(settled(g.window(*windows(spans, s, end)[1]))) for s in range(n)]
        at, times, _ = dwell(g, refs, spans, spans[0][0] - 1.0, lambda x: x, np.ones(n, bool))
        when = np.array([times[np.flatnonzero(r)[[0, -1]]] if r.any() else (np.nan, np.nan) for r in at])
        gold = [gold_change(g, refs[s], s, spans, when, size) for s in range(n - 1)]
        print(seed, "gold regions (px):", [None if c is None else int(c.region.sum()) for c, _, _ in gold], flush=True)
        for v in manifest["videos"]:
            if v["role"] != "trainee" or v["task"] != a.task or v["kind"] == "unrelated":
                continue
            te = embeddings_on_disk(root, v["path"], emb)
            pe, _ = build_evidence(ge, te, steps, Profile())
            t = StillCache(te.stills, size=size)
            sd = pe.scene.station_dwell(0.0) if pe.scene is not None else None
            defect = [d.get("gold_step") for d in v.get("deviations", [])]
            cells = []
            for s, (change, fa, after) in enumerate(gold):
                name = f"{s}{'*' if s in defect else ''}"
                if fa is None or sd is None or not np.isfinite(sd.when[s]).all():
                    cells.append(f"{name}:-")
                    continue
                hi = sd.when[s + 1][1] if np.isfinite(sd.when[s + 1][1]) else t.stills.times[-1] + 1
                tt = t.stills.times
                tr = median(registered(t, refs[s], np.flatnonzero((tt > sd.when[s][1] + 0.1) & (tt <= hi)), size)[1])
                if tr is None:
                    cells.append(f"{name}:-")
                    continue
                tr = match_colours(tr, after)
                ft = flatten_light(tr)
                es = None if change is None else end_state(change, fa, ft, "station")
                d = slack_distance(fa, ft)
                d = np.nan_to_num(d) / _robust_scale(d)
                st, area = strongest(d, size[0])
                undo = "undo -" if es is None else f"undo {es.agreement:.2f}/{es.size:.2f}"
                cells.append(f"{name}:{undo} diff {st:.1f}x{area}")
                if a.pictures:
                    row = np.concatenate([np.nan_to_num(after), np.nan_to_num(tr), np.stack([np.clip(d * 20, 0, 255)] * 3, -1)], 1)
                    out = Path(a.pictures) / f"seed{seed}_{Path(v['path']).stem}_step{s}.png"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(out), cv2.cvtColor(np.clip(row, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
            print(seed, v["kind"], Path(v["path"]).name, " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
