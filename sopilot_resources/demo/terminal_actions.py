"""Actions on look-alike small parts (the ``small_parts`` station): tighten one screw terminal
of a row, bridge two terminals with a jumper bar, stick a marker over two terminals.

Their ``wrong()`` variant does the same thing one terminal off (``alt_at``): on a row of
identical parts the result differs from the right one by a single position. (Wires go in with
:class:`~.actions.Cable`, whose wrong variant is the neighbouring socket.)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2

from .actions import Label, PickPlace, Point, Screw
from .geometry import SHIFT
from .terminal_block import paint_screw_head


@dataclass(frozen=True)
class TerminalScrew(Screw):
    """Tighten a terminal's screw: the slot turns across and the head seats in its collar."""

    alt_at: Point | None = None  # the neighbouring terminal's screw
    turns: float = 3.0

    def draw_effect(self, img, proj):
        paint_screw_head(img, proj, self.at, self.size, 0.0, seated=True)

    def wrong(self):
        return replace(self, name=self.name + " (neighbouring terminal)", at=self.alt_at or self.at, alt_at=None)


@dataclass(frozen=True)
class Jumper(PickPlace):
    """Take a jumper bar from the tray at ``src`` and press it across two terminals centred at ``at``
    (``size``: the bar's length)."""

    alt_at: Point | None = None  # one terminal further along

    def _bar(self, img, proj, c):
        x, y = c
        half, th = self.size / 2, self.size * 0.14
        cv2.rectangle(img, proj.pt(x - half, y - th), proj.pt(x + half, y + th), self.color, -1, cv2.LINE_AA, SHIFT)
        for sx in (-1, 1):
            cv2.circle(img, proj.pt(x + sx * half * 0.62, y), proj.r(th * 0.7), (170, 170, 175), -1, cv2.LINE_AA, SHIFT)

    def draw_active(self, img, proj, u, hand):
        if 0.32 <= u < self.effect_u:
            self._bar(img, proj, hand)

    def draw_effect(self, img, proj):
        self._bar(img, proj, self.at)

    def wrong(self):
        return replace(self, name=self.name + " (wrong terminals)", at=self.alt_at or self.at, alt_at=None)


@dataclass(frozen=True)
class Marker(Label):
    """Stick a marker label over the terminals' tabs at ``at``."""

    alt_at: Point | None = None  # shifted by one terminal

    def wrong(self):
        return replace(self, name=self.name + " (shifted one terminal)", at=self.alt_at or self.at, alt_at=None)
