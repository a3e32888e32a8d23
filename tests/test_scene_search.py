"""The scene search's shortcuts give what the full path gives: registration with prepared
pictures (:func:`view`), and scenes made only near the steps searched (synthetic stills,
tests/scene_synth.py)."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from sopilot_resources.scene import scene_evidence
from sopilot_resources.scene.pictures import StillCache
from sopilot_resources.scene.regions import gold_changes
from sopilot_resources.scene.register import agreement, register, view
from sopilot_resources.scene.search import change_anywhere, near_gold, trainee_scenes
from sopilot_resources.scene.settle import settled
from sopilot_resources.stills import Stills

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_synth import SPOTS, gold_take, stills  # noqa: E402

GOLD = gold_take()
SPANS = GOLD.spans


def _same_registration(a, b):
    np.testing.assert_array_equal(a.warp, b.warp)
    assert (a.ok, a.agreement, a.method) == (b.ok, b.agreement, b.method)


def test_prepared_pictures_register_as_the_pictures_do():
    import cv2

    g = stills(GOLD)
    ref = settled(StillCache(g).window(12.0, 14.0))
    blurred = cv2.warpAffine(cv2.GaussianBlur(ref, (0, 0), 3.0), np.float32([[1, 0, 1.5], [0, 1, -0.75]]),
                             (ref.shape[1], ref.shape[0]), borderMode=cv2.BORDER_REFLECT)
    holed = ref.copy()
    holed[40:70, 100:160] = np.nan  # a part never seen unoccluded
    cases = [stills(replace(GOLD, angle=3.0, shift=(6.0, -4.0), gain=0.85)).frame(0).astype(np.float32),  # orb
             blurred,  # ecc: too soft for ORB to agree well
             g.frame(3).astype(np.float32), holed,  # none: as it is
             np.full_like(ref, 128.0)]  # no structure: nothing registers
    methods = set()
    for img in cases:
        full = register(ref, img)
        methods.add(full.method)
        for a, b in ((view(ref), img), (ref, view(img)), (view(ref), view(img))):
            _same_registration(full, register(a, b))
        # the agreement of the prepared path is the one recomputed from the pictures
        assert full.agreement == (agreement(ref, img, full.warp) if full.method != "none"
                                  else agreement(ref, img, np.eye(3)))
    assert methods == {"orb", "ecc", "none"}  # every path of register was taken


def _scenes():
    spots = list(SPOTS[:4])
    spots[1] = None
    gc = StillCache(stills(GOLD))
    tc = StillCache(stills(replace(GOLD, spots=spots, extra=(10.0, (40, 40)), seed=5)))
    end = float(gc.stills.times[-1])
    return gc, tc, settled(gc.window(end - 2.0, end)), end


def test_only_the_scenes_near_the_searched_steps_are_made_and_they_find_the_same():
    gc, tc, gold_end, end = _scenes()
    changes = gold_changes(gc, SPANS, end)
    to_gold = lambda x: 0.9 * x  # noqa: E731 - a moving camera: a gold scene per moment
    every = trainee_scenes(tc, gc, False, gold_end, to_gold)
    some = [s for s, c in enumerate(changes) if c is not None][:1]
    assert some
    part = trainee_scenes(tc, gc, False, gold_end, to_gold, [SPANS[s] for s in some])
    wanted = near_gold(every.gold_times, SPANS[some[0]])
    assert 0 < wanted.sum() < len(wanted)  # the test searches a part of the video
    np.testing.assert_array_equal(part.times, every.times)
    np.testing.assert_array_equal(part.gold_times, every.gold_times)
    for w, a, b in zip(wanted, part.flat, every.flat):
        if not w:
            assert a is None
        elif b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a, b)
    for s in some:
        assert change_anywhere(changes[s], SPANS[s], part) == change_anywhere(changes[s], SPANS[s], every)
    fixed_all = trainee_scenes(tc, gc, True, gold_end, lambda x: x)
    fixed_some = trainee_scenes(tc, gc, True, gold_end, lambda x: x, [SPANS[some[0]]])
    assert [f is None for f in fixed_all.flat] == [f is None for f in fixed_some.flat]
    for a, b in zip(fixed_all.flat, fixed_some.flat):
        if a is not None:
            np.testing.assert_array_equal(a, b)
    none = trainee_scenes(tc, gc, False, gold_end, to_gold, [])
    assert all(f is None for f in none.flat)


def test_made_anywhere_answers_every_step_asked_as_the_full_search_does():
    gc, tc, gold_end, end = _scenes()
    ev = scene_evidence(gc.stills, tc.stills, SPANS)
    asked = {s: SPANS[s] for s in range(len(SPANS))}
    got = ev.made_anywhere(asked)
    assert set(got) == set(asked)
    assert [lv.name for lv in ev.levels] == ["pictures"]  # stills no larger than the comparison's
    every = ev.levels[0].search(None)
    for s, sp in asked.items():
        others = [ev.changes[n] for n in (s - 1, s + 1) if 0 <= n < len(SPANS) and ev.changes[n] is not None]
        found = None if ev.changes[s] is None else change_anywhere(ev.changes[s], sp, every, others)
        assert got[s] == ([] if found is None else [(*found, "pictures")])
    assert any(got.values())
    assert ev.made_anywhere({}) == {}


def test_the_trainees_scenes_are_searched_once_per_pair_however_often_it_is_asked():
    """The autopilot's dry rescoring asks one pair's evidence again under every profile it
    tries: the scenes are made on the first call only (a fixed camera: once for every step),
    and the answers stay the same."""
    gc, tc, _, _ = _scenes()
    ev = scene_evidence(gc.stills, tc.stills, SPANS)
    calls = []
    search = ev.levels[0].search
    ev.levels[0].search = lambda spans: calls.append(spans) or search(spans)
    with_region = [s for s in range(len(SPANS)) if ev.changes[s] is not None]
    assert len(with_region) >= 2
    first = ev.made_anywhere({with_region[0]: SPANS[with_region[0]]})
    again = ev.made_anywhere({with_region[0]: SPANS[with_region[0]]})
    both = ev.made_anywhere({s: SPANS[s] for s in with_region})
    assert len(calls) == 1 and first == again and both[with_region[0]] == first[with_region[0]]
    fresh = scene_evidence(gc.stills, tc.stills, SPANS).made_anywhere({s: SPANS[s] for s in with_region})
    assert fresh == both


def test_stills_kept_larger_show_a_small_part_the_comparisons_pictures_cannot(monkeypatch):
    """Stills kept at twice the comparison's size (ingest's STILLS_SIDE) are also searched as
    they are ("detail"): parts 2 px wide there, one pixel in the 320 px pictures, are found where the
    trainee put them, and the step left out is not; from the same stills reduced to 320 px
    no step's change is visible at all."""
    import cv2

    from sopilot_resources.scoring.detect_scene_done import DONE_AGREE, DONE_MAG

    gold = replace(GOLD, part=0, scale=2)
    spots = list(SPOTS[:4])
    spots[1] = None
    g, t = stills(gold), stills(replace(gold, spots=spots, seed=5, shift=(3.0, -2.0), angle=1.0))
    asked = {s: SPANS[s] for s in range(4)}
    import sopilot_resources.scene.search as search

    registered = []
    real = search.register_samples
    monkeypatch.setattr(search, "register_samples", lambda ref, scenes: registered.append(ref.grey.shape) or real(ref, scenes))
    ev = scene_evidence(g, t, SPANS)
    assert [lv.name for lv in ev.levels] == ["detail", "pictures"]
    got = ev.made_anywhere(asked)

    def done(m):
        return m is not None and m[0] >= DONE_AGREE[m[4]] and DONE_MAG[0] <= m[1] <= DONE_MAG[1]

    assert all(done(got[s][0]) for s in (0, 2, 3))  # seen in detail only: in the pictures, nothing
    assert all([m[4] for m in got[s]] == ["detail"] for s in (0, 2, 3))
    assert not any(done(m) for m in got[1])
    # ... with the warps found on the 320 px pictures, scaled (scene.track): none registered again
    det = ev.levels[0]._all_scenes
    assert det.size == (640, 360) and all(r.ok for r in det.regs)
    assert registered == [(180, 320)]

    def reduced(st: Stills) -> Stills:
        return Stills.from_frames([cv2.resize(st.frame(i), (320, 180), interpolation=cv2.INTER_AREA)
                                   for i in range(len(st))], st.times)

    small = scene_evidence(reduced(g), reduced(t), SPANS)
    assert [lv.name for lv in small.levels] == ["pictures"]
    assert not any(small.made_anywhere(asked).values())


