"""Privacy mask: black out or blur fixed regions of every sampled frame before it reaches a
Clip (and so before any embedder sees it)."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class PrivacyMask:
    """rects: normalized rectangles (x0, y0, x1, y1) in [0, 1] of frame width/height.
    mode: "black" (pixels set to 0) or "blur" (pixelated to ~1/16 of the region size, then
    Gaussian-smoothed: faces and text become unreadable, the mean colour stays)."""

    rects: tuple[tuple[float, float, float, float], ...] = field(default_factory=tuple)
    mode: str = "black"

    def __post_init__(self) -> None:
        if self.mode not in ("black", "blur"):
            raise ValueError(f"privacy mask mode must be 'black' or 'blur', not {self.mode!r}")
        rects = tuple(tuple(float(v) for v in r) for r in self.rects)
        for r in rects:
            if len(r) != 4 or not all(0.0 <= v <= 1.0 for v in r) or r[0] >= r[2] or r[1] >= r[3]:
                raise ValueError(
                    f"privacy rectangle {r} must be [x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1"
                )
        object.__setattr__(self, "rects", rects)

    @classmethod
    def from_dict(cls, d: dict) -> "PrivacyMask":
        """{"rects": [[x0, y0, x1, y1], ...], "mode": "black"|"blur"}"""
        return cls(rects=tuple(tuple(r) for r in d.get("rects", ())), mode=d.get("mode", "black"))

    def to_dict(self) -> dict:
        return {"rects": [list(r) for r in self.rects], "mode": self.mode}

    def pixel_rects(self, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """Rectangles in pixels (x0, y0, x1, y1), covering every partly-touched pixel."""
        out = []
        for x0, y0, x1, y1 in self.rects:
            px0, py0 = int(np.floor(x0 * width)), int(np.floor(y0 * height))
            px1, py1 = int(np.ceil(x1 * width)), int(np.ceil(y1 * height))
            if px1 > px0 and py1 > py0:
                out.append((px0, py0, px1, py1))
        return out

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """frame: (H, W, C) uint8, modified IN PLACE and returned."""
        h, w = frame.shape[:2]
        for x0, y0, x1, y1 in self.pixel_rects(h, w):
            roi = frame[y0:y1, x0:x1]
            if self.mode == "black":
                roi[...] = 0
            else:
                rh, rw = roi.shape[:2]
                small = cv2.resize(roi, (max(1, rw // 16), max(1, rh // 16)), interpolation=cv2.INTER_AREA)
                big = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_LINEAR)
                k = max(3, (min(rw, rh) // 8) | 1)
                roi[...] = cv2.GaussianBlur(big, (k, k), 0)
        return frame
