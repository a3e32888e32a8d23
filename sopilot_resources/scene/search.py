"""Where in the trainee's video does a gold step's change happen, if anywhere?

The clips place a step only where its motion looks like the gold's; the pictures can find its
*result* wherever it was made. The trainee's settled scene is sampled every ``STATE_STEP`` s
and registered onto the gold's frame: the gold's end scene when the gold's camera is fixed (one
reference for every step), else the gold's scene at the moment the alignment pairs with it (a
camera that moves between stations; then only trainee moments paired with the neighbourhood of
the step are searched). For a step, every pair of sampled scenes 0.5-3 gold-step durations
apart is compared over the step's region: the pair whose change correlates best with the
gold's is where the trainee made it.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .match import compare_pairs
from .pictures import StillCache, flatten_light, scene_workers
from .pixel_ops import channels_finite, channels_sum
from .regions import MIN_REGION, GoldChange
from .register import Registration, register, same_view, view
from .settle import settled
from .track import register_samples, scaled

#: the trainee's scene is sampled every STATE_STEP s (settled over +-STATE_HALF s)
STATE_STEP, STATE_HALF = 1.0, 0.75
#: the gold's camera counts as fixed when its scenes agree with its last one this well unwarped
#: (fixed golds of seeds 0-17 and the 60 s valve: 0.64-0.96; moving ones: 0.17-0.51) ...
FIXED_AGREE = 0.6
#: ... or when registering one onto the other moves no corner more than this (px at 320 px)
FIXED_PX = 6.0
#: ... checked for the scenes this far into the gold (shares of its length) against its end
FIXED_AT = (0.0, 0.25, 0.5, 0.75)
#: with a moving camera, trainee moments paired with gold moments this far (s) outside a step
#: are not searched for it
NEAR_SEC = 2.0
#: a pair of scenes whose change over the region is under this share of the gold's is not a
#: match, however well it correlates (seed 0's valve: 0.76 at 0.05x, for a step done wrongly)
MIN_SIZE = 0.25
#: a region the trainee's camera frames less than this share of (the rest outside its view, in
#: every scene) is not searched; what it frames is judged as the whole region was
IN_VIEW = 0.25
#: a first step's region pixel is judged where the trainee's first scene is at most this
#: share as far from the gold's scene before the step as from the one after it
#: (:func:`before_work`): nearer the "after" look, or about as near both (the trainee's arm
#: there, or the bench looking much as the gold's arm's shadow did), it tells nothing
BEFORE_CLEAR = 0.5
#: when a change was made: the earliest later scene of a pair within WHEN_TOL of the best
#: agreement (the best pair alone may end seconds after the change)
WHEN_TOL = 0.05


@dataclass
class TraineeScenes:
    """times (K,): trainee seconds; flat: K flattened scenes in the gold's frame (None: not
    registered, or not made: not near any step searched); gold_times (K,): the gold moment
    each was registered onto (fixed camera: all NaN, any gold moment); regs: a fixed camera's
    K registrations onto the gold's end scene, at pictures of ``size`` (W, H) (None where not
    made; the list itself None for a moving camera), which a larger level reuses
    (:func:`.track.scaled`)."""

    times: np.ndarray
    flat: list[np.ndarray | None]
    gold_times: np.ndarray
    regs: list[Registration | None] | None = None
    size: tuple[int, int] | None = None


def gold_is_fixed(g: StillCache) -> bool:
    """The gold's scenes at its start and a quarter, half and three quarters in are each
    the view of its end scene: they agree unwarped (FIXED_AGREE), or registering one onto
    the other moves no corner of the picture more than FIXED_PX (a fixed camera over a work
    area whose many results make the scenes differ). A camera that moves between stations
    and comes back, or starts and ends at one (seeds 1, 7 and 11's pump line), is not fixed."""
    start, end = float(g.stills.times[0]), float(g.stills.times[-1])
    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        # the scenes settled beside each other, asked in order (the first that differs ends it)
        last = pool.submit(lambda: settled(g.window(end - 2.0, end)))
        scenes = [pool.submit(lambda t0: settled(g.window(t0, t0 + 2.0)), start + f * (end - start)) for f in FIXED_AT]
        for s in scenes:
            if not same_view(s.result(), last.result(), FIXED_AGREE, FIXED_PX):
                for rest in scenes:
                    rest.cancel()
                return False
    return True


def near_gold(gold_times: np.ndarray, span: tuple[float, float]) -> np.ndarray:
    """(K,) bool: the samples registered onto gold moments within NEAR_SEC of the gold step at
    ``span`` seconds, the ones searched for its change (a fixed camera, ``gold_times`` NaN: all)."""
    return np.isnan(gold_times) | ((gold_times >= span[0] - NEAR_SEC) & (gold_times <= span[1] + NEAR_SEC))


def trainee_scenes(t: StillCache, g: StillCache, fixed: bool, gold_end: np.ndarray,
                   to_gold: Callable[[float], float],
                   spans: list[tuple[float, float]] | None = None,
                   given: TraineeScenes | None = None) -> TraineeScenes:
    """The trainee's sampled, registered scenes (``to_gold``: trainee seconds -> the gold
    seconds the alignment pairs them with; ``gold_end``: the gold's settled end scene). The
    scenes are independent of each other, so they are made by :func:`scene_workers` threads
    (OpenCV and NumPy's array work runs outside the GIL); the result does not depend on it.
    ``spans``: the gold steps (start, end) s that will be searched: only the samples
    :func:`near_gold` one of them are made (the others' ``flat`` is None: :func:`change_anywhere`
    for those steps never reads them); None: every sample. A fixed camera's samples are near
    every step, registered onto its one reference by :func:`.track.register_samples`, or, when
    ``given`` (the same samples at another size, a fixed camera), with its warps scaled."""
    first, end = float(t.stills.times[0]), float(t.stills.times[-1])
    # from the first still (0 in a video; a cycle of a shift recording starts minutes in, and
    # sampling from second 0 made each cycle cost its start time)
    lo = first + STATE_HALF
    times = np.arange(lo, max(end - STATE_HALF, lo) + 1e-6, STATE_STEP)
    size = (gold_end.shape[1], gold_end.shape[0])
    gold_times = np.full(len(times), np.nan) if fixed else np.array([float(to_gold(x)) for x in times])
    wanted = np.ones(len(times), bool) if spans is None else np.zeros(len(times), bool)
    for sp in spans or []:
        wanted |= near_gold(gold_times, sp)

    def scene(j: int) -> np.ndarray:
        return settled(t.window(times[j] - STATE_HALF, times[j] + STATE_HALF))

    def flat(img: np.ndarray, reg: Registration | None) -> np.ndarray | None:
        return flatten_light(reg.apply(img, size)) if reg is not None and reg.ok else None

    if fixed:
        with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
            if (given is not None and given.regs is not None and len(given.regs) == len(times)
                    and all(r is not None for r, w in zip(given.regs, wanted) if w)):
                regs = [None if r is None else scaled(r, given.size, size) for r in given.regs]
                out = list(pool.map(lambda j: flat(scene(j), regs[j]) if wanted[j] else None, range(len(times))))
            else:  # registered here: every scene is kept until all are (anchors' warps are reused)
                scenes = list(pool.map(lambda j: scene(j) if wanted[j] else None, range(len(times))))
                regs = register_samples(view(gold_end), scenes)
                out = list(pool.map(lambda j: flat(scenes[j], regs[j]) if wanted[j] else None, range(len(times))))
        return TraineeScenes(times, out, gold_times, regs, size)
    # the gold's scene each is registered onto: one per window of gold stills (a slow trainee
    # maps many times to one); with no still in the window, the nearest one, which depends on gt
    keys = [tuple(g.stills.between(gt - STATE_HALF, gt + STATE_HALF)) or ("at", gt) for gt in gold_times]
    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        todo = {k: gt for k, gt, w in zip(keys, gold_times, wanted) if w}
        refs = dict(zip(todo, pool.map(lambda gt: view(settled(g.window(gt - STATE_HALF, gt + STATE_HALF))),
                                       todo.values())))

        def one(j: int) -> np.ndarray | None:
            img = scene(j)
            return flat(img, register(refs[keys[j]], img))

        out = list(pool.map(lambda j: one(j) if wanted[j] else None, range(len(times))))
    return TraineeScenes(times, out, gold_times)


def before_work(gc: GoldChange, first: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """(N,) bool: of a first step's region pixels (``ys``, ``xs``), those its change may be
    judged at: not where the trainee's first scene (``first``: fixed camera, registered,
    before any work) already looks as the gold does after the step. The video starts with the
    step, so its region was never checked to last: the gold performer's arm, resting there
    before the step and gone after it, is a "change" no trainee makes (seed 25's valve: 318
    px, most of them the arm and tool, around the body's few pixels; the trainee's arm rests
    elsewhere, and there its first scene shows the bench as the gold's does after the step).
    Pixels the trainee's first scene does not show (its own arm moving there) tell nothing
    either: kept, the trainee's arm leaving them later matched the gold's arm leaving (seed 47's
    fast valve trainee: its first step "made" after two later steps' results)."""
    before = gc.before[ys, xs]
    f = first[ys, xs]
    to_before = channels_sum(np.abs(f - before))
    to_after = channels_sum(np.abs(f - (before + gc.change[ys, xs])))
    return to_before < BEFORE_CLEAR * to_after  # NaN (not seen there): not kept


def change_anywhere(gc: GoldChange, span: tuple[float, float], scenes: TraineeScenes,
                    others: Sequence[GoldChange] = ()) -> tuple[float, float, float, float] | None:
    """Best match of gold change ``gc`` (of the gold step at ``span`` seconds) in the trainee:
    (agreement, magnitude, observed share of the region's pixels the trainee frames (a first
    step's: those :func:`before_work` keeps), trainee seconds by which it was made:
    the earliest later scene of a pair matching within WHEN_TOL of the best), among the pairs whose change is at least MIN_SIZE of the gold's (none does: agreement 0,
    with the largest size seen); None when no pair of registered scenes shows the region.
    ``others``: the neighbouring gold steps' changes: a pair whose change over this region is
    more like one of theirs (over the same pixels) is that step's work, not this one's (look-
    alike results close together: placing the valve body changes the seat the seal is then
    fitted around, and a trainee who skipped the seal matched it 0.71 at the body's placing).
    The comparison is pixel for pixel, so it means most for a fixed gold camera; with a moving
    one a neighbour may have worked at another station, where its change there is unrelated
    and only by chance beats a true match (the pump line's results did not move with it).
    All pairs are compared at once (:func:`.match.compare_pairs`), and chosen among as a loop
    over the later scene, then the earlier, would: the first of equals."""
    duration = max(span[1] - span[0], STATE_STEP)
    near = near_gold(scenes.gold_times, span)
    have = [k for k, (f, n) in enumerate(zip(scenes.flat, near)) if f is not None and n]
    if len(have) < 2:
        return None
    ys, xs = np.nonzero(gc.region)  # the region's pixels only: (N, 3) per scene
    if gc.before is not None and np.isnan(scenes.gold_times).all():
        keep = before_work(gc, scenes.flat[have[0]], ys, xs)
        ys, xs = ys[keep], xs[keep]
    px = np.stack([scenes.flat[k][ys, xs] for k in have])
    # the region's pixels the trainee's camera frames at all (some scene shows them): the
    # rest is outside its view, not hidden by the performer, and judges nothing
    framed = int(channels_finite(px).any(0).sum())
    if framed < max(MIN_REGION, IN_VIEW * len(ys)):
        return None
    pairs = compare_pairs(px, gc.change[ys, xs], [o.change[ys, xs] for o in others])
    times = scenes.times[have]
    gap = times[None, :] - times[:, None]  # [i, j]: from scene i to scene j
    ok = (np.triu(np.ones(gap.shape, bool), 1) & (0.5 * duration <= gap) & (gap <= 3.0 * duration + STATE_STEP)
          & (pairs.seen >= max(MIN_REGION, 0.5 * framed))
          & ~pairs.vetoed)  # a neighbouring step's change, seen over this region
    j, i = np.nonzero(ok.T)  # the pairs in order of j, then i (argmax: the first of equals)
    agree, size, seen, when = pairs.agree[i, j], pairs.size[i, j], pairs.seen[i, j] / framed, times[j]
    strong = np.flatnonzero(size >= MIN_SIZE)  # below: a faint flicker that happens to correlate
    if not len(strong):
        if not len(j):
            return None
        f = int(np.argmax(size))  # the region was seen, and never changed that much
        return 0.0, float(size[f]), float(seen[f]), float(when[f])
    b = strong[np.argmax(agree[strong])]
    # when: the first later scene that already shows the change (about) as well
    return (float(agree[b]), float(size[b]), float(seen[b]),
            float(when[strong][agree[strong] >= agree[b] - WHEN_TOL].min()))
