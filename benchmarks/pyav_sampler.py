"""Frame sampling through PyAV (FFmpeg's libraries), decoding less than every frame: the
candidate that ``bench_decode_pyav.py`` measures against the product's OpenCV sampler (issue
13 item 2). Not in the product: on the demo sets it changed scores beyond noise (the frame
a sample lands on moves by up to a frame) and it was not faster on short footage (see
docs/bench/video.md). Needs ``pip install av`` (the ``dev`` extra).

The same contract as :func:`.sampler.iter_sampled_frames` (same sampling rule, resize, mask,
typed errors), with two things OpenCV's capture cannot do: FFmpeg's own frame threads, and
``skip_frame = NONREF`` for codecs with non-reference frames (H.264, H.265, MPEG-4 part 2
with B-frames): frames no other frame is predicted from are not decoded at all. At 4
samples a second from 25-30 fps footage most of them would be thrown away anyway; a sample
that would have landed on one is taken from the next decoded frame (at most a frame or two
later). Truncation is judged from the packets read, not the frames decoded.
"""
from __future__ import annotations

import math
import os
from fractions import Fraction
from typing import Iterator

import cv2

from sopilot_resources.errors import TruncatedVideoError, UnreadableVideoError, VideoTooLargeError
from sopilot_resources.video.privacy import PrivacyMask
from sopilot_resources.video.probe import check_path, display_path, probe
from sopilot_resources.video.sampler import FALLBACK_FPS, SampledFrame, is_truncated, resize_longest
from sopilot_resources.video.types import SamplingConfig, VideoInfo

#: codecs whose non-reference frames are skipped (FFmpeg decoder names)
SKIP_NONREF = frozenset({"h264", "hevc", "mpeg4"})


def iter_sampled_frames_av(
    path: str | os.PathLike,
    sampling: SamplingConfig = SamplingConfig(),
    mask: PrivacyMask | None = None,
    info: VideoInfo | None = None,
    *,
    max_duration_sec: float | None = None,
    decode_threads: int | None = None,
    max_failed_grabs: int = 5,
    truncation_tolerance: float = 0.05,
    skip_nonref: bool = True,
) -> Iterator[SampledFrame]:
    """As :func:`.sampler.iter_sampled_frames`, decoded by PyAV (``skip_nonref``: skip the
    frames nothing is predicted from, where the codec has them)."""
    import av

    real = check_path(path)
    shown = display_path(path)
    if info is None:
        info = probe(path)
    fps = info.fps if info.fps > 0 else FALLBACK_FPS
    period, tol = 1.0 / sampling.target_fps, 0.5 / fps
    try:
        container = av.open(str(real))
    except (av.error.FFmpegError, OSError) as exc:
        raise UnreadableVideoError(shown, f"cannot be opened as a video ({exc}); re-copy or re-export the file") from None
    packets = kept = failed = 0
    t0, last_t, next_t = None, -math.inf, 0.0
    try:
        if not container.streams.video:
            raise UnreadableVideoError(shown, "holds no video stream; re-export the video")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        ctx.thread_type = "AUTO"
        ctx.thread_count = int(decode_threads or 0)
        if skip_nonref and ctx.name in SKIP_NONREF:
            ctx.skip_frame = "NONREF"
        base = stream.time_base or Fraction(1, 90000)
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the flush packet at the end
            packets += 1
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                failed += 1
                if failed >= max_failed_grabs:
                    break
                continue
            failed = 0
            for frame in frames:
                if frame.pts is None:
                    t = 0.0 if last_t == -math.inf else last_t + 1.0 / fps
                else:
                    t0 = float(frame.pts * base) if t0 is None else t0
                    t = max(float(frame.pts * base) - t0, 0.0 if last_t == -math.inf else last_t)
                last_t = t
                if max_duration_sec is not None and t > max_duration_sec:
                    raise VideoTooLargeError(
                        shown, f"video runs past the {max_duration_sec:.0f} s limit; trim it or raise the limit")
                if t + tol < next_t:
                    continue
                next_t = (math.floor((t + tol) / period) + 1) * period
                bgr = frame.to_ndarray(format="bgr24")
                rgb = cv2.cvtColor(resize_longest(bgr, sampling.max_side), cv2.COLOR_BGR2RGB)
                if mask is not None:
                    mask.apply(rgb)
                yield SampledFrame(kept, packets - 1, t, rgb)
                kept += 1
    except av.error.FFmpegError as exc:
        raise UnreadableVideoError(shown, f"the stream cannot be read ({exc}); re-export the video") from None
    finally:
        container.close()
    if is_truncated(info, packets, last_t, truncation_tolerance):
        raise TruncatedVideoError(
            shown,
            f"stream ends after {packets} of {info.frame_count} frames "
            f"(~{last_t:.1f} s of {info.duration_sec:.1f} s); the file was cut short: re-copy or re-export it",
        )
    if kept == 0:
        raise UnreadableVideoError(shown, "no frame decodes (corrupt stream); re-export the video")
