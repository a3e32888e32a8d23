"""A fixed gold camera's reference, and the trainee's sampled scenes registered onto it.

Every sampled scene of the trainee (one a second) is registered onto the same picture, the
gold's settled end scene, when the gold's camera is fixed. A trainee camera that stays put
needs the same warp for all of them: so the samples are registered in full only every
ANCHOR_EVERY-th (ORB features, RANSAC, ECC: :func:`.register.register`); each other one first
tries the warp of its nearest anchor, and keeps it when the sample, warped by it, shows no
shift against the reference (:func:`reuse`), else it is registered in full (a camera nudged,
drifting or shaking between anchors). One warp over consecutive samples also leaves their
difference free of registration noise, which is what the search compares.

The warps are found once, on the comparison's pictures, and carried to the larger "detail"
stills by :func:`scaled` (the same camera geometry at another pixel size).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from .pictures import scene_workers
from .register import MIN_AGREEMENT, Registration, View, agreement_hp, hp_grey, register

#: register every ANCHOR_EVERY-th sample in full ...
ANCHOR_EVERY = 5
#: ... and keep an anchor's warp for a sample that, warped by it, is shifted less than REUSE_PX
#: from the reference (phase correlation, clear at REUSE_RESPONSE: the work area changing
#: between samples does not move its peak, a camera nudged does)
REUSE_PX, REUSE_RESPONSE = 0.5, 0.2


def reuse(ref: View, scene: np.ndarray, anchor: Registration) -> Registration | None:
    """``anchor``'s warp for ``scene`` (H, W, 3) when it fits it (REUSE_PX), else None."""
    h, w = ref.hp.shape
    hb = hp_grey(scene)
    moved = cv2.warpPerspective(hb, anchor.warp, (w, h), flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP)
    (dx, dy), response = cv2.phaseCorrelate(ref.hp, moved, cv2.createHanningWindow((w, h), cv2.CV_32F))
    if response < REUSE_RESPONSE or max(abs(dx), abs(dy)) >= REUSE_PX:
        return None
    a = agreement_hp(ref.hp, hb, anchor.warp)
    return Registration(anchor.warp, True, a, "reused") if a >= MIN_AGREEMENT else None


def register_samples(ref: View, scenes: list[np.ndarray | None]) -> list[Registration | None]:
    """Per scene (H, W, 3) of one camera's consecutive samples (None: not wanted), its
    registration onto ``ref``: the anchors' in full, the others' reused from the nearest
    anchor that registered when it fits (:func:`reuse`), else in full. None where the scene is
    None. The order of the work does not change the result."""
    idx = [j for j, s in enumerate(scenes) if s is not None]
    out: list[Registration | None] = [None] * len(scenes)
    anchors = idx[::ANCHOR_EVERY]
    with ThreadPoolExecutor(scene_workers(), thread_name_prefix="sopilot-scene") as pool:
        for j, reg in zip(anchors, pool.map(lambda j: register(ref, scenes[j]), anchors)):
            out[j] = reg
        good = np.array([j for j in anchors if out[j].ok])

        def one(j: int) -> Registration:
            got = reuse(ref, scenes[j], out[int(good[np.abs(good - j).argmin()])]) if good.size else None
            return got if got is not None else register(ref, scenes[j])

        rest = [j for j in idx if out[j] is None]
        for j, reg in zip(rest, pool.map(one, rest)):
            out[j] = reg
    return out


def scaled(reg: Registration, src: tuple[int, int], dst: tuple[int, int]) -> Registration:
    """``reg`` (a warp between two pictures of size ``src`` (W, H)) for the same two pictures
    at size ``dst`` (W, H): pixel centres map as (x + 0.5) * dst / src."""
    sx, sy = dst[0] / src[0], dst[1] / src[1]
    s = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
    return Registration(s @ np.asarray(reg.warp, np.float64) @ np.linalg.inv(s), reg.ok, reg.agreement, reg.method)
