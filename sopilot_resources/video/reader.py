"""Streams a video as overlapping clips of sampled frames, each with its quality flags.

Only the last ``clip_sec`` of sampled frames is held (a ring buffer): memory does not grow
with the video's length. Overlapping clips share frames: each frame is decoded, resized,
masked and measured once.
"""
from __future__ import annotations

import math
import os
from collections import deque
from typing import Iterator

import numpy as np

from ..errors import TooShortVideoError
from .privacy import PrivacyMask
from .probe import display_path, probe
from .quality import FrameStats, QualityThresholds, analysis_gray, clip_flags, frame_stats
from .sampler import iter_sampled_frames
from .types import Clip, SamplingConfig, VideoInfo


def validate_sampling(s: SamplingConfig) -> None:
    """Raises ValueError on a SamplingConfig that cannot work."""
    if not (s.target_fps > 0 and s.clip_sec > 0 and s.hop_sec > 0 and s.max_side >= 16 and s.min_clips >= 1):
        raise ValueError(f"invalid sampling config {s.to_dict()}: need target_fps, clip_sec, hop_sec > 0, "
                         "max_side >= 16, min_clips >= 1")


def expected_clip_count(duration_sec: float, s: SamplingConfig = SamplingConfig()) -> int:
    """Clips a video of this duration yields: windows starting at k*hop whose first half is
    covered (the last partial window is kept when it holds at least half a clip)."""
    if duration_sec <= 0:
        return 0
    return max(0, math.floor((duration_sec - s.clip_sec / 2) / s.hop_sec + 1e-9) + 1)


def _too_short(shown: str, n: int, seconds: float, s: SamplingConfig) -> TooShortVideoError:
    need = s.clip_sec / 2 + (s.min_clips - 1) * s.hop_sec  # the last clip may be half full
    return TooShortVideoError(
        shown, f"only {n} clip(s) from ~{seconds:.1f} s of video; scoring needs at least {s.min_clips} "
        f"({need:.1f} s); record a longer video",
    )


def iter_clips(
    path: str | os.PathLike,
    sampling: SamplingConfig = SamplingConfig(),
    mask: PrivacyMask | None = None,
    info: VideoInfo | None = None,
    *,
    thresholds: QualityThresholds = QualityThresholds(),
    max_duration_sec: float | None = None,
    decode_threads: int | None = None,
    detail_side: int = 0,
) -> Iterator[Clip]:
    """Yields Clip k over [k*hop_sec, k*hop_sec + clip_sec], k = 0, 1, ..., quality filled.

    A clip holds the sampled frames whose time rounds into its window (window shifted by
    half a sampling period). Errors found only at the end of the stream (truncated, too
    short) are raised after the clips before them were yielded: consume the whole iterator.
    ``detail_side``: each clip also carries its frames that large (``Clip.details``, for the
    stills kept at ingest). Raises the typed VideoErrors of probe / iter_sampled_frames, and
    TooShortVideoError."""
    validate_sampling(sampling)
    shown = display_path(path)
    if info is None:
        info = probe(path)
    s = sampling
    # cheap early rejection, one sampling period generous, before any decoding
    if info.duration_sec > 0 and expected_clip_count(info.duration_sec + 1 / s.target_fps, s) < s.min_clips:
        raise _too_short(shown, expected_clip_count(info.duration_sec, s), info.duration_sec, s)
    period = 1.0 / s.target_fps
    rate = min(s.target_fps, info.fps) if info.fps > 0 else s.target_fps
    half_clip = max(1, math.ceil(s.clip_sec * rate / 2 - 1e-9))
    buf: deque[tuple[int, float, np.ndarray, FrameStats, np.ndarray | None]] = deque()
    prev_gray = None
    k = emitted = 0
    last_t = 0.0

    def window(k: int) -> tuple[float, float]:
        start = k * s.hop_sec
        return start - period / 2, start + s.clip_sec - period / 2

    def make_clip(k: int, end_sec: float) -> Clip | None:
        lo, hi = window(k)
        items = [b for b in buf if lo <= b[1] < hi]
        if len(items) < half_clip:  # a gap in a variable-rate stream: skip the window
            return None
        return Clip(
            index=emitted, start_sec=k * s.hop_sec, end_sec=end_sec,
            frames=np.stack([b[2] for b in items]),
            frame_indices=np.array([b[0] for b in items], dtype=np.int64),
            times=np.array([b[1] for b in items], dtype=np.float64),
            quality=clip_flags([b[3] for b in items], thresholds),
            details=tuple(b[4] for b in items) if all(b[4] is not None for b in items) else None,
        )

    for fr in iter_sampled_frames(path, s, None, info, max_duration_sec=max_duration_sec,
                                  decode_threads=decode_threads, detail_side=detail_side):
        # quality describes the camera, so it is measured before the privacy mask
        gray = analysis_gray(fr.rgb, thresholds.analysis_side)
        if mask is not None:
            mask.apply(fr.rgb)
            if fr.detail is not None:
                mask.apply(fr.detail)
        buf.append((fr.index, fr.time, fr.rgb, frame_stats(gray, prev_gray), fr.detail))
        prev_gray, last_t = gray, fr.time
        if len(buf) == 1:  # nothing older to emit: jump over empty windows (timestamp gaps)
            k = max(k, math.floor((fr.time + period / 2 - s.clip_sec) / s.hop_sec) + 1)
        while fr.time >= window(k)[1]:
            clip = make_clip(k, k * s.hop_sec + s.clip_sec)
            if clip is not None:
                yield clip
                emitted += 1
            k += 1
            while buf and buf[0][1] < window(k)[0]:
                buf.popleft()
    # end of stream: partial windows holding at least half a clip
    end_of_video = info.duration_sec if info.duration_sec > last_t else last_t + period
    while buf and k * s.hop_sec <= last_t:
        clip = make_clip(k, min(k * s.hop_sec + s.clip_sec, end_of_video))
        if clip is None:
            break
        yield clip
        emitted += 1
        k += 1
    if emitted < s.min_clips:
        raise _too_short(shown, emitted, end_of_video, s)
