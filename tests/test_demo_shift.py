"""The demo's shift option (issue 16): a timeline of many cycles with its ground truth, and a
recording that starts and stops mid-cycle."""
from dataclasses import replace

import cv2
import numpy as np

from sopilot_resources.demo.arm import GOLD_PERFORMER
from sopilot_resources.demo.clutter import dress_station
from sopilot_resources.demo.look import gold_look
from sopilot_resources.demo.plan import gold_durations
from sopilot_resources.demo.procedures import all_tasks
from sopilot_resources.demo.render import render_performance
from sopilot_resources.demo.shift import CHANGEOVER_SEC, shift_timeline

TASK = dress_station(replace(all_tasks()[0], steps=all_tasks()[0].steps[:5]), 0, 0)
GOLD = gold_durations(TASK, np.random.default_rng(1), True)


def test_shift_timeline_truth():
    segs, truth, skip, stop = shift_timeline(TASK, GOLD, np.random.default_rng(4), 30, defect_share=0.3)
    assert len(truth) == 30 and truth[0]["partial"] and truth[-1]["partial"]
    assert not any(c["partial"] for c in truth[1:-1]) and truth[0]["start_sec"] == 0.0
    assert truth[-1]["end_sec"] == round(stop - skip, 3) and segs[-1].end_sec == stop
    kinds = {c["kind"] for c in truth}
    assert "correct" in kinds and len(kinds) >= 3  # correct and defective cycles mixed
    for a, b in zip(truth, truth[1:]):  # a changeover between cycles
        assert CHANGEOVER_SEC[0] <= b["start_sec"] - a["end_sec"] <= CHANGEOVER_SEC[1] + 1.0 + 1e-6
    for c in truth[1:-1]:  # a cycle's defect lies in it, in recording seconds
        for d in c["deviations"]:
            if d["trainee_time"]:
                assert c["start_sec"] - 1e-6 <= d["trainee_time"]["start_sec"] <= c["end_sec"] + 12.5
    steps = [s for s in segs if s.role not in ("idle", "changeover")]
    assert all(s.start_sec - skip <= c["end_sec"] for c, s in zip(truth[1:2], steps)) and skip > 0


def _frames(tmp, task, gold, seed, fps=8):
    segs, truth, skip, stop = shift_timeline(task, gold, np.random.default_rng(seed), 3, defect_share=0.0)
    info = render_performance(f"{tmp}/shift-{task.key}", task, segs, GOLD_PERFORMER, gold_look((320, 180), fps, "mjpg", 1),
                              skip_sec=skip)
    cap = cv2.VideoCapture(str(info["path"]))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f.astype(np.int16))
    assert len(frames) == info["frame_count"] == int(round(stop * fps)) - int(round(skip * fps))
    return frames, truth


def test_a_body_worn_camera_walking_back_between_cycles_keeps_every_frame(tmp_path):
    pan = dress_station(replace(all_tasks()[1], steps=all_tasks()[1].steps[:5]), 0, 1)
    assert pan.camera == "pan"
    _frames(tmp_path, pan, gold_durations(pan, np.random.default_rng(1), True), 6, fps=4)


def test_recording_starts_and_stops_mid_cycle_and_resets_the_station(tmp_path):
    frames, truth = _frames(tmp_path, TASK, GOLD, 5)
    # the station in the changeover before cycle 2 is as before cycle 1, not as after it
    before1 = frames[int((truth[1]["start_sec"] - 0.3) * 8)]
    after1 = frames[int((truth[1]["end_sec"] + 0.5) * 8)]
    before2 = frames[int((truth[2]["start_sec"] - 0.3) * 8)]
    assert np.abs(before2 - before1).mean() < 0.5 * np.abs(after1 - before1).mean()
