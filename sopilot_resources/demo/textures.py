"""Procedural surface textures: bench tops, station mats and walls.

Each family paints a region of ``world`` size (width, height in view heights) at a pixel size;
random detail is drawn on a grid fixed in world units and resized (area-averaged when shrinking),
and regular patterns (pegboard holes, mat dots, seams) are computed analytically with
anti-aliased edges, so a texture looks the same at 180p and at 720p.
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Color = tuple[int, int, int]

#: bench-top families and the colours (BGR) each comes in; walls below
SURFACES: dict[str, tuple[Color, ...]] = {
    "wood": ((95, 140, 180), (70, 110, 150), (120, 160, 190), (60, 85, 115)),
    "metal": ((165, 165, 160), (150, 150, 150), (175, 170, 160), (135, 140, 140)),
    "laminate": ((200, 205, 205), (170, 185, 190), (150, 160, 150), (185, 175, 165)),
    "rubber": ((55, 60, 55), (70, 60, 45), (50, 70, 55), (75, 75, 80)),
    "pegboard": ((120, 165, 200), (215, 215, 210), (100, 140, 175)),
}
WALLS: dict[str, tuple[Color, ...]] = {
    "paint": ((200, 205, 210), (170, 185, 175), (190, 180, 170), (150, 160, 165)),
    "pegboard": ((120, 165, 200), (220, 220, 215)),
    "tiles": ((215, 215, 210), (185, 195, 200), (200, 190, 180)),
}
MAT_FAMILIES = ("rubber", "laminate", "metal")


def _field(rng: np.random.Generator, density: tuple[float, float], world: tuple[float, float], size: tuple[int, int],
           fn: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """(H, W) float32 random field: uniform [-1, 1] cells, ``density`` cells per world unit in
    (x, y), optionally mapped by ``fn`` cell-wise, resized to ``size`` = (W, H)."""
    cx, cy = (max(2, int(np.ceil(d * s))) for d, s in zip(density, world))
    cells = rng.uniform(-1.0, 1.0, (cy, cx)).astype(np.float32)
    if fn is not None:
        cells = fn(cells).astype(np.float32)
    w, h = size
    img = cv2.resize(cells, (w, cy), interpolation=cv2.INTER_AREA if w < cx else cv2.INTER_CUBIC)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if h < cy else cv2.INTER_CUBIC)


def _coords(world: tuple[float, float], size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, float]:
    """Pixel-centre world coordinates: xs (1, W), ys (H, 1), and pixels per world unit."""
    (ww, wh), (w, h) = world, size
    return ((np.arange(w, dtype=np.float32) + 0.5) * (ww / w))[None, :], \
        ((np.arange(h, dtype=np.float32) + 0.5) * (wh / h))[:, None], w / ww


def _cover(dist: np.ndarray, half_width: float, ppu: float) -> np.ndarray:
    """Anti-aliased coverage of a band / disc: 1 inside ``half_width`` (world units), 0 outside."""
    return np.clip((half_width - dist) * ppu + 0.5, 0.0, 1.0)


def _dots(world, size, period: float, radius: float, stagger: bool = False) -> np.ndarray:
    xs, ys, ppu = _coords(world, size)
    row = np.floor(ys / period)
    shift = (row % 2) * 0.5 * period if stagger else 0.0
    dx = ((xs + shift) / period + 0.5) % 1.0 - 0.5
    dy = (ys / period + 0.5) % 1.0 - 0.5
    return _cover(np.hypot(dx, dy) * period, radius, ppu)


def _wood(rng, world, size):
    xs, ys, ppu = _coords(world, size)
    plank_h = float(rng.uniform(0.15, 0.28))
    idx = np.floor(ys / plank_h).astype(int)
    tones = rng.uniform(-0.06, 0.06, int(idx.max()) + 2).astype(np.float32)
    rings = np.sin(2 * np.pi * (ys * 30.0 + 1.5 * _field(rng, (3, 3), world, size)))
    shade = 1.0 + tones[idx] + 0.06 * _field(rng, (8, 8), world, size) + 0.05 * _field(rng, (3, 220), world, size) + 0.03 * rings
    seam = _cover(np.abs(((ys / plank_h + 0.5) % 1.0 - 0.5) * plank_h), 0.002, ppu)
    return shade * (1.0 - 0.35 * seam)


def _metal(rng, world, size):
    shade = 1.0 + 0.07 * _field(rng, (2, 2), world, size) + 0.05 * _field(rng, (4, 420), world, size)
    return shade + 0.025 * _field(rng, (60, 700), world, size)


def _laminate(rng, world, size):
    def specks(c):
        return (c > 0.88) * -0.28 + (c < -0.93) * 0.2

    return 1.0 + 0.04 * _field(rng, (5, 5), world, size) + _field(rng, (320, 320), world, size, specks)


def _rubber(rng, world, size):
    base = 1.0 + 0.08 * _field(rng, (6, 6), world, size)
    if rng.random() < 0.5:
        raised = _dots(world, size, float(rng.uniform(0.03, 0.045)), 0.009, stagger=True)
    else:
        xs, ys, ppu = _coords(world, size)
        period = float(rng.uniform(0.025, 0.04))
        raised = _cover(np.abs(((xs + ys) / period + 0.5) % 1.0 - 0.5) * period, period * 0.2, ppu)
    return base * (1.0 + 0.3 * raised)


def _pegboard(rng, world, size):
    holes = _dots(world, size, float(rng.uniform(0.045, 0.06)), 0.008)
    return (1.0 + 0.04 * _field(rng, (6, 6), world, size) + 0.02 * _field(rng, (40, 40), world, size)) * (1.0 - 0.75 * holes)


def _paint(rng, world, size):
    return 1.0 + 0.05 * _field(rng, (4, 4), world, size) + 0.015 * _field(rng, (120, 120), world, size)


def _tiles(rng, world, size):
    xs, ys, ppu = _coords(world, size)
    t = float(rng.uniform(0.12, 0.2))
    tone = _field(rng, (1.0 / t, 1.0 / t), world, size, lambda c: c)  # smooth tile-to-tile variation
    gx = _cover(np.abs((xs / t + 0.5) % 1.0 - 0.5) * t, 0.003, ppu)
    gy = _cover(np.abs((ys / t + 0.5) % 1.0 - 0.5) * t, 0.003, ppu)
    return (1.0 + 0.04 * tone) * (1.0 - 0.25 * np.maximum(gx, gy))


FAMILIES = {"wood": _wood, "metal": _metal, "laminate": _laminate, "rubber": _rubber, "pegboard": _pegboard,
            "paint": _paint, "tiles": _tiles}


def texture(family: str, color: Color, world: tuple[float, float], size: tuple[int, int], seed: int) -> np.ndarray:
    """(H, W, 3) uint8 BGR surface of ``family`` in ``color`` covering ``world`` = (width, height)
    world units at ``size`` = (W, H) pixels; the same seed gives the same surface at any size."""
    shade = FAMILIES[family](np.random.default_rng(seed), world, size)
    img = np.asarray(color, np.float32)[None, None, :] * np.asarray(shade, np.float32)[:, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)
