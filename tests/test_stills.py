"""Still pictures kept at ingest beside the clip embeddings (sopilot_resources.stills)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.ingest import ingest_video
from sopilot_resources.stills import Stills

sys.path.insert(0, str(Path(__file__).resolve().parent))
from video_synth import write_video  # noqa: E402


def test_stills_cover_the_whole_video_at_two_per_second(tmp_path):
    path = write_video(tmp_path / "v.mp4", 300, fps=30.0, size=(640, 360))  # 10 s
    emb = ingest_video(path, get_embedder("color-motion"))
    st = emb.stills
    assert st is not None and 19 <= len(st) <= 21
    assert st.times[0] == 0.0 and st.times[-1] >= 9.4  # from the first frame to the last second
    assert np.all(np.diff(st.times) > 0.4) and np.all(np.diff(st.times) < 0.6)
    frame = st.frame(3)
    assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8  # the sampler's 320 px frames
    assert st.frames([0, 1]).shape == (2, 180, 320, 3)
    assert list(st.between(1.0, 2.0)) == [2, 3, 4]


def test_stills_stay_within_two_megabytes_a_minute(tmp_path):
    path = write_video(tmp_path / "v.mp4", 300, fps=30.0, size=(1280, 720))
    st = ingest_video(path, get_embedder("color-motion")).stills
    assert st.nbytes / (10 / 60) < 2e6


def test_embeddings_are_the_same_with_or_without_stills(tmp_path):
    path = write_video(tmp_path / "v.mp4", 120, fps=30.0)
    emb = get_embedder("color-motion")
    with_, without = ingest_video(path, emb), ingest_video(path, emb, stills_fps=0)
    assert without.stills is None
    np.testing.assert_array_equal(with_.vectors, without.vectors)


def test_stills_round_trip_and_old_files_load_without(tmp_path):
    path = write_video(tmp_path / "v.mp4", 120, fps=30.0)
    emb = ingest_video(path, get_embedder("color-motion"))
    emb.save(tmp_path / "e.npz")
    back = ClipEmbeddings.load(tmp_path / "e.npz")
    np.testing.assert_array_equal(back.stills.jpeg, emb.stills.jpeg)
    np.testing.assert_array_equal(back.stills.times, emb.stills.times)
    emb.stills = None  # embeddings saved before stills existed
    emb.save(tmp_path / "old.npz")
    assert ClipEmbeddings.load(tmp_path / "old.npz").stills is None


def test_from_frames_keeps_pixels_close():
    rng = np.random.default_rng(0)
    img = np.repeat(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], 48, 0).repeat(3, 2)
    img = np.ascontiguousarray(img) + rng.integers(0, 3, img.shape, dtype=np.uint8)
    st = Stills.from_frames([img, img[::-1]], [0.0, 0.5])
    assert len(st) == 2 and np.abs(st.frame(0).astype(int) - img).mean() < 3


def test_contact_sheet_thumbnails_come_from_the_stills():
    from sopilot_assets.assets.embeddings import thumbnails

    img = np.full((18, 32, 3), 100, np.uint8)
    st = Stills.from_frames([img] * 30, np.arange(30) * 0.5)
    frames, times = thumbnails(st)
    assert frames.shape == (12, 18, 32, 3) and times[0] == 0.0 and times[-1] == 14.5
    assert thumbnails(None)[0].shape[0] == 0
