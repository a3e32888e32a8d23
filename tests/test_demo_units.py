"""Demo generator parts: determinism, codecs, timelines, defects, rendering."""
from __future__ import annotations

import itertools
from dataclasses import replace

import cv2
import numpy as np
import pytest

from sopilot_resources.demo.actions import Key
from sopilot_resources.demo.arm import elbow_position
from sopilot_resources.demo.clutter import RES, _footprint, _mask_proj, dress_station, vary_clutter
from sopilot_resources.demo.deviations import SLOW_FACTOR, Defect, apply_defect, pick_defects
from sopilot_resources.demo.generate import task_jobs
from sopilot_resources.demo.geometry import Projection
from sopilot_resources.demo.look import gold_look, random_look
from sopilot_resources.demo.nuisance import Camera, Look
from sopilot_resources.demo.plan import canonical_entries, gold_durations, paced_entries, realize
from sopilot_resources.demo.procedures import all_tasks
from sopilot_resources.demo.render import render_performance
from sopilot_resources.demo.scene import PAD, render_background
from sopilot_resources.demo.terminal_block import terminal_pitch
from sopilot_resources.demo.textures import FAMILIES, texture
from sopilot_resources.demo.writer import CODECS, VideoSink, resolve_codec


def _plain(jobs):
    return [(j.rel_path, j.record, j.look, j.performer, j.task) for j in jobs]


def test_plans_are_deterministic_per_seed():
    raw = all_tasks()[0]
    task = dress_station(raw, 7, 0)
    assert task == dress_station(raw, 7, 0) and task.layout != dress_station(raw, 8, 0).layout
    a, meta_a = task_jobs(task, 0, seed=7, quick=False)
    b, meta_b = task_jobs(dress_station(raw, 7, 0), 0, seed=7, quick=False)
    c, _ = task_jobs(task, 0, seed=8, quick=False)
    assert _plain(a) == _plain(b) and meta_a == meta_b
    assert _plain(a) != _plain(c)


def _first_frames(path, n=10):
    cap = cv2.VideoCapture(str(path))
    return [cap.read()[1] for _ in range(n)]


def _clip(task, seconds=4.0):
    """A short gold timeline of ``task`` (its first segments)."""
    gold = gold_durations(task, np.random.default_rng(0), quick=True)
    segs = realize(canonical_entries(task, gold), gold)
    clip = [s for s in segs if s.end_sec <= seconds]
    return clip if any(s.action is not None for s in clip) else segs[:2]


def test_same_seed_renders_the_same_frames(tmp_path):
    """Also through every new path: roll, drifting mount, motion blur, defocus, flicker."""
    task = dress_station(all_tasks()[1], 3, 1)
    job = task_jobs(task, 1, seed=3, quick=True)[0][3]
    look = replace(job.look, motion_blur=0.8, defocus=1.2, flicker=((0.2, 1.25),), roll_deg=3.0, mount_drift=0.02)
    seg = [s for s in job.segments if s.end_sec <= 4.0] or job.segments[:1]
    frames = [_first_frames(render_performance(tmp_path / f"v{k}", job.task, seg, job.performer, look)["path"]) for k in range(2)]
    assert all(np.array_equal(x, y) for x, y in zip(*frames))


@pytest.mark.parametrize("key", sorted(CODECS))
def test_every_codec_round_trips(tmp_path, key):
    codec = resolve_codec(key)
    rng = np.random.default_rng(0)
    frames = [cv2.GaussianBlur(rng.integers(0, 255, (72, 128, 3), dtype=np.uint8), (9, 9), 3) for _ in range(12)]
    path = tmp_path / f"x{codec.ext}"
    with VideoSink(path, codec, 25, (128, 72)) as sink:
        for f in frames:
            sink.write(f)
    cap = cv2.VideoCapture(str(path))
    got = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        got.append(f)
    assert len(got) == 12
    assert np.mean(np.abs(got[5].astype(int) - frames[5].astype(int))) < 12


def test_sink_rejects_wrong_frame_size(tmp_path):
    with VideoSink(tmp_path / "y.mp4", resolve_codec("mp4v"), 25, (64, 48)) as sink:
        with pytest.raises(ValueError):
            sink.write(np.zeros((50, 64, 3), np.uint8))


