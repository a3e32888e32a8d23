"""``StillsTap``: keeps still pictures (:mod:`.stills`) while a video is being embedded (no second decode).

The JPEG bytes go to an anonymous temporary file as they are made, not to memory: a shift
recording of hours keeps 100-200 MB of stills an hour (640 px), read back a cycle at a time."""
from __future__ import annotations

from array import array
from typing import Iterable, Iterator

import numpy as np

from .embedders.base import Embedder
from .file_bytes import FileBytes
from .spill import spill_file
from .stills import BYTES_PER_MINUTE, JPEG_QUALITY, STILLS_FPS, Stills, encode_within, ladder
from .video.types import Clip


class StillsTap(Embedder):
    """An Embedder that passes every clip to ``inner`` unchanged and keeps, from the clips'
    frames, the first frame at or after each multiple of ``1 / fps`` seconds (each sampled
    frame is looked at once, however many overlapping clips hold it): its larger copy
    (``Clip.details``, at the stills' size) when the reader made one, else the frame itself.
    Its identity is the inner embedder's: embeddings made through it are the same as without it."""

    def __init__(self, inner: Embedder, fps: float = STILLS_FPS, quality: int = JPEG_QUALITY):
        self.inner = inner
        self.name, self.version = inner.name, inner.version
        self.period = 1.0 / fps
        self.quality = int(quality)
        self.max_bytes = int(BYTES_PER_MINUTE / 60.0 / fps)
        self._spill = spill_file("sopilot-stills-")
        self._sizes = array("q")
        self._times = array("d")
        self._last_index = -1
        steps = ladder(self.quality)
        self._half = next(j for j, st in enumerate(steps) if st[0] < 1.0)  # the first half-size rung
        #: where the next still starts on the ladder, and the least it may: one size per video
        self._rung = self._floor = 0
        self._next_t = 0.0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def params(self) -> dict:
        return self.inner.params()

    def identity(self) -> dict:
        return self.inner.identity()

    def _tap(self, clips: Iterable[Clip]) -> Iterator[Clip]:
        for c in clips:
            for k, fi in enumerate(c.frame_indices):
                t = float(c.times[k])
                if int(fi) <= self._last_index:
                    continue
                self._last_index = int(fi)
                if t + 1e-6 >= self._next_t:
                    frame = c.details[k] if c.details is not None else c.frames[k]
                    blob, rung = encode_within(frame, self.max_bytes, self.quality, self._rung)
                    if rung >= self._half:  # kept at half size: so is every later still
                        self._floor = self._half
                    self._rung = max(self._floor, rung - 1)
                    self._spill.write(blob.tobytes())
                    self._sizes.append(len(blob))
                    self._times.append(t)
                    self._next_t = (np.floor(t / self.period + 1e-6) + 1) * self.period
            yield c

    def embed_clips(self, clips: Iterable[Clip]) -> np.ndarray:
        return self.inner.embed_clips(self._tap(clips))

    def stills(self) -> Stills:
        """The stills kept so far; their JPEG bytes stay in the tap's file (:class:`FileBytes`)."""
        offsets = np.zeros(len(self._sizes) + 1, np.int64)
        offsets[1:] = np.cumsum(np.frombuffer(self._sizes, np.int64))
        self._spill.flush()
        jpeg = FileBytes(self._spill, 0, int(offsets[-1]))
        return Stills(np.frombuffer(self._times, np.float64).copy(), jpeg, offsets)
