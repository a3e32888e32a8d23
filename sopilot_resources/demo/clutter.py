"""Dressing a station for one seed (bench and wall textures, the light's shadows, clutter that no
step uses) and the small clutter differences a trainee's video may have from the gold's.

Clutter keeps clear of every object, anchor and step result (right and wrong variants), so it is
never touched by a step: it is painted into the background and stays as it is for the whole
video. A trainee's clutter may differ from the gold's by something moved, added or removed before
the video starts.
"""
from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from .geometry import Projection
from .procedures import TaskSpec
from .props import PROP_SHAPES
from .scene import PAD, Layout, Obj
from .textures import MAT_FAMILIES, SURFACES, WALLS

RES = 60.0  # pixels per world unit of the keep-out mask
MARGIN = 0.03  # clearance around objects and step results, world units
ANCHOR_R = 0.1  # clearance around anchors (where unrelated work may leave a mark)
IN_VIEW = 0.8  # share of props drawn inside the nominal view (the rest around it, seen when zoomed out)


def _mask_proj() -> Projection:
    return Projection(RES, -PAD * RES, -PAD * RES)


def keep_out(task: TaskSpec) -> np.ndarray:
    """(H, W) bool over the painted world (with PAD) at :data:`RES`: where clutter must not go."""
    lay, proj = task.layout, _mask_proj()
    img = np.zeros((int((1 + 2 * PAD) * RES), int((lay.world_w + 2 * PAD) * RES), 3), np.uint8)
    for o in lay.objects:
        if o.kind != "mat":
            cv2.rectangle(img, proj.pt(o.x - o.w / 2, o.y - o.h / 2), proj.pt(o.x + o.w / 2, o.y + o.h / 2), (255, 255, 255), -1, 8, 4)
    for s in task.steps:
        s.action.draw_effect(img, proj)
        s.action.wrong().draw_effect(img, proj)
    for x, y in lay.anchors.values():
        cv2.circle(img, proj.pt(x, y), proj.r(ANCHOR_R), (255, 255, 255), -1, 8, 4)
    img[: int((PAD + lay.wall_h + 0.04) * RES)] = 255  # the wall and the bench's back edge
    k = 2 * int(MARGIN * RES) + 1
    return cv2.dilate((img.max(axis=2) > 0).astype(np.uint8), np.ones((k, k), np.uint8)) > 0


def _footprint(o: Obj, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the object's rotated bounding box on the keep-out grid."""
    c, s = math.cos(o.angle), math.sin(o.angle)
    corners = [(o.x + u * c - v * s, o.y + u * s + v * c) for u, v in
               ((-o.w / 2, -o.h / 2), (o.w / 2, -o.h / 2), (o.w / 2, o.h / 2), (-o.w / 2, o.h / 2))]
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [_mask_proj().poly(np.array(corners))], 1, 8, 4)
    return m > 0


def _fits(o: Obj, blocked: np.ndarray) -> bool:
    fp = _footprint(o, blocked.shape)
    return fp.any() and not (fp & blocked).any()


def _prop(rng: np.random.Generator, lay: Layout) -> Obj:
    kind = str(rng.choice(list(PROP_SHAPES)))
    (lo, hi), ratio, colors = PROP_SHAPES[kind]
    w = float(rng.uniform(lo, hi))
    edge = -0.05 if rng.random() < IN_VIEW else PAD - 0.1  # mostly where the nominal view sees it
    x = float(rng.uniform(-edge, lay.world_w + edge))
    y = float(rng.uniform(lay.wall_h + 0.08, 1.0 + edge))
    return Obj(kind, x, y, w, w * ratio, tuple(int(v) for v in colors[int(rng.integers(len(colors)))]),
               angle=float(rng.uniform(-math.pi, math.pi)), seed=int(rng.integers(2**31)))


