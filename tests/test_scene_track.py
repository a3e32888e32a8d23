"""A fixed camera's samples registered once per anchor (scene.track), and warps carried to
the larger detail stills."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from sopilot_resources.scene.pictures import StillCache
from sopilot_resources.scene.register import register, view
from sopilot_resources.scene.settle import settled
from sopilot_resources.scene.track import ANCHOR_EVERY, register_samples, scaled

sys.path.insert(0, str(Path(__file__).parent))
from scene_synth import gold_take, stills  # noqa: E402

GOLD = gold_take()
INNER = (slice(30, -30), slice(40, -40))


def _scenes(take, n: int = 12) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the gold-side reference: the take's settled first scene, n settled scenes a second apart)."""
    c = StillCache(stills(take, duration=n + 2.0))
    return settled(c.window(0.0, 1.0)), [settled(c.window(t, t + 1.0)) for t in np.arange(n) + 0.5]


def _aligned(reg, img, ref) -> float:
    """Median |ref - img warped onto it| over the inner picture (grey levels)."""
    back = reg.apply(img, (ref.shape[1], ref.shape[0]))
    return float(np.nanmedian(np.abs(back[INNER] - ref[INNER])))


def test_a_camera_that_stays_put_reuses_its_anchors_warps():
    ref, _ = _scenes(GOLD)
    _, scenes = _scenes(replace(GOLD, angle=2.0, shift=(5.0, -3.0), seed=3))
    regs = register_samples(view(ref), scenes)
    assert all(r is not None and r.ok for r in regs)
    anchors = list(range(0, len(scenes), ANCHOR_EVERY))
    assert all(regs[j].method != "reused" for j in anchors)
    assert sum(r.method == "reused" for r in regs) >= len(scenes) - len(anchors) - 2
    for r, s in zip(regs, scenes):
        assert _aligned(r, s, ref) < 12  # every one aligned to about a pixel (the arm aside)


def test_a_camera_nudged_between_anchors_is_registered_again():
    ref, _ = _scenes(GOLD)
    _, still = _scenes(replace(GOLD, seed=3))
    _, nudged = _scenes(replace(GOLD, shift=(9.0, 6.0), seed=4))
    scenes = list(still)
    scenes[2] = nudged[2]  # between anchors 0 and 5, the camera knocked 11 px
    regs = register_samples(view(ref), scenes)
    assert regs[1].method == "reused" and regs[2].method != "reused"
    assert _aligned(regs[2], scenes[2], ref) < 12
    assert _aligned(regs[0], scenes[2], ref) > 2 * _aligned(regs[2], scenes[2], ref)  # the anchor's warp did not fit
    assert [r is None for r in register_samples(view(ref), [None, scenes[1], None])] == [True, False, True]


def test_a_warp_found_on_small_pictures_fits_the_large_ones():
    big = replace(GOLD, scale=2)
    g2 = stills(big).frame(0).astype(np.float32)
    t2 = stills(replace(big, angle=3.0, shift=(6.0, -4.0), seed=2)).frame(0).astype(np.float32)
    small = (g2.shape[1] // 2, g2.shape[0] // 2)
    g1, t1 = (cv2.resize(x, small, interpolation=cv2.INTER_AREA) for x in (g2, t2))
    reg = register(g1, t1)
    assert reg.ok
    up = scaled(reg, small, (g2.shape[1], g2.shape[0]))
    inner = (slice(60, -60), slice(80, -80))
    back = up.apply(t2, (g2.shape[1], g2.shape[0]))
    assert np.nanmedian(np.abs(back[inner] - g2[inner])) < 12
    # the same geometry: a point maps where the small warp maps it, at twice the size
    p = np.array([100.0, 60.0, 1.0])
    q = reg.warp @ p
    q2 = up.warp @ np.array([2 * p[0] + 0.5, 2 * p[1] + 0.5, 1.0])
    np.testing.assert_allclose(q2[:2] / q2[2], 2 * q[:2] / q[2] + 0.5, atol=1e-6)
