"""ingest_video / ingest_pair on real files written with cv2.VideoWriter."""
from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from embedder_scenes import render

from sopilot_resources.embedders import get_embedder
from sopilot_resources.embedders.color_motion import ColorMotionEmbedder
from sopilot_resources.errors import EmbedderError, EmptyVideoError, UnreadableVideoError
from sopilot_resources.ingest import MotionMeter, ingest_pair, ingest_video
from sopilot_resources.video import PrivacyMask, SamplingConfig
from sopilot_resources.video.types import QUALITY_FLAGS


def write_video(path: Path, plan, fps: int = 15, size=(480, 270), fourcc: str = "mp4v") -> Path:
    """plan: list of (step, seconds, still, flicker); still freezes the hand, flicker varies
    the brightness of every frame by up to +-15 %."""
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    rng = np.random.default_rng(0)
    for step, seconds, still, flicker in plan:
        for i in range(int(seconds * fps)):
            frame = render(step, 0.0 if still else i / fps).astype(np.float32)
            if flicker:
                frame *= 1.0 + rng.uniform(-0.15, 0.15)
            frame = np.clip(frame, 0, 255).astype(np.uint8)
            vw.write(cv2.resize(np.ascontiguousarray(frame[..., ::-1]), size))
    vw.release()
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("ingest")
    steps = [(s, 2.0, False, False) for s in range(5)]
    idle = [(0, 4.0, False, False), (1, 4.0, True, True), (2, 4.0, False, False)]
    return {
        "gold": write_video(d / "gold.mp4", steps),
        "trainee": write_video(d / "trainee.avi", steps, fps=25, size=(640, 360), fourcc="MJPG"),
        "idle": write_video(d / "idle.mp4", idle),
        "empty": _touch(d / "empty.mp4", b""),
        "garbage": _touch(d / "garbage.mp4", b"not a video at all" * 100),
    }


def _touch(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def emb():
    return get_embedder("color-motion")


def test_ingest_video_fills_every_field(videos, emb):
    timings: dict = {}
    ce = ingest_video(videos["gold"], emb, timings=timings)
    n = len(ce)
    assert n >= 15 and ce.vectors.shape == (n, emb.dim) and ce.vectors.dtype == np.float32
    assert np.all(np.diff(ce.starts) > 0) and np.all(ce.ends > ce.starts)
    assert ce.quality.shape == (n, len(QUALITY_FLAGS)) and ce.quality.dtype == bool
    assert ce.motion.shape == (n,) and ce.motion.dtype == np.float32
    assert np.all((ce.motion >= 0) & (ce.motion <= 1))
    assert ce.embedder == emb.identity()
    assert ce.video["path"] == str(videos["gold"]) and ce.video["width"] == 480
    assert ce.sampling == SamplingConfig().to_dict()
    assert set(timings) == {"decode_sec", "embed_sec", "wall_sec", "clips"} and timings["clips"] == n
    assert timings["wall_sec"] > 0 and timings["embed_sec"] > 0


def test_small_queue_gives_the_same_result(videos, emb):
    a = ingest_video(videos["gold"], emb)
    b = ingest_video(videos["gold"], emb, batch_clips=1)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    np.testing.assert_array_equal(a.motion, b.motion)


def test_pair_equals_two_single_ingests(videos, emb):
    timings: dict = {}
    g, t = ingest_pair(videos["gold"], videos["trainee"], emb, timings=timings)
    np.testing.assert_array_equal(g.vectors, ingest_video(videos["gold"], emb).vectors)
    np.testing.assert_array_equal(t.vectors, ingest_video(videos["trainee"], emb).vectors)
    assert set(timings) == {"gold", "trainee", "wall_sec"} and timings["gold"]["clips"] == len(g)
    # same steps, other codec / resolution / fps: aligned clips are far more alike than others
    n = min(len(g), len(t))
    sim = g.vectors[:n] @ t.vectors[:n].T
    assert np.diag(sim).mean() > sim.mean() + 0.2


def test_motion_is_low_when_idle_even_with_flicker(videos, emb):
    ce = ingest_video(videos["idle"], emb)
    idle = ce.motion[(ce.starts >= 4.5) & (ce.ends <= 7.5)]
    busy = ce.motion[(ce.ends <= 4.0) | (ce.starts >= 8.0)]
    assert len(idle) >= 3 and len(busy) >= 6
    assert idle.max() < 0.5 * busy.min(), (idle, busy)


def test_motion_meter_reuses_pairs_across_overlapping_clips():
    from embedder_scenes import make_clip

    base = make_clip(2, T=12)
    meter = MotionMeter()
    first = meter.measure(base)
    again = MotionMeter().measure(base)
    assert first == again and 0 < first < 1


def test_privacy_mask_reaches_the_embedder(videos, emb):
    plain = ingest_video(videos["gold"], emb)
    masked = ingest_video(videos["gold"], emb, mask=PrivacyMask(rects=((0.0, 0.0, 0.6, 1.0),)))
    assert np.abs(plain.vectors - masked.vectors).max() > 0.05


@pytest.mark.parametrize("name,error", [("empty", EmptyVideoError), ("garbage", UnreadableVideoError)])
def test_bad_files_raise_typed_errors(videos, emb, name, error):
    with pytest.raises(error):
        ingest_video(videos[name], emb)
    with pytest.raises(error):
        ingest_pair(videos["gold"], videos[name], emb)
    with pytest.raises(error):
        ingest_pair(videos[name], videos["gold"], emb)


class _FailingEmbedder(ColorMotionEmbedder):
    """The real embedder, made to fail after a few clips (fault injection)."""

    def embed_clips(self, clips):
        def limited():
            for k, clip in enumerate(clips):
                if k == 3:
                    raise EmbedderError("injected failure")
                yield clip

        return super().embed_clips(limited())


def test_embedder_failure_propagates_and_stops_the_reader(videos):
    before = threading.active_count()
    with pytest.raises(EmbedderError, match="injected"):
        ingest_video(videos["gold"], _FailingEmbedder(), batch_clips=2)
    with pytest.raises(EmbedderError, match="injected"):
        ingest_pair(videos["gold"], videos["trainee"], _FailingEmbedder(), batch_clips=2)
    assert threading.active_count() <= before  # no decode thread left behind
