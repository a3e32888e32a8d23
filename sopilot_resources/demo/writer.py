"""Encoding frames to the codecs and containers real footage comes in.

- ``h264``: H.264 in .mp4 through the static ffmpeg binary that the ``imageio-ffmpeg`` wheel
  ships (OpenCV's pip wheel cannot encode H.264). Long keyframe interval (10 s), like a camera.
- ``mp4v`` / ``mp4v_mov`` / ``mp4v_mkv``: MPEG-4 part 2 in .mp4 / .mov / .mkv.
- ``mjpg``: Motion-JPEG in .avi.
- ``hevc`` / ``hevc_mkv``: H.265 in .mp4 (``hvc1`` tag) / .mkv (libx265, ultrafast preset).
- ``vp9`` / ``vp8``: VP9 / VP8 in .webm (libvpx, real-time speed settings).

Everything goes through ffmpeg when it is there, with a fixed quantizer: OpenCV's writers give
no rate control (its MPEG-4 files of noisy 720p footage came out ~8x larger, its MJPEG ~3x).
Without imageio-ffmpeg, :func:`resolve_codec` falls back to ``cv2.VideoWriter`` (H.264, H.265,
VP9 and VP8 then degrade to MPEG-4; the manifest records the codec actually used).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class Codec:
    key: str
    ext: str
    fourcc: str  # what a probe reports
    ffmpeg_args: tuple[str, ...] = ()  # encoder options when written through ffmpeg
    opencv: bool = False  # written through cv2.VideoWriter (only without ffmpeg)
    fallback: str = ""  # codec key to use instead when ffmpeg is missing ("" = this one, through OpenCV)


_MPEG4 = ("-c:v", "mpeg4", "-q:v", "6", "-pix_fmt", "yuv420p")
_HEVC = ("-c:v", "libx265", "-preset", "ultrafast", "-crf", "30", "-x265-params", "log-level=error")
_VPX = ("-deadline", "realtime", "-threads", "1")  # libvpx's own threads made VP8 ~20x slower here
CODECS = {
    "h264": Codec("h264", ".mp4", "avc1", ("-c:v", "libx264", "-preset", "veryfast", "-crf", "27", "-pix_fmt", "yuv420p"),
                  fallback="mp4v"),
    "mp4v": Codec("mp4v", ".mp4", "mp4v", _MPEG4),
    "mp4v_mov": Codec("mp4v_mov", ".mov", "mp4v", _MPEG4),
    "mp4v_mkv": Codec("mp4v_mkv", ".mkv", "mp4v", _MPEG4),
    "mjpg": Codec("mjpg", ".avi", "MJPG", ("-c:v", "mjpeg", "-q:v", "12", "-pix_fmt", "yuvj420p")),
    "hevc": Codec("hevc", ".mp4", "hevc", (*_HEVC, "-tag:v", "hvc1", "-pix_fmt", "yuv420p"), fallback="mp4v"),
    "hevc_mkv": Codec("hevc_mkv", ".mkv", "hevc", (*_HEVC, "-pix_fmt", "yuv420p"), fallback="mp4v_mkv"),
    "vp9": Codec("vp9", ".webm", "VP90", ("-c:v", "libvpx-vp9", "-crf", "36", "-b:v", "0", *_VPX, "-cpu-used", "8", "-pix_fmt", "yuv420p"),
                 fallback="mp4v"),
    "vp8": Codec("vp8", ".webm", "VP80", ("-c:v", "libvpx", "-crf", "30", "-b:v", "700k", *_VPX, "-cpu-used", "16", "-pix_fmt", "yuv420p"),
                 fallback="mp4v"),
}


def ffmpeg_exe() -> str | None:
    """Path of imageio-ffmpeg's bundled ffmpeg, or None when the package is not installed."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
    return exe if Path(exe).is_file() else None


def resolve_codec(key: str) -> Codec:
    """The codec to use for ``key``: without ffmpeg, H.264 / H.265 / VP9 / VP8 degrade to MPEG-4
    and MJPEG goes through OpenCV's own writer."""
    codec = CODECS[key]
    if ffmpeg_exe() is not None:
        return codec
    return replace(CODECS[codec.fallback or key], opencv=True)


class VideoSink:
    """Write BGR uint8 frames of a fixed size; use as a context manager."""

    def __init__(self, path: str | Path, codec: Codec, fps: float, size: tuple[int, int]):
        self.path, self.codec, self.size = Path(path), codec, size
        self.frames = 0
        self._gen = None
        self._cv = None
        w, h = size
        if not codec.opencv:
            import imageio_ffmpeg

            # bitrate/quality come from ffmpeg_args; keyframe every 10 s as on long camera GOPs
            self._gen = imageio_ffmpeg.write_frames(
                str(self.path), (w, h), fps=fps, codec=codec.ffmpeg_args[1], pix_fmt_in="bgr24", pix_fmt_out=codec.ffmpeg_args[-1],
                macro_block_size=2, quality=None, ffmpeg_log_level="error",
                output_params=[*codec.ffmpeg_args[2:-2], "-g", str(int(fps * 10))],
            )
            self._gen.send(None)
        elif codec.fourcc == "MJPG":
            self._cv = cv2.VideoWriter(str(self.path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
            self._cv.set(cv2.VIDEOWRITER_PROP_QUALITY, 40)  # only honoured when set after opening
        else:
            self._cv = cv2.VideoWriter(str(self.path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*codec.fourcc), fps, (w, h))
        if self._cv is not None and not self._cv.isOpened():
            raise RuntimeError(f"{self.path}: OpenCV cannot open a {codec.key} writer")

    def write(self, frame: np.ndarray) -> None:
        if frame.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f"frame {frame.shape[1]}x{frame.shape[0]} does not match {self.size[0]}x{self.size[1]}")
        if self._gen is not None:
            self._gen.send(np.ascontiguousarray(frame))
        else:
            self._cv.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        if self._cv is not None:
            self._cv.release()
            self._cv = None

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
