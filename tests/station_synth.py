"""Stills of a row of workstations filmed by a camera that moves with the performer.

Each station has its own fixtures on a long textured bench; the camera stays at a station while
its step is worked (an arm moves there) and pans to the next one between steps. A trainee can
stay longer at some stations, work at another pace, and wear the camera a little lower,
zoomed and rolled.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from sopilot_resources.stills import Stills

W, H, FPS = 320, 180, 2.0
#: station k's centre on the bench (px); neighbours are 200 px apart (a view is 320 px wide)
PITCH, FIRST = 200, 160
N_STATIONS = 5


@lru_cache(maxsize=1)
def row() -> np.ndarray:
    """(H + 40, FIRST * 2 + PITCH * (N - 1) + 40, 3) float32: the bench, read-only."""
    rng = np.random.default_rng(3)
    width = 2 * FIRST + PITCH * (N_STATIONS - 1) + 40
    tex = cv2.resize(rng.uniform(80, 170, ((H + 40) // 12, width // 12, 3)).astype(np.float32), (width, H + 40),
                     interpolation=cv2.INTER_CUBIC)
    for _ in range(40 * N_STATIONS):  # fixtures and marks a feature matcher can hold on to
        x, y = int(rng.integers(5, width - 20)), int(rng.integers(10, H + 20))
        cv2.rectangle(tex, (x, y), (x + int(rng.integers(4, 16)), y + int(rng.integers(4, 14))),
                      tuple(float(c) for c in rng.uniform(20, 235, 3)), -1)
    tex.flags.writeable = False
    return tex


def gold_spans(n: int = N_STATIONS, work: float = 3.0, walk: float = 1.0) -> list[tuple[float, float]]:
    """(start, end) s of n steps of ``work`` s, ``walk`` s between stations, from 1 s in."""
    spans, t = [], 1.0
    for _ in range(n):
        spans.append((round(t, 3), round(t + work, 3)))
        t += work + walk
    return spans


def stretched(spans: list[tuple[float, float]], factors: list[float], walk: float = 1.0) -> list[tuple[float, float]]:
    """The same steps, each ``factors[k]`` times as long, ``walk`` s between them."""
    out, t = [], spans[0][0]
    for (a, b), f in zip(spans, factors):
        out.append((round(t, 3), round(t + (b - a) * f, 3)))
        t += (b - a) * f + walk
    return out


#: the camera follows the performer this many seconds late (it arrives after the work has
#: started and leaves after it has ended)
LAG = 0.5


def _camera_x(spans: list[tuple[float, float]], t: float, at: list[int] | None = None) -> float:
    """The view's centre on the bench at second t: at the station of the step being worked
    (``at``: each step's station, default step k at station k), moving at even speed from one
    station to the next between steps, LAG s late."""
    xs = [FIRST + 20 + PITCH * k for k in (at or range(len(spans)))]
    knots_t = [x + LAG for a, b in spans for x in (a, b)]
    knots_x = [x for k in range(len(spans)) for x in (xs[k], xs[k])]
    return float(np.interp(t, knots_t, knots_x))


def stills(spans: list[tuple[float, float]], tail: float = 2.0, worn: bool = False, seed: int = 0,
           at: list[int] | None = None) -> Stills:
    """2 stills a second of a take whose steps are ``spans`` (``at``: each step's station,
    default one per station), ``tail`` s after the last; ``worn``: the camera sits 6 px lower,
    zoomed 4 % and rolled 2 degrees (another person wearing it)."""
    rng = np.random.default_rng(seed)
    bench = row()
    times = np.arange(0.0, spans[-1][1] + tail, 1.0 / FPS)
    frames = []
    for t in times:
        cx = _camera_x(spans, t, at)
        x0 = int(round(cx - W / 2 - 20))
        img = bench[:, x0:x0 + W + 40].copy()
        working = [k for k, (a, b) in enumerate(spans) if a <= t < b]
        if working:  # the arm works at the middle of the view
            hx = W // 2 + 20 + int(rng.integers(-15, 16))
            cv2.line(img, (hx, H // 2 + 20 + int(rng.integers(-10, 11))), (W // 2 + 60, H + 40), (60, 40, 30), 12)
        m = cv2.getRotationMatrix2D((W / 2 + 20, H / 2 + 20), 2.0 if worn else 0.0, 1.04 if worn else 1.0)
        m[1, 2] += 6.0 if worn else 0.0
        view = cv2.warpAffine(img, m, (W + 40, H + 40), borderMode=cv2.BORDER_REFLECT)[20:20 + H, 20:20 + W]
        frames.append(np.clip(view + rng.normal(0, 2.0, view.shape), 0, 255).astype(np.uint8))
    return Stills.from_frames(frames, times)


def to_gold(trainee: list[tuple[float, float]], gold: list[tuple[float, float]]):
    """Trainee seconds -> the gold seconds the same moment of the work is at (what the
    alignment gives)."""
    tk = [x for sp in trainee for x in sp]
    gk = [x for sp in gold for x in sp]
    return lambda t: float(np.interp(t, tk, gk))
