"""Cheap checks at intake that a file which opens is really a usable video: a stream of more
than one frame (not a still image renamed ``.mp4``), at least ``MIN_DURATION_SEC`` long where
the container says, and no shorter than its container declares (an mp4 cut short with its
index in front opens, and promises data it does not hold).

What only a full decode finds (a zeroed middle, a stream that stops early) is found by the
embedding run, which quarantines the video (docs/operations.md, "Failed runs and a full disk").
Seeking to the last frame is not used: OpenCV's seek misses frames in variable-frame-rate files."""
from __future__ import annotations

import struct
from pathlib import Path

from ..errors import TooShortVideoError, TruncatedVideoError, UnsupportedFormatError
from .probe import open_capture
from .types import VideoInfo

#: shorter videos are refused at intake (scoring needs more: the run refuses those, see reader.py)
MIN_DURATION_SEC = 1.0
#: codecs of still images: FFmpeg opens a PNG or JPEG renamed .mp4 as a one-frame "video"
IMAGE_CODECS = {"MPNG", "png", "PNG", "BMP", "bmp", "gif", "GIF", "webp", "WEBP", "tiff", "TIFF"}
MP4_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide"}
_MKV_SEGMENT = 0x18538067


def check_stream(real: Path, info: VideoInfo, shown: str, min_duration_sec: float | None = MIN_DURATION_SEC) -> None:
    """Raises UnsupportedFormatError (a still image), TooShortVideoError, TruncatedVideoError."""
    if info.codec in IMAGE_CODECS:
        raise UnsupportedFormatError(shown, f"is a still image ({info.codec.strip()}), not a video; "
                                            "drop the video file itself")
    if min_duration_sec and 0 < info.duration_sec < min_duration_sec:
        raise TooShortVideoError(shown, f"lasts {info.duration_sec:.2f} s, under the {min_duration_sec:.1f} s "
                                        "minimum; record a longer video")
    declared, size = declared_size(real), real.stat().st_size
    if declared is not None and declared > size:
        raise TruncatedVideoError(shown, f"its container declares {declared:,} bytes but the file holds {size:,}: "
                                         "it was cut short; re-copy or re-export it")
    cap = open_capture(real)
    try:
        if cap.grab() and not cap.grab():
            raise UnsupportedFormatError(shown, "holds a single frame (a still image, not a video); "
                                                "drop the video file itself")
    finally:
        cap.release()


def declared_size(path: Path) -> int | None:
    """The file size its container declares (mp4/mov: the end of its last top-level box;
    avi: the RIFF size; mkv/webm: the end of the Segment), or None where it does not say. The
    format is told by the file's first bytes, not its name."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if head[4:8] in MP4_FIRST_BOXES:
            return _mp4_end(f, size)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return 8 + struct.unpack("<I", head[4:8])[0]
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return _mkv_end(path)
    return None


def _mp4_end(f, size: int) -> int | None:
    off = end = 0
    while off + 8 <= size:
        f.seek(off)
        hdr = f.read(16)
        n, typ = struct.unpack(">I4s", hdr[:8])
        if not all(48 <= c <= 122 or c == 32 for c in typ):
            return None  # not a box: not a structure we can follow
        if n == 1 and len(hdr) >= 16:
            n = struct.unpack(">Q", hdr[8:16])[0]
        elif n == 0:  # to the end of the file
            return max(end, size)
        if n < 8:
            return None  # not a box structure we can follow
        off += n
        end = off
    return end or None


def _vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-length integer at ``i``: (value, its length, all value bits set)."""
    first = data[i]
    length = next((k + 1 for k in range(8) if first & (0x80 >> k)), 0)
    if length == 0 or i + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[i + 1:i + length]:
        value = (value << 8) | b
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def _mkv_end(path: Path) -> int | None:
    with open(path, "rb") as f:
        data = f.read(4096)
    try:
        i = 0
        for _ in range(4):  # the EBML header, then the Segment
            eid, n, _ = _vint(data, i, keep_marker=True)
            size, m, unknown = _vint(data, i + n, keep_marker=False)
            body = i + n + m
            if eid == _MKV_SEGMENT:
                return None if unknown else body + size
            i = body + size
    except (ValueError, IndexError):
        return None
    return None
