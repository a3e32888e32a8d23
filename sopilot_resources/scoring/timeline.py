"""Clip indices <-> seconds, and run finding on boolean clip masks."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timeline:
    """Clip centres of one video; clip j stands for [centre - hop/2, centre + hop/2)."""

    centres: np.ndarray  # (N,) seconds
    hop: float

    @classmethod
    def from_clips(cls, starts: np.ndarray, ends: np.ndarray) -> "Timeline":
        starts, ends = np.asarray(starts, float), np.asarray(ends, float)
        hop = float(np.median(np.diff(starts))) if len(starts) > 1 else float(ends[0] - starts[0])
        return cls((starts + ends) / 2.0, max(hop, 1e-3))

    def t0(self, j: int) -> float:
        return max(0.0, float(self.centres[j]) - self.hop / 2.0)

    def t1(self, j_end: int) -> float:
        """End time of a span whose last clip is j_end - 1."""
        return float(self.centres[j_end - 1]) + self.hop / 2.0

    def seconds(self, n_clips: int) -> float:
        return n_clips * self.hop


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a 1-D boolean mask."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(d[::2].tolist(), d[1::2].tolist()))


#: a clip is still when its motion is within this fraction of the way from the video's floor
#: (5th percentile) to its median (a resting hand still wanders a little)
IDLE_LEVEL = 0.25


def idle_mask(motion: np.ndarray) -> np.ndarray:
    """(N,) bool: clips with motion within ``IDLE_LEVEL`` of the way from the video's floor to its median.

    Relative, so sensor noise and codec flicker (which raise the floor) are not motion.
    """
    motion = np.asarray(motion, float)
    if motion.size == 0:
        return np.zeros(0, bool)
    floor, med = np.percentile(motion, 5), np.median(motion)
    if med - floor < 1e-6:
        return np.zeros(motion.shape, bool)
    return motion < floor + IDLE_LEVEL * (med - floor)
