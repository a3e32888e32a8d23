"""probe / check_video_file on every container and codec this cv2 build can write."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from video_synth import write_ffmpeg, write_video  # noqa: E402

from sopilot_resources.video import UNKNOWN, check_video_file, iter_clips, iter_sampled_frames, probe  # noqa: E402

# (extension, fourcc written, codec texts OpenCV may report back)
WRITABLE = [
    (".mp4", "mp4v", {"FMP4", "mp4v"}),
    (".mov", "mp4v", {"FMP4", "mp4v"}),
    (".m4v", "mp4v", {"FMP4", "mp4v"}),
    (".mkv", "mp4v", {"FMP4", "mp4v"}),
    (".avi", "MJPG", {"MJPG"}),
    (".mkv", "MJPG", {"MJPG"}),
    (".webm", "VP80", {"VP80"}),
]


@pytest.mark.parametrize("ext,fourcc,codecs", WRITABLE, ids=[f"{e[1:]}-{f}" for e, f, _ in WRITABLE])
def test_probe_and_read_each_container(tmp_path, ext, fourcc, codecs):
    path = write_video(tmp_path / f"v{ext}", 90, fps=30, size=(320, 240), fourcc=fourcc)
    info = probe(path)
    assert info.path == str(path)
    assert info.fps == pytest.approx(30.0, abs=0.05)
    assert (info.width, info.height) == (320, 240)
    assert info.codec in codecs
    assert abs(info.frame_count - 90) <= 1
    assert info.duration_sec == pytest.approx(3.0, abs=0.05)
    assert info.size_bytes == path.stat().st_size > 0
    clips = list(iter_clips(path))
    assert len(clips) == 5  # windows at 0, 0.5, 1.0, 1.5 full; 2.0 partial with >= half a clip
    assert clips[0].frames.shape == (8, 240, 320, 3) and clips[0].frames.dtype == np.uint8


def test_h264_mp4_long_gop(tmp_path):
    """H.264 with a 300-frame keyframe interval (cv2 here cannot encode H.264; the ffmpeg
    binary from imageio-ffmpeg can)."""
    path = write_ffmpeg(tmp_path / "h264.mp4", 120, fps=30, size=(640, 360))
    info = probe(path)
    assert info.codec in {"avc1", "h264", "H264"}
    assert (info.width, info.height, info.frame_count) == (640, 360, 120)
    clips = list(iter_clips(path))
    assert len(clips) == 7
    assert clips[0].frames.shape == (8, 180, 320, 3)


def test_variable_frame_rate_uses_timestamps(tmp_path):
    """First second at 30 fps, then 10 fps: sampled times must follow the timestamps,
    not frame index / average fps."""
    expr = "if(lt(N,30),N/30,1+(N-30)/10)/TB"
    path = write_ffmpeg(tmp_path / "vfr.mkv", 60, fps=30, args=(
        "-vf", f"setpts='{expr}'", "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p"))
    frames = list(iter_sampled_frames(path))
    times = np.array([f.time for f in frames])
    src = np.array([f.source_index for f in frames])
    # frame 33 is at 1.3 s by its timestamp (index / 30 fps would say 1.1 s)
    assert times[src == 33] == pytest.approx([1.3], abs=0.01)
    assert 3.7 <= times[-1] <= 3.95  # last frame at 1 + 29/10 s
    steps = np.diff(times)
    assert np.all(steps > 0.19) and np.all(steps < 0.31)
    assert len(list(iter_clips(path))) == 7


def test_symlink_reads_and_reports_real_path(tmp_path):
    real = write_video(tmp_path / "real.mp4", 60)
    link = tmp_path / "link.mp4"
    link.symlink_to(real)
    assert probe(link).frame_count == 60
    bad = tmp_path / "garbage.mp4"
    bad.write_bytes(b"\x00\x01not a video" * 100)
    badlink = tmp_path / "badlink.mp4"
    badlink.symlink_to(bad)
    with pytest.raises(Exception) as e:
        probe(badlink)
    assert str(bad) in str(e.value) and "symlink" in str(e.value)


def test_check_video_file_limits(tmp_path):
    from sopilot_resources.errors import VideoTooLargeError

    path = write_video(tmp_path / "v.avi", 150, fourcc="MJPG")
    info = check_video_file(path)
    assert info.frame_count == 150
    with pytest.raises(VideoTooLargeError) as e:
        check_video_file(path, max_bytes=1000)
    assert e.value.reason == "too_large" and "limit" in str(e.value)
    with pytest.raises(VideoTooLargeError):
        check_video_file(path, max_duration_sec=2.0)
    with pytest.raises(VideoTooLargeError):  # enforced while streaming too
        list(iter_clips(path, max_duration_sec=2.0))
    assert check_video_file(path, max_bytes=10**9, max_duration_sec=10.0) == info


def test_unknown_values_are_marked_not_guessed():
    from sopilot_resources.video.probe import fourcc_text, sane_count, sane_fps

    assert sane_count(-1.0) == UNKNOWN and sane_count(float("nan")) == UNKNOWN and sane_count(1e12) == UNKNOWN
    assert sane_fps(0.0) == UNKNOWN and sane_fps(90000.0) == UNKNOWN and sane_fps(29.97) == 29.97
    assert fourcc_text(cv2.VideoWriter_fourcc(*"avc1")) == "avc1" and fourcc_text(0) == "unknown"


def test_timestamp_gap_skips_empty_windows(tmp_path):
    """1 s of video, a 19 s hole in the timestamps, 1 more second: the windows over the hole
    are skipped, the indices stay sequential, and it is not taken for truncation."""
    expr = "if(lt(N,30),N/30,20+(N-30)/30)/TB"
    path = write_ffmpeg(tmp_path / "gap.mkv", 60, fps=30, args=(
        "-vf", f"setpts='{expr}'", "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p"))
    clips = list(iter_clips(path))
    assert [c.index for c in clips] == [0, 1, 2, 3]
    assert [c.start_sec for c in clips] == [0.0, 19.0, 19.5, 20.0]
    for c in clips:
        assert len(c.frames) >= 4
        assert np.all(c.times < 1.0) or np.all(c.times >= 20.0)


def test_check_video_file_accepts_every_good_container(tmp_path):
    """The intake's stream checks (sopilot_resources/video/integrity.py: more than one frame,
    at least 1 s, as long as the container declares) pass on every container, long-GOP H.264
    and a variable-frame-rate mkv (whose container frame count is only an estimate)."""
    paths = [write_video(tmp_path / f"v{i}{ext}", 45, fps=30, fourcc=fourcc) for i, (ext, fourcc, _) in enumerate(WRITABLE)]
    paths.append(write_ffmpeg(tmp_path / "h264.mp4", 120, fps=30))
    expr = "if(lt(N,30),N/30,1+(N-30)/10)/TB"
    paths.append(write_ffmpeg(tmp_path / "vfr.mkv", 60, fps=30, args=(
        "-vf", f"setpts='{expr}'", "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p")))
    for p in paths:
        assert check_video_file(p).width == 320, p.name
