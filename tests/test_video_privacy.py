"""Privacy mask: regions are blacked out / blurred in every frame a Clip carries."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from video_synth import write_video  # noqa: E402

from sopilot_resources.video import PrivacyMask, iter_clips  # noqa: E402


def _bright_textured(i):
    rng = np.random.default_rng(i)
    f = rng.integers(60, 256, (240, 320, 3), dtype=np.uint8)
    return cv2.resize(f[::4, ::4], (320, 240), interpolation=cv2.INTER_NEAREST)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("priv") / "v.avi", 90, fourcc="MJPG", frame=_bright_textured)


def test_black_mask(video):
    mask = PrivacyMask(rects=((0.0, 0.0, 0.25, 0.5), (0.5, 0.5, 1.0, 1.0)), mode="black")
    clips = list(iter_clips(video, mask=mask))
    for c in clips:
        f = c.frames  # (T, 240, 320, 3)
        assert np.all(f[:, :120, :80] == 0) and np.all(f[:, 120:, 160:] == 0)
        assert f[:, :120, 80:160].mean() > 100  # outside the rectangles untouched
        assert f[:, 120:, :160].mean() > 100


def test_blur_mask(video):
    plain = next(iter(iter_clips(video))).frames
    blurred = next(iter(iter_clips(video, mask=PrivacyMask(rects=((0.25, 0.25, 0.75, 0.75),), mode="blur")))).frames
    roi = (slice(None), slice(60, 180), slice(80, 240))
    lap = lambda a: np.mean([cv2.Laplacian(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var() for x in a])
    assert lap(blurred[roi]) < lap(plain[roi]) / 50  # detail destroyed
    assert abs(blurred[roi].mean() - plain[roi].mean()) < 10  # not blacked out: colour kept
    assert np.array_equal(blurred[:, :40], plain[:, :40])  # outside untouched


def test_mask_validation():
    with pytest.raises(ValueError):
        PrivacyMask(rects=((0.5, 0.0, 0.2, 1.0),))
    with pytest.raises(ValueError):
        PrivacyMask(rects=((0.0, 0.0, 1.2, 1.0),))
    with pytest.raises(ValueError):
        PrivacyMask(rects=((0.0, 0.0, 1.0, 1.0),), mode="pixelate")
    m = PrivacyMask.from_dict({"rects": [[0, 0, 0.5, 0.5]], "mode": "blur"})
    assert m.to_dict() == {"rects": [[0.0, 0.0, 0.5, 0.5]], "mode": "blur"}
    assert m.pixel_rects(240, 320) == [(0, 0, 160, 120)]


def test_quality_measured_before_mask(tmp_path):
    """A big black mask must not make a well-lit video 'dark'."""
    path = write_video(tmp_path / "v.avi", 120, fourcc="MJPG", frame=_bright_textured)
    clips = list(iter_clips(path, mask=PrivacyMask(rects=((0.0, 0.0, 1.0, 0.9),))))
    assert clips[0].frames[:, :200].max() == 0
    assert not any(c.quality["dark"] for c in clips)
