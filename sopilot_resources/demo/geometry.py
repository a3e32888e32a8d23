"""World coordinates and their projection onto pixels.

The world is measured in *view heights*: the camera always sees a rectangle 1.0 high and
``aspect`` wide, whatever the output resolution, so a scene rendered at 360p and at 720p shows
the same picture. Drawing uses OpenCV's sub-pixel ``shift`` so slow motion stays smooth at
small sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHIFT = 4  # OpenCV drawing: fractional bits of every coordinate
_ONE = 1 << SHIFT


@dataclass(frozen=True)
class Projection:
    """Maps world units to pixel coordinates of one image.

    pixel = world * scale - origin, where origin is the image's top-left corner in the
    pixel grid of the whole (scaled) world.
    """

    scale: float  # pixels per world unit (= output height in pixels)
    origin_x: float = 0.0
    origin_y: float = 0.0

    def pt(self, x: float, y: float) -> tuple[int, int]:
        """Point for cv2 drawing calls made with ``shift=SHIFT``."""
        return (
            int(round((x * self.scale - self.origin_x) * _ONE)),
            int(round((y * self.scale - self.origin_y) * _ONE)),
        )

    def r(self, length: float) -> int:
        """Radius / axis length for cv2 calls made with ``shift=SHIFT`` (at least one pixel)."""
        return max(_ONE, int(round(length * self.scale * _ONE)))

    def w(self, width: float) -> int:
        """Line thickness in whole pixels (cv2 does not shift thickness)."""
        return max(1, int(round(width * self.scale)))

    def poly(self, pts: np.ndarray) -> np.ndarray:
        """(K, 2) world points -> (K, 1, 2) int32 for cv2.fillPoly/polylines with shift."""
        p = np.asarray(pts, dtype=np.float64) * self.scale
        p[:, 0] -= self.origin_x
        p[:, 1] -= self.origin_y
        return np.round(p * _ONE).astype(np.int32).reshape(-1, 1, 2)


def smoothstep(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


def lerp(a, b, u: float):
    return a + (b - a) * u


def smooth_noise(t: float, phases: np.ndarray, freqs: np.ndarray) -> float:
    """Deterministic band-limited wobble in [-1, 1]: a normalized sum of sines.

    phases, freqs: (K,) — drawn once per performer / camera from its own RNG.
    """
    return float(np.sum(np.sin(2.0 * np.pi * freqs * t + phases)) / len(freqs))
