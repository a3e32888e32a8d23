"""Sequential frame sampling: grab every frame, retrieve (convert) only the ones kept.

Never seeks (seeking costs 16-24x more than grab/retrieve on long-GOP H.264): the decoder
runs once front to back, and only kept frames pay for the colour conversion and resize.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from ..errors import TruncatedVideoError, UnreadableVideoError, VideoTooLargeError
from .privacy import PrivacyMask
from .probe import check_path, display_path, open_capture, probe
from .types import SamplingConfig, VideoInfo

#: fps assumed when neither the container nor the timestamps give one
FALLBACK_FPS = 30.0


@dataclass
class SampledFrame:
    """index: position in the sampled stream (0, 1, ...); source_index: decoded-frame number;
    time: seconds from the first decoded frame; rgb: (H, W, 3) uint8, resized and masked;
    detail: the same frame larger (``detail_side``), masked like ``rgb``, or None."""

    index: int
    source_index: int
    time: float
    rgb: np.ndarray
    detail: np.ndarray | None = None


def resize_longest(frame: np.ndarray, max_side: int) -> np.ndarray:
    """Scale so the longest side is max_side (INTER_AREA down, INTER_LINEAR up)."""
    h, w = frame.shape[:2]
    scale = max_side / max(h, w)
    if abs(scale - 1.0) < 1e-9:
        return frame
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def is_truncated(info: VideoInfo, delivered: int, last_time: float, tolerance: float = 0.05) -> bool:
    """True when the stream ended far before what the container promises: more than
    ``tolerance`` of the frames AND more than one second's worth (at least 10) missing, AND
    the last timestamp more than max(tolerance * duration, 1 s) short of the duration.
    Real files are often a few frames off, and for variable-frame-rate files the container's
    count is only duration x nominal fps; neither is truncation."""
    if info.frame_count <= 0:
        return False
    fps = info.fps if info.fps > 0 else FALLBACK_FPS
    missing = info.frame_count - delivered
    frames_short = missing > max(tolerance * info.frame_count, fps, 10)
    if info.duration_sec <= 0:
        return frames_short
    time_short = info.duration_sec - (last_time + 1.0 / fps) > max(tolerance * info.duration_sec, 1.0)
    return frames_short and time_short


def iter_sampled_frames(
    path: str | os.PathLike,
    sampling: SamplingConfig = SamplingConfig(),
    mask: PrivacyMask | None = None,
    info: VideoInfo | None = None,
    *,
    max_duration_sec: float | None = None,
    decode_threads: int | None = None,
    detail_side: int = 0,
    max_failed_grabs: int = 5,
    truncation_tolerance: float = 0.05,
) -> Iterator[SampledFrame]:
    """Yields frames at about ``sampling.target_fps`` (all frames when the source is slower),
    resized to ``sampling.max_side`` and privacy-masked, RGB; with ``detail_side`` larger than
    that, each also at that size (never above the source's) as ``detail``, for the stills.

    A frame is kept when its timestamp reaches the next multiple of 1/target_fps (within
    half a source frame), counted from ``sampling.phase_sec``. Timestamps come from the decoder (CAP_PROP_POS_MSEC, so variable
    frame rates are honoured); if those are missing or go backwards, from frame index / fps.
    Raises UnreadableVideoError, TruncatedVideoError, VideoTooLargeError (max_duration_sec)."""
    real = check_path(path)
    shown = display_path(path)
    if info is None:
        info = probe(path)
    fps = info.fps if info.fps > 0 else FALLBACK_FPS
    period = 1.0 / sampling.target_fps
    tol = 0.5 / fps
    cap = open_capture(real, decode_threads)
    if not cap.isOpened():
        raise UnreadableVideoError(shown, "cannot be opened as a video; re-copy or re-export the file")
    use_msec, t0, last_t = True, None, -math.inf
    source_index, kept, failed = -1, 0, 0
    phase = float(sampling.phase_sec)
    next_t = phase
    try:
        while True:
            if not cap.grab():
                failed += 1  # decoders rarely recover, but a bounded retry costs nothing
                if failed >= max_failed_grabs:
                    break
                continue
            failed = 0
            source_index += 1
            t = None
            if use_msec:
                msec = cap.get(cv2.CAP_PROP_POS_MSEC)
                # the first timestamp is the origin; later ones must be > 0 and not go back
                if math.isfinite(msec) and (t0 is None or msec / 1000.0 - t0 >= max(last_t, 1e-9)):
                    t0 = msec / 1000.0 if t0 is None else t0
                    t = msec / 1000.0 - t0
                else:
                    use_msec = False
            if t is None:  # index timing, continuing from the last good timestamp
                t = 0.0 if last_t == -math.inf else last_t + 1.0 / fps
            last_t = t
            if max_duration_sec is not None and t > max_duration_sec:
                raise VideoTooLargeError(
                    shown, f"video runs past the {max_duration_sec:.0f} s limit; trim it or raise the limit"
                )
            if t + tol < next_t:
                continue
            ok, frame = cap.retrieve()
            if not ok or frame is None or frame.size == 0:
                continue  # undecodable frame: the next one will be sampled instead
            # (rounded: with a phase, t + tol can fall a hair below the slot it reaches)
            next_t = phase + (math.floor(round((t + tol - phase) / period, 9)) + 1) * period
            rgb = cv2.cvtColor(resize_longest(frame, sampling.max_side), cv2.COLOR_BGR2RGB)
            detail = None
            if detail_side > sampling.max_side and max(frame.shape[:2]) > sampling.max_side:
                detail = cv2.cvtColor(resize_longest(frame, min(detail_side, max(frame.shape[:2]))), cv2.COLOR_BGR2RGB)
            if mask is not None:
                mask.apply(rgb)
                if detail is not None:
                    mask.apply(detail)
            yield SampledFrame(kept, source_index, t, rgb, detail)
            kept += 1
    finally:
        cap.release()
    delivered = source_index + 1
    if is_truncated(info, delivered, last_t, truncation_tolerance):
        raise TruncatedVideoError(
            shown,
            f"stream ends after {delivered} of {info.frame_count} frames "
            f"(~{last_t:.1f} s of {info.duration_sec:.1f} s); the file was cut short: re-copy or re-export it",
        )
    if kept == 0:
        raise UnreadableVideoError(shown, "no frame decodes (corrupt stream); re-export the video")
