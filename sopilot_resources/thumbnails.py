"""Keep a few frames for a contact sheet while a video is being embedded (no second decode).

``ThumbnailTap(embedder, duration_sec, n)`` is an Embedder that passes every clip to the
wrapped embedder unchanged and keeps the middle frame of the first clip at or after each of
``n`` evenly spaced times. Its identity is the wrapped embedder's, so embeddings made through
it are the same as without it."""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from .embedders.base import Embedder
from .video.types import Clip


class ThumbnailTap(Embedder):
    def __init__(self, inner: Embedder, duration_sec: float, n: int = 12):
        self.inner = inner
        self.name, self.version = inner.name, inner.version
        d = max(float(duration_sec), 0.0)
        self.targets = [d * (k + 0.5) / n for k in range(n)] if d > 0 else [0.0]
        self.frames: list[np.ndarray] = []
        self.times: list[float] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def params(self) -> dict:
        return self.inner.params()

    def identity(self) -> dict:
        return self.inner.identity()

    def _tap(self, clips: Iterable[Clip]) -> Iterator[Clip]:
        k = 0
        for c in clips:
            while k < len(self.targets) and c.end_sec >= self.targets[k]:
                mid = len(c.frames) // 2
                if len(self.times) == 0 or float(c.times[mid]) > self.times[-1]:
                    self.frames.append(np.array(c.frames[mid], copy=True))
                    self.times.append(float(c.times[mid]))
                k += 1
            yield c

    def embed_clips(self, clips: Iterable[Clip]) -> np.ndarray:
        return self.inner.embed_clips(self._tap(clips))

    def stack(self) -> tuple[np.ndarray, np.ndarray]:
        """(n, H, W, 3) uint8 RGB frames and (n,) times; empty arrays if none were kept."""
        if not self.frames:
            return np.zeros((0, 1, 1, 3), np.uint8), np.zeros(0)
        h, w = self.frames[0].shape[:2]
        keep = [i for i, f in enumerate(self.frames) if f.shape[:2] == (h, w)]
        return np.stack([self.frames[i] for i in keep]), np.asarray([self.times[i] for i in keep])
