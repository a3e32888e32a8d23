"""The scene comparison (sopilot_resources.scene) on synthetic stills (tests/scene_synth.py)."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from sopilot_resources.scene import scene_evidence
from sopilot_resources.scene.register import register
from sopilot_resources.scene.settle import settled
from sopilot_resources.scoring.detect_scene import STRONG

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_synth import SPOTS, gold_take, stills  # noqa: E402

GOLD = gold_take()
SPANS = GOLD.spans


def _strong(ev):
    return [d for d in ev.outcome.differences if d.strength >= STRONG]


def test_settled_removes_a_moving_arm():
    import cv2

    rng = np.random.default_rng(0)
    scene = cv2.resize(rng.uniform(80, 160, (12, 16, 3)).astype(np.float32), (80, 60), interpolation=cv2.INTER_CUBIC)
    frames = np.stack([scene.copy() for _ in range(6)])
    for k, f in enumerate(frames):  # a dark bar at another place in every still
        f[:, 10 * k:10 * k + 8] = 20.0
    out = settled(frames)
    ok = np.isfinite(out).all(-1)
    assert ok.mean() > 0.9
    err = np.abs(out[ok] - scene[ok])
    assert np.median(err) < 0.5 and np.quantile(err, 0.99) < 6.0  # steadying resamples a little


def test_steady_undoes_camera_shake():
    import cv2

    from sopilot_resources.scene.settle import steady

    g = stills(GOLD).frame(0).astype(np.float32)
    moved = cv2.warpAffine(g, np.float32([[1, 0, 3.0], [0, 1, -2.0]]), (g.shape[1], g.shape[0]),
                           borderMode=cv2.BORDER_REFLECT)
    out = steady(np.stack([g, g, moved]))
    inner = (slice(10, -10), slice(10, -10))
    assert np.nanmedian(np.abs(out[2][inner] - g[inner])) < 2.0 < np.median(np.abs(moved[inner] - g[inner]))


def test_registration_recovers_a_moved_and_rolled_camera():
    g = stills(GOLD).frame(0).astype(np.float32)
    t = stills(replace(GOLD, angle=3.0, shift=(6.0, -4.0), gain=0.85)).frame(0).astype(np.float32)
    reg = register(g, t)
    assert reg.ok and reg.agreement > 0.6
    back = reg.apply(t, (g.shape[1], g.shape[0]))
    inner = (slice(30, -30), slice(40, -40))
    assert np.nanmedian(np.abs(back[inner] / 0.85 - g[inner])) < 12  # aligned to about a pixel


def test_a_correct_take_from_another_camera_leaves_no_lasting_difference():
    take = replace(GOLD, spans=[(a * 1.2 + 0.5, b * 1.2 + 0.5) for a, b in SPANS], angle=-2.5,
                   shift=(5.0, 3.0), gain=1.15, prop=(40, 150), seed=3)
    ev = scene_evidence(stills(GOLD), stills(take), SPANS)
    assert ev.usable
    assert _strong(ev) == []  # the prop was there from the first frame: not a change


def test_a_part_put_one_place_off_is_a_result_difference_and_a_foreign_change():
    spots = list(SPOTS[:4])
    spots[2] = (185, 135)
    ev = scene_evidence(stills(GOLD), stills(replace(GOLD, spots=spots, seed=4)), SPANS)
    strong = _strong(ev)
    kinds = {d.kind for d in strong}
    assert kinds == {"result", "foreign"}
    res = next(d for d in strong if d.kind == "result")
    a, b = SPANS[2]
    assert res.gold_time[0] <= b + 1.0 and res.gold_time[1] >= a  # it happened during step 3
    x, y = SPOTS[2]
    assert res.box[0] <= x <= res.box[2] and res.box[1] <= y <= res.box[3]


def test_a_step_left_out_and_an_extra_part():
    spots = list(SPOTS[:4])
    spots[1] = None
    ev = scene_evidence(stills(GOLD), stills(replace(GOLD, spots=spots, extra=(10.0, (40, 40)), seed=5)), SPANS)
    strong = _strong(ev)
    res = [d for d in strong if d.kind == "result"]
    foreign = [d for d in strong if d.kind == "foreign"]
    assert len(res) == 1 and res[0].box[0] <= SPOTS[1][0] <= res[0].box[2]
    assert len(foreign) == 1 and foreign[0].trainee_time[0] <= 10.5 <= foreign[0].trainee_time[1] + 0.5


def test_no_stills_means_no_scene_evidence():
    ev = scene_evidence(None, stills(GOLD), SPANS)
    assert not ev.usable and ev.notes and ev.metrics()["scene_compared"] is False


def test_difference_picture_for_a_scene_deviation():
    import cv2

    from sopilot_resources.scene.figures import deviation_pictures

    spots = list(SPOTS[:4])
    spots[1] = None
    ev = scene_evidence(stills(GOLD), stills(replace(GOLD, spots=spots, seed=5)), SPANS, keep_pictures=True)
    diff = _strong(ev)[0]
    devs = [{"message": "x", "evidence": None}, {"message": "y", "evidence": {"source": "scene", **diff.to_dict()}}]
    pics = deviation_pictures(ev.outcome, devs)
    assert list(pics) == [1]
    img = cv2.imdecode(np.frombuffer(pics[1][0][1], np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[1] > img.shape[0]  # gold and trainee side by side


def test_a_take_minutes_into_a_recording_is_compared_as_at_its_start():
    """A cycle of a shift recording keeps the recording's seconds: its stills start minutes in.
    Its start scene comes from its own first stills and the search samples from there, so it
    gives what the same take at second 0 gives (and costs what it costs there)."""
    from sopilot_resources.scene.pictures import StillCache
    from sopilot_resources.scene.search import trainee_scenes
    from sopilot_resources.stills import Stills

    spots = list(SPOTS[:4])
    spots[1] = None
    take = stills(replace(GOLD, spots=spots, extra=(10.0, (40, 40)), seed=5))
    later = Stills(take.times + 600.0, take.jpeg, take.offsets)
    at0, at600 = (scene_evidence(stills(GOLD), s, SPANS) for s in (take, later))
    one = [(d.kind, d.box, d.trainee_time) for d in _strong(at0)]
    two = [(d.kind, d.box, None if d.trainee_time is None else tuple(t - 600.0 for t in d.trainee_time))
           for d in _strong(at600)]
    assert one and len(one) == len(two)
    for (k1, b1, t1), (k2, b2, t2) in zip(one, two):
        assert k1 == k2 and b1 == b2 and (t1 is None) == (t2 is None)
        if t1 is not None:
            assert np.allclose(t1, t2, atol=0.01)
    g = StillCache(stills(GOLD))
    grids = [trainee_scenes(StillCache(s), g, True, settled(g.window(12.0, 14.0)), float).times for s in (take, later)]
    assert np.allclose(grids[1] - 600.0, grids[0])  # not a grid from second 0 to 615


def test_the_median_network_and_the_nan_fill_are_exact():
    from sopilot_resources.scene.pixel_ops import fill_nan, median_first_axis

    rng = np.random.default_rng(0)
    for n in range(1, 11):  # the min/max network up to 8 stills, np.partition beyond
        x = rng.normal(size=(n, 9, 11, 3)).astype(np.float32)
        x[:, 0, 0] = 7.0  # ties
        np.testing.assert_array_equal(median_first_axis(x), np.median(x, axis=0).astype(np.float32))
    y = rng.normal(size=(5, 4, 3)).astype(np.float32)
    y[1, 2] = np.nan
    np.testing.assert_array_equal(fill_nan(y, np.inf), np.nan_to_num(y, nan=np.inf))
    assert fill_nan(y, 0.0).dtype == np.float32


def test_the_light_blur_at_half_size_is_the_full_blur_to_a_fraction_of_a_grey_level():
    """``low_pass`` (what ``flatten_light`` removes) against OpenCV's Gaussian at full size, on
    a picture with sharp parts, noise and a lighting ramp, even and odd sizes; pictures too
    small for the half-size path are blurred exactly."""
    import cv2

    from sopilot_resources.scene.pictures import LIGHT_SIGMA, low_pass

    rng = np.random.default_rng(1)
    for h, w in ((360, 640), (181, 321), (67, 91)):
        ramp = np.linspace(40, 200, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
        x = ramp + rng.normal(0, 12, (h, w, 3)).astype(np.float32)
        x[h // 3:h // 2, w // 4:w // 3] += 80.0  # a bright part with sharp edges
        err = np.abs(low_pass(x) - cv2.GaussianBlur(x, (0, 0), LIGHT_SIGMA))
        assert err.max() < 0.5 and np.percentile(err, 99) < 0.25, (h, w, err.max())
    small = rng.normal(100, 20, (50, 60, 3)).astype(np.float32)
    np.testing.assert_array_equal(low_pass(small), cv2.GaussianBlur(small, (0, 0), LIGHT_SIGMA))


def test_the_scene_search_gives_the_same_scenes_in_threads(monkeypatch):
    import sopilot_resources.scene.regions as regions
    import sopilot_resources.scene.search as search
    import sopilot_resources.scene.track as track
    from sopilot_resources.scene.pictures import StillCache
    from sopilot_resources.scene.regions import gold_changes
    from sopilot_resources.scene.search import trainee_scenes

    spots = list(SPOTS[:4])
    spots[1] = None
    g, t = stills(GOLD), stills(replace(GOLD, spots=spots, extra=(10.0, (40, 40)), seed=5))

    def run(workers):
        for mod in (search, regions, track):
            monkeypatch.setattr(mod, "scene_workers", lambda: workers)
        gc, tc = StillCache(g), StillCache(t)
        end = float(g.times[-1])
        gold_end = settled(gc.window(end - 2.0, end))
        moving = trainee_scenes(tc, gc, False, gold_end, lambda x: 0.9 * x)  # a gold scene per moment
        fixed = trainee_scenes(tc, gc, True, gold_end, lambda x: x)
        return moving, fixed, gold_changes(gc, SPANS, end)

    one, four = run(1), run(4)
    for a, b in zip(one[:2], four[:2]):
        np.testing.assert_array_equal(a.times, b.times)
        np.testing.assert_array_equal(a.gold_times, b.gold_times)
        assert [f is None for f in a.flat] == [f is None for f in b.flat] and any(f is not None for f in a.flat)
        for f1, f2 in zip(a.flat, b.flat):
            if f1 is not None:
                np.testing.assert_array_equal(f1, f2)
    assert [c is None for c in one[2]] == [c is None for c in four[2]]
    for c1, c2 in zip(one[2], four[2]):
        if c1 is not None:
            np.testing.assert_array_equal(c1.change, c2.change)
