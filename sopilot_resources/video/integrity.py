"""Cheap checks at intake that a file which opens is really a usable video: a stream of more
than one frame (not a still image renamed ``.mp4``), at least ``MIN_DURATION_SEC`` long where
the container says, and its last frame decodes where the container gives a frame count (an mp4
cut short with its index in front opens and promises frames it does not hold).

What only a full decode finds (a zeroed middle, a stream that stops early) is found by the
embedding run, which quarantines the video (docs/operations.md, "Failed runs")."""
from __future__ import annotations

import cv2

from ..errors import TooShortVideoError, TruncatedVideoError, UnsupportedFormatError
from .probe import open_capture
from .types import VideoInfo

#: shorter videos are refused at intake (scoring needs more: the run refuses those, see reader.py)
MIN_DURATION_SEC = 1.0
#: codecs of still images: FFmpeg opens a PNG or JPEG renamed .mp4 as a one-frame "video"
IMAGE_CODECS = {"MPNG", "png", "PNG", "BMP", "bmp", "gif", "GIF", "webp", "WEBP", "tiff", "TIFF"}
_TOO_MANY = 10 ** 8


def check_stream(real, info: VideoInfo, shown: str, min_duration_sec: float | None = MIN_DURATION_SEC) -> None:
    """Raises UnsupportedFormatError (a still image), TooShortVideoError, TruncatedVideoError."""
    if info.codec in IMAGE_CODECS:
        raise UnsupportedFormatError(shown, f"is a still image ({info.codec.strip()}), not a video; "
                                            "drop the video file itself")
    if min_duration_sec is not None and 0 < info.duration_sec < min_duration_sec:
        raise TooShortVideoError(shown, f"lasts {info.duration_sec:.2f} s, under the {min_duration_sec:.1f} s "
                                        "minimum; record a longer video")
    cap = open_capture(real)
    try:
        first, second = cap.grab(), cap.grab()
        if first and not second:
            raise UnsupportedFormatError(shown, "holds a single frame (a still image, not a video); "
                                                "drop the video file itself")
        n = info.frame_count
        if 2 < n < _TOO_MANY:
            cap.set(cv2.CAP_PROP_POS_FRAMES, n - 1)
            ok, frame = cap.read()
            if not ok or frame is None or frame.size == 0:
                raise TruncatedVideoError(shown, f"its last frame (of {n}) does not decode: the file is cut "
                                                 "short or damaged; re-copy or re-export it")
    finally:
        cap.release()
