"""Cheap facts about a video file, from OpenCV's container properties (no ffprobe).

``probe`` opens the file, reads its properties and decodes ONE frame, so a file it accepts
is known to hold at least one decodable frame. Unknown values are reported as such
(``UNKNOWN``) instead of being guessed.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import cv2

from ..errors import (
    EmptyVideoError,
    UnreadableVideoError,
    UnsupportedFormatError,
    VideoTooLargeError,
)
from .types import VIDEO_EXTENSIONS, VideoInfo

#: value of ``VideoInfo.frame_count`` / ``duration_sec`` / ``fps`` when the container does not say
UNKNOWN = -1

#: frame counts above this (about 11.5 days at 100 fps) are container garbage, not a count
_MAX_SANE_FRAMES = 10**8


def display_path(path: str | os.PathLike) -> str:
    """The path as given, plus the real file when it is a symlink: ``a.mp4 (symlink to /x/b.mp4)``."""
    p = Path(path)
    if p.is_symlink():
        return f"{p} (symlink to {p.resolve()})"
    return str(p)


def check_path(path: str | os.PathLike) -> Path:
    """Checks extension, existence, regular file, non-empty. Returns the resolved real path.

    Raises UnsupportedFormatError, UnreadableVideoError, EmptyVideoError."""
    p = Path(path)
    shown = display_path(p)
    if p.suffix.lower() not in VIDEO_EXTENSIONS:
        raise UnsupportedFormatError(
            shown,
            f"extension {p.suffix or '(none)'!r} is not supported; "
            f"convert to one of {', '.join(VIDEO_EXTENSIONS)}",
        )
    real = p.resolve()
    if not real.exists():
        raise UnreadableVideoError(shown, "file does not exist (or is a dangling symlink); check the path")
    if not real.is_file():  # directory, FIFO, device: opening a FIFO would block forever
        raise UnreadableVideoError(shown, "not a regular file; pass a video file")
    if real.stat().st_size == 0:
        raise EmptyVideoError(shown, "file is empty (0 bytes); re-copy or re-export the video")
    return real


def open_capture(real: Path, decode_threads: int | None = None) -> cv2.VideoCapture:
    """A cv2.VideoCapture on the FFmpeg backend (never the image-sequence or camera ones)."""
    params: list[int] = []
    if decode_threads is not None:
        params = [cv2.CAP_PROP_N_THREADS, int(decode_threads)]
    return cv2.VideoCapture(str(real), cv2.CAP_FFMPEG, params)


def fourcc_text(value: float) -> str:
    """CAP_PROP_FOURCC (a float holding 4 little-endian chars) as text, e.g. 'FMP4', 'avc1'."""
    code = int(value) if value and math.isfinite(value) else 0
    if code <= 0:
        return "unknown"
    raw = code.to_bytes(4, "little", signed=False)
    text = raw.decode("ascii", errors="replace").strip("\x00 ")
    return text if text.isprintable() and text else f"0x{code:08x}"


def sane_fps(value: float) -> float:
    """fps from the container, or UNKNOWN (-1.0) when missing/absurd (<= 0, > 1000, NaN)."""
    return float(value) if math.isfinite(value) and 0.0 < value <= 1000.0 else float(UNKNOWN)


def sane_count(value: float) -> int:
    """Frame count from the container, or UNKNOWN (-1) when missing/absurd."""
    return int(round(value)) if math.isfinite(value) and 0 < value < _MAX_SANE_FRAMES else UNKNOWN


def probe(path: str | os.PathLike) -> VideoInfo:
    """Opens the file, reads its container properties and decodes its first frame.

    fps / frame_count / duration_sec are UNKNOWN (-1) when the container does not give a
    sane value; duration_sec = frame_count / fps when both are known.
    Raises UnsupportedFormatError, EmptyVideoError, UnreadableVideoError."""
    real = check_path(path)
    shown = display_path(path)
    size = real.stat().st_size
    cap = open_capture(real)
    try:
        if not cap.isOpened():
            raise UnreadableVideoError(
                shown,
                "cannot be opened as a video (corrupt, truncated before its index, or not a "
                "video); re-copy or re-export the file",
            )
        fps = sane_fps(cap.get(cv2.CAP_PROP_FPS))
        count = sane_count(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        codec = fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
        ok, frame = cap.read()
        if not ok or frame is None or frame.size == 0:
            raise UnreadableVideoError(
                shown, "opens but no frame decodes (corrupt stream or unsupported codec); re-export the video"
            )
        height, width = frame.shape[:2]
    finally:
        cap.release()
    duration = count / fps if count > 0 and fps > 0 else float(UNKNOWN)
    return VideoInfo(
        path=str(path), duration_sec=float(duration), fps=float(fps), width=int(width),
        height=int(height), codec=codec, frame_count=int(count), size_bytes=int(size),
    )


def check_video_file(
    path: str | os.PathLike,
    max_bytes: int | None = None,
    max_duration_sec: float | None = None,
    min_duration_sec: float | None = None,
) -> VideoInfo:
    """probe() plus the optional size / duration limits, and (integrity.check_stream) that the
    file is a stream of frames at least ``min_duration_sec`` long (default
    ``integrity.MIN_DURATION_SEC``; 0 turns it off), as long as its container declares. Raises
    the typed VideoErrors."""
    from .integrity import MIN_DURATION_SEC, check_stream

    real = check_path(path)
    size = real.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise VideoTooLargeError(
            display_path(path),
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit; "
            "trim or re-encode the video, or raise the limit",
        )
    info = probe(path)
    if max_duration_sec is not None and info.duration_sec > max_duration_sec:
        raise VideoTooLargeError(
            display_path(path),
            f"video lasts {info.duration_sec:.0f} s, over the {max_duration_sec:.0f} s limit; "
            "trim the video or raise the limit",
        )
    check_stream(real, info, display_path(path), MIN_DURATION_SEC if min_duration_sec is None else min_duration_sec)
    return info


def quiet_opencv_logs() -> None:
    """Silences OpenCV and FFmpeg warnings on stderr, process-wide. Call it once at CLI start,
    BEFORE any video is opened: FFmpeg's log level is fixed when OpenCV first uses FFmpeg.

    Bad files are reported by typed errors; FFmpeg's own chatter would only add noise."""
    # FFmpeg's own level: sopilot_resources/__init__.py sets OPENCV_FFMPEG_LOGLEVEL before cv2 loads
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is not None and hasattr(logging, "setLogLevel"):
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
