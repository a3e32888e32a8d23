"""Gold steps: read from a sidecar / steps file, or detected from the gold's embeddings."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import StepsFileError

SIDECAR_SUFFIX = ".steps.json"


@dataclass(frozen=True)
class Step:
    index: int
    name: str
    start_sec: float
    end_sec: float
    critical: bool = False

    @property
    def duration(self) -> float:
        return self.end_sec - self.start_sec

    def to_dict(self) -> dict:
        return asdict(self)


def find_sidecar(gold_video: str | Path) -> Path | None:
    """``<dir>/<gold name>.steps.json`` beside the gold video (name with or without extension)."""
    p = Path(gold_video)
    for cand in (p.with_name(p.stem + SIDECAR_SUFFIX), p.with_name(p.name + SIDECAR_SUFFIX)):
        if cand.is_file():
            return cand
    return None


def load_steps(path: str | Path) -> list[Step]:
    """Parse ``{"steps": [{"name", "start_sec", "end_sec", "critical"}, ...]}``.

    Steps are sorted by start; each must have end > start and must not overlap the next.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StepsFileError(f"{path}: not a readable JSON steps file ({exc})") from None
    items = doc.get("steps") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not items:
        raise StepsFileError(f'{path}: expected {{"steps": [ ... ]}} with at least one step')
    return parse_steps(items, source=str(path))


def parse_steps(items: list, source: str = "steps") -> list[Step]:
    raw = []
    for n, it in enumerate(items):
        if not isinstance(it, dict):
            raise StepsFileError(f"{source}: step {n} is not an object")
        try:
            start, end = float(it["start_sec"]), float(it["end_sec"])
        except (KeyError, TypeError, ValueError):
            raise StepsFileError(f"{source}: step {n} needs numeric start_sec and end_sec") from None
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
            raise StepsFileError(f"{source}: step {n} has start_sec={start}, end_sec={end}; need 0 <= start < end")
        raw.append((start, end, str(it.get("name") or f"step {n + 1}"), bool(it.get("critical", False))))
    raw.sort()
    for (s0, e0, n0, _), (s1, _, n1, _) in zip(raw, raw[1:]):
        if s1 < e0 - 1e-6:
            raise StepsFileError(f"{source}: steps '{n0}' and '{n1}' overlap ({s1:.2f} s < {e0:.2f} s)")
    return [Step(i, name, s, e, crit) for i, (s, e, name, crit) in enumerate(raw)]


def step_clip_ranges(steps: list[Step], starts: np.ndarray, ends: np.ndarray) -> list[tuple[int, int]]:
    """Clip index range [i0, i1) of each step: clips whose centre lies inside the step.

    A step shorter than a hop still gets the one clip nearest its centre.
    starts, ends: (N,) clip times in seconds.
    """
    centres = (np.asarray(starts) + np.asarray(ends)) / 2.0
    out = []
    for st in steps:
        idx = np.flatnonzero((centres >= st.start_sec) & (centres < st.end_sec))
        if idx.size == 0:
            c = (st.start_sec + st.end_sec) / 2.0
            i = int(np.argmin(np.abs(centres - c)))
            out.append((i, i + 1))
        else:
            out.append((int(idx[0]), int(idx[-1]) + 1))
    return out


def core_clip_ranges(steps: list[Step], starts: np.ndarray, ends: np.ndarray) -> list[tuple[int, int]]:
    """Like :func:`step_clip_ranges`, but only clips whose whole window lies inside the step
    (within half a hop), so no clip also shows the neighbouring step. Falls back to the
    centre rule for steps too short to hold two such clips."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    tol = float(np.median(np.diff(starts))) / 2.0 if len(starts) > 1 else 0.0
    out = []
    for st, fallback in zip(steps, step_clip_ranges(steps, starts, ends)):
        idx = np.flatnonzero((starts >= st.start_sec - tol) & (ends <= st.end_sec + tol))
        out.append((int(idx[0]), int(idx[-1]) + 1) if idx.size >= 2 else fallback)
    return out


def detect_steps(
    vectors: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    min_step_sec: float = 2.0,
    kernel_sec: float = 2.0,
    prominence: float = 0.5,
) -> list[Step]:
    """Segment a gold video into steps at peaks of a self-similarity novelty curve (Foote).

    vectors: (N, D) clip embeddings; starts/ends: (N,) seconds. The checkerboard kernel spans
    ``kernel_sec`` on each side; peaks closer than ``min_step_sec`` are merged and only peaks
    whose prominence exceeds ``prominence`` times the novelty's robust spread are kept.
    """
    n = len(vectors)
    if n == 0:
        return []
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    hop = float(np.median(np.diff(starts))) if n > 1 else 1.0
    x = vectors - vectors.mean(axis=0, keepdims=True)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    w = max(1, int(round(kernel_sec / hop)))
    nov = np.zeros(n)
    for i in range(w, n - w + 1):  # only a band around the diagonal: memory O(w^2), not O(N^2)
        sim = x[i - w:i + w] @ x[i - w:i + w].T
        a, b, cross = sim[:w, :w], sim[w:, w:], sim[:w, w:]
        nov[i] = (a.mean() + b.mean()) / 2.0 - cross.mean()
    spread = np.median(np.abs(nov - np.median(nov))) * 1.4826 + 1e-9
    # imported here: its numba kernel would load with every import of this module (the
    # settings read the autopilot's knobs, which read the steps' types), ~0.3 s before a cold
    # `sopilot score` starts decoding; here it loads only when a gold's steps are detected
    from .peaks import find_peaks

    peaks = find_peaks(nov, distance=max(1, int(round(min_step_sec / hop))),
                       prominence=prominence * spread + 0.02)
    bounds = [float(starts[0])] + [float(starts[p]) for p in peaks] + [float(ends[-1])]
    return [Step(i, f"step {i + 1}", s, e) for i, (s, e) in enumerate(zip(bounds, bounds[1:])) if e > s]
