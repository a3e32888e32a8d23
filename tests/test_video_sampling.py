"""Sampling rate, clip windows, resize, colour order, decode-once and bounded memory."""
from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from video_synth import write_video  # noqa: E402

from sopilot_resources.video import (  # noqa: E402
    SamplingConfig, expected_clip_count, iter_clips, iter_sampled_frames, probe,
)
from sopilot_resources.video import sampler as sampler_mod  # noqa: E402
from sopilot_resources.video.types import Clip  # noqa: E402

#: the mechanics below are checked at 4 fps (the default is 8: two 4 fps samplings per clip)
FOUR = SamplingConfig(target_fps=4.0)


@pytest.mark.parametrize("fps", [30.0, 25.0])
def test_sampled_timestamps_follow_target_fps(tmp_path, fps):
    path = write_video(tmp_path / "v.mp4", int(10 * fps), fps=fps, size=(160, 120))
    frames = list(iter_sampled_frames(path, FOUR))
    t = np.array([f.time for f in frames])
    assert len(frames) == 40  # 10 s at 4 fps
    grid = np.round(t / 0.25)
    assert np.array_equal(grid, np.arange(40))  # one sample per 1/4 s slot, none skipped
    assert np.all(np.abs(t - grid * 0.25) <= 0.5 / fps + 1e-6)  # within half a source frame
    assert [f.index for f in frames] == list(range(40))
    src = np.array([f.source_index for f in frames])
    assert np.allclose(t, src / fps, atol=1e-3)  # timestamps agree with frame index / fps


def test_target_fps_parameter(tmp_path):
    path = write_video(tmp_path / "v.avi", 150, fps=30, size=(160, 120), fourcc="MJPG")
    assert len(list(iter_sampled_frames(path, SamplingConfig(target_fps=2.0)))) == 10
    assert len(list(iter_sampled_frames(path, SamplingConfig(target_fps=10.0)))) == 50
    # source slower than the target: every frame is kept
    slow = write_video(tmp_path / "slow.avi", 20, fps=2, size=(160, 120), fourcc="MJPG")
    assert len(list(iter_sampled_frames(slow))) == 20


def test_motion_pairs_a_quarter_second_apart(tmp_path):
    """Motion pairs each frame with the one about 0.25 s on (the next one at 4 fps or from a
    slower source; two on at 8 fps)."""
    path = write_video(tmp_path / "v.mp4", 150, fps=30, size=(160, 120))
    assert list(iter_clips(path, FOUR))[0].motion_pairs() == [(k, k + 1) for k in range(7)]
    assert list(iter_clips(path, SamplingConfig(target_fps=8.0)))[0].motion_pairs() == [(k, k + 2) for k in range(14)]
    slow = Clip(0, 0.0, 2.0, np.zeros((5, 2, 2, 3), np.uint8), np.arange(5), np.arange(5) * 0.4)
    assert slow.motion_pairs() == [(k, k + 1) for k in range(4)]
    one = Clip(0, 0.0, 2.0, np.zeros((1, 2, 2, 3), np.uint8), np.arange(1), np.zeros(1))
    assert one.motion_pairs() == []


def test_sampling_phase_moves_every_instant(tmp_path):
    """phase_sec: every sample that much later (not just the first), the same rate; phase 0 is
    the default and is left out of the config's dict (stored embeddings keep their keys)."""
    path = write_video(tmp_path / "v.mp4", 300, fps=30, size=(160, 120))
    t0 = np.array([f.time for f in iter_sampled_frames(path, FOUR)])
    t1 = np.array([f.time for f in iter_sampled_frames(path, SamplingConfig(target_fps=4.0, phase_sec=0.1))])
    assert len(t1) == len(t0) == 40
    grid = np.round((t1 - 0.1) / 0.25)
    assert np.array_equal(grid, np.arange(len(t1)))
    assert np.all(np.abs(t1 - 0.1 - grid * 0.25) <= 0.5 / 30 + 1e-6)
    assert "phase_sec" not in SamplingConfig().to_dict()
    assert SamplingConfig(phase_sec=0.1).to_dict()["phase_sec"] == 0.1


@pytest.mark.parametrize("seconds", [3.5, 5.0, 8.0])
def test_clip_windows(tmp_path, seconds):
    path = write_video(tmp_path / "v.mp4", int(seconds * 30), fps=30, size=(160, 120))
    clips = list(iter_clips(path, FOUR))
    assert len(clips) == expected_clip_count(seconds) == int((seconds - 1.0) / 0.5) + 1
    for k, c in enumerate(clips):
        assert c.index == k
        assert c.start_sec == pytest.approx(k * 0.5)
        assert c.end_sec == pytest.approx(min(k * 0.5 + 2.0, seconds), abs=1e-6)
        assert np.all(c.times >= c.start_sec - 0.125) and np.all(c.times < c.start_sec + 2.0 - 0.12)
        assert np.array_equal(c.frame_indices, np.arange(2 * k, 2 * k + len(c.frame_indices)))
        assert len(c.frame_indices) == (8 if c.end_sec == pytest.approx(k * 0.5 + 2.0) else len(c.frames))
        assert len(c.frames) >= 4  # the last partial window holds at least half a clip
    # overlapping clips hold the same sampled frames (decoded once, shared)
    assert np.array_equal(clips[1].frames[0], clips[0].frames[2])


