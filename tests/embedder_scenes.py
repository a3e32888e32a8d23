"""Synthetic work-step clips for the embedder tests (NumPy/OpenCV only).

A textured bench with small look-alike parts, seen by a fixed wide camera (``station=None``)
or by a camera that moves between workstations of a wide panorama (``station=k``). Step k
is a hand (skin blob + sleeve) working at its own small spot with its own motion pattern;
the parts of finished steps stay on the bench. Nuisances: performer, pace, lighting gain /
tint / offset, sensor noise, JPEG compression, lower source resolution, camera shake."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from sopilot_resources.video.types import Clip

W, H = 320, 180
SPOTS = [(60, 60), (150, 110), (250, 55), (90, 135), (220, 130)]
MOTIONS = ["h", "v", "circle", "h", "v"]
N_STEPS = len(SPOTS)


@lru_cache(maxsize=2)
def bench(panorama: bool = False) -> np.ndarray:
    """(H, W or 3W, 3) uint8 read-only textured bench with 14 small grey parts per station."""
    rng = np.random.default_rng(42)
    width = W * 3 if panorama else W
    base = rng.normal(0, 1, (H // 4, width // 4, 3)).astype(np.float32)
    base = cv2.resize(base, (width, H), interpolation=cv2.INTER_CUBIC)
    img = np.clip(120 + 25 * base + np.array([30, 10, -20]), 0, 255).astype(np.uint8)
    if panorama:  # each workstation has its own fixtures
        for s in range(3):
            cv2.rectangle(img, (s * W + 30 + 60 * s, 20), (s * W + 110 + 60 * s, 60), (40 + 80 * s, 160, 200 - 60 * s), -1)
    cols = 21 if panorama else 7
    for k in range(2 * cols):
        x, y = 20 + (k % cols) * 44, 25 + (k // cols) * 120
        cv2.rectangle(img, (x, y), (x + 8, y + 6), (90, 90, 100), -1)
    img.flags.writeable = False
    return img


def render(step: int, t: float, performer: int = 0, shake=(0, 0), station: int | None = None,
           motion: str | None = None) -> np.ndarray:
    """One (H, W, 3) uint8 RGB frame of step ``step`` at phase time t (seconds)."""
    pano = bench(panorama=station is not None)
    x_off = 0 if station is None else station * W
    img = pano[:, x_off:x_off + W].copy()
    for d in range(step):  # parts placed by the finished steps
        cv2.circle(img, SPOTS[d], 6, (200, 200, 40), -1)
    x0, y0 = SPOTS[step]
    a, ph = 14, 2 * np.pi * t
    dx, dy = {"h": (a * np.sin(ph), 0), "v": (0, a * np.sin(ph)),
              "circle": (a * np.cos(ph), a * np.sin(ph))}[motion or MOTIONS[step]]
    hx, hy = int(x0 + dx + 4 * performer), int(y0 + dy + 3 * performer)
    skin = [(205, 150, 120), (150, 100, 70)][performer]
    cv2.line(img, (hx, hy), (hx + 30 + 10 * performer, H + 10), (60, 70, 140), 14 + 2 * performer)
    cv2.ellipse(img, (hx, hy), (10 + performer, 8), 0, 0, 360, skin, -1)
    if shake != (0, 0):
        m = np.float32([[1, 0, shake[0]], [0, 1, shake[1]]])
        img = cv2.warpAffine(img, m, (W, H), borderMode=cv2.BORDER_REFLECT)
    return img


def degrade(img, rng, gain=1.0, tint=(1, 1, 1), offset=0.0, noise=0.0, jpeg=None, scale=1.0):
    f = img.astype(np.float32) * gain * np.array(tint, np.float32) + offset
    if noise:
        f += rng.normal(0, noise, f.shape)
    out = np.clip(f, 0, 255).astype(np.uint8)
    if scale != 1.0:  # filmed at a lower resolution, upscaled by the reader's resize
        out = cv2.resize(cv2.resize(out, (int(W * scale), int(H * scale)), interpolation=cv2.INTER_AREA), (W, H))
    if jpeg:
        out = cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, jpeg])[1], cv2.IMREAD_UNCHANGED)
    return out


def make_clip(step: int, pace: float = 1.0, performer: int = 0, shake: int = 0, seed: int = 1,
              T: int = 8, fps: float = 4.0, first_index: int = 0, moving: bool = False,
              motion: str | None = None, **nuisance) -> Clip:
    """A Clip of T frames at fps of one step; ``nuisance`` goes to ``degrade``.
    moving: the camera sits at the step's workstation of a panorama (``station_of``);
    motion: override the step's motion pattern ("h", "v" or "circle")."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(T):
        t = pace * i / fps * 0.9 + 0.1 * seed
        s = tuple(int(v) for v in rng.integers(-shake, shake + 1, 2)) if shake else (0, 0)
        st = station_of(step) if moving else None
        frames.append(degrade(render(step, t, performer, s, st, motion), rng, **nuisance))
    idx = np.arange(first_index, first_index + T, dtype=np.int64)
    return Clip(index=first_index, start_sec=first_index / fps, end_sec=(first_index + T) / fps,
                frames=np.stack(frames), frame_indices=idx, times=idx / fps)


def station_of(step: int) -> int:
    """Workstation of a step in the moving-camera scenario."""
    return min(2, step * 3 // N_STEPS)


NUISANCES = {
    "lighting": dict(gain=0.6, tint=(1.1, 1.0, 0.8), offset=10),
    "noise": dict(noise=8, seed=3),
    "jpeg": dict(jpeg=25),
    "pace_0.6": dict(pace=0.6),
    "pace_1.6": dict(pace=1.6),
    "shake": dict(shake=3, seed=5),
    "performer": dict(performer=1, seed=7),
    "low_res": dict(scale=0.6),
    "combined": dict(gain=1.3, noise=5, jpeg=35, pace=1.4, shake=2, performer=1, seed=9),
}