def test_a_moving_gold_camera_is_searched_in_the_pictures_only(monkeypatch):
    """Detail's lower threshold let a moving camera's steps never done count as done (seed 3's
    pump line): with a gold camera that moves, no step's change is made in detail."""
    import sopilot_resources.scene.compare as evidence

    gold = replace(GOLD, part=3, scale=2)
    spots = list(SPOTS[:4])
    spots[1] = None
    g, t = stills(gold), stills(replace(gold, spots=spots, seed=5))
    asked = {s: SPANS[s] for s in range(4)}
    fixed = scene_evidence(g, t, SPANS).made_anywhere(asked)
    assert {m[4] for found in fixed.values() for m in found} == {"detail", "pictures"}
    monkeypatch.setattr(evidence, "gold_is_fixed", lambda cache: False)
    fresh = Stills(g.times, g.jpeg, g.offsets)  # the first gold's memo knows its camera is fixed
    moving = scene_evidence(fresh, t, SPANS).made_anywhere(asked)
    assert {m[4] for found in moving.values() for m in found} == {"pictures"}


def test_a_faint_change_that_correlates_is_not_the_step_done():
    """A pair of trainee scenes whose change over the step's region looks like the gold's but
    is a tenth of its size is not a match (MIN_SIZE): the search reports the region seen and
    unchanged (agreement 0, the size seen); at full size it is found."""
    from sopilot_resources.scene.regions import GoldChange
    from sopilot_resources.scene.search import MIN_SIZE, TraineeScenes

    rng = np.random.default_rng(0)
    region = np.zeros((40, 60), bool)
    region[10:20, 20:35] = True
    change = np.zeros((40, 60, 3), np.float32)
    change[region] = rng.normal(0, 30, (region.sum(), 3))
    gc = GoldChange(1, region, change, lasts=True)
    base = rng.normal(0, 1, (40, 60, 3)).astype(np.float32)
    times = np.arange(4.0)
    for k, expect in ((0.1, 0.0), (1.0, 0.99)):
        flat = [base, base, base + k * change, base + k * change]
        got = change_anywhere(gc, (1.0, 2.0), TraineeScenes(times, flat, np.full(4, np.nan)))
        assert got is not None and got[0] >= expect - 0.01 and (got[0] <= 0.0 if k < MIN_SIZE else True)
        assert abs(got[1] - k) < 0.05


