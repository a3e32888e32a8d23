"""Demo generator parts: determinism, codecs, timelines, defects, rendering."""
from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from sopilot_resources.demo.actions import Key
from sopilot_resources.demo.arm import elbow_position
from sopilot_resources.demo.deviations import SLOW_FACTOR, Defect, apply_defect, pick_defects
from sopilot_resources.demo.generate import task_jobs
from sopilot_resources.demo.geometry import Projection
from sopilot_resources.demo.nuisance import Camera, Look
from sopilot_resources.demo.plan import canonical_entries, gold_durations, paced_entries, realize
from sopilot_resources.demo.procedures import all_tasks
from sopilot_resources.demo.render import render_performance
from sopilot_resources.demo.scene import render_background
from sopilot_resources.demo.writer import CODECS, VideoSink, resolve_codec


def _plain(jobs):
    return [(j.rel_path, j.record, j.look, j.performer) for j in jobs]


def test_plans_are_deterministic_per_seed():
    task = all_tasks()[0]
    a, meta_a = task_jobs(task, 0, seed=7, quick=False)
    b, meta_b = task_jobs(task, 0, seed=7, quick=False)
    c, _ = task_jobs(task, 0, seed=8, quick=False)
    assert _plain(a) == _plain(b) and meta_a == meta_b
    assert _plain(a) != _plain(c)


def test_same_seed_renders_the_same_frames(tmp_path):
    task = all_tasks()[1]
    job = task_jobs(task, 1, seed=3, quick=True)[0][3]
    seg = [s for s in job.segments if s.end_sec <= 4.0] or job.segments[:1]
    frames = []
    for k in range(2):
        info = render_performance(tmp_path / f"v{k}", task, seg, job.performer, job.look)
        cap = cv2.VideoCapture(str(info["path"]))
        frames.append([cap.read()[1] for _ in range(10)])
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
    lay = all_tasks()[0].layout
    small, _ = render_background(lay, 180)
    big, _ = render_background(lay, 720)
    down = cv2.resize(big, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.mean(np.abs(down.astype(int) - small.astype(int))) < 6


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