def test_correct_pace_and_defects_edit_the_timeline():
    task = all_tasks()[2]
    rng = np.random.default_rng(0)
    gold = gold_durations(task, rng, quick=False)
    assert all(2.0 <= d <= 6.0 for d in gold)
    g = realize(canonical_entries(task, gold), gold)
    assert [s.gold_step for s in g if s.role == "step"] == list(range(len(task.steps)))
    base = paced_entries(task, gold, rng)
    assert all(0.6 <= e.duration / gold[e.gold_step] <= 1.6 for e in base)
    defects = pick_defects(task, rng)
    assert {d.kind for d in defects} == {"missing", "swap", "repeat", "extra", "wrong", "slow", "idle"}
    slow = realize(apply_defect(base, Defect("slow", 2, "s"), task, gold, rng), gold)
    assert [s.ratio for s in slow if s.gold_step == 2][0] == pytest.approx(SLOW_FACTOR)
    wrong = apply_defect(base, Defect("wrong", 3, "w"), task, gold, rng)
    assert wrong[3].action != base[3].action and wrong[3].action.at is not None
    with pytest.raises(ValueError):
        apply_defect(base, Defect("teleport", 1, "t"), task, gold, rng)


def test_steps_are_distinct_in_place_or_motion():
    for task in all_tasks():
        sig = {(s.action.kind, s.action.at) for s in task.steps}
        assert len(sig) == len(task.steps) and 5 <= len(task.steps) <= 7


def test_actions_start_from_wherever_the_hand_is():
    for task in all_tasks():
        for s in task.steps:
            keys = s.action.keys()
            assert all(isinstance(k, Key) for k in keys) and keys[0].u > 0
            assert [k.u for k in keys] == sorted(k.u for k in keys)
            assert s.action.pose(0.0, (5.0, 5.0))[:2] == pytest.approx((5.0, 5.0))
            assert s.action.pose(1.0, (5.0, 5.0))[:2] == pytest.approx((keys[-1].x, keys[-1].y))


def test_arm_reaches_every_anchor():
    for task in all_tasks():
        lay = task.layout
        reach = 2 * 0.62 * lay.arm_scale * 0.92  # shortest performer
        for (x, y), side in itertools.product(lay.anchors.values(), (1, -1)):
            shoulder = np.array([x + side * 0.2 * lay.arm_scale, task.shoulder_y])
            elbow, hand = elbow_position(shoulder, np.array([x, y]), reach / 2, reach / 2, 1)
            assert np.allclose(hand, (x, y), atol=1e-6), (task.key, x, y)


