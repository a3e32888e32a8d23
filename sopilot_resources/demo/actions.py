"""What a hand does during one step, and what that leaves behind on the bench.

Every action is a function of its phase ``u`` in [0, 1] (so the same action performed faster or
slower is the same motion in less or more time):

- ``keys()``: the hand path as keyframes ``Key(u, x, y, grip)``; the hand first travels from
  wherever it was to the first key.
- ``draw_active(img, proj, u, hand)``: what is in the hand right now (a part, a screwdriver, a
  cable end, a lens ...).
- ``effect_u`` / ``draw_effect(img, proj)``: from that phase on, the scene is changed for good
  (a part sits in the fixture, a screw is seated, a lamp is lit). Effects are painted into the
  video's background so they persist.
- ``wrong()``: the same place, the wrong action or part - the "step done wrongly" defect.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .geometry import SHIFT, Projection, smoothstep
from .scene import Color

Point = tuple[float, float]


@dataclass(frozen=True)
class Key:
    u: float
    x: float
    y: float
    grip: float
    ease: bool = True  # smoothstep into this key (False: linear, for dense loops)


def _loop(u0: float, u1: float, center: Point, radius: float, turns: float, grip: float, n: int = 24) -> list[Key]:
    """Dense keys tracing ``turns`` circles of ``radius`` around ``center`` between u0 and u1."""
    out = []
    for i in range(n + 1):
        f = i / n
        a = -math.pi / 2 + 2 * math.pi * turns * f
        out.append(Key(u0 + (u1 - u0) * f, center[0] + radius * math.cos(a), center[1] + radius * math.sin(a), grip, ease=i == 0))
    return out


def _zigzag(u0: float, u1: float, center: Point, half_w: float, passes: int, grip: float) -> list[Key]:
    out = []
    for i in range(passes + 1):
        side = -1 if i % 2 == 0 else 1
        out.append(Key(u0 + (u1 - u0) * i / passes, center[0] + side * half_w, center[1] + 0.01 * (i % 3 - 1), grip))
    return out


@dataclass(frozen=True)
class Action:
    """Base class: a named action at a main location ``at``."""

    name: str
    at: Point
    color: Color = (80, 80, 80)
    size: float = 0.03  # size of the part / effect, world units
    effect_u: float = 0.8

    kind = "action"

    def keys(self) -> list[Key]:
        raise NotImplementedError

    def draw_active(self, img: np.ndarray, proj: Projection, u: float, hand: np.ndarray) -> None:
        return None

    def draw_effect(self, img: np.ndarray, proj: Projection) -> None:
        return None

    def wrong(self) -> Action:
        raise NotImplementedError

    def pose(self, u: float, start: Point) -> tuple[float, float, float]:
        """Hand (x, y, grip) at phase u, having started the action at ``start``."""
        keys = self.keys()
        if u <= keys[0].u:
            f = smoothstep(u / keys[0].u)
            return start[0] + (keys[0].x - start[0]) * f, start[1] + (keys[0].y - start[1]) * f, keys[0].grip * f
        for a, b in zip(keys, keys[1:]):
            if u <= b.u:
                f = (u - a.u) / max(b.u - a.u, 1e-9)
                f = smoothstep(f) if b.ease else f
                return a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f, a.grip + (b.grip - a.grip) * f
        k = keys[-1]
        return k.x, k.y, k.grip


def _part(img, proj, center, size, color):
    x, y = center
    cv2.rectangle(img, proj.pt(x - size / 2, y - size / 2), proj.pt(x + size / 2, y + size / 2), color, -1, cv2.LINE_AA, SHIFT)
    edge = tuple(int(c * 0.55) for c in color)
    cv2.rectangle(img, proj.pt(x - size / 2, y - size / 2), proj.pt(x + size / 2, y + size / 2), edge, proj.w(size * 0.12), cv2.LINE_AA, SHIFT)


@dataclass(frozen=True)
class PickPlace(Action):
    """Take a part from bin ``src`` and set it into the fixture at ``at``."""

    src: Point = (0.0, 0.0)
    alt_src: Point | None = None  # the look-alike bin a careless performer picks from
    alt_color: Color | None = None
    effect_u: float = 0.76
    kind = "pick_place"

    def keys(self):
        (sx, sy), (dx, dy) = self.src, self.at
        return [Key(0.22, sx, sy, 0.0), Key(0.32, sx, sy + 0.01, 1.0), Key(0.4, sx, sy - 0.03, 1.0),
                Key(0.7, dx, dy - 0.02, 1.0), Key(0.76, dx, dy, 0.0), Key(0.9, dx, dy + 0.08, 0.0), Key(1.0, dx + 0.02, dy + 0.14, 0.0)]

    def draw_active(self, img, proj, u, hand):
        if 0.32 <= u < self.effect_u:
            _part(img, proj, hand, self.size, self.color)

    def draw_effect(self, img, proj):
        _part(img, proj, self.at, self.size, self.color)

    def wrong(self):
        src = self.alt_src or self.src
        color = self.alt_color or tuple(255 - c for c in self.color)
        return replace(self, name=self.name + " (wrong part)", src=src, color=color, alt_src=None, size=self.size * 0.8)


@dataclass(frozen=True)
class Screw(Action):
    """Drive a screw at ``at``: screwdriver held on the spot, hand circling as it turns."""

    effect_u: float = 0.85
    turns: float = 4.0
    kind = "screw"

    def keys(self):
        x, y = self.at
        grip_pt = (x + 0.03, y + 0.05)
        return [Key(0.2, *grip_pt, 1.0)] + _loop(0.22, 0.85, grip_pt, 0.012, self.turns, 1.0)[1:] + [Key(1.0, x + 0.08, y + 0.16, 0.0)]

    def draw_active(self, img, proj, u, hand):
        if 0.2 <= u < self.effect_u:
            cv2.line(img, proj.pt(*hand), proj.pt(*self.at), (40, 40, 200), proj.w(self.size * 0.35), cv2.LINE_AA, SHIFT)
            a = 2 * math.pi * self.turns * 3 * (u - 0.2)
            dx, dy = math.cos(a) * self.size * 0.6, math.sin(a) * self.size * 0.6
            cv2.line(img, proj.pt(self.at[0] - dx, self.at[1] - dy), proj.pt(self.at[0] + dx, self.at[1] + dy), (230, 230, 230), proj.w(self.size * 0.2), cv2.LINE_AA, SHIFT)

    def draw_effect(self, img, proj):
        x, y = self.at
        cv2.circle(img, proj.pt(x, y), proj.r(self.size * 0.55), (190, 190, 195), -1, cv2.LINE_AA, SHIFT)
        s = self.size * 0.35
        cv2.line(img, proj.pt(x - s, y), proj.pt(x + s, y), (50, 50, 50), proj.w(self.size * 0.12), cv2.LINE_AA, SHIFT)
        cv2.line(img, proj.pt(x, y - s), proj.pt(x, y + s), (50, 50, 50), proj.w(self.size * 0.12), cv2.LINE_AA, SHIFT)

    def wrong(self):
        return Press(self.name + " (pressed, not turned)", self.at, self.color, self.size, lamp=None)


@dataclass(frozen=True)
class Press(Action):
    """Press the button at ``at`` twice; its lamp (at ``lamp``) lights green."""

    lamp: Point | None = None
    effect_u: float = 0.6
    kind = "press"

    def keys(self):
        x, y = self.at
        ks = [Key(0.25, x, y + 0.03, 0.3)]
        for i, u in enumerate((0.35, 0.45, 0.55, 0.65)):
            ks.append(Key(u, x, y + (0.0 if i % 2 == 0 else 0.03), 0.8))
        return ks + [Key(0.8, x, y + 0.06, 0.3), Key(1.0, x - 0.03, y + 0.15, 0.0)]

    def draw_active(self, img, proj, u, hand):
        if 0.3 <= u < 0.7 and int((u - 0.3) / 0.1) % 2 == 0:
            cv2.circle(img, proj.pt(*self.at), proj.r(self.size * 0.6), (30, 30, 30), proj.w(self.size * 0.25), cv2.LINE_AA, SHIFT)

    def draw_effect(self, img, proj):
        if self.lamp is not None:
            cv2.circle(img, proj.pt(*self.lamp), proj.r(self.size * 0.45), (60, 230, 60), -1, cv2.LINE_AA, SHIFT)

    def wrong(self):
        return Screw(self.name + " (turned, not pressed)", self.at, self.color, self.size, turns=2.0)


@dataclass(frozen=True)
class FitGasket(Action):
    """Take a ring from the rack at ``src`` and work it around the seat at ``at``.

    seated=False is the careless version: the ring is dropped beside the seat, never worked in.
    """

    src: Point = (0.0, 0.0)
    radius: float = 0.05
    seated: bool = True
    effect_u: float = 0.85
    kind = "fit_gasket"

    def _drop_point(self) -> Point:
        return self.at[0] + self.radius * 0.9, self.at[1] + self.radius * 0.6

    def keys(self):
        (sx, sy), (x, y) = self.src, self.at
        grab = [Key(0.2, sx, sy, 0.0), Key(0.28, sx, sy, 1.0)]
        if not self.seated:
            dx, dy = self._drop_point()
            return grab + [Key(0.6, dx, dy, 1.0), Key(0.7, dx, dy, 0.0), Key(1.0, dx + 0.05, dy + 0.14, 0.0)]
        return grab + [Key(0.45, x, y - self.radius, 1.0)] + \
            _loop(0.45, 0.85, (x, y), self.radius, 1.0, 1.0)[1:] + [Key(1.0, x + 0.05, y + 0.14, 0.0)]

    def draw_active(self, img, proj, u, hand):
        th = proj.w(self.radius * 0.18)
        carry_end = 0.45 if self.seated else self.effect_u
        if 0.28 <= u < carry_end:
            cv2.circle(img, proj.pt(*hand), proj.r(self.radius * 0.8), self.color, th, cv2.LINE_AA, SHIFT)
        elif self.seated and carry_end <= u < self.effect_u:
            ang = int(360 * (u - 0.45) / 0.4)
            cv2.ellipse(img, proj.pt(*self.at), (proj.r(self.radius), proj.r(self.radius)), -90, 0, ang, self.color, th, cv2.LINE_AA, SHIFT)

    def draw_effect(self, img, proj):
        th = proj.w(self.radius * 0.18)
        if self.seated:
            cv2.circle(img, proj.pt(*self.at), proj.r(self.radius), self.color, th, cv2.LINE_AA, SHIFT)
        else:  # lying askew next to the seat
            axes = (proj.r(self.radius * 0.9), proj.r(self.radius * 0.55))
            cv2.ellipse(img, proj.pt(*self._drop_point()), axes, 25, 0, 360, self.color, th, cv2.LINE_AA, SHIFT)

    def wrong(self):
        return replace(self, name=self.name + " (not seated)", seated=False, effect_u=0.7)


@dataclass(frozen=True)
class Inspect(Action):
    """Hold a lens over ``at`` and sweep it in a figure eight; a green pass tag is then set."""

    effect_u: float = 0.82
    kind = "inspect"

    def keys(self):
        x, y = self.at
        ks = [Key(0.22, x, y + 0.04, 1.0)]
        for i in range(1, 25):
            a = 2 * math.pi * i / 24
            ks.append(Key(0.22 + 0.58 * i / 24, x + 0.06 * math.sin(a), y + 0.04 + 0.03 * math.sin(2 * a), 1.0, ease=False))
        return ks + [Key(0.9, x + 0.05, y - 0.02, 0.6), Key(1.0, x + 0.06, y + 0.12, 0.0)]

    def draw_active(self, img, proj, u, hand):
        if 0.22 <= u < 0.8:
            c = (hand[0], hand[1] - 0.04)
            cv2.circle(img, proj.pt(*c), proj.r(self.size * 1.2), (235, 220, 180), proj.w(self.size * 0.2), cv2.LINE_AA, SHIFT)

    def draw_effect(self, img, proj):
        x, y = self.at[0] + 0.05, self.at[1] - 0.03
        cv2.rectangle(img, proj.pt(x - self.size * 0.4, y - self.size * 0.3), proj.pt(x + self.size * 0.4, y + self.size * 0.3), (60, 200, 60), -1, cv2.LINE_AA, SHIFT)

    def wrong(self):
        return Wipe(self.name + " (wiped, not inspected)", self.at, (235, 235, 235), self.size, width=0.06)


@dataclass(frozen=True)
class Wipe(Action):
    """Wipe the patch at ``at`` with a cloth, side to side; the patch comes out clean."""

    width: float = 0.12
    effect_u: float = 0.85
    kind = "wipe"

    def keys(self):
        x, y = self.at
        return [Key(0.2, x - self.width / 2, y, 0.5)] + _zigzag(0.2, 0.85, (x, y), self.width / 2, 6, 0.5)[1:] + [Key(1.0, x, y + 0.14, 0.0)]

    def draw_active(self, img, proj, u, hand):
        if 0.18 <= u < 0.88:
            x, y = hand
            s = self.size
            cv2.rectangle(img, proj.pt(x - s, y - s * 0.7), proj.pt(x + s, y + s * 0.7), (235, 235, 235), -1, cv2.LINE_AA, SHIFT)

    def draw_effect(self, img, proj):
        x, y = self.at
        cv2.rectangle(img, proj.pt(x - self.width * 0.6, y - self.size), proj.pt(x + self.width * 0.6, y + self.size), self.color, -1, cv2.LINE_AA, SHIFT)

    def wrong(self):
        return Inspect(self.name + " (looked at, not wiped)", self.at, self.color, self.size)


@dataclass(frozen=True)
class Cable(Action):
    """Take the cable end lying at ``src`` and plug it into the socket at ``at``."""

    src: Point = (0.0, 0.0)
    alt_at: Point | None = None  # the neighbouring (wrong) socket
    effect_u: float = 0.78
    kind = "cable"

    def keys(self):
        (sx, sy), (x, y) = self.src, self.at
        mx, my = (sx + x) / 2, (sy + y) / 2 + 0.08
        return [Key(0.22, sx, sy, 0.0), Key(0.3, sx, sy, 1.0), Key(0.5, mx, my, 1.0), Key(0.72, x, y + 0.03, 1.0),
                Key(0.78, x, y, 0.0), Key(1.0, x - 0.04, y + 0.15, 0.0)]

    def _cable(self, img, proj, end):
        (sx, sy), (ex, ey) = self.src, end
        t = np.linspace(0, 1, 16)[:, None]
        mid = np.array([(sx + ex) / 2, max(sy, ey) + 0.06])
        pts = (1 - t) ** 2 * np.array([sx, sy]) + 2 * (1 - t) * t * mid + t**2 * np.array([ex, ey])
        cv2.polylines(img, [proj.poly(pts)], False, self.color, proj.w(self.size * 0.3), cv2.LINE_AA, SHIFT)

    def draw_active(self, img, proj, u, hand):
        self._cable(img, proj, hand if u >= 0.3 else self.src)

    def draw_effect(self, img, proj):
        self._cable(img, proj, self.at)

    def wrong(self):
        alt = self.alt_at or (self.at[0] + 0.05, self.at[1])
        return replace(self, name=self.name + " (wrong socket)", at=alt, alt_at=None)


@dataclass(frozen=True)
class Label(Action):
    """Peel a label off the roll at ``src``, stick it at ``at`` and rub it down."""

    src: Point = (0.0, 0.0)
    effect_u: float = 0.62
    kind = "label"

    def keys(self):
        (sx, sy), (x, y) = self.src, self.at
        return [Key(0.22, sx, sy, 0.0), Key(0.3, sx, sy, 1.0), Key(0.55, x, y - 0.01, 1.0), Key(0.62, x, y, 0.2)] + \
            _zigzag(0.62, 0.88, (x, y), 0.02, 4, 0.2)[1:] + [Key(1.0, x + 0.03, y + 0.13, 0.0)]

    def _label(self, img, proj, c):
        x, y = c
        s = self.size
        cv2.rectangle(img, proj.pt(x - s, y - s * 0.6), proj.pt(x + s, y + s * 0.6), (245, 245, 245), -1, cv2.LINE_AA, SHIFT)
        for i in range(5):
            bx = x - s * 0.7 + i * s * 0.35
            cv2.line(img, proj.pt(bx, y - s * 0.4), proj.pt(bx, y + s * 0.4), (20, 20, 20), proj.w(s * 0.1), cv2.LINE_AA, SHIFT)

    def draw_active(self, img, proj, u, hand):
        if 0.3 <= u < self.effect_u:
            self._label(img, proj, hand)

    def draw_effect(self, img, proj):
        self._label(img, proj, self.at)

    def wrong(self):
        return replace(self, name=self.name + " (misplaced)", at=(self.at[0] - 0.07, self.at[1] + 0.05))
