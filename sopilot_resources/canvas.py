"""A few OpenCV drawing helpers for the pictures in plots.py: a white RGB canvas, a plot
rectangle with data-to-pixel mapping and labelled ticks, rotated text. OpenCV draws a whole
picture in a few milliseconds, where a matplotlib figure costs a few hundred (and half a
second of import in every fresh run process)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .storage.fsutil import atomic_write_bytes

FONT = cv2.FONT_HERSHEY_SIMPLEX
INK = (40, 40, 40)
#: qualitative colours (RGB) for steps, after matplotlib's tab10
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def canvas(h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 white RGB image."""
    return np.full((h, w, 3), 255, np.uint8)


def text(img: np.ndarray, s: str, x: int, y: int, scale: float = 0.4, color=INK, anchor: str = "l") -> None:
    """Draw ``s`` with its baseline at ``y``; ``anchor`` l/c/r places ``x`` at its left/centre/right."""
    (tw, _), _ = cv2.getTextSize(s, FONT, scale, 1)
    x0 = x - (tw // 2 if anchor == "c" else tw if anchor == "r" else 0)
    cv2.putText(img, s, (int(x0), int(y)), FONT, scale, color, 1, cv2.LINE_AA)


def vtext(img: np.ndarray, s: str, x: int, yc: int, scale: float = 0.4) -> None:
    """Text rotated 90 degrees (reading upwards), centred vertically on ``yc``, left edge at ``x``."""
    (tw, th), base = cv2.getTextSize(s, FONT, scale, 1)
    tile = canvas(th + base + 2, tw + 2)
    cv2.putText(tile, s, (1, th + 1), FONT, scale, INK, 1, cv2.LINE_AA)
    tile = cv2.rotate(tile, cv2.ROTATE_90_COUNTERCLOCKWISE)
    y0 = max(0, yc - tile.shape[0] // 2)
    h, w = min(tile.shape[0], img.shape[0] - y0), min(tile.shape[1], img.shape[1] - x)
    img[y0:y0 + h, x:x + w] = np.minimum(img[y0:y0 + h, x:x + w], tile[:h, :w])


def nice_ticks(hi: float, n: int = 6) -> np.ndarray:
    """Round tick values in [0, hi], about ``n`` of them (steps of 1, 2 or 5 times 10^k)."""
    if hi <= 0:
        return np.array([0.0])
    raw = hi / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return np.arange(0.0, hi + 1e-9, step)


@dataclass
class Axes:
    """Plot rectangle (pixel box ``x0, y0, x1, y1``) showing data ``[0, xmax] x [0, ymax]``,
    y upwards."""

    x0: int
    y0: int
    x1: int
    y1: int
    xmax: float
    ymax: float

    def px(self, x) -> np.ndarray:
        return self.x0 + np.asarray(x, float) / max(self.xmax, 1e-9) * (self.x1 - self.x0)

    def py(self, y) -> np.ndarray:
        return self.y1 - np.asarray(y, float) / max(self.ymax, 1e-9) * (self.y1 - self.y0)

    def frame(self, img: np.ndarray, xlabel: str = "", ylabel: str = "", yticks: bool = True) -> None:
        cv2.rectangle(img, (self.x0, self.y0), (self.x1, self.y1), INK, 1)
        for v in nice_ticks(self.xmax):
            x = int(self.px(v))
            cv2.line(img, (x, self.y1), (x, self.y1 + 4), INK, 1)
            text(img, f"{v:g}", x, self.y1 + 16, 0.35, anchor="c")
        if yticks:
            for v in nice_ticks(self.ymax):
                y = int(self.py(v))
                cv2.line(img, (self.x0 - 4, y), (self.x0, y), INK, 1)
                text(img, f"{v:g}", self.x0 - 6, y + 4, 0.35, anchor="r")
        if xlabel:
            text(img, xlabel, (self.x0 + self.x1) // 2, self.y1 + 34, 0.42, anchor="c")
        if ylabel:
            vtext(img, ylabel, 4, (self.y0 + self.y1) // 2, 0.42)


def dashed_hline(img: np.ndarray, y: int, x0: int, x1: int, color, dash: int = 6) -> None:
    for x in range(x0, x1, 2 * dash):
        cv2.line(img, (x, y), (min(x + dash, x1), y), color, 1)


def save_png(img: np.ndarray, out: str | Path) -> Path:
    """Writes an RGB image as PNG, atomically."""
    ok, png = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"could not encode {out} as PNG")
    return atomic_write_bytes(Path(out), png.tobytes(), fsync=False)


def save_jpeg(img: np.ndarray, out: str | Path, quality: int = 80) -> Path:
    """Writes an RGB image as JPEG, atomically."""
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"could not encode {out} as JPEG")
    return atomic_write_bytes(Path(out), jpg.tobytes(), fsync=False)
