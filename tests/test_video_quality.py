"""Quality flags on synthetic videos: each defect flags its clips, a normal video flags none."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from video_synth import textured, write_video  # noqa: E402

from sopilot_resources.video import QUALITY_FLAGS, QualityThresholds, assess_frames, iter_clips  # noqa: E402

W, H = 480, 360
scene = textured(W, H)
rng = np.random.default_rng(1)
VARIANTS = {
    "normal": (lambda i: scene(i), set()),
    "dark": (lambda i: (scene(i) * 0.15).astype(np.uint8), {"dark"}),
    "overexposed": (lambda i: np.clip(scene(i).astype(np.int16) + 170, 0, 255).astype(np.uint8), {"overexposed"}),
    "blurry": (lambda i: cv2.GaussianBlur(scene(i), (0, 0), 4), {"blurry"}),
    "frozen": (lambda i: scene(0), {"frozen"}),
    # a still scene seen by a live (noisy) camera is not frozen
    "still_noisy": (lambda i: np.clip(scene(0) + rng.normal(0, 4, (H, W, 3)), 0, 255).astype(np.uint8), set()),
    # mildly soft focus is not blurry
    "soft": (lambda i: cv2.GaussianBlur(scene(i), (0, 0), 1.5), set()),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_flags_on_synthetic_videos(tmp_path, name):
    fn, expected = VARIANTS[name]
    path = write_video(tmp_path / f"{name}.mp4", 120, fps=30, size=(W, H), frame=fn)
    clips = list(iter_clips(path))
    assert len(clips) == 7
    for c in clips:
        assert set(c.quality) == set(QUALITY_FLAGS)
        assert {f for f, v in c.quality.items() if v} == expected, (c.index, c.quality)


def test_frozen_segment_only_flags_its_clips(tmp_path):
    """Moving for 3 s, then the feed freezes for 3 s."""
    path = write_video(tmp_path / "freeze.avi", 180, fps=30, size=(320, 240), fourcc="MJPG",
                       frame=lambda i: textured()(min(i, 90)))
    clips = list(iter_clips(path))
    frozen = [c.quality["frozen"] for c in clips]
    assert not any(frozen[:2]) and all(frozen[-3:])
    assert all(c.start_sec >= 2.5 for c in clips if c.quality["frozen"])


def test_thresholds_are_parameters():
    frames = np.stack([textured(160, 120)(0)] * 4)[..., ::-1].copy()
    assert assess_frames(frames)["frozen"] is True
    assert assess_frames(frames, QualityThresholds(frozen_diff=0.0))["frozen"] is False
    assert assess_frames(frames, QualityThresholds(dark_luma=250.0))["dark"] is True
    assert assess_frames(frames, QualityThresholds(blurry_sharpness=1e6))["blurry"] is True
    flat = np.full((3, 120, 160, 3), 128, np.uint8)
    assert assess_frames(flat)["blurry"] is True  # no detail at all