def test_clip_len_and_hop_are_parameters(tmp_path):
    path = write_video(tmp_path / "v.mp4", 300, fps=30, size=(160, 120))
    s = SamplingConfig(clip_sec=4.0, hop_sec=1.0, target_fps=2.0)
    clips = list(iter_clips(path, s))
    assert len(clips) == expected_clip_count(10.0, s) == 9
    assert [c.start_sec for c in clips] == [float(k) for k in range(9)]
    assert all(len(c.frames) == 8 for c in clips[:7])


@pytest.mark.parametrize("size,max_side,expect", [
    ((640, 360), 320, (180, 320)),
    ((240, 320), 320, (320, 240)),
    ((160, 120), 320, (240, 320)),
    ((640, 480), 224, (168, 224)),
])
def test_resize_longest_side(tmp_path, size, max_side, expect):
    path = write_video(tmp_path / "v.avi", 30, fps=30, size=size, fourcc="MJPG")
    f = next(iter(iter_sampled_frames(path, SamplingConfig(max_side=max_side))))
    assert f.rgb.shape == (*expect, 3) and f.rgb.dtype == np.uint8


def test_frames_are_rgb(tmp_path):
    def blue_bgr(i):
        f = np.zeros((120, 160, 3), np.uint8)
        f[..., 0] = 230  # blue in OpenCV's BGR order
        return f

    path = write_video(tmp_path / "blue.avi", 30, size=(160, 120), fourcc="MJPG", frame=blue_bgr)
    rgb = next(iter(iter_sampled_frames(path))).rgb
    assert rgb[..., 2].mean() > 200 and rgb[..., 0].mean() < 30


class CountingCapture:
    """A real cv2.VideoCapture that counts what the reader asks of it."""

    def __init__(self, cap):
        self.cap, self.grabs, self.retrieves, self.seeks = cap, 0, 0, 0

    def grab(self):
        ok = self.cap.grab()
        self.grabs += ok
        return ok

    def retrieve(self, *a):
        self.retrieves += 1
        return self.cap.retrieve(*a)

    def set(self, prop, value):
        self.seeks += 1
        return self.cap.set(prop, value)

    def __getattr__(self, name):
        return getattr(self.cap, name)


def test_each_frame_decoded_once_and_only_kept_ones_retrieved(tmp_path, monkeypatch):
    path = write_video(tmp_path / "v.mp4", 240, fps=30, size=(320, 240))
    made = []
    real_open = sampler_mod.open_capture

    def counting_open(real, threads=None):
        made.append(CountingCapture(real_open(real, threads)))
        return made[-1]

    monkeypatch.setattr(sampler_mod, "open_capture", counting_open)
    clips = list(iter_clips(path, FOUR))
    (cap,) = made  # one pass over the file, one decoder
    assert cap.grabs == 240  # every frame grabbed once
    assert cap.retrieves == 32  # 8 s at 4 fps: only the kept frames are converted
    assert cap.seeks == 0
    assert sorted({int(i) for c in clips for i in c.frame_indices}) == list(range(32))


def test_memory_stays_bounded_on_long_video(tmp_path):
    """60 s of video: the reader holds about one clip of frames, not the video."""
    path = write_video(tmp_path / "long.mp4", 1800, fps=30, size=(320, 240))
    n, weak = 0, []
    gc.collect()
    tracemalloc.start()
    try:
        for clip in iter_clips(path):
            n += 1
            if n % 20 == 0:
                import weakref
                weak.append(weakref.ref(clip.frames))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    frame_bytes = 240 * 320 * 3
    assert n == expected_clip_count(60.0) == 119
    # tracemalloc sees numpy/cv2 frame buffers: at least one stacked 8-frame clip shows up ...
    assert peak >= 8 * frame_bytes
    # ... but far from the 240 sampled frames (55 MB) of the whole video: ring buffer + one clip
    assert peak < 40 * frame_bytes
    del clip
    gc.collect()
    assert all(w() is None for w in weak)  # no clip kept alive by the reader
    assert probe(path).frame_count == 1800


def test_decode_threads_gives_same_frames(tmp_path):
    path = write_video(tmp_path / "v.mp4", 60, fps=30, size=(160, 120))
    a = [f.rgb for f in iter_sampled_frames(path, FOUR)]
    b = [f.rgb for f in iter_sampled_frames(path, FOUR, decode_threads=1)]
    assert len(a) == len(b) == 8 and all(np.array_equal(x, y) for x, y in zip(a, b))


class NoTimestampCapture(CountingCapture):
    """A real capture whose container gives no timestamps (POS_MSEC stuck at 0)."""

    def get(self, prop):
        return 0.0 if prop == cv2.CAP_PROP_POS_MSEC else self.cap.get(prop)


def test_missing_timestamps_fall_back_to_frame_index(tmp_path, monkeypatch):
    path = write_video(tmp_path / "v.mp4", 150, fps=25, size=(160, 120))
    real_open = sampler_mod.open_capture
    monkeypatch.setattr(sampler_mod, "open_capture", lambda real, threads=None: NoTimestampCapture(real_open(real, threads)))
    frames = list(iter_sampled_frames(path, FOUR))
    assert len(frames) == 24  # 6 s at 4 fps
    assert np.allclose([f.time for f in frames], [f.source_index / 25 for f in frames])
    assert len(list(iter_clips(path, FOUR))) == expected_clip_count(6.0)
