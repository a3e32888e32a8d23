"""Pictures of what differs: gold's end scene beside the trainee's, the difference outlined
(where the gold's end hides a step's place, the gold right after that step).

For every deviation that rests on the scene comparison (``evidence["source"] == "scene"``), a
PNG: the gold's settled end scene (left) and the trainee's, registered onto the gold's
(right), cropped around the lasting difference with some context and enlarged, the
difference outlined on both (for a step whose result the trainee's pictures do not show,
``scoring/detect_result.py``, or not in its end scene, ``scoring/detect_end_state.py``: the
step's region, ``step_box``). A supervisor sees what the trainee left behind differently.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from .outcome import LastingDifference, Outcome

#: context around the difference (px of the 320 px stills) and the size each side is drawn at
MARGIN, SIDE = 40, 360
#: grey level of what the trainee's camera did not see (outside its registered view)
OUTSIDE = 200.0


def _crop(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = max(0, x0 - MARGIN), max(0, y0 - MARGIN), min(w, x1 + MARGIN), min(h, y1 + MARGIN)
    return img[y0:y1, x0:x1]


def difference_png(out: Outcome, diff: LastingDifference, caption: tuple[str, str] = ("gold", "trainee")) -> bytes:
    """PNG bytes: gold end | trainee end around ``diff``, its outline in red on both."""
    grown = cv2.dilate(diff.mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return _side_by_side(out, contours, diff.box, caption)


def box_png(out: Outcome, box: tuple[int, int, int, int], caption: tuple[str, str] = ("gold", "trainee"),
            gold: np.ndarray | None = None) -> bytes:
    """PNG bytes: gold end | trainee end around ``box`` (x0, y0, x1, y1), outlined in red on
    both; ``gold``: another gold picture of the same size in place of its end."""
    x0, y0, x1, y1 = box
    contour = np.array([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]], np.int32)
    return _side_by_side(out, [contour], box, caption, gold)


def _side_by_side(out: Outcome, contours, box: tuple[int, int, int, int], caption: tuple[str, str],
                  gold: np.ndarray | None = None) -> bytes:
    sides = []
    left = out.pictures["gold_end"] if gold is None else gold
    for img, label in zip((left, out.pictures["trainee_end"]), caption):
        pic = np.ascontiguousarray(np.clip(np.nan_to_num(img, nan=OUTSIDE), 0, 255).astype(np.uint8))
        cv2.drawContours(pic, contours, -1, (255, 40, 40), 1)
        crop = _crop(pic, box)
        scale = SIDE / max(crop.shape[:2])
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        cv2.putText(crop, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 0), 1, cv2.LINE_AA)
        sides.append(crop)
    h = max(s.shape[0] for s in sides)
    sides = [cv2.copyMakeBorder(s, 0, h - s.shape[0], 0, 4, cv2.BORDER_CONSTANT, value=(255, 255, 255)) for s in sides]
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.hstack(sides), cv2.COLOR_RGB2BGR))
    return buf.tobytes() if ok else b""


def deviation_pictures(out: Outcome | None, deviations: list[dict],
                       gold_after: Callable[[int], np.ndarray | None] | None = None) -> dict[int, list[tuple[str, bytes]]]:
    """Index in ``deviations`` (dicts, as in the score JSON) -> [(caption, PNG bytes)] for each
    deviation whose evidence is a lasting difference of ``out``. ``gold_after``: gold step ->
    the gold's picture right after it (:meth:`.evidence.SceneEvidence.gold_picture_after`),
    shown instead of the gold's end where the end state was judged on it (the gold's end hides
    the step's place)."""
    if out is None or not out.pictures:
        return {}
    by_box = {tuple(d.box): d for d in out.differences}
    pics = {}
    for i, dev in enumerate(deviations):
        ev = dev.get("evidence") or {}
        diff = by_box.get(tuple(ev.get("box") or ()))
        if ev.get("source") == "scene" and diff is not None:
            caption = (f"What differs at the end: gold (left) and trainee (right), the difference outlined "
                       f"({ev.get('finding', '')}; {diff.strength:.0f}x this pair's picture noise)")
            pics[i] = [(caption, difference_png(out, diff))]
        elif ev.get("source") == "scene" and ev.get("step_box"):  # a step's result not found (result or end state)
            after = None
            if gold_after is not None and dev.get("gold_step") is not None and any(
                    x.get("gold_scene") == "after" for x in ev.get("levels") or []):
                after = gold_after(int(dev["gold_step"]))
            where = ("gold right after the step (left: its end hides the place) and trainee at the end (right)"
                     if after is not None else "gold (left) and trainee (right) at the end")
            caption = (f"Where the step's result is: {where}, the step's region outlined "
                       f"({ev.get('finding', '')}; agreement {ev.get('agreement')})")
            labels = ("gold, after the step", "trainee, end") if after is not None else ("gold", "trainee")
            pics[i] = [(caption, box_png(out, tuple(ev["step_box"]), labels, gold=after))]
    return pics
