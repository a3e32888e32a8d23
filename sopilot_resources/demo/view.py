"""The camera's view of the painted world image: where it looks (:class:`Pose`), the affine map
from output pixels to world-image pixels, and the warp that makes a frame.

A steady, upright camera is an integer crop of the world image (the gold's path, pixel-exact);
any roll, zoom drift or sub-pixel shake goes through one ``cv2.warpAffine`` of just the piece of
the world image the view covers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Pose:
    cx: float  # view centre, world-image pixels
    cy: float
    zoom: float = 1.0  # relative to the world image's scale (> 1: closer)
    roll: float = 0.0  # radians

    def lerp(self, other: Pose, f: float) -> Pose:
        return Pose(*(a + (b - a) * f for a, b in zip((self.cx, self.cy, self.zoom, self.roll),
                                                      (other.cx, other.cy, other.zoom, other.roll))))

    @property
    def upright(self) -> bool:
        return self.roll == 0.0 and self.zoom == 1.0


def view_matrix(pose: Pose, size: tuple[int, int]) -> np.ndarray:
    """(2, 3) float64: output pixel (x, y, 1) -> world-image pixel; the output's centre maps to
    the pose's centre, rotated by its roll and scaled by 1 / zoom. size = (w, h)."""
    w, h = size
    c, s = math.cos(pose.roll) / pose.zoom, math.sin(pose.roll) / pose.zoom
    lin = np.array([[c, -s], [s, c]])
    t = np.array([pose.cx, pose.cy]) - lin @ np.array([w / 2.0, h / 2.0])
    return np.hstack([lin, t[:, None]])


def view_box(a: np.ndarray, size: tuple[int, int], bg_shape: tuple[int, ...], margin: int = 2) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the world-image pixels the view of matrix ``a`` covers, plus ``margin``,
    clipped to an image of shape ``bg_shape`` (H, W, ...)."""
    w, h = size
    corners = a @ np.array([[0, w, 0, w], [0, 0, h, h], [1, 1, 1, 1]], dtype=np.float64)
    x0, y0 = np.floor(corners.min(axis=1)).astype(int) - margin
    x1, y1 = np.ceil(corners.max(axis=1)).astype(int) + margin
    return max(x0, 0), max(y0, 0), min(max(x1, 1), bg_shape[1]), min(max(y1, 1), bg_shape[0])


def integer_crop(pose: Pose, size: tuple[int, int], bg_shape: tuple[int, ...]) -> tuple[int, int]:
    """Top-left (ox, oy) of an upright, unscaled view rounded to whole pixels, kept inside the image."""
    w, h = size
    ox = int(round(min(max(pose.cx - w / 2.0, 0), bg_shape[1] - w)))
    oy = int(round(min(max(pose.cy - h / 2.0, 0), bg_shape[0] - h)))
    return ox, oy


def warp_view(canvas: np.ndarray, a: np.ndarray, origin: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """The (h, w, 3) frame seen through matrix ``a`` from ``canvas``, a piece of the world image
    whose top-left pixel is ``origin`` (x0, y0) there; bilinear, edges replicated."""
    m = a.copy()
    m[0, 2] -= origin[0]
    m[1, 2] -= origin[1]
    return cv2.warpAffine(canvas, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
