"""Bad input: each case raises its typed error with a one-line message, and never hangs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from video_synth import faststart, write_video  # noqa: E402

from sopilot_resources.errors import (  # noqa: E402
    EmptyVideoError, TooShortVideoError, TruncatedVideoError, UnreadableVideoError,
    UnsupportedFormatError, VideoError,
)
from sopilot_resources.video import SamplingConfig, check_video_file, iter_clips, probe  # noqa: E402


def _raises(exc, path, reason, call=lambda p: list(iter_clips(p))):
    with pytest.raises(exc) as e:
        call(path)
    err = e.value
    assert isinstance(err, VideoError) and err.reason == reason
    msg = str(err)
    assert "\n" not in msg and msg.startswith(str(path)) and len(msg) < 300
    return msg


@pytest.mark.timeout(60)
def test_zero_byte(tmp_path):
    (tmp_path / "empty.mp4").touch()
    msg = _raises(EmptyVideoError, tmp_path / "empty.mp4", "empty_file")
    assert "0 bytes" in msg
    _raises(EmptyVideoError, tmp_path / "empty.mp4", "empty_file", check_video_file)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("ext", [".mp4", ".mkv", ".avi", ".webm", ".mov"])
def test_garbage_bytes_with_video_extension(tmp_path, ext):
    path = tmp_path / f"garbage{ext}"
    path.write_bytes(np.random.default_rng(0).bytes(200_000))
    msg = _raises(UnreadableVideoError, path, "unreadable", probe)
    assert "re-" in msg  # says what to do
    _raises(UnreadableVideoError, path, "unreadable")


@pytest.mark.timeout(60)
def test_text_file_renamed_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 1000)
    _raises(UnreadableVideoError, path, "unreadable")


@pytest.mark.timeout(60)
def test_wrong_extension(tmp_path):
    path = write_video(tmp_path / "v.mp4", 60)
    renamed = path.rename(tmp_path / "v.gif")
    msg = _raises(UnsupportedFormatError, renamed, "unsupported_format", check_video_file)
    assert ".gif" in msg and ".mp4" in msg
    (tmp_path / "noext").write_bytes(b"x")
    _raises(UnsupportedFormatError, tmp_path / "noext", "unsupported_format")


@pytest.mark.timeout(60)
def test_missing_file_directory_and_fifo(tmp_path):
    _raises(UnreadableVideoError, tmp_path / "nope.mp4", "unreadable")
    (tmp_path / "dir.mp4").mkdir()
    _raises(UnreadableVideoError, tmp_path / "dir.mp4", "unreadable")
    os.mkfifo(tmp_path / "pipe.mp4")  # opening it would block forever
    _raises(UnreadableVideoError, tmp_path / "pipe.mp4", "unreadable")


@pytest.mark.timeout(60)
def test_mp4_cut_in_half_index_at_end(tmp_path):
    """cv2 writes the MP4 index ('moov') at the end: cut in half, nothing can open it."""
    data = write_video(tmp_path / "v.mp4", 150).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    msg = _raises(UnreadableVideoError, cut, "unreadable")
    assert "truncated" in msg


@pytest.mark.timeout(60)
def test_mp4_cut_in_half_index_in_front(tmp_path):
    """A 'faststart' MP4 (index first, as cameras and web exports write) cut in half opens,
    promises 150 frames and delivers about 75: truncated."""
    data = faststart(write_video(tmp_path / "v.mp4", 150).read_bytes())
    whole = tmp_path / "whole.mp4"
    whole.write_bytes(data)
    assert probe(whole).frame_count == 150 and len(list(iter_clips(whole))) == 9  # the rewrite is valid
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    msg = _raises(TruncatedVideoError, cut, "truncated")
    assert "of 150 frames" in msg


@pytest.mark.timeout(60)
@pytest.mark.parametrize("ext,fourcc", [(".mkv", "mp4v"), (".avi", "MJPG"), (".webm", "VP80")])
def test_other_containers_cut_in_half(tmp_path, ext, fourcc):
    data = write_video(tmp_path / f"v{ext}", 150, fourcc=fourcc).read_bytes()
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(data[: len(data) // 2])
    _raises(TruncatedVideoError, cut, "truncated")


@pytest.mark.timeout(60)
def test_few_frames_short_is_tolerated(tmp_path):
    """Off by a few frames (common in real files) is not truncation."""
    data = write_video(tmp_path / "v.avi", 150, fourcc="MJPG").read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.97)])
    assert len(list(iter_clips(cut))) >= 7


@pytest.mark.timeout(60)
def test_too_short(tmp_path):
    path = write_video(tmp_path / "short.mp4", 60)  # 2 s: 3 clips < min_clips 4
    msg = _raises(TooShortVideoError, path, "too_short")
    assert "at least 4" in msg
    assert len(list(iter_clips(path, SamplingConfig(min_clips=3)))) == 3
    one = write_video(tmp_path / "one.avi", 1, fourcc="MJPG")  # a single frame
    _raises(TooShortVideoError, one, "too_short")


def test_bad_sampling_config(tmp_path):
    path = write_video(tmp_path / "v.mp4", 30)
    with pytest.raises(ValueError):
        list(iter_clips(path, SamplingConfig(target_fps=0)))