def test_background_is_resolution_independent():
    lay = dress_station(all_tasks()[0], 0, 0).layout
    small, _ = render_background(lay, 180)
    big, _ = render_background(lay, 720)
    down = cv2.resize(big, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.mean(np.abs(down.astype(int) - small.astype(int))) < 6


def _still(tmp_path, name, task, segs, look):
    """First decoded frame of a short render, grey float32."""
    info = render_performance(tmp_path / name, task, segs, GOLD_PERF, look)
    return cv2.cvtColor(_first_frames(info["path"], 1)[0], cv2.COLOR_BGR2GRAY).astype(np.float32)


GOLD_PERF = __import__("sopilot_resources.demo.arm", fromlist=["GOLD_PERFORMER"]).GOLD_PERFORMER


def test_roll_turns_the_view(tmp_path):
    """A trainee camera rolled by 4 degrees: the frame is the upright one turned by 4 degrees."""
    task = dress_station(all_tasks()[2], 0, 2)
    segs = _clip(task, 2.0)
    base = Look(640, 360, 25, "mjpg", seed=1)
    upright = _still(tmp_path, "up", task, segs, base)
    rolled = _still(tmp_path, "roll", task, segs, replace(base, roll_deg=4.0))
    warp = np.eye(2, 3, dtype=np.float32)
    _, warp = cv2.findTransformECC(upright, rolled, warp, cv2.MOTION_EUCLIDEAN,
                                   (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 200, 1e-6), None, 5)
    assert abs(abs(np.degrees(np.arctan2(warp[1, 0], warp[0, 0]))) - 4.0) < 0.3


def test_mount_drifts_slowly_from_the_placement():
    look = Look(640, 360, 25, "mp4v", roll_deg=-2.0, roll_drift_deg=1.0, mount_drift=0.02, zoom_drift=0.02, mount_period=50.0, seed=4)
    cam = Camera(look)
    assert cam.mount(0.0) == pytest.approx((0.0, 0.0, 1.0, np.radians(-2.0)))
    track = np.array([cam.mount(t) for t in np.arange(0.0, 60.0, 0.04)])
    assert np.abs(track[:, :2]).max() <= 2 * 0.02 + 1e-9 and np.abs(track[:, :2]).max() > 0.005
    assert np.abs(track[:, 2] - 1).max() <= 0.04 + 1e-9 and np.abs(np.degrees(track[:, 3]) + 2.0).max() <= 1.0 + 1e-9
    assert np.abs(np.diff(track[:, :2], axis=0)).max() < 0.001  # slow: under 0.1 % of the view per frame
    assert not cam.steady and Camera(Look(64, 36, 25, "mp4v")).steady


def test_motion_blur_streaks_the_moving_arm(tmp_path):
    task = dress_station(all_tasks()[2], 0, 2)
    segs = _clip(task, 4.0)
    base = Look(480, 270, 25, "mjpg", seed=2)
    paths = [render_performance(tmp_path / f"b{k}", task, segs, GOLD_PERF, replace(base, motion_blur=e))["path"] for k, e in enumerate((0.0, 1.0))]
    sharp, blurred = (np.stack(_first_frames(p, 40)).astype(np.float32) for p in paths)
    assert np.array_equal(sharp[0], blurred[0])  # first frame: no previous state to blend with
    moved = np.abs(sharp - blurred).max(axis=3) > 20
    assert moved[1:].sum() > 200  # the arm is smeared where it moves

    def edges(img):
        return np.abs(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_32F))

    k = int(np.argmax(moved.sum(axis=(1, 2))))
    region = cv2.dilate(moved[k].astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert edges(blurred[k])[region].mean() < edges(sharp[k])[region].mean()


def test_fast_camera_motion_streaks_the_frame():
    from sopilot_resources.demo.render import _camera_streak, _State
    from sopilot_resources.demo.view import Pose

    frame = np.zeros((40, 60, 3), np.uint8)
    frame[:, 30:] = 200  # a vertical edge

    def states(dx):
        return [_State((0.0, 0.0), 0.0, 0.0, None, 0.0, Pose(100.0 + dx * f, 50.0)) for f in (0.0, 0.5, 1.0)]

    assert _camera_streak(frame, states(1.0)) is frame  # under 1.5 px: left sharp
    smeared = _camera_streak(frame, states(8.0))
    row = smeared[20, :, 0].astype(int)
    assert row[20] == 0 and row[45] == 200 and ((row > 0) & (row < 200)).sum() >= 6  # a ramp across the edge


def test_defocus_white_balance_drift_and_flicker():
    look = Look(320, 180, 25, "mp4v", wb_drift=0.06, wb_period=20.0, flicker=((1.0, 1.3),), defocus=4.0, seed=5)  # sigma 1 px
    cam = Camera(look)
    gains = np.array([cam.gains(t) for t in np.linspace(0, 60, 301)])
    assert np.all(np.abs(gains - 1) <= 0.06 + 1e-9) and np.all(np.ptp(gains, axis=0) > 0.05)
    assert np.ptp(gains[:, 0] / gains[:, 2]) > 0.03  # channels drift apart: the white balance changes
    assert cam.lut(1.0)[200, 0].mean() > 1.2 * cam.lut(1.0 + 2 / 25)[200, 0].mean()  # one frame flickers
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (180, 320, 3), dtype=np.uint8)
    sharp = Camera(replace(look, defocus=0.0)).expose(frame, 3.0)
    soft = cam.expose(frame, 3.0)
    assert cv2.Laplacian(soft, cv2.CV_32F).var() < 0.2 * cv2.Laplacian(sharp, cv2.CV_32F).var()


def test_trainee_and_gold_looks():
    rng = np.random.default_rng(1)
    looks = [random_look(rng, (640, 360), 24, "vp9", harsh=k % 2 == 1, duration=30.0) for k in range(60)]
    assert all(0.9 <= lk.zoom <= 1.1 and abs(lk.roll_deg) <= 4.0 and max(map(abs, lk.offset)) <= 0.06 for lk in looks)
    assert 5 < sum(lk.motion_blur > 0 for lk in looks) < 55 and 3 < sum(lk.defocus > 0 for lk in looks) < 57
    assert any(lk.flicker for lk in looks) and all(0 < t < 30 for lk in looks for t, _ in lk.flicker)
    g = gold_look((1280, 720), 30, "h264", seed=1)
    assert (g.roll_deg, g.mount_drift, g.motion_blur, g.defocus, g.shake_px, g.flicker) == (0.0, 0.0, 0.0, 0.0, 0.0, ())
    tilted = gold_look((1280, 720), 30, "h264", seed=1, tilted=np.random.default_rng(2))
    assert 0.8 <= abs(tilted.roll_deg) <= 1.8 and max(map(abs, tilted.offset)) <= 0.02 and tilted.mount_drift == 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_textures_look_the_same_at_every_size(family):
    small = texture(family, (150, 150, 150), (1.5, 1.0), (270, 180), seed=3)
    big = texture(family, (150, 150, 150), (1.5, 1.0), (1080, 720), seed=3)
    down = cv2.resize(big, (270, 180), interpolation=cv2.INTER_AREA)
    assert np.mean(np.abs(down.astype(int) - small.astype(int))) < 6
    assert small.std() > 1.0  # not a flat colour


