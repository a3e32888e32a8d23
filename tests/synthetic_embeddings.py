"""Clip-embedding sequences with known steps, for testing the engine without video.

Each step is a short trajectory in embedding space (a start and an end prototype blended
over the step), idle clips sit near a shared "rest" vector, and a trainee is the gold's
steps replayed at another pace with noise and a constant offset (a lighting change).
"""
from __future__ import annotations

import numpy as np

from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.scoring.steps import Step
from sopilot_resources.video.types import QUALITY_FLAGS

HOP, CLIP = 0.5, 0.5
IDENTITY = {"name": "synthetic", "version": 1}


def protos(n_steps: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """(n_steps + 2, 2, dim): start/end prototype per step, plus 'rest' and 'extra'."""
    return np.random.default_rng(seed).normal(size=(n_steps + 2, 2, dim))


def render(plan: list[tuple[int, float]], P: np.ndarray, noise: float = 0.3, offset: float = 0.0,
           seed: int = 1) -> ClipEmbeddings:
    """plan: (prototype index or -1 for rest, duration seconds) in order. Returns embeddings."""
    rng = np.random.default_rng(seed)
    rows, motion = [], []
    for proto, dur in plan:
        n = max(1, int(round(dur / HOP)))
        a, b = (P[-2, 0], P[-2, 0]) if proto < 0 else (P[proto, 0], P[proto, 1])
        for k in range(n):
            w = k / max(1, n - 1)
            rows.append((1 - w) * a + w * b)
            motion.append(0.01 if proto < 0 else 0.2)
    x = np.asarray(rows) + rng.normal(scale=noise, size=(len(rows), P.shape[-1])) + offset
    starts = np.arange(len(rows)) * HOP
    return ClipEmbeddings(
        vectors=x.astype(np.float32), starts=starts, ends=starts + CLIP,
        quality=np.zeros((len(rows), len(QUALITY_FLAGS)), bool),
        motion=(np.asarray(motion) + rng.uniform(0, 0.01, len(rows))).astype(np.float32),
        embedder=IDENTITY,
    )


def gold_plan(durs: list[float], pause: float = 1.0) -> tuple[list[tuple[int, float]], list[Step]]:
    plan, steps, t = [(-1, 1.0)], [], 1.0
    for k, d in enumerate(durs):
        plan.append((k, d))
        steps.append(Step(k, f"step {k + 1}", t, t + d, critical=(k == 1)))
        t += d
        plan.append((-1, pause))
        t += pause
    return plan, steps
