"""The scene search's pair comparison (:mod:`sopilot_resources.scene.match`, all pairs at once)
and the lasting check's count (:func:`~sopilot_resources.scene.lasting.closer`, numba) give
what the plain loops they replace give: on small synthetic arrays with unseen pixels, a
neighbour's look-alike change, faint changes and ties."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from sopilot_resources.scene.lasting import BACK, PERSIST, PERSIST_MIN, lasting
from sopilot_resources.scene.regions import MIN_REGION, REGION_FLOOR, GoldChange, correlation
from sopilot_resources.scene.search import IN_VIEW, MIN_SIZE, STATE_STEP, WHEN_TOL, TraineeScenes, change_anywhere, near_gold

sys.path.insert(0, str(Path(__file__).resolve().parent))


def loop_change_anywhere(gc, span, scenes, others=()):
    """The search as a loop over the pairs, one at a time (how it was written before)."""
    duration = max(span[1] - span[0], STATE_STEP)
    near = near_gold(scenes.gold_times, span)
    ys, xs = np.nonzero(gc.region)
    change = gc.change[ys, xs]
    theirs = [o.change[ys, xs] for o in others]
    px = [None if f is None or not n else f[ys, xs] for f, n in zip(scenes.flat, near)]
    shown = [np.isfinite(p).all(-1) for p in px if p is not None]
    if len(shown) < 2:
        return None
    framed = int(np.logical_or.reduce(shown).sum())  # the region's pixels the trainee's camera frames
    if framed < max(MIN_REGION, IN_VIEW * len(ys)):
        return None

    def neighbour(o, seen, b):
        o = o[seen]
        if not np.isfinite(o).all() or np.abs(o).sum(-1).mean() < REGION_FLOOR:
            return -1.0
        return correlation(o.ravel(), b)

    best = faint = None
    cands = []
    for j in range(len(scenes.times)):
        for i in range(j):
            gap = scenes.times[j] - scenes.times[i]
            if px[j] is None or px[i] is None or not (0.5 * duration <= gap <= 3.0 * duration + STATE_STEP):
                continue
            dt = px[j] - px[i]
            seen = np.isfinite(dt).all(-1) & np.isfinite(change).all(-1)
            if seen.sum() < max(MIN_REGION, 0.5 * framed):
                continue
            a, b = change[seen].ravel(), dt[seen].ravel()
            cand = (correlation(a, b), float(np.linalg.norm(b) / (np.linalg.norm(a) + 1e-6)),
                    float(seen.sum() / framed), float(scenes.times[j]))
            if any(neighbour(o, seen, b) > cand[0] for o in theirs):
                continue
            if cand[1] < MIN_SIZE:
                faint = cand if faint is None or cand[1] > faint[1] else faint
                continue
            cands.append(cand)
            if best is None or cand[0] > best[0]:
                best = cand
    if best is None and faint is not None:
        return (0.0, *faint[1:])
    if best is not None:
        best = (*best[:3], min(c[3] for c in cands if c[0] >= best[0] - WHEN_TOL))
    return best


def _same(got, want):
    assert (got is None) == (want is None), (got, want)
    if want is not None:
        assert got[3] == want[3], (got, want)  # the same moment, exactly
        np.testing.assert_allclose(got[:3], want[:3], rtol=1e-5, atol=1e-6)


H, W = 12, 16


def _case(seed: int):
    """A region, the gold's change there, K trainee scenes at 1 s (some making a change like
    it, some not registered, some with unseen pixels: whole or one channel) and neighbours'
    changes (one alike, one partly unknown, one under the noise floor)."""
    rng = np.random.default_rng(seed)
    region = np.zeros((H, W), bool)
    region[2:10, 3:3 + int(rng.integers(3, 12))] = True
    change = rng.normal(0, 30, (H, W, 3)).astype(np.float32)
    if seed % 3 == 0:
        change[rng.random((H, W)) < 0.1] = np.nan
    k = int(rng.integers(6, 14))
    base = rng.normal(0, 20, (H, W, 3)).astype(np.float32)
    made = int(rng.integers(1, k))
    amount = rng.choice([0.1, 0.6, 1.0])  # faint, or done
    flat = []
    for t in range(k):
        img = base + (amount * change if t >= made else 0) + rng.normal(0, 3, base.shape).astype(np.float32)
        img[rng.random((H, W)) < rng.choice([0.0, 0.05, 0.3])] = np.nan
        img[rng.random((H, W)) < 0.02, int(rng.integers(3))] = np.nan  # one channel only
        flat.append(None if rng.random() < 0.15 else img.astype(np.float32))
    alike = GoldChange(0, region, (change + rng.normal(0, 25, change.shape)).astype(np.float32))
    unknown = GoldChange(2, region, np.where(rng.random((H, W, 1)) < 0.05, np.nan, change).astype(np.float32))
    faint = GoldChange(3, region, (0.1 * change).astype(np.float32))
    gold_times = np.full(k, np.nan) if seed % 2 else np.linspace(0, 20, k)  # fixed camera, or moving
    scenes = TraineeScenes(np.arange(k, dtype=float) + 0.75, flat, gold_times)
    return GoldChange(1, region, change), scenes, [alike, unknown, faint]


@pytest.mark.parametrize("seed", range(40))
def test_all_pairs_at_once_find_what_the_loop_finds(seed):
    gc, scenes, others = _case(seed)
    for span in ((1.0, 3.0), (4.0, 5.0), (2.0, 9.0)):
        for theirs in ([], others[:1], others):
            _same(change_anywhere(gc, span, scenes, theirs), loop_change_anywhere(gc, span, scenes, theirs))


def test_equal_pairs_are_taken_in_the_loops_order():
    """Scenes A, A, B, B: four pairs show the same change, two none. Faint, the first pair of
    the loop (later scene first, then earlier) is the one reported, with its moment; done,
    the earliest later scene within WHEN_TOL."""
    rng = np.random.default_rng(1)
    region = np.ones((H, W), bool)
    change = rng.normal(0, 30, (H, W, 3)).astype(np.float32)
    a = rng.normal(0, 20, (H, W, 3)).astype(np.float32)
    a[0, :4] = np.nan
    gc = GoldChange(1, region, change)
    times = np.arange(4.0)
    for k, when in ((0.1, 2.0), (1.0, 2.0)):
        b = a + np.float32(k) * change
        scenes = TraineeScenes(times, [a, a.copy(), b, b.copy()], np.full(4, np.nan))
        got, want = change_anywhere(gc, (0.0, 2.0), scenes), loop_change_anywhere(gc, (0.0, 2.0), scenes)
        _same(got, want)
        assert got[3] == when and (got[0] == 0.0) == (k < MIN_SIZE)
    # no change at all: every pair the same scenes; seen, and never changed
    scenes = TraineeScenes(times, [a] * 4, np.full(4, np.nan))
    got = change_anywhere(gc, (0.0, 2.0), scenes, [GoldChange(0, region, change)])
    assert got == loop_change_anywhere(gc, (0.0, 2.0), scenes, [GoldChange(0, region, change)])
    assert got[:2] == (0.0, 0.0) and got[3] == 1.0


def test_nothing_to_compare():
    gc, scenes, others = _case(5)
    # the region is rows 2-9: framed under IN_VIEW of it (row 9 only, in every scene) ...
    edge = np.zeros((H, W, 3), np.float32)
    edge[:9] = np.nan
    # ... or framed (rows 2-3, 5-6 and 8-9, each in a third of the scenes) but under half of
    # that seen in any pair
    bands = []
    for k in range(len(scenes.flat)):
        band = np.full((H, W, 3), np.nan, np.float32)
        band[2 + 3 * (k % 3):4 + 3 * (k % 3)] = 0.0
        bands.append(band)
    for flat in ([None] * len(scenes.flat), [scenes.flat[0]] + [None] * (len(scenes.flat) - 1),
                 [edge] * len(scenes.flat), bands):
        cut = TraineeScenes(scenes.times, flat, scenes.gold_times)
        assert change_anywhere(gc, (1.0, 3.0), cut, others) is None
        assert loop_change_anywhere(gc, (1.0, 3.0), cut, others) is None


def loop_lasting_count(flat, own, other):
    return (np.abs(flat - own).sum(-1) < np.abs(flat - other).sum(-1)).sum(0)


def loop_lasting(before, after, span, line):
    times, flat = line
    ok, both = np.ones(before.shape[:-1], bool), True
    for sel, own, other, edge in ((times >= span[1], after, before, flat[-1]),
                                  (times <= span[0], before, after, flat[0])):
        ok &= np.abs(edge - own).sum(-1) < np.abs(edge - other).sum(-1)
        if sel.sum() < PERSIST_MIN:
            both = False
            continue
        ok &= (np.abs(flat[sel] - own).sum(-1) < np.abs(flat[sel] - other).sum(-1)).mean(0) >= PERSIST
        ok &= (np.abs(flat[sel] - other).sum(-1) < np.abs(other - own).sum(-1) / 3).mean(0) <= BACK
    return ok, both


@pytest.mark.parametrize("seed", range(6))
def test_the_lasting_check_keeps_what_the_loop_keeps(seed):
    """Stills picked at some pixels (each pixel's stills together, as gold_changes hands them
    over), or whole pictures; float32 or float64; NaN; steps at the start, middle and end."""
    rng = np.random.default_rng(seed)
    k, n = 40, 500
    before, after = rng.normal(0, 20, (2, n, 3)).astype(np.float32)
    times = np.arange(k, dtype=float)
    switch = rng.integers(0, k, n)  # when each pixel turns from before to after
    stills = np.where((times[:, None] >= switch)[..., None], after, before) + rng.normal(0, 12, (k, n, 3))
    stills = stills.astype(np.float32)
    stills[rng.random((k, n)) < 0.05] = np.nan
    pixels = rng.permutation(n)
    picked, before, after = stills[:, pixels], before[pixels], after[pixels]
    assert not picked.flags.c_contiguous  # each pixel's stills together
    for span in ((1.0, 2.0), (15.0, 20.0), (37.0, 38.5), (-1.0, 0.0), (39.5, 40.0)):
        for flat in (picked, np.ascontiguousarray(picked), picked.astype(np.float64)):
            got, want = lasting(before, after, span, (times, flat)), loop_lasting(before, after, span, (times, flat))
            np.testing.assert_array_equal(got[0], want[0])
            assert got[1] == want[1]
        # whole pictures (H, W, 3) as well
        pics = (times, picked.reshape(k, 20, 25, 3))
        got = lasting(before.reshape(20, 25, 3), after.reshape(20, 25, 3), span, pics)
        want = loop_lasting(before.reshape(20, 25, 3), after.reshape(20, 25, 3), span, pics)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[0].shape == (20, 25) and got[1] == want[1]


def test_the_lasting_count_is_the_loops():
    from sopilot_resources.scene.lasting import closer

    rng = np.random.default_rng(3)
    flat = rng.integers(-3, 4, (30, 200, 3)).astype(np.float32)  # many equal distances: strict <
    own, other = rng.integers(-3, 4, (2, 200, 3)).astype(np.float32)
    flat[0, :10] = np.nan
    for x in (flat, flat[:, ::-1], flat[5:17]):
        np.testing.assert_array_equal(closer(x, own, other), loop_lasting_count(x, own, other))
    assert closer(flat[:0], own, other).tolist() == [0] * 200


def test_warm_kernels_loads_the_lasting_checks_overload():
    """The lasting check of a fixed camera's gold (gold_changes) uses the overload that
    warm_kernels loads: nothing new is compiled or loaded for it while scoring."""
    from scene_synth import gold_take, stills

    from sopilot_resources.scene.lasting_numba import closer_count, like_count
    from sopilot_resources.scene.pictures import StillCache
    from sopilot_resources.scene.regions import gold_changes
    from sopilot_resources.warm_kernels import warm_kernels

    warm_kernels()
    warmed = set(map(str, closer_count.signatures)), set(map(str, like_count.signatures))
    gold = gold_take()
    g = StillCache(stills(gold))
    changes = gold_changes(g, gold.spans, float(g.stills.times[-1]), fixed=True)
    assert any(c is not None and c.lasts for c in changes)  # the lasting check ran
    assert (set(map(str, closer_count.signatures)), set(map(str, like_count.signatures))) == warmed
