"""What one video's camera is like: a :class:`Look`, drawn once per video.

Geometry (framing offset and zoom, roll, a loose mount drifting slowly, shake), optics
(defocus, motion blur from the exposure time), light (exposure, white balance, gamma, their
slow drift, flicker frames, uneven light) and the sensor (noise). :mod:`.nuisance` applies it
frame by frame. Gold videos keep a clean, upright, steady look (:data:`GOLD_LOOK`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

RESOLUTIONS = ((640, 360), (854, 480), (960, 540), (1280, 720))
QUICK_RESOLUTIONS = ((320, 180), (384, 216), (480, 270))


@dataclass(frozen=True)
class Look:
    width: int
    height: int
    fps: int
    codec: str  # key of writer.CODECS
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)  # BGR white balance / exposure
    gamma: float = 1.0
    drift: float = 0.0  # relative brightness (exposure) swing over the video
    drift_period: float = 20.0  # seconds
    noise_sigma: float = 0.0  # grey levels
    shake_px: float = 0.0  # camera shake amplitude, in pixels at 720p
    zoom: float = 1.0  # framing: > 1 = camera closer than the gold's
    offset: tuple[float, float] = (0.0, 0.0)  # framing: view centre shift, world units
    light_grad: float = 0.0  # uneven light across the bench: relative brightness ramp
    light_angle: float = 0.0  # direction the light falls off towards, radians
    roll_deg: float = 0.0  # camera roll, constant over the video
    roll_drift_deg: float = 0.0  # slow roll drift amplitude (loose mount)
    mount_drift: float = 0.0  # slow drift of the view centre, amplitude in view heights (excursion up to 2x)
    zoom_drift: float = 0.0  # slow relative zoom drift amplitude
    mount_period: float = 60.0  # seconds, mean period of the mount's drift
    wb_drift: float = 0.0  # white balance: relative swing of each channel's gain
    wb_period: float = 30.0  # seconds, mean period of the white-balance drift
    flicker: tuple[tuple[float, float], ...] = ()  # (time s, brightness factor) of single flicker frames
    motion_blur: float = 0.0  # exposure as a fraction of the frame interval (0: sharp, sub-frames blended)
    defocus: float = 0.0  # Gaussian blur sigma, pixels at 720p
    harsh: bool = False  # drawn from the harsh ranges
    seed: int = 0

    def to_dict(self) -> dict:
        return {f.name: _rounded(getattr(self, f.name)) for f in fields(self)}


def _rounded(v):
    if isinstance(v, bool) or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return round(v, 4)
    return [_rounded(x) for x in v]


GOLD_LOOK = dict(gain=(1.0, 1.0, 1.0), gamma=1.0, drift=0.0, noise_sigma=1.0, shake_px=0.0)


def _maybe(rng: np.random.Generator, p: float, lo: float, hi: float) -> float:
    """``uniform(lo, hi)`` with probability ``p``, else 0 (both branches draw, so the stream stays aligned)."""
    hit, v = rng.random() < p, float(rng.uniform(lo, hi))
    return v if hit else 0.0


def _flicker(rng: np.random.Generator, p: float, duration: float | None) -> tuple[tuple[float, float], ...]:
    """A few frames darker or brighter than their neighbours (a lamp or mains flicker)."""
    rate = _maybe(rng, p, 0.05, 0.3)  # events per second
    if not rate or not duration:
        return ()
    times = np.sort(rng.uniform(0.5, max(duration - 0.5, 0.6), int(rng.poisson(rate * duration)) + 1))
    gains = rng.choice([-1.0, 1.0], len(times)) * rng.uniform(0.15, 0.3, len(times)) + 1.0
    return tuple((round(float(t), 3), round(float(g), 3)) for t, g in zip(times, gains))


def random_look(rng: np.random.Generator, size: tuple[int, int], fps: int, codec: str, harsh: bool = False,
                duration: float | None = None) -> Look:
    """Trainee camera conditions; ``harsh`` = dimmer/brighter, more noise, shake and drift.

    duration: the video's length in seconds (flicker frames are placed in it; None: no flicker).
    """
    def pick(normal: tuple[float, float], rough: tuple[float, float]) -> float:
        return float(rng.uniform(*(rough if harsh else normal)))

    exposure = pick((0.8, 1.15), (0.6, 1.3))
    tint = rng.uniform(-0.08, 0.08, 3)
    return Look(
        width=size[0], height=size[1], fps=fps, codec=codec,
        gain=tuple(float(exposure * (1.0 + t)) for t in tint),
        gamma=float(rng.uniform(0.8, 1.25)),
        drift=pick((0.0, 0.12), (0.1, 0.25)),
        drift_period=float(rng.uniform(12.0, 40.0)),
        noise_sigma=pick((1.5, 4.0), (4.0, 8.0)),
        shake_px=pick((0.5, 3.0), (3.0, 7.0)),
        zoom=float(rng.uniform(0.9, 1.1)),
        offset=(float(rng.uniform(-0.06, 0.06)), float(rng.uniform(-0.06, 0.06))),
        light_grad=pick((0.0, 0.15), (0.1, 0.3)),
        light_angle=float(rng.uniform(0, 2 * np.pi)),
        roll_deg=float(rng.uniform(-4.0, 4.0)),
        roll_drift_deg=float(rng.uniform(0.2, 1.0)),
        mount_drift=pick((0.003, 0.015), (0.01, 0.025)),
        zoom_drift=pick((0.003, 0.015), (0.01, 0.025)),
        mount_period=float(rng.uniform(40.0, 120.0)),
        wb_drift=pick((0.01, 0.05), (0.04, 0.07)),
        wb_period=float(rng.uniform(15.0, 60.0)),
        flicker=_flicker(rng, 0.5 if harsh else 0.15, duration),
        motion_blur=_maybe(rng, 0.6 if harsh else 0.35, 0.4, 1.0),
        defocus=_maybe(rng, 0.4 if harsh else 0.2, 0.7, 1.8),
        harsh=harsh,
        seed=int(rng.integers(2**31)),
    )


def gold_look(size: tuple[int, int], fps: int, codec: str, seed: int, tilted: np.random.Generator | None = None) -> Look:
    """The gold's camera: clean, upright, steady; ``tilted`` (a generator): a mild roll and offset of its own."""
    extra = {}
    if tilted is not None:
        extra = dict(roll_deg=float(tilted.choice([-1.0, 1.0]) * tilted.uniform(0.8, 1.8)),
                     offset=(float(tilted.uniform(-0.02, 0.02)), float(tilted.uniform(-0.02, 0.02))))
    return Look(size[0], size[1], fps, codec, seed=seed, **GOLD_LOOK, **extra)
