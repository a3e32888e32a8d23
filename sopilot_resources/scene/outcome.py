"""What the whole performance left behind: the work area at the end, gold vs trainee.

A step's result is often hidden while the performer keeps working on the same spot, but what
the procedure leaves behind is there at the end. Both videos' settled scenes at the start and
at the end are registered onto the gold's and compared; a *lasting difference* is a region
where the two end scenes differ clearly more than the two start scenes did there (clutter that
was different from the first frame cancels out), judged against this pair's own noise (the
spread of the start-scene difference over the whole picture).

Each lasting difference says where (its region), how clear (``strength``: its median lasting
difference in noise units), and whether the gold changed there during its video (a result the
trainee did not reproduce) or only the trainee did (work the gold never does). When it
happened is read from each video's own timeline of that region (:func:`change_time`).
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from .regions import BORDER, slack_distance
from .pictures import StillCache, flatten_light, match_colours, region_box, scene_workers
from .pixel_ops import channels_sum
from .register import Registration, crop_warp, register
from .settle import settled

#: seconds of settled scene taken at the start and at the end
EDGE_SEC = 2.5
#: a lasting difference: lasting difference above LASTING_K noise units, at least MIN_AREA
#: px (320 px wide pictures), away from the picture border (where the performer's body enters)
LASTING_K, MIN_AREA = 4.0, 12
#: a region "changed" in a video when its start-to-end difference is above this many units of
#: that video's own start-to-end noise
CHANGED_K = 3.0
#: when a region changed is read from every TIME_STRIDE-th still (2 stills a second kept: 1 s)
TIME_STRIDE = 2


@dataclass
class LastingDifference:
    """box: (x0, y0, x1, y1) still pixels; area px; strength: median lasting difference / noise over the region;
    gold_changed / trainee_changed: share of the region each video changed from start to end;
    gold_time / trainee_time: (earliest, latest) seconds between which the region took its end
    look in each video (None: not found); gold_seen / trainee_seen: (T,) bool, the stills in
    which the region was visible; mask: (H, W) bool."""

    box: tuple[int, int, int, int]
    area: int
    strength: float
    gold_changed: float
    trainee_changed: float
    gold_time: tuple[float, float] | None = None
    trainee_time: tuple[float, float] | None = None
    gold_seen: np.ndarray | None = field(default=None, repr=False)
    trainee_seen: np.ndarray | None = field(default=None, repr=False)
    mask: np.ndarray | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """"result" where the gold changed the region (the trainee's result differs or is
        missing), "foreign" where only the trainee changed it."""
        return "result" if self.gold_changed >= 0.3 else "foreign"

    def to_dict(self) -> dict:
        return {"box": list(self.box), "area_px": self.area, "strength": round(self.strength, 2),
                "kind": self.kind, "gold_changed": round(self.gold_changed, 2),
                "trainee_changed": round(self.trainee_changed, 2),
                "gold_time": None if self.gold_time is None else [round(x, 2) for x in self.gold_time],
                "trainee_time": None if self.trainee_time is None else [round(x, 2) for x in self.trainee_time]}


@dataclass
class Outcome:
    """differences: the lasting differences, clearest first; registered: the end scenes could
    be mapped onto each other; noise: the pair's noise unit; pictures: gold/trainee end scenes
    (H, W, 3) for figures; shape: (H, W) of the pictures compared; ends: the gold's and the
    trainee's end scenes as compared (flattened, the trainee's registered onto the gold's and
    its colours matched; :mod:`.end_state` reads a step's result there); warp: the trainee end
    scene's registration onto the gold's (a larger level scales it)."""

    differences: list[LastingDifference]
    registered: bool
    noise: float = 0.0
    pictures: dict = field(default_factory=dict, repr=False)
    shape: tuple[int, int] | None = None
    ends: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    warp: Registration | None = field(default=None, repr=False)


def _scenes(c: StillCache, end: float, pool: ThreadPoolExecutor) -> tuple[Future, Future]:
    """The settled scenes at the start and at the end of ``c``'s video, made in ``pool``."""
    start = float(c.stills.times[0])  # 0 for a video; a cycle of a shift recording starts later
    return (pool.submit(lambda: settled(c.window(start, start + EDGE_SEC))),
            pool.submit(lambda: settled(c.window(end - EDGE_SEC, end))))


