"""Static workstation scenery: a textured bench with bins, fixtures, buttons and jigs.

A :class:`Layout` describes a workstation in world units (see :mod:`.geometry`);
:func:`render_background` paints it once per video at that video's resolution: bench surface
and wall (:mod:`.textures`), soft shadows, the station's objects and its clutter
(:mod:`.props`). Everything that changes during a performance (parts placed, screws seated,
lamps lit) is drawn later by the actions, on top of this background.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .geometry import SHIFT, Projection
from .props import PROP_PAINTERS
from .terminal_block import BLOCK_PAINTERS
from .textures import texture

Color = tuple[int, int, int]  # BGR, as OpenCV draws


@dataclass(frozen=True)
class Obj:
    """One piece of scenery. ``kind`` picks the painter in :data:`PAINTERS`."""

    kind: str
    x: float  # centre, world units
    y: float
    w: float
    h: float
    color: Color = (120, 120, 120)
    part_color: Color = (90, 90, 90)  # what a bin holds
    angle: float = 0.0  # radians (clutter props)
    seed: int = 0  # detail drawn at random (props, textured mats)
    texture: str = ""  # surface family of a mat ("" = plain colour)


@dataclass(frozen=True)
class Layout:
    """A workstation (or a row of stations for a panning camera).

    world_w: world width in view heights (16/9 for a fixed 16:9 view, more for panning).
    anchors: named world points the procedure's actions go to.
    arm_scale: arm size relative to a close-up bench (< 1 for a far, wide view).
    surface / wall: texture families (:mod:`.textures`) of the bench top and the wall behind it.
    clutter: props around the bench that no step uses (painted like objects, after them).
    shadow: (dx, dy) world offset of the soft shadows objects cast (the station's light).
    """

    name: str
    world_w: float
    bench_color: Color
    objects: tuple[Obj, ...]
    anchors: dict[str, tuple[float, float]]
    texture_seed: int = 0
    arm_scale: float = 1.0
    wall_color: Color = (150, 160, 165)
    wall_h: float = 0.12
    extra_anchors: tuple[str, ...] = field(default=())  # spots no SOP step uses
    surface: str = "wood"
    wall: str = "paint"
    clutter: tuple[Obj, ...] = ()
    shadow: tuple[float, float] = (0.01, 0.015)

    def anchor(self, name: str) -> tuple[float, float]:
        return self.anchors[name]


def _rect(img, p: Projection, x0, y0, x1, y1, color, thickness=-1):
    cv2.rectangle(img, p.pt(x0, y0), p.pt(x1, y1), color, thickness, cv2.LINE_AA, SHIFT)


def _dim(color: Color, f: float) -> Color:
    return tuple(int(min(255, c * f)) for c in color)


def paint_bin(img, p: Projection, o: Obj) -> None:
    """Open tray seen from above, with a few small parts lying in it."""
    x0, y0, x1, y1 = o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2
    _rect(img, p, x0, y0, x1, y1, o.color)
    _rect(img, p, x0, y0, x1, y1, _dim(o.color, 0.6), p.w(0.006))
    rng = np.random.default_rng(int(o.x * 1000) * 7 + int(o.y * 1000))
    for _ in range(5):
        cx, cy = rng.uniform(x0 + o.w * 0.2, x1 - o.w * 0.2), rng.uniform(y0 + o.h * 0.25, y1 - o.h * 0.25)
        cv2.circle(img, p.pt(cx, cy), p.r(min(o.w, o.h) * 0.12), o.part_color, -1, cv2.LINE_AA, SHIFT)


def paint_fixture(img, p: Projection, o: Obj) -> None:
    """Dark clamping block with an empty nest in the middle."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    _rect(img, p, o.x - o.w * 0.3, o.y - o.h * 0.3, o.x + o.w * 0.3, o.y + o.h * 0.3, _dim(o.color, 0.55))
    for sx in (-0.42, 0.42):
        cv2.circle(img, p.pt(o.x + sx * o.w, o.y), p.r(o.h * 0.06), (200, 200, 200), -1, cv2.LINE_AA, SHIFT)


def paint_button(img, p: Projection, o: Obj) -> None:
    """Control box with a round push button and an unlit lamp above it."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    cv2.circle(img, p.pt(o.x, o.y + o.h * 0.15), p.r(o.w * 0.28), o.part_color, -1, cv2.LINE_AA, SHIFT)
    cv2.circle(img, p.pt(o.x, o.y - o.h * 0.3), p.r(o.w * 0.12), (60, 60, 60), -1, cv2.LINE_AA, SHIFT)


def paint_jig(img, p: Projection, o: Obj) -> None:
    """Metal plate with two open screw holes."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    for sx in (-0.25, 0.25):
        cv2.circle(img, p.pt(o.x + sx * o.w, o.y), p.r(o.h * 0.12), (40, 40, 40), -1, cv2.LINE_AA, SHIFT)


def paint_rack(img, p: Projection, o: Obj) -> None:
    """Peg board with gasket rings hanging on it."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    for sx in (-0.3, 0.0, 0.3):
        cv2.circle(img, p.pt(o.x + sx * o.w, o.y), p.r(o.h * 0.25), o.part_color, p.w(0.006), cv2.LINE_AA, SHIFT)


def paint_panel(img, p: Projection, o: Obj) -> None:
    """Connector panel with three sockets."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    for sx in (-0.3, 0.0, 0.3):
        _rect(img, p, o.x + sx * o.w - o.w * 0.06, o.y - o.h * 0.15, o.x + sx * o.w + o.w * 0.06, o.y + o.h * 0.15, (25, 25, 25))


def paint_box(img, p: Projection, o: Obj) -> None:
    """Cardboard box, flaps open."""
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
    _rect(img, p, o.x - o.w * 0.4, o.y - o.h * 0.4, o.x + o.w * 0.4, o.y + o.h * 0.4, _dim(o.color, 0.7))


def paint_mat(img, p: Projection, o: Obj) -> None:
    """Coloured mat marking a station area; textured (``o.texture``) or plain."""
    if not o.texture:
        _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, o.color)
        return
    x0, y0 = (int(round(v / (1 << SHIFT))) for v in p.pt(o.x - o.w / 2, o.y - o.h / 2))
    x1, y1 = (int(round(v / (1 << SHIFT))) for v in p.pt(o.x + o.w / 2, o.y + o.h / 2))
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, img.shape[1]), min(y1, img.shape[0])
    if cx1 > cx0 and cy1 > cy0:
        patch = texture(o.texture, o.color, (o.w, o.h), (x1 - x0, y1 - y0), o.seed)
        img[cy0:cy1, cx0:cx1] = patch[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    _rect(img, p, o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2, _dim(o.color, 0.7), p.w(0.004))


def paint_dust(img, p: Projection, o: Obj) -> None:
    """Grimy patch that a wiping step cleans."""
    rng = np.random.default_rng(int(o.x * 997) + int(o.y * 991))
    for _ in range(14):
        cx, cy = rng.uniform(o.x - o.w / 2, o.x + o.w / 2), rng.uniform(o.y - o.h / 2, o.y + o.h / 2)
        cv2.circle(img, p.pt(cx, cy), p.r(o.h * 0.06), o.color, -1, cv2.LINE_AA, SHIFT)


PAINTERS = {
    "bin": paint_bin, "fixture": paint_fixture, "button": paint_button, "jig": paint_jig,
    "rack": paint_rack, "panel": paint_panel, "box": paint_box, "mat": paint_mat, "dust": paint_dust,
    **PROP_PAINTERS, **BLOCK_PAINTERS,
}
FLAT = {"mat", "dust", "paper", "rail", "wire_end"}  # lie flat: no shadow


PAD = 0.4  # world units painted around the nominal world, for reframed / rolled / drifting cameras


def _shadows(img: np.ndarray, proj: Projection, objs: list[Obj], offset: tuple[float, float]) -> None:
    """Darken the bench where the raised objects cast soft shadows (in place)."""
    small = 4  # shadows are soft: work at a quarter of the resolution
    h, w = img.shape[:2]
    mask = np.zeros((h // small + 1, w // small + 1, 3), np.uint8)
    sp = Projection(proj.scale / small, (proj.origin_x - offset[0] * proj.scale) / small,
                    (proj.origin_y - offset[1] * proj.scale) / small)
    for o in objs:
        if o.kind not in FLAT:
            PAINTERS[o.kind](mask, sp, o)
    soft = cv2.GaussianBlur((mask.max(axis=2) > 0).astype(np.float32), (0, 0), max(0.5, 0.008 * sp.scale))
    shade = 1.0 - 0.35 * cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR)
    img[:] = cv2.multiply(img, cv2.merge([shade] * 3), dtype=cv2.CV_8U)


def render_background(layout: Layout, scale: float) -> tuple[np.ndarray, Projection]:
    """Paint the world, plus :data:`PAD` on every side, at ``scale`` pixels per world unit.

    Returns (image, projection): image is ((1 + 2 PAD) scale, (world_w + 2 PAD) scale, 3) uint8
    BGR. The bench looks the same at every scale (its texture is defined in world units).
    """
    w = int(round((layout.world_w + 2 * PAD) * scale))
    h = int(round((1.0 + 2 * PAD) * scale))
    proj = Projection(scale, -PAD * scale, -PAD * scale)
    world = (layout.world_w + 2 * PAD, 1.0 + 2 * PAD)
    img = texture(layout.surface, layout.bench_color, world, (w, h), layout.texture_seed)
    wall_px = int(round((PAD + layout.wall_h) * scale))
    wall = texture(layout.wall, layout.wall_color, (world[0], PAD + layout.wall_h), (w, wall_px), layout.texture_seed + 1)
    img[:wall_px] = wall
    edge = max(1, int(round(0.008 * scale)))
    img[wall_px:wall_px + edge] = (img[wall_px:wall_px + edge] * 0.55).astype(np.uint8)  # bench's back edge
    objs = [*layout.objects, *layout.clutter]
    _shadows(img, proj, objs, layout.shadow)
    for o in objs:
        PAINTERS[o.kind](img, proj, o)
    return img, proj
