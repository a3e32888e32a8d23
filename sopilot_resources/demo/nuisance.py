"""How the camera sees a performance: resolution, frame rate, lighting drift, sensor noise, shake.

A :class:`Look` is drawn once per video; the per-frame functions are cheap (a 256-entry LUT, two
saturating adds of a pre-drawn noise frame, an integer crop offset) so rendering stays fast.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import smooth_noise

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
    drift: float = 0.0  # relative brightness swing over the video
    drift_period: float = 20.0  # seconds
    noise_sigma: float = 0.0  # grey levels
    shake_px: float = 0.0  # camera shake amplitude, in pixels at 720p
    zoom: float = 1.0  # framing: > 1 = camera slightly closer than the gold's
    offset: tuple[float, float] = (0.0, 0.0)  # framing: view centre shift, world units
    light_grad: float = 0.0  # uneven light across the bench: relative brightness ramp
    light_angle: float = 0.0  # direction the light falls off towards, radians
    seed: int = 0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["gain"] = [round(g, 3) for g in self.gain]
        d["offset"] = [round(o, 4) for o in self.offset]
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


GOLD_LOOK = dict(gain=(1.0, 1.0, 1.0), gamma=1.0, drift=0.0, noise_sigma=1.0, shake_px=0.0)


def random_look(rng: np.random.Generator, size: tuple[int, int], fps: int, codec: str, harsh: bool = False) -> Look:
    """Trainee camera conditions; ``harsh`` = dimmer/brighter, more noise and shake."""
    exposure = float(rng.uniform(0.6, 1.3) if harsh else rng.uniform(0.8, 1.15))
    tint = rng.uniform(-0.08, 0.08, 3)
    return Look(
        width=size[0], height=size[1], fps=fps, codec=codec,
        gain=tuple(float(exposure * (1.0 + t)) for t in tint),
        gamma=float(rng.uniform(0.8, 1.25)),
        drift=float(rng.uniform(0.1, 0.25) if harsh else rng.uniform(0.0, 0.12)),
        drift_period=float(rng.uniform(12.0, 40.0)),
        noise_sigma=float(rng.uniform(4.0, 8.0) if harsh else rng.uniform(1.5, 4.0)),
        shake_px=float(rng.uniform(3.0, 7.0) if harsh else rng.uniform(0.5, 3.0)),
        zoom=float(rng.uniform(0.95, 1.06)),
        offset=(float(rng.uniform(-0.03, 0.03)), float(rng.uniform(-0.03, 0.03))),
        light_grad=float(rng.uniform(0.1, 0.3) if harsh else rng.uniform(0.0, 0.15)),
        light_angle=float(rng.uniform(0, 2 * np.pi)),
        seed=int(rng.integers(2**31)),
    )


class Camera:
    """Per-frame lighting, noise and shake for one :class:`Look`."""

    def __init__(self, look: Look, bank_size: int = 6):
        self.look = look
        rng = np.random.default_rng(look.seed)
        self._ph, self._fr = rng.uniform(0, 2 * np.pi, 8), rng.uniform(0.5, 3.0, 8)
        self._drift_phase = float(rng.uniform(0, 2 * np.pi))
        self._rng = rng
        self._bank: list[tuple[np.ndarray, np.ndarray]] = []
        if look.noise_sigma > 0:
            for _ in range(bank_size):
                n = rng.normal(0.0, look.noise_sigma, (look.height, look.width, 3))
                self._bank.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))
        self._x = np.arange(256, dtype=np.float64) / 255.0
        self._neutral = look.gain == (1.0, 1.0, 1.0) and look.gamma == 1.0 and look.drift == 0.0

    def light_bench(self, bg: np.ndarray, scale: float) -> np.ndarray:
        """Uneven illumination baked into a painted background: a linear ramp in world units
        (brighter towards one side), +-light_grad over one view height."""
        if self.look.light_grad <= 0:
            return bg
        h, w = bg.shape[:2]
        ys, xs = np.ogrid[:h, :w]
        c, s = np.cos(self.look.light_angle), np.sin(self.look.light_angle)
        ramp = ((xs - w / 2) * c + (ys - h / 2) * s) / scale
        gain = np.clip(1.0 - self.look.light_grad * ramp, 0.5, 1.5).astype(np.float32)
        return cv2.multiply(bg, cv2.merge([gain] * 3), dtype=cv2.CV_8U)

    def shake(self, t: float) -> tuple[float, float]:
        """Camera offset in pixels of this video at time t."""
        a = self.look.shake_px * self.look.height / 720.0
        return a * smooth_noise(t, self._ph[:4], self._fr[:4]), a * smooth_noise(t, self._ph[4:], self._fr[4:])

    def lut(self, t: float) -> np.ndarray:
        """(256, 1, 3) uint8 tone curve at time t: gamma, white balance, slow brightness drift."""
        lk = self.look
        level = 1.0 + lk.drift * np.sin(2 * np.pi * t / lk.drift_period + self._drift_phase)
        curve = self._x ** lk.gamma * 255.0 * level
        lut = np.stack([curve * g for g in lk.gain], axis=-1)
        return np.clip(lut, 0, 255).astype(np.uint8).reshape(256, 1, 3)

    def expose(self, frame: np.ndarray, t: float) -> np.ndarray:
        """Apply lighting and sensor noise to a rendered BGR frame (returns a new array)."""
        out = frame.copy() if self._neutral else cv2.LUT(frame, self.lut(t))
        if self._bank:
            pos, neg = self._bank[int(self._rng.integers(len(self._bank)))]
            cv2.add(out, pos, dst=out)
            cv2.subtract(out, neg, dst=out)
        return out