def place_clutter(task: TaskSpec, rng: np.random.Generator, n: int, blocked: np.ndarray | None = None) -> list[Obj]:
    """Up to ``n`` props at free spots (tries a bounded number of random spots)."""
    blocked = keep_out(task) if blocked is None else blocked.copy()
    out: list[Obj] = []
    for _ in range(n * 25):
        if len(out) == n:
            break
        o = _prop(rng, task.layout)
        if _fits(o, blocked):
            out.append(o)
            blocked |= _footprint(o, blocked.shape)
    return out


def _pick_color(rng: np.random.Generator, palette) -> tuple[int, int, int]:
    base = np.asarray(palette[int(rng.integers(len(palette)))], float)
    return tuple(int(v) for v in np.clip(base * rng.uniform(0.94, 1.06, 3), 0, 255))


def dress_station(task: TaskSpec, seed: int, t_idx: int) -> TaskSpec:
    """The station as filmed in this seed's set: surfaces, shadows and the gold's clutter."""
    rng = np.random.default_rng([seed, t_idx, 2])
    lay = task.layout
    surface, wall = str(rng.choice(list(SURFACES))), str(rng.choice(list(WALLS)))
    objects = tuple(replace(o, texture=str(rng.choice(MAT_FAMILIES)), seed=int(rng.integers(2**31))) if o.kind == "mat" else o
                    for o in lay.objects)
    ang, length = float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(0.008, 0.02))
    lay = replace(lay, surface=surface, bench_color=_pick_color(rng, SURFACES[surface]), wall=wall,
                  wall_color=_pick_color(rng, WALLS[wall]), texture_seed=int(rng.integers(2**30)), objects=objects,
                  shadow=(length * math.cos(ang), length * math.sin(ang)))
    task = replace(task, layout=lay)
    n = int(rng.integers(4, 8)) + int(round(2.5 * (lay.world_w - 16 / 9)))
    return replace(task, layout=replace(lay, clutter=tuple(place_clutter(task, rng, n))))


def _describe(o: Obj) -> dict:
    return {"kind": o.kind, "x": round(o.x, 3), "y": round(o.y, 3), "w": round(o.w, 3), "h": round(o.h, 3),
            "angle": round(o.angle, 3)}


def vary_clutter(task: TaskSpec, rng: np.random.Generator) -> tuple[TaskSpec, list[dict]]:
    """A trainee's station: the gold's clutter with 0-2 things moved, added or removed before
    filming. Returns (task with that clutter, [{change, ...}] for the manifest)."""
    items = list(task.layout.clutter)
    n_changes = int(rng.choice([0, 1, 2], p=[0.35, 0.45, 0.2]))
    base = keep_out(task)
    changes: list[dict] = []
    for _ in range(n_changes):
        what = str(rng.choice(["moved", "added", "removed"], p=[0.5, 0.35, 0.15]))
        blocked = base.copy()
        for o in items:
            blocked |= _footprint(o, base.shape)
        if what == "removed" and items:
            gone = items.pop(int(rng.integers(len(items))))
            changes.append({"change": "removed", **_describe(gone)})
        elif what == "added":
            new = place_clutter(task, rng, 1, blocked)
            items += new
            changes += [{"change": "added", **_describe(o)} for o in new]
        elif what == "moved" and items:
            k = int(rng.integers(len(items)))
            old = items[k]
            others = base.copy()
            for j, o in enumerate(items):
                if j != k:
                    others |= _footprint(o, base.shape)
            for _ in range(20):
                d, a = float(rng.uniform(0.04, 0.15)), float(rng.uniform(0, 2 * np.pi))
                cand = replace(old, x=old.x + d * math.cos(a), y=old.y + d * math.sin(a), angle=old.angle + float(rng.uniform(-0.6, 0.6)))
                if _fits(cand, others):
                    items[k] = cand
                    changes.append({"change": "moved", **_describe(cand), "from": [round(old.x, 3), round(old.y, 3)]})
                    break
    return replace(task, layout=replace(task.layout, clutter=tuple(items))), changes
