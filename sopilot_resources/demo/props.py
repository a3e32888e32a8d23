"""Painters for the clutter on and around a bench that no step uses: tools, cups, papers,
cartons, tape, rags, pens, phones, loose nuts.

Every painter takes (img, proj, o) where ``o`` is a :class:`~.scene.Obj`: centre (x, y), size
(w along the object's own axis, h across it), ``angle`` (radians), ``color``, ``seed``.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .geometry import SHIFT, Projection


def _local(o, pts) -> np.ndarray:
    """(K, 2) points in the object's frame (fractions of w, h around its centre) -> world."""
    p = np.asarray(pts, np.float64) * np.array([o.w, o.h])
    c, s = math.cos(o.angle), math.sin(o.angle)
    return np.stack([o.x + p[:, 0] * c - p[:, 1] * s, o.y + p[:, 0] * s + p[:, 1] * c], axis=1)


def _quad(img, proj: Projection, o, u0, v0, u1, v1, color) -> None:
    pts = _local(o, [(u0, v0), (u1, v0), (u1, v1), (u0, v1)])
    cv2.fillPoly(img, [proj.poly(pts)], color, cv2.LINE_AA, SHIFT)


def _disc(img, proj: Projection, o, u, v, r, color) -> None:
    (x, y), = _local(o, [(u, v)])
    cv2.circle(img, proj.pt(x, y), proj.r(r), color, -1, cv2.LINE_AA, SHIFT)


def _dim(color, f: float):
    return tuple(int(min(255, c * f)) for c in color)


def paint_screwdriver(img, proj, o) -> None:
    _quad(img, proj, o, -0.5, -0.5, -0.08, 0.5, o.color)
    _quad(img, proj, o, -0.45, -0.12, -0.12, 0.12, _dim(o.color, 0.7))
    _quad(img, proj, o, -0.08, -0.11, 0.46, 0.11, (185, 185, 190))
    _quad(img, proj, o, 0.44, -0.07, 0.5, 0.07, (90, 90, 95))


def paint_wrench(img, proj, o) -> None:
    metal = o.color
    _quad(img, proj, o, -0.38, -0.16, 0.38, 0.16, metal)
    for u in (-0.4, 0.4):
        _disc(img, proj, o, u, 0.0, o.h * 0.5, metal)
        _disc(img, proj, o, u + (0.06 if u < 0 else -0.06), 0.0, o.h * 0.22, _dim(metal, 0.55))


def paint_cup(img, proj, o) -> None:
    r = min(o.w, o.h) / 2
    _quad(img, proj, o, 0.3, -0.1, 0.62, 0.1, o.color)
    _disc(img, proj, o, 0.0, 0.0, r, o.color)
    _disc(img, proj, o, 0.0, 0.0, r * 0.8, _dim(o.color, 0.8))
    _disc(img, proj, o, 0.0, 0.0, r * 0.7, (30, 45, 70))  # coffee


def paint_paper(img, proj, o) -> None:
    _quad(img, proj, o, -0.5, -0.5, 0.5, 0.5, o.color)
    rng = np.random.default_rng(o.seed)
    for k in range(7):
        v = -0.36 + k * 0.11
        _quad(img, proj, o, -0.38, v - 0.012, -0.38 + float(rng.uniform(0.35, 0.76)), v + 0.012, (110, 105, 100))


def paint_carton(img, proj, o) -> None:
    _quad(img, proj, o, -0.5, -0.5, 0.5, 0.5, o.color)
    _quad(img, proj, o, -0.5, -0.09, 0.5, 0.09, _dim(o.color, 1.25))  # tape
    _quad(img, proj, o, -0.5, -0.5, 0.5, -0.46, _dim(o.color, 0.7))
    _quad(img, proj, o, -0.02, -0.5, 0.02, 0.5, _dim(o.color, 0.8))


def paint_tape(img, proj, o) -> None:
    r = min(o.w, o.h) / 2
    _disc(img, proj, o, 0.0, 0.0, r, o.color)
    _disc(img, proj, o, 0.0, 0.0, r * 0.62, (140, 150, 160))
    _disc(img, proj, o, 0.0, 0.0, r * 0.5, (70, 75, 80))


def paint_rag(img, proj, o) -> None:
    rng = np.random.default_rng(o.seed)
    a = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    rad = rng.uniform(0.3, 0.5, len(a))
    cv2.fillPoly(img, [proj.poly(_local(o, np.stack([rad * np.cos(a), rad * np.sin(a)], 1)))], o.color, cv2.LINE_AA, SHIFT)
    for _ in range(3):
        u, v = rng.uniform(-0.25, 0.25, 2)
        pts = proj.poly(_local(o, [(u - 0.2, v), (u + 0.2, v + float(rng.uniform(-0.1, 0.1)))]))
        cv2.polylines(img, [pts], False, _dim(o.color, 0.75), proj.w(o.h * 0.04), cv2.LINE_AA, SHIFT)


def paint_pen(img, proj, o) -> None:
    _quad(img, proj, o, -0.5, -0.5, 0.3, 0.5, o.color)
    _quad(img, proj, o, 0.3, -0.35, 0.5, 0.35, (200, 200, 200))
    _quad(img, proj, o, -0.5, -0.5, -0.25, 0.5, _dim(o.color, 0.6))


def paint_phone(img, proj, o) -> None:
    _quad(img, proj, o, -0.5, -0.5, 0.5, 0.5, (35, 35, 38))
    _quad(img, proj, o, -0.42, -0.4, 0.42, 0.4, o.color)


def paint_nuts(img, proj, o) -> None:
    rng = np.random.default_rng(o.seed)
    for _ in range(5):
        u, v = rng.uniform(-0.4, 0.4, 2)
        _disc(img, proj, o, u, v, o.h * 0.14, o.color)
        _disc(img, proj, o, u, v, o.h * 0.06, (40, 40, 40))


PROP_PAINTERS = {
    "screwdriver": paint_screwdriver, "wrench": paint_wrench, "cup": paint_cup, "paper": paint_paper,
    "carton": paint_carton, "tape": paint_tape, "rag": paint_rag, "pen": paint_pen, "phone": paint_phone,
    "nuts": paint_nuts,
}
#: kind -> (length range, width/length ratio, colours (BGR)); sizes in world units
PROP_SHAPES = {
    "screwdriver": ((0.14, 0.2), 0.12, ((40, 40, 200), (30, 160, 220), (160, 90, 30), (40, 40, 40))),
    "wrench": ((0.12, 0.18), 0.16, ((170, 170, 175), (150, 155, 160))),
    "cup": ((0.07, 0.09), 1.0, ((235, 235, 235), (60, 60, 180), (150, 90, 40), (60, 140, 60))),
    "paper": ((0.14, 0.2), 1.35, ((235, 238, 240), (215, 235, 240), (225, 225, 228))),
    "carton": ((0.14, 0.24), 0.75, ((90, 140, 180), (100, 150, 190), (80, 125, 165))),
    "tape": ((0.06, 0.08), 1.0, ((60, 170, 220), (200, 200, 200), (40, 40, 40))),
    "rag": ((0.1, 0.16), 0.8, ((60, 60, 170), (150, 120, 90), (180, 180, 175))),
    "pen": ((0.08, 0.11), 0.1, ((160, 60, 20), (20, 20, 20), (30, 30, 190))),
    "phone": ((0.08, 0.1), 0.5, ((90, 70, 50), (120, 100, 80))),
    "nuts": ((0.06, 0.09), 0.8, ((150, 150, 155), (120, 160, 190))),
}
