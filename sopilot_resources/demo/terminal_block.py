"""The small-parts station's static pieces: a DIN rail, a block of look-alike screw terminals,
wire ends of similar colours, and a tray of look-alike jumper bars.

:func:`terminal_points` gives the world position of every terminal's screw, wire entry and
marker tab, so the painters and the procedure's actions agree on where things are.
"""
from __future__ import annotations

import cv2
import numpy as np

from .geometry import SHIFT, Projection

N_TERMINALS = 8
SCREW_OPEN = 0.9  # slot angle of a screw not yet tightened (radians); tightened: 0
SCREW_R = 0.34  # screw head radius, in terminal pitches


def terminal_pitch(o) -> float:
    """Centre-to-centre distance of neighbouring terminals, world units."""
    return o.w / N_TERMINALS


def terminal_points(o) -> dict[str, list[tuple[float, float]]]:
    """For a ``terminals`` object: per terminal (left to right), its screw, wire entry and marker tab."""
    xs = [o.x - o.w / 2 + terminal_pitch(o) * (k + 0.5) for k in range(N_TERMINALS)]
    return {"screw": [(x, o.y - 0.17 * o.h) for x in xs], "entry": [(x, o.y + 0.25 * o.h) for x in xs],
            "marker": [(x, o.y - 0.4 * o.h) for x in xs]}


def _rect(img, p: Projection, x0, y0, x1, y1, color):
    cv2.rectangle(img, p.pt(x0, y0), p.pt(x1, y1), color, -1, cv2.LINE_AA, SHIFT)


def _dim(color, f: float):
    return tuple(int(min(255, c * f)) for c in color)


def paint_screw_head(img, p: Projection, at, radius: float, angle: float, seated: bool) -> None:
    """A slotted screw head seen from above; a seated (tightened) one sits in a dark ring."""
    x, y = at
    if seated:
        cv2.circle(img, p.pt(x, y), p.r(radius * 1.18), (45, 45, 48), -1, cv2.LINE_AA, SHIFT)
    cv2.circle(img, p.pt(x, y), p.r(radius), (178, 180, 184) if seated else (200, 202, 206), -1, cv2.LINE_AA, SHIFT)
    dx, dy = np.cos(angle) * radius * 0.8, np.sin(angle) * radius * 0.8
    cv2.line(img, p.pt(x - dx, y - dy), p.pt(x + dx, y + dy), (55, 55, 60), p.w(radius * 0.3), cv2.LINE_AA, SHIFT)


def paint_rail(img, p: Projection, o) -> None:
    """Zinc-plated DIN rail with mounting slots."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    for v in (-0.42, 0.42):
        _rect(img, p, o.x - o.w / 2, o.y + (v - 0.06) * o.h, o.x + o.w / 2, o.y + (v + 0.06) * o.h, _dim(o.color, 0.75))
    for k in range(int(o.w / 0.12)):
        cx = o.x - o.w / 2 + 0.06 + 0.12 * k
        _rect(img, p, cx - 0.025, o.y - 0.1 * o.h, cx + 0.025, o.y + 0.1 * o.h, _dim(o.color, 0.45))


def paint_terminals(img, p: Projection, o) -> None:
    """A row of identical screw terminals: housing, marker tab, open screw, empty wire entry."""
    pts, pitch = terminal_points(o), terminal_pitch(o)
    for k in range(N_TERMINALS):
        x = pts["screw"][k][0]
        _rect(img, p, x - pitch * 0.47, o.y - o.h / 2, x + pitch * 0.47, o.y + o.h / 2, o.color)
        _rect(img, p, x - pitch * 0.47, o.y + 0.05 * o.h, x + pitch * 0.47, o.y + 0.08 * o.h, _dim(o.color, 0.8))
        mx, my = pts["marker"][k]
        _rect(img, p, mx - pitch * 0.34, my - 0.06 * o.h, mx + pitch * 0.34, my + 0.06 * o.h, o.part_color)
        ex, ey = pts["entry"][k]
        _rect(img, p, ex - pitch * 0.22, ey - pitch * 0.2, ex + pitch * 0.22, ey + pitch * 0.2, (35, 35, 38))
        paint_screw_head(img, p, pts["screw"][k], pitch * SCREW_R, SCREW_OPEN, seated=False)


def paint_wire_end(img, p: Projection, o) -> None:
    """A loose wire coming up from below the bench edge, ending at (x, y); ``w``: its thickness,
    ``h``: how far down it runs."""
    t = np.linspace(0.0, 1.0, 12)[:, None]
    bend = 0.04 * np.sin(o.angle)
    pts = np.hstack([o.x + bend * np.sin(np.pi * t), o.y + o.h * t])
    cv2.polylines(img, [p.poly(pts)], False, o.color, p.w(o.w), cv2.LINE_AA, SHIFT)


def paint_jumper_tray(img, p: Projection, o) -> None:
    """Tray of six compartments, each holding the same jumper bar."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, _dim(o.color, 0.7))
    cell = o.w / 6
    for k in range(6):
        cx = o.x - o.w / 2 + cell * (k + 0.5)
        _rect(img, p, cx - cell * 0.42, o.y - o.h * 0.4, cx + cell * 0.42, o.y + o.h * 0.4, o.color)
        _rect(img, p, cx - cell * 0.14, o.y - o.h * 0.32, cx + cell * 0.14, o.y + o.h * 0.32, o.part_color)


BLOCK_PAINTERS = {"rail": paint_rail, "terminals": paint_terminals, "wire_end": paint_wire_end, "jumper_tray": paint_jumper_tray}