def test_a_camera_that_leaves_its_station_and_comes_back_is_not_fixed():
    """A body-worn camera that starts and ends at one station (its first and last scenes the
    same view) but works at another in between is not a fixed camera (seeds 1, 7 and 11's
    pump line were taken for one); one that stays put is."""
    import cv2

    from sopilot_resources.scene.pictures import StillCache
    from sopilot_resources.scene.search import gold_is_fixed
    from sopilot_resources.stills import Stills

    rng = np.random.default_rng(0)
    wall = cv2.resize(rng.uniform(60, 200, (18, 100, 3)).astype(np.float32), (1000, 180), interpolation=cv2.INTER_CUBIC)
    for _ in range(80):  # marks a feature matcher can hold on to
        x, y = int(rng.integers(0, 990)), int(rng.integers(0, 170))
        cv2.rectangle(wall, (x, y), (x + 8, y + 8), tuple(float(c) for c in rng.uniform(20, 240, 3)), -1)
    times = np.arange(0.0, 20.0, 0.5)

    def video(station_at) -> StillCache:
        frames = [np.clip(wall[:, station_at(t):station_at(t) + 320] + rng.normal(0, 2.0, (180, 320, 3)), 0, 255)
                  .astype(np.uint8) for t in times]
        return StillCache(Stills.from_frames(frames, times))

    assert gold_is_fixed(video(lambda t: 0))
    assert not gold_is_fixed(video(lambda t: 0 if t < 4.0 or t >= 16.0 else 600))


def test_a_neighbours_look_alike_change_is_not_the_step_done():
    """Placing the valve body changes the seat that the next step fits the seal around: a
    trainee who skipped the seal made, at the body's placing, a change over the seal's region
    that correlated 0.71 with the seal's (seed 0). A pair of trainee scenes whose change there is
    more like the neighbouring step's gold change is that step's work: no match."""
    from sopilot_resources.scene.regions import GoldChange
    from sopilot_resources.scene.search import TraineeScenes

    rng = np.random.default_rng(0)
    region = np.zeros((40, 60), bool)
    region[10:20, 20:30] = True
    body = np.zeros((40, 60, 3), np.float32)
    body[region] = rng.normal(0, 40, (int(region.sum()), 3))  # what placing the body changes there
    seal = body + rng.normal(0, 25, body.shape).astype(np.float32) * region[..., None]  # the seal: alike
    before = rng.uniform(80, 160, (40, 60, 3)).astype(np.float32)
    scenes = TraineeScenes(np.array([1.0, 4.0]), [before, before + body], np.array([np.nan, np.nan]))
    mine = GoldChange(1, region, seal, lasts=True)
    theirs = GoldChange(0, region, body, lasts=True)
    alone = change_anywhere(mine, (1.0, 4.0), scenes)
    assert alone[0] > 0.75  # on its own, the body's placing passes for the seal fitted
    guarded = change_anywhere(mine, (1.0, 4.0), scenes, [theirs])
    assert guarded is None or guarded[0] == 0.0


