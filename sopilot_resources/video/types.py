"""Plain data carried between the video reader, the embedders and the engine."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: containers the reader accepts (lower-case, with dot)
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")

#: names of the per-clip quality flags, in bit order
QUALITY_FLAGS = ("dark", "overexposed", "blurry", "frozen")


@dataclass(frozen=True)
class VideoInfo:
    path: str
    duration_sec: float
    fps: float
    width: int
    height: int
    codec: str  # FourCC as text, e.g. "avc1", "mp4v", "MJPG"
    frame_count: int
    size_bytes: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SamplingConfig:
    """How frames are sampled and grouped into clips.

    Defaults: 4 fps, longest side 320 px, 2 s clips every 0.5 s, which localizes
    steps of 2-6 s to about half a second.
    """

    target_fps: float = 4.0
    max_side: int = 320
    clip_sec: float = 2.0
    hop_sec: float = 0.5
    min_clips: int = 4

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Clip:
    """One window of sampled frames.

    frames: (T, H, W, 3) uint8 RGB, already resized and privacy-masked.
    frame_indices: (T,) int64, index of each frame in the *sampled* stream (0, 1, 2, ...),
        so consumers can reuse per-frame work across overlapping clips.
    times: (T,) float64 seconds of each frame in the source video.
    """

    index: int
    start_sec: float
    end_sec: float
    frames: np.ndarray
    frame_indices: np.ndarray
    times: np.ndarray
    quality: dict[str, bool] = field(default_factory=dict)
