"""Still pictures of a video kept beside its clip embeddings, so scoring never decodes it again.

The scene-state evidence of the scoring engine (:mod:`sopilot_resources.scene`) compares what
the work area looks like before and after each step; it needs pictures, not clip vectors.
:class:`~.stills_tap.StillsTap` wraps the embedder during ingest and keeps, at ``fps`` frames a
second, the sampled frames' larger copies (``STILLS_SIDE``, privacy-masked like the frames) as
JPEG, never more than ``BYTES_PER_MINUTE`` (busy or noisy pictures are encoded at a lower
quality, and the busiest at half size): on the demo's noisy videos 2.5-3.5 MB a minute.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import cv2
import numpy as np

if TYPE_CHECKING:
    from .file_bytes import FileBytes


#: stills per second kept at ingest (0 keeps none)
STILLS_FPS = 2.0
#: their longest side, px (never above the source's): twice the clips' frames, so that a
#: screw's slot or a wire in its terminal stays a few pixels wide (docs/scene.md, "Detail")
STILLS_SIDE = 640
JPEG_QUALITY = 90
#: the budget: at most this many bytes per minute of video; a still that would take more
#: than its share is encoded again at lower qualities (noisy or busy pictures)
BYTES_PER_MINUTE = 3_600_000
LOWER_QUALITIES = (80, 70, 55, 40)
#: a still that fits at none of them is kept at half size, but never below this (px, longest side)
MIN_SIDE = 320


@dataclass
class Stills:
    """times: (T,) float64 seconds; jpeg: (B,) uint8, the T JPEG files one after the other
    (an array, or :class:`~.file_bytes.FileBytes` read from a file still by still);
    offsets: (T + 1,) int64, still i is ``jpeg[offsets[i]:offsets[i + 1]]``."""

    times: np.ndarray
    jpeg: "np.ndarray | FileBytes"
    offsets: np.ndarray
    #: what is derived from these stills and kept with them, keyed by what it depends on: the
    #: scene comparison keeps a gold's step regions and settled scenes here
    #: (:func:`.scene.evidence.scene_evidence`), so a gold scored against many trainees, or
    #: against every cycle of a shift recording, makes them once; never saved with the stills
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    #: where some of the memo is also kept between commands (:class:`.scene.gold_store.GoldStore`:
    #: ``get(key)`` -> value or None, ``put(key, value)``), None: nowhere
    store: object | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(len(self.times))

    @property
    def nbytes(self) -> int:
        return int(self.jpeg.nbytes + self.times.nbytes + self.offsets.nbytes)

    def frame(self, i: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB of still i."""
        buf = self.jpeg[int(self.offsets[i]):int(self.offsets[i + 1])]
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"still {i} does not decode")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def frames(self, idx: Iterable[int] | None = None) -> np.ndarray:
        """(n, H, W, 3) uint8 RGB of the stills ``idx`` (all when None)."""
        idx = range(len(self)) if idx is None else list(idx)
        return np.stack([self.frame(i) for i in idx]) if len(idx) else np.zeros((0, 1, 1, 3), np.uint8)

    def between(self, t0: float, t1: float) -> np.ndarray:
        """Indices of the stills with t0 <= time <= t1."""
        return np.flatnonzero((self.times >= t0 - 1e-6) & (self.times <= t1 + 1e-6))

    def subset(self, idx) -> "Stills":
        """The stills ``idx`` (sorted indices) as Stills of their own, bytes in memory; a run of
        consecutive stills (a time window) is one read of its byte range."""
        idx = np.asarray(idx, np.int64)
        if idx.size and np.all(np.diff(idx) == 1):
            a, b = int(self.offsets[idx[0]]), int(self.offsets[idx[-1] + 1])
            return Stills(self.times[idx].copy(), np.asarray(self.jpeg[a:b], np.uint8), self.offsets[idx[0]:idx[-1] + 2] - a)
        return Stills.from_blobs([self.jpeg[int(self.offsets[i]):int(self.offsets[i + 1])] for i in idx], self.times[idx])

    def to_arrays(self, prefix: str = "stills_") -> dict:
        return {f"{prefix}times": self.times, f"{prefix}jpeg": self.jpeg, f"{prefix}offsets": self.offsets}

    @classmethod
    def from_arrays(cls, z, prefix: str = "stills_", jpeg=None) -> "Stills | None":
        """From a mapping (e.g. an open npz) holding :meth:`to_arrays`' keys (``jpeg``, when
        given, instead of the mapping's bytes); None if absent."""
        if f"{prefix}times" not in z:
            return None
        jpeg = np.asarray(z[f"{prefix}jpeg"], np.uint8) if jpeg is None else jpeg
        return cls(np.asarray(z[f"{prefix}times"], np.float64), jpeg, np.asarray(z[f"{prefix}offsets"], np.int64))

    @classmethod
    def from_frames(cls, frames: Iterable[np.ndarray], times: Iterable[float],
                    quality: int = JPEG_QUALITY) -> "Stills":
        """From RGB uint8 frames (H, W, 3) and their times."""
        return cls.from_blobs([encode(f, quality) for f in frames], times)

    @classmethod
    def from_blobs(cls, blobs: list[np.ndarray], times: Iterable[float]) -> "Stills":
        """From JPEG files (each a (B_i,) uint8 array) and their times."""
        offsets = np.zeros(len(blobs) + 1, np.int64)
        offsets[1:] = np.cumsum([len(b) for b in blobs])
        jpeg = np.concatenate(blobs) if blobs else np.zeros(0, np.uint8)
        return cls(np.asarray(list(times), np.float64), jpeg, offsets)


def ladder(quality: int = JPEG_QUALITY) -> list[tuple[float, int]]:
    """The (scale, quality) tried in turn for a still that must fit its share of the budget:
    ``quality``, then LOWER_QUALITIES, then the same at half size (a picture so busy or noisy
    that even quality 40 does not fit is kept at the clips' size, as before detail)."""
    qs = [quality] + [q for q in LOWER_QUALITIES if q < quality]
    return [(1.0, q) for q in qs] + [(0.5, q) for q in qs]


def encode_within(rgb: np.ndarray, max_bytes: int, quality: int = JPEG_QUALITY, start: int = 0
                  ) -> tuple[np.ndarray, int]:
    """(JPEG, rung): ``rgb`` encoded at the first rung of :func:`ladder` from ``start`` that fits
    ``max_bytes`` (the last when none does; half size only for a picture wider than
    ``MIN_SIDE``). The caller may start the next still one rung above this one's: consecutive
    stills of a video cost alike, so most take one or two encodings."""
    steps = ladder(quality)
    if max(rgb.shape[:2]) < 2 * MIN_SIDE:
        steps = [st for st in steps if st[0] == 1.0]
    half = None
    start = min(max(0, start), len(steps) - 1)
    for k in range(start, len(steps)):
        scale, q = steps[k]
        if scale < 1.0 and half is None:
            h, w = rgb.shape[:2]
            half = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        buf = encode(rgb if scale == 1.0 else half, q)
        if len(buf) <= max_bytes:
            return buf, k
    return buf, len(steps) - 1


def encode(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.reshape(-1)