def _step_scenes(seed: int = 0):
    """A step's region (two blocks), its gold change, and a trainee's scenes that make it."""
    from sopilot_resources.scene.regions import GoldChange

    rng = np.random.default_rng(seed)
    region = np.zeros((40, 60), bool)
    region[10:20, 5:15] = True  # the result
    region[25:35, 40:50] = True  # the other block: outside the view, or the gold's arm
    change = np.zeros((40, 60, 3), np.float32)
    change[region] = rng.normal(0, 40, (int(region.sum()), 3))
    before = rng.uniform(80, 160, (40, 60, 3)).astype(np.float32)
    return GoldChange(0, region, change, lasts=False), before, rng


def test_a_region_partly_outside_the_trainees_view_is_judged_on_what_it_frames():
    """The trainee's camera, placed otherwise, frames a part of a gold step's region in none
    of its scenes (seed 25's valve: the screwdriver's place, at the gold's lower edge): that
    part is out of view, not hidden by the performer, and the step is judged on the rest (the
    search saw 28-49 % of the region before, under the half it asks, and found nothing). Under
    ``IN_VIEW`` of the region framed, it is not searched."""
    from sopilot_resources.scene.search import IN_VIEW, TraineeScenes

    gc, before, _ = _step_scenes()
    made = before + np.where(gc.region[..., None], gc.change, 0.0)
    frame = np.ones((40, 60), bool)
    frame[23:, :] = False  # the lower block is outside the trainee's picture
    cut = lambda img: np.where(frame[..., None], img, np.nan).astype(np.float32)  # noqa: E731
    scenes = TraineeScenes(np.array([1.0, 2.0, 4.0, 5.0]), [cut(before), cut(before), cut(made), cut(made)],
                           np.full(4, np.nan))
    got = change_anywhere(gc, (1.0, 3.0), scenes)
    assert got is not None and got[0] > 0.99 and abs(got[1] - 1.0) < 0.05 and got[2] == 1.0  # all it frames seen
    assert got[3] == 4.0
    # framing less than IN_VIEW of the region: not searched
    frame[:, :] = False
    frame[10:20, 5:5 + int(10 * IN_VIEW) - 1] = True
    scenes = TraineeScenes(scenes.times, [cut(before), cut(before), cut(made), cut(made)], np.full(4, np.nan))
    assert change_anywhere(gc, (1.0, 3.0), scenes) is None


def test_a_first_steps_region_is_judged_where_the_trainees_first_scene_shows_the_gold_before():
    """A video starts with its first step, so that step's region was never checked to last:
    the gold performer's arm, resting on a block before the step and gone after it, is a
    "change" no trainee makes. Its pixels are left out where the trainee's first scene (before
    any work) already looks as the gold does after the step (:func:`before_work`); the
    result's pixels, which look there as the gold's before, are judged."""
    from sopilot_resources.scene.search import TraineeScenes, before_work

    gc, before, rng = _step_scenes(1)
    arm = np.zeros((40, 60), bool)
    arm[25:35, 40:50] = True
    gold_before = before.copy()
    gold_before[arm] = rng.uniform(0, 40, (int(arm.sum()), 3))  # the gold's arm, dark
    change = gc.change.copy()
    change[arm] = before[arm] - gold_before[arm]  # the arm gone: the bench as it is
    result = gc.region & ~arm
    made = before + np.where(result[..., None], change, 0.0)  # the trainee makes the result only
    scenes = TraineeScenes(np.arange(1.0, 5.0), [before, before, made, made], np.full(4, np.nan))
    ys, xs = np.nonzero(gc.region)
    with_arm = replace(gc, change=change)
    with_before = replace(with_arm, before=np.where(gc.region[..., None], gold_before, np.nan))
    keep = before_work(with_before, before, ys, xs)
    np.testing.assert_array_equal(keep, result[ys, xs])
    # the trainee's own arm moving over those pixels in its first scene (NaN there, settled):
    # they tell nothing, and are left out too (kept, the trainee's arm leaving them later
    # matched the gold's arm leaving: seed 47's fast valve trainee, its `pick body` "made" at
    # 13.75 s, after two later steps' results)
    hidden = before.copy()
    hidden[arm] = np.nan
    np.testing.assert_array_equal(before_work(with_before, hidden, ys, xs), result[ys, xs])
    alone = change_anywhere(with_arm, (1.0, 3.0), scenes)  # the arm in the region: it misses
    got = change_anywhere(with_before, (1.0, 3.0), scenes)
    assert alone[0] < 0.75 < got[0] and abs(got[1] - 1.0) < 0.05
    # a moving camera's scenes (each registered onto its own gold moment) are not cleaned
    moving = TraineeScenes(scenes.times, scenes.flat, np.arange(1.0, 5.0))
    assert change_anywhere(with_before, (1.0, 3.0), moving) == change_anywhere(with_arm, (1.0, 3.0), moving)
