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


#: seconds between the two frames motion is measured on (embedder and idle meter)
PAIR_SEC = 0.25


@dataclass(frozen=True)
class SamplingConfig:
    """How frames are sampled and grouped into clips.

    Defaults: 4 fps, longest side 320 px, 2 s clips every 0.5 s, which localizes
    steps of 2-6 s to about half a second. Motion is measured between frames ``PAIR_SEC``
    apart (:meth:`Clip.motion_pairs`). ``phase_sec``: the first frame sampled is the one at
    this time (0: the first frame); the sampling instants are phase_sec + k / target_fps. Only a
    robustness measure moves it (benchmarks/bench_phase.py: does a result survive sampling a
    fraction of a frame interval later?); it is left out of :meth:`to_dict` at 0, so the
    embeddings made before it existed keep their cache keys.
    """

    target_fps: float = 4.0
    max_side: int = 320
    clip_sec: float = 2.0
    hop_sec: float = 0.5
    min_clips: int = 4
    phase_sec: float = 0.0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        if not d["phase_sec"]:
            del d["phase_sec"]
        return d


@dataclass
class Clip:
    """One window of sampled frames.

    frames: (T, H, W, 3) uint8 RGB, already resized and privacy-masked.
    frame_indices: (T,) int64, index of each frame in the *sampled* stream (0, 1, 2, ...),
        so consumers can reuse per-frame work across overlapping clips.
    times: (T,) float64 seconds of each frame in the source video.
    details: per frame, the same picture larger (the stills' size, masked), or None when
        the reader was not asked for them (or the source is no larger than ``frames``).
    """

    index: int
    start_sec: float
    end_sec: float
    frames: np.ndarray
    frame_indices: np.ndarray
    times: np.ndarray
    quality: dict[str, bool] = field(default_factory=dict)
    details: tuple[np.ndarray, ...] | None = None

    def motion_pairs(self, pair_sec: float = PAIR_SEC) -> list[tuple[int, int]]:
        """(k, j) positions in this clip of the frame pairs motion is measured on: each frame
        with the one about ``pair_sec`` later (the sampled stream's typical interval decides
        how many frames on: 2 at 8 fps, 1 at 4 fps or for a slower source)."""
        n = len(self.times)
        if n < 2:
            return []
        dt = float(np.median(np.diff(self.times)))
        stride = max(1, min(n - 1, round(pair_sec / dt))) if dt > 0 else 1
        return [(k, k + stride) for k in range(n - stride)]
