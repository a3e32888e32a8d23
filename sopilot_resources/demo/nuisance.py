"""How a :class:`~.look.Look` is applied, frame by frame: the camera's pose over time (mount
drift, roll, shake) and what light, optics and sensor do to a rendered frame.

Per frame the photometric work is cheap: a 256-entry LUT (gamma, white balance drifting per
channel, exposure drift, flicker), an optional Gaussian defocus, two saturating adds of a
pre-drawn noise frame.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .geometry import smooth_noise
from .look import GOLD_LOOK, QUICK_RESOLUTIONS, RESOLUTIONS, Look, random_look  # noqa: F401  (re-exported)


def _wave(t: float, period: float, phase: float) -> float:
    """Slow drift starting at 0: sin(2 pi t / period + phase) - sin(phase), in [-2, 2]."""
    return math.sin(2 * math.pi * t / period + phase) - math.sin(phase)


class Camera:
    """Per-frame pose, lighting, optics and noise for one :class:`Look`."""

    def __init__(self, look: Look, bank_size: int = 6):
        self.look = look
        rng = np.random.default_rng(look.seed)
        self._ph, self._fr = rng.uniform(0, 2 * np.pi, 8), rng.uniform(0.5, 3.0, 8)
        self._drift_phase = float(rng.uniform(0, 2 * np.pi))
        self._mount_ph = rng.uniform(0, 2 * np.pi, 4)  # x, y, zoom, roll
        self._mount_per = look.mount_period * rng.uniform(0.7, 1.3, 4)
        self._wb_ph = rng.uniform(0, 2 * np.pi, 3)
        self._wb_per = look.wb_period * rng.uniform(0.7, 1.3, 3)
        self._flicker = {int(round(t * look.fps)): g for t, g in look.flicker}
        self._rng = rng
        self._bank: list[tuple[np.ndarray, np.ndarray]] = []
        if look.noise_sigma > 0:
            for _ in range(bank_size):
                n = rng.normal(0.0, look.noise_sigma, (look.height, look.width, 3))
                self._bank.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))
        self._x = np.arange(256, dtype=np.float64) / 255.0
        self._neutral = look.gain == (1.0, 1.0, 1.0) and look.gamma == 1.0 and look.drift == 0.0 and \
            look.wb_drift == 0.0 and not look.flicker

    @property
    def steady(self) -> bool:
        """No roll, drift or shake: the view is an integer crop of the world."""
        lk = self.look
        return lk.roll_deg == 0 and lk.roll_drift_deg == 0 and lk.mount_drift == 0 and lk.zoom_drift == 0 and lk.shake_px == 0

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

    def mount(self, t: float) -> tuple[float, float, float, float]:
        """The loose mount at time t: (dx, dy) view-centre drift in world units, zoom factor
        (1 at t=0), roll in radians (constant roll plus its slow drift)."""
        lk, ph, per = self.look, self._mount_ph, self._mount_per
        dx = lk.mount_drift * _wave(t, per[0], ph[0])
        dy = lk.mount_drift * _wave(t, per[1], ph[1])
        zoom = 1.0 + lk.zoom_drift * _wave(t, per[2], ph[2])
        roll = lk.roll_deg + lk.roll_drift_deg * _wave(t, per[3], ph[3]) / 2
        return dx, dy, zoom, math.radians(roll)

    def gains(self, t: float) -> np.ndarray:
        """(3,) BGR gains at time t: white balance drifting per channel around ``look.gain``."""
        lk = self.look
        wb = [1.0 + lk.wb_drift * math.sin(2 * math.pi * t / p + f) for p, f in zip(self._wb_per, self._wb_ph)]
        return np.asarray(lk.gain) * np.asarray(wb)

    def lut(self, t: float) -> np.ndarray:
        """(256, 1, 3) uint8 tone curve at time t: gamma, white balance, exposure drift, flicker."""
        lk = self.look
        level = 1.0 + lk.drift * math.sin(2 * math.pi * t / lk.drift_period + self._drift_phase)
        level *= self._flicker.get(int(round(t * lk.fps)), 1.0)
        curve = self._x ** lk.gamma * 255.0 * level
        lut = np.stack([curve * g for g in self.gains(t)], axis=-1)
        return np.clip(lut, 0, 255).astype(np.uint8).reshape(256, 1, 3)

    def expose(self, frame: np.ndarray, t: float) -> np.ndarray:
        """Apply defocus, lighting and sensor noise to a rendered BGR frame (returns a new array)."""
        out = frame
        if self.look.defocus > 0:
            out = cv2.GaussianBlur(out, (0, 0), self.look.defocus * self.look.height / 720.0)
        if not self._neutral:
            out = cv2.LUT(out, self.lut(t))
        elif out is frame:
            out = frame.copy()
        if self._bank:
            pos, neg = self._bank[int(self._rng.integers(len(self._bank)))]
            cv2.add(out, pos, dst=out)
            cv2.subtract(out, neg, dst=out)
        return out
