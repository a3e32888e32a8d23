"""The performer: an articulated arm (shoulder, elbow, wrist, two fingers) seen from above.

Different performers differ in sleeve and glove colour, limb thickness and length, which way
the elbow bends, how much their hand wanders (trajectory jitter) and how quickly their body
follows their hand.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import SHIFT, Projection, smooth_noise
from .scene import Color


@dataclass(frozen=True)
class Performer:
    name: str
    sleeve: Color
    glove: Color
    thickness: float = 1.0  # limb width multiplier
    reach: float = 1.0  # limb length multiplier
    elbow_sign: int = 1  # +1 / -1: elbow bends outwards to the right / left
    side: int = 1  # +1: right-handed (shoulder right of the hand), -1: left-handed
    jitter: float = 0.006  # hand wander amplitude, world units
    body_lag: float = 0.8  # seconds for the body to follow the hand sideways
    seed: int = 0

    def wobble(self, t: float) -> tuple[float, float]:
        """Small, smooth, performer-specific hand wander at time t (world units)."""
        rng = np.random.default_rng(self.seed)
        ph, fr = rng.uniform(0, 2 * np.pi, 8), rng.uniform(0.3, 2.5, 8)
        return (self.jitter * smooth_noise(t, ph[:4], fr[:4]), self.jitter * smooth_noise(t, ph[4:], fr[4:]))


def random_performer(rng: np.random.Generator, name: str) -> Performer:
    """A new person: colours, build and motion style drawn from ``rng``."""
    sleeve = tuple(int(c) for c in rng.integers(30, 200, 3))
    glove_palette = [(60, 160, 230), (200, 170, 150), (40, 40, 200), (180, 120, 40), (150, 190, 225), (50, 50, 50)]
    glove = glove_palette[int(rng.integers(len(glove_palette)))]
    return Performer(
        name=name,
        sleeve=sleeve,
        glove=glove,
        thickness=float(rng.uniform(0.8, 1.25)),
        reach=float(rng.uniform(0.92, 1.08)),
        elbow_sign=int(rng.choice([-1, 1])),
        side=int(rng.choice([1, 1, -1])),
        jitter=float(rng.uniform(0.003, 0.012)),
        body_lag=float(rng.uniform(0.5, 1.2)),
        seed=int(rng.integers(2**31)),
    )


GOLD_PERFORMER = Performer("gold", sleeve=(110, 80, 40), glove=(60, 160, 230), seed=12345)


def elbow_position(shoulder: np.ndarray, hand: np.ndarray, l1: float, l2: float, sign: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-link inverse kinematics. Returns (elbow, reachable hand) in world units."""
    d = hand - shoulder
    dist = float(np.hypot(*d))
    dist_c = min(max(dist, abs(l1 - l2) + 1e-3), (l1 + l2) * 0.995)
    direction = d / max(dist, 1e-9)
    hand_r = shoulder + direction * dist_c
    cos_b = (l1 * l1 + dist_c * dist_c - l2 * l2) / (2 * l1 * dist_c)
    b = math.acos(min(1.0, max(-1.0, cos_b)))
    a = math.atan2(direction[1], direction[0]) + sign * b
    return shoulder + l1 * np.array([math.cos(a), math.sin(a)]), hand_r


def draw_arm(img: np.ndarray, proj: Projection, perf: Performer, shoulder, hand, grip: float, scale: float) -> np.ndarray:
    """Draw sleeve, forearm, hand and fingers; returns the hand position actually reached.

    grip: 0 = fingers open, 1 = closed. scale: arm size for this scene (see Layout.arm_scale).
    """
    shoulder, hand = np.asarray(shoulder, float), np.asarray(hand, float)
    l1 = l2 = 0.62 * scale * perf.reach
    elbow, hand = elbow_position(shoulder, hand, l1, l2, perf.elbow_sign)
    width = 0.075 * scale * perf.thickness
    cv2.line(img, proj.pt(*shoulder), proj.pt(*elbow), perf.sleeve, proj.w(width * 1.25), cv2.LINE_AA, SHIFT)
    shade = tuple(int(c * 0.8) for c in perf.sleeve)
    cv2.circle(img, proj.pt(*elbow), proj.r(width * 0.6), shade, -1, cv2.LINE_AA, SHIFT)
    cv2.line(img, proj.pt(*elbow), proj.pt(*hand), perf.glove, proj.w(width * 0.8), cv2.LINE_AA, SHIFT)
    fore = (hand - elbow) / max(float(np.hypot(*(hand - elbow))), 1e-9)
    spread = math.radians(38.0 * (1.0 - grip) + 6.0)
    base = math.atan2(fore[1], fore[0])
    finger = 0.07 * scale
    for s in (-1, 1):
        tip = hand + finger * np.array([math.cos(base + s * spread), math.sin(base + s * spread)])
        cv2.line(img, proj.pt(*hand), proj.pt(*tip), perf.glove, proj.w(width * 0.3), cv2.LINE_AA, SHIFT)
    cv2.circle(img, proj.pt(*hand), proj.r(width * 0.62), perf.glove, -1, cv2.LINE_AA, SHIFT)
    return hand
