"""Stills of a synthetic work area, for testing the scene comparison without video.

A textured bench; each step moves an "arm" (a bar from the bottom edge) to the step's spot,
and leaves a part (a coloured square) there when it ends. A trainee can be filmed from a moved
and rolled camera, with another gain, a prop that differs from the gold's from the first frame,
a part put one place off, a step left out, or an extra part put where no step works.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from sopilot_resources.stills import Stills

W, H, FPS = 320, 180, 2.0
SPOTS = [(90, 70), (150, 60), (210, 75), (250, 110), (120, 120)]
COLOURS = [(200, 60, 40), (40, 160, 60), (50, 70, 200), (220, 200, 40), (160, 40, 160)]


@dataclass
class Take:
    """spans: (start, end) seconds per step; spots: where each step leaves its part (None: the
    step is not done); extra: (time, (x, y)) of a part no step places; prop: a static object
    (x, y) there from the first frame; angle (degrees), shift (px), gain: the camera."""

    spans: list[tuple[float, float]]
    spots: list[tuple[int, int] | None] = field(default_factory=list)
    extra: tuple[float, tuple[int, int]] | None = None
    prop: tuple[int, int] | None = None
    angle: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)
    gain: float = 1.0
    seed: int = 0
    part: int = 8  #: half the side of a part, px at 320 px wide (0: a small part, 1 px there)
    scale: int = 1  #: stills rendered this many times larger (2: as kept at ingest, 640 px)
    rest: float = 0.5  #: the arm stays on a step's spot this long (s) after the step ends
    wrong: int | None = None  #: this step leaves the wrong part (its colour inverted) on its spot


def bench(seed: int = 7) -> np.ndarray:
    """(H + 40, W + 40, 3) float32: a textured bench larger than the view (room to move)."""
    rng = np.random.default_rng(seed)
    tex = cv2.resize(rng.uniform(90, 170, (12, 20, 3)).astype(np.float32), (W + 40, H + 40),
                     interpolation=cv2.INTER_CUBIC)
    for _ in range(25):  # marks a feature matcher can hold on to
        x, y = int(rng.integers(10, W + 30)), int(rng.integers(10, H + 30))
        cv2.rectangle(tex, (x, y), (x + int(rng.integers(4, 12)), y + int(rng.integers(4, 12))),
                      tuple(float(c) for c in rng.uniform(30, 230, 3)), -1)
    return tex


def _square(img, xy, colour, off=20, r=8, k=1):
    x, y = (xy[0] + off) * k, (xy[1] + off) * k
    cv2.rectangle(img, (x - r * k, y - r * k), (x + r * k + k - 1, y + r * k + k - 1), colour, -1)


def stills(take: Take, duration: float | None = None) -> Stills:
    """The take's stills at 2 fps (``take.scale`` times 320 x 180 px)."""
    rng = np.random.default_rng(take.seed)
    duration = duration or take.spans[-1][1] + 3.0
    k = take.scale
    base = bench()
    if k > 1:
        base = cv2.resize(base, ((W + 40) * k, (H + 40) * k), interpolation=cv2.INTER_LINEAR)
    if take.prop is not None:
        _square(base, take.prop, (20, 20, 20), r=9, k=k)
    frames, times = [], np.arange(0.0, duration, 1.0 / FPS)
    rot = cv2.getRotationMatrix2D(((W / 2 + 20) * k, (H / 2 + 20) * k), take.angle, 1.0)
    rot[:, 2] += np.asarray(take.shift) * k
    spots = take.spots or [SPOTS[i % len(SPOTS)] for i in range(len(take.spans))]
    for t in times:
        img = base.copy()
        for n, ((a, b), spot) in enumerate(zip(take.spans, spots)):
            if spot is not None and t >= b:
                colour = COLOURS[n % len(COLOURS)]
                colour = colour if n != take.wrong else tuple(255 - c for c in colour)
                _square(img, spot, colour, r=take.part, k=k)
        if take.extra is not None and t >= take.extra[0]:
            _square(img, take.extra[1], (240, 240, 240), r=take.part, k=k)
        active = [(a, b, s) for (a, b), s in zip(take.spans, spots) if a <= t < b + take.rest and s is not None]
        if active:  # the arm reaches to the spot of the step in progress
            a, b, (x, y) = active[0]
            cv2.line(img, ((x + 20 + int(rng.integers(-3, 4))) * k, (y + 20) * k), ((W // 2 + 20) * k, (H + 40) * k),
                     (60, 40, 30), 11 * k)
        view = cv2.warpAffine(img, rot, ((W + 40) * k, (H + 40) * k),
                              borderMode=cv2.BORDER_REFLECT)[20 * k:(20 + H) * k, 20 * k:(20 + W) * k]
        view = np.clip(view * take.gain + rng.normal(0, 2.0, view.shape), 0, 255).astype(np.uint8)
        frames.append(view)
    return Stills.from_frames(frames, times)


def gold_take(n: int = 4, step: float = 3.0, pause: float = 1.5) -> Take:
    spans, t = [], 1.5
    for _ in range(n):
        spans.append((t, t + step))
        t += step + pause
    return Take(spans)
