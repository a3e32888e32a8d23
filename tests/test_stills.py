"""Still pictures kept at ingest beside the clip embeddings (sopilot_resources.stills)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.ingest import ingest_video
from sopilot_resources.stills import BYTES_PER_MINUTE, Stills

sys.path.insert(0, str(Path(__file__).resolve().parent))
from video_synth import write_video  # noqa: E402


def calm(w: int, h: int):
    """Frames of a calm scene (a lit wall, a moving box): stills of it fit their budget at full size."""
    ramp = np.linspace(60, 200, w, dtype=np.float32)[None, :, None].repeat(h, 0).repeat(3, 2)

    def frame(i: int) -> np.ndarray:
        img = ramp.astype(np.uint8)
        x = (i * 4) % (w - 40)
        img[h // 3:h // 3 + 30, x:x + 40] = (40, 160, 220)
        return img
    return frame


def test_stills_cover_the_whole_video_at_two_per_second(tmp_path):
    path = write_video(tmp_path / "v.mp4", 300, fps=30.0, size=(640, 360), frame=calm(640, 360))  # 10 s
    emb = ingest_video(path, get_embedder("color-motion"))
    st = emb.stills
    assert st is not None and 19 <= len(st) <= 21
    assert st.times[0] == 0.0 and st.times[-1] >= 9.4  # from the first frame to the last second
    assert np.all(np.diff(st.times) > 0.4) and np.all(np.diff(st.times) < 0.6)
    frame = st.frame(3)
    assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8  # STILLS_SIDE, twice the clips' frames
    assert st.frames([0, 1]).shape == (2, 360, 640, 3)
    assert list(st.between(1.0, 2.0)) == [2, 3, 4]


def test_stills_are_never_larger_than_the_source_and_hide_what_the_privacy_mask_hides(tmp_path):
    from sopilot_resources.video import PrivacyMask

    small = write_video(tmp_path / "s.mp4", 90, fps=30.0, size=(480, 270), frame=calm(480, 270))
    assert ingest_video(small, get_embedder("color-motion")).stills.frame(0).shape == (270, 480, 3)
    big = write_video(tmp_path / "b.mp4", 90, fps=30.0, size=(1280, 720), frame=calm(1280, 720))
    st = ingest_video(big, get_embedder("color-motion"), mask=PrivacyMask(((0.5, 0.0, 1.0, 0.5),))).stills
    frame = st.frame(1)
    assert frame.shape == (360, 640, 3)
    assert frame[:170, 330:].max() < 30 and frame[200:, :300].min() > 40  # black where masked, only there


def test_stills_stay_within_their_budget_a_minute(tmp_path):
    path = write_video(tmp_path / "v.mp4", 300, fps=30.0, size=(1280, 720))
    st = ingest_video(path, get_embedder("color-motion")).stills
    assert st.nbytes / (10 / 60) < BYTES_PER_MINUTE
    # a picture this busy does not fit at the stills' size even at quality 40: kept at the clips'
    assert {st.frame(i).shape for i in range(len(st))} == {(180, 320, 3)}


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


def test_a_video_whose_first_stills_are_too_busy_keeps_all_its_stills_at_one_smaller_size():
    """The budget's last resort (half size) is taken once for the whole video: the scene
    comparison reads a video's stills at one size."""
    from sopilot_resources.stills import MIN_SIDE, encode_within, ladder
    from sopilot_resources.stills_tap import StillsTap
    from sopilot_resources.video.types import Clip

    rng = np.random.default_rng(0)
    busy = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(4)]
    calm_ = [np.full((360, 640, 3), 120, np.uint8) for _ in range(4)]
    rung = encode_within(busy[0], 30_000)[1]
    assert ladder()[rung][0] == 0.5  # random pixels fit only at half size
    assert encode_within(calm_[0], 30_000)[1] == 0  # a calm one at full size and quality
    small = [f[::2, ::2].copy() for f in busy + calm_]
    clips = [Clip(i, i * 0.5, i * 0.5 + 0.5, small[i][None], np.array([i]), np.array([i * 0.5]),
                  details=((busy + calm_)[i],)) for i in range(8)]
    tap = StillsTap(get_embedder("color-motion"))
    list(tap._tap(clips))
    st = tap.stills()
    assert len(st) == 8 and {st.frame(i).shape[1] for i in range(8)} == {MIN_SIDE}