def _effects_mask(task, actions):
    lay = task.layout
    img = np.zeros((int((1 + 2 * PAD) * RES), int((lay.world_w + 2 * PAD) * RES), 3), np.uint8)
    for a in actions:
        a.draw_effect(img, _mask_proj())
    return img.max(axis=2) > 0


def test_clutter_never_touched_by_any_step():
    """Props sit clear of the station's objects and of what any step (right or wrong, extra,
    unrelated) leaves behind, in the gold's station and in every trainee's variant of it."""
    for seed in (0, 1):
        for i, raw in enumerate(all_tasks()):
            task = dress_station(raw, seed, i)
            assert len(task.layout.clutter) >= 3
            jobs, _ = task_jobs(task, i, seed, quick=False)
            for j in jobs:
                acts = [s.action for s in j.segments if s.action is not None]
                touched = _effects_mask(task, acts + [s.action.wrong() for s in task.steps])
                for o in j.task.layout.clutter:
                    assert not (_footprint(o, touched.shape) & touched).any(), (raw.key, j.record["name"], o)


def test_trainee_clutter_differs_a_little():
    task = dress_station(all_tasks()[2], 0, 2)
    counts = []
    for k in range(30):
        scene, changes = vary_clutter(task, np.random.default_rng([0, k]))
        assert scene == vary_clutter(task, np.random.default_rng([0, k]))[0]
        assert len(changes) <= 2 and abs(len(scene.layout.clutter) - len(task.layout.clutter)) <= 2
        assert scene.layout.objects == task.layout.objects and scene.steps == task.steps
        counts.append(len(changes))
        for c in changes:
            assert c["change"] in ("moved", "added", "removed")
    assert 0 in counts and max(counts) >= 1


def test_small_parts_wrong_steps_are_one_terminal_off():
    task = all_tasks()[3]
    assert task.style == "small_parts" and task.camera == "fixed" and len(task.steps) == 6
    pitch = terminal_pitch(next(o for o in task.layout.objects if o.kind == "terminals"))
    assert pitch < 0.08  # small parts: neighbours a few percent of the view apart
    for s in task.steps:
        w = s.action.wrong()
        assert abs(abs(w.at[0] - s.action.at[0]) - pitch) < 1e-9 and w.at[1] == s.action.at[1], s.name


def test_camera_lighting_and_noise():
    look = Look(64, 36, 25, "mp4v", gain=(0.7, 0.7, 0.7), gamma=1.0, drift=0.2, noise_sigma=3.0, shake_px=4.0, seed=1)
    cam = Camera(look)
    frame = np.full((36, 64, 3), 200, np.uint8)
    means = [cam.expose(frame, t).mean() for t in np.linspace(0, look.drift_period, 9)]
    assert 100 < min(means) < max(means) < 175
    assert cam.expose(frame, 0.0).std() > 1.0
    assert max(abs(cam.shake(t)[0]) for t in np.linspace(0, 10, 50)) <= 4.0 * 36 / 720 + 1e-9


def test_uneven_light_ramps_across_the_bench():
    look = Look(64, 36, 25, "mp4v", light_grad=0.2, light_angle=0.0, seed=2)
    bg = np.full((36, 128, 3), 150, np.uint8)
    lit = Camera(look).light_bench(bg, scale=36.0)
    assert lit.shape == bg.shape and lit.dtype == np.uint8
    assert lit[:, :10].mean() > 150 > lit[:, -10:].mean()


def test_wrong_variant_leaves_a_different_result_or_motion():
    proj = Projection(180.0)
    for task in all_tasks():
        for s in task.steps:
            right, wrong = s.action, s.action.wrong()
            assert wrong.name != right.name
            a, b = np.zeros((180, 330, 3), np.uint8), np.zeros((180, 330, 3), np.uint8)
            right.draw_effect(a, proj)
            wrong.draw_effect(b, proj)
            moves_differ = [right.pose(u, (0.5, 0.9)) for u in np.linspace(0, 1, 21)] != \
                [wrong.pose(u, (0.5, 0.9)) for u in np.linspace(0, 1, 21)]
            assert moves_differ or not np.array_equal(a, b), (task.key, right.name)


def test_bad_arguments_raise_a_clear_error(tmp_path):
    from sopilot_resources.demo import generate_demo
    from sopilot_resources.errors import SopilotError

    with pytest.raises(SopilotError, match="seed"):
        generate_demo(tmp_path / "a", seed=-1, quick=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(SopilotError, match="directory"):
        generate_demo(tmp_path / "file", quick=True)