def _robust_scale(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 1.0
    med = float(np.median(x))
    return max(med + 1.4826 * float(np.median(np.abs(x - med))), 1.0)


def change_times(c: StillCache, masks: list[np.ndarray], start: np.ndarray, end: np.ndarray,
                 warp=None, size=None) -> list[tuple[float, float, np.ndarray] | None]:
    """When each region of ``masks`` took its end look in video ``c`` (flattened pictures in the
    gold's frame; ``warp``: this video's registration, None for the gold). Per region
    (earliest, latest, seen): the change happened between the last still in which the region
    is seen closer to ``start`` than to ``end`` and the first one after it seen closer to
    ``end``; ``seen`` (T,) bool says in which stills the region was visible (the performer
    hides it while working on it). None when it is never seen. Each still is decoded once."""
    if not masks:
        return []
    times = c.stills.times
    box = region_box(masks, start.shape[:2])
    x0, y0, x1, y1 = box
    end_c, start_c = end[y0:y1, x0:x1], start[y0:y1, x0:x1]
    crops = [m[y0:y1, x0:x1] for m in masks]
    closer = np.full((len(masks), len(times)), np.nan)

    def one(i: int) -> None:  # each still writes its own column of ``closer``
        f = flatten_light(crop_warp(warp, c.get(i), box))
        da, db = channels_sum(np.abs(f - end_c)), channels_sum(np.abs(f - start_c))
        for k, m in enumerate(crops):
            a, b = da[m], db[m]
            ok = np.isfinite(a) & np.isfinite(b)
            # the performer over the region: it looks like neither the start nor the end
            near = np.minimum(a[ok], b[ok]) < 0.5 * np.abs(a[ok] - b[ok]) + 1e-3 if ok.any() else ok[ok]
            if ok.sum() >= 0.3 * m.sum() and near.mean() >= 0.5:
                closer[k, i] = float(np.mean(a[ok] < b[ok]))

    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        list(pool.map(one, range(0, len(times), TIME_STRIDE)))
    out = []
    for v in closer:
        seen = np.isfinite(v)
        if not seen.any():
            out.append(None)
            continue
        before = np.flatnonzero(seen & (v < 0.5))
        lo = int(before[-1]) if before.size else 0
        after = np.flatnonzero(seen & (v >= 0.5) & (np.arange(len(v)) > lo))
        hi = int(after[0]) if after.size else len(v) - 1
        out.append((float(times[lo]), float(times[hi]), seen))
    return out


def outcome(g: StillCache, t: StillCache, min_strength: float = LASTING_K, keep_pictures: bool = False) -> Outcome:
    """The lasting differences between what the gold and the trainee left behind, at least
    ``min_strength`` noise units clear (when each happened is looked up only for those)."""
    g_end, t_end = float(g.stills.times[-1]), float(t.stills.times[-1])
    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:  # independent parts
        scenes = [_scenes(c, e, pool) for c, e in ((g, g_end), (t, t_end))]  # all four asked first
        (gi, gf), (ti, tf) = ([f.result() for f in pair] for pair in scenes)
        size = (gf.shape[1], gf.shape[0])
        reg_f, reg_i = (f.result() for f in [pool.submit(register, gf, tf), pool.submit(register, gi, ti)])
        if not reg_f.ok:
            return Outcome([], False)
        if not reg_i.ok:
            reg_i = reg_f
        wf, wi = pool.map(lambda r, x, ref: match_colours(r.apply(x, size), ref), (reg_f, reg_i), (tf, ti), (gf, gi))
        fgi, fgf, fti, ftf = pool.map(flatten_light, (gi, gf, wi, wf))
    d_end, d_start = slack_distance(fgf, ftf), slack_distance(fgi, fti)
    noise = _robust_scale(d_start)
    lasting = np.nan_to_num(d_end - d_start) / noise
    cand = (lasting > LASTING_K).astype(np.uint8)
    cand = cv2.morphologyEx(cand, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    cand = cv2.dilate(cand, np.ones((3, 3), np.uint8))
    h, w = cand.shape
    m = int(round(BORDER * h))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    # each video's own change, in units of that video's own start-to-end noise
    gold_change, trainee_change = (slack_distance(a, b) for a, b in ((fgi, fgf), (fti, ftf)))
    gold_change, trainee_change = gold_change / _robust_scale(gold_change), trainee_change / _robust_scale(trainee_change)
    out = []
    for k in range(1, n):
        x, y, bw, bh, area = stats[k]
        if area < MIN_AREA or x < m or y < m or x + bw > w - m or y + bh > h - m:
            continue
        mask = labels == k
        out.append(LastingDifference(
            (int(x), int(y), int(x + bw), int(y + bh)), int(area), float(np.median(lasting[mask])),
            float(np.mean(np.nan_to_num(gold_change[mask]) > CHANGED_K)),
            float(np.mean(np.nan_to_num(trainee_change[mask]) > CHANGED_K)), mask=mask))
    out = [d for d in out if d.strength >= min_strength]
    gold_side = [d for d in out if d.gold_changed >= 0.3]
    for d, when in zip(gold_side, change_times(g, [d.mask for d in gold_side], fgi, fgf)):
        if when is not None:
            d.gold_time, d.gold_seen = when[:2], when[2]
    tr_side = [d for d in out if d.trainee_changed >= 0.3]
    for d, when in zip(tr_side, change_times(t, [d.mask for d in tr_side], fti, ftf, reg_f, size)):
        if when is not None:
            d.trainee_time, d.trainee_seen = when[:2], when[2]
    out.sort(key=lambda d: -d.strength * d.area)
    pics = {"gold_end": gf, "trainee_end": wf} if keep_pictures else {}
    return Outcome(out, True, noise, pics, gf.shape[:2], (fgf, ftf), reg_f)
