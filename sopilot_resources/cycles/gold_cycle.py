"""A cyclic gold: a gold video that holds the task several times over. Noticed from its
self-similarity (the prepared clip vectors repeat at one lag), and cut to one representative
cycle, so its steps are the task's (seven, not 149 in 20 copies of seven).

With a steps file that covers only part of a long, periodic gold, the steps file says which
span is the gold: the cut is that span (plus the usual lead-in and tail).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..embeddings import ClipEmbeddings
from ..scoring.evidence import block_layout, prepare
from ..scoring.motion import clip_motion
from ..scoring.steps import Step
from ..scoring.timeline import Timeline
from .slicing import time_slice

#: a gold repeats when its clips at some lag are this similar on average (prepared vectors,
#: cosine); a single performance measures below (each step looks like itself, not the others)
PERIODIC_MIN = 0.45
#: shortest cycle considered, seconds
MIN_PERIOD_SEC = 6.0
LEAD_SEC, TAIL_SEC = 1.0, 1.4


@dataclass(frozen=True)
class GoldCycles:
    """period_sec: the gold's cycle time; cycles: how many it holds; strength: the mean
    similarity at that lag; span: the representative cycle, gold seconds; source:
    "periodicity" or "steps file"."""

    period_sec: float
    cycles: int
    strength: float
    span: tuple[float, float]
    source: str

    def to_dict(self) -> dict:
        return {"period_sec": round(self.period_sec, 2), "cycles": self.cycles, "strength": round(self.strength, 3),
                "span": {"start_sec": round(self.span[0], 2), "end_sec": round(self.span[1], 2)}, "source": self.source}


def lag_similarity(x: np.ndarray) -> np.ndarray:
    """x: (N, D) unit rows -> (N,) r[L] = mean over i of x_i . x_{i+L} (r[0] = 1), by FFT:
    O(D N log N) time, no N x N matrix."""
    n = len(x)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(x, n=size, axis=0)
    ac = np.fft.irfft((f * f.conj()).sum(axis=1), n=size)[:n]
    return ac / np.maximum(n - np.arange(n), 1)


def periodicity(x: np.ndarray, hop: float, min_sec: float = MIN_PERIOD_SEC) -> tuple[int, float]:
    """x: (N, D) prepared unit rows -> (lag in clips, similarity there) of the strongest repeat
    among lags of ``min_sec`` up to half the video (0, 0.0 when the video is too short)."""
    lo, hi = max(2, int(round(min_sec / hop))), len(x) // 2
    if hi <= lo:
        return 0, 0.0
    r = lag_similarity(x)
    lag = lo + int(np.argmax(r[lo:hi + 1]))
    return lag, float(r[lag])


def one_cycle_gold(gold: ClipEmbeddings, steps: list[Step] | None, threshold: float = PERIODIC_MIN
                   ) -> tuple[ClipEmbeddings, GoldCycles | None]:
    """(the gold cut to one cycle, what was found) or (gold unchanged, None) when it does not
    repeat. steps: the steps file's steps, if any (their span is the cycle)."""
    tl = Timeline.from_clips(gold.starts, gold.ends)
    x = prepare(gold.vectors, tl.hop, blocks=block_layout(gold.embedder))
    lag, strength = periodicity(x, tl.hop)
    if lag == 0 or strength < threshold:
        return gold, None
    n_cycles = int(round(len(x) / lag))
    if steps:
        span = (steps[0].start_sec - LEAD_SEC, steps[-1].end_sec + TAIL_SEC)
        if span[1] - span[0] > 0.75 * len(x) * tl.hop:
            return gold, None  # the steps file covers the whole gold: it is the gold
        source = "steps file"
    else:
        motion = clip_motion(gold)
        folded = [motion[p::lag][: len(x) // lag].mean() for p in range(lag)]
        p = int(np.argmin(folded))  # the stillest phase: the rest between cycles
        start = p if p + lag < len(x) else p - lag
        span = (float(tl.centres[max(0, start)]), float(tl.centres[min(len(x) - 1, start + lag)]))
        source = "periodicity"
    cut, _ = time_slice(gold, max(span[0], float(gold.starts[0])), span[1])
    return cut, GoldCycles(lag * tl.hop, n_cycles, strength, span, source)
