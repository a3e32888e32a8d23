"""The settled scene's numba kernels give what the NumPy passes they replace gave."""
from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest

from sopilot_resources.scene.pictures import flatten_light, low_pass
from sopilot_resources.scene.pixel_ops import channels_finite, channels_sum, fill_nan, median_first_axis, seen_median
from sopilot_resources.scene.settle import MASK_GROW, MOVE_FLOOR, MOVE_K, _deviation, settled, steady, typical


def numpy_settled(frames: np.ndarray) -> np.ndarray:
    """The NumPy implementation the kernels replaced (kept here as the reference)."""
    if len(frames) == 1:
        return frames[0].copy()
    frames = steady(frames)
    med = median_first_axis(np.where(np.isnan(frames), frames[len(frames) // 2], frames))
    dev = fill_nan(channels_sum(np.abs(frames - med)), np.inf)
    finite = dev[np.isfinite(dev)]
    thr = max(MOVE_K * float(np.median(finite)) if finite.size else MOVE_FLOOR, MOVE_FLOOR)
    grow = np.ones((2 * MASK_GROW + 1, 2 * MASK_GROW + 1), np.uint8)
    speck = np.ones((3, 3), np.uint8)
    still = np.stack([cv2.dilate(cv2.morphologyEx((d > thr).astype(np.uint8), cv2.MORPH_OPEN, speck), grow) == 0
                      for d in dev]) & channels_finite(frames)
    n = still.sum(0)
    total = np.einsum("nhwc,nhw->hwc", fill_nan(frames, 0.0), still.astype(np.float32))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / n[..., None]
    out[n == 0] = np.nan
    return out.astype(np.float32)


def window(rng: np.random.Generator, n: int, shake: bool) -> np.ndarray:
    """(n, 48, 64, 3) float32 stills of a textured scene, an arm (a dark bar) moving across,
    noise, and (``shake``) the camera shifted by a few pixels between stills."""
    base = cv2.GaussianBlur(rng.uniform(0, 255, (60, 76, 3)).astype(np.float32), (0, 0), 2.0)
    out = []
    for i in range(n):
        dy, dx = (rng.integers(-3, 4, 2) if shake and i != n // 2 else (0, 0))
        f = base[6 + dy:54 + dy, 6 + dx:70 + dx].copy()
        f[10:20, 5 + 12 * i:15 + 12 * i] = 20.0  # the performer's arm
        out.append(f + rng.normal(0, 2.0, f.shape).astype(np.float32))
    return np.clip(np.stack(out), 0, 255).astype(np.float32)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 9])
@pytest.mark.parametrize("shake", [False, True])
def test_settled_matches_the_numpy_passes(n, shake):
    rng = np.random.default_rng(n + 10 * shake)
    frames = window(rng, n, shake)
    got, want = settled(frames), numpy_settled(frames)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-6, atol=1e-4)
    if shake:
        assert np.isnan(steady(frames)).any()  # the NaN paths were taken


def test_the_deviation_is_the_summed_distance_to_the_median_and_inf_where_unseen():
    rng = np.random.default_rng(3)
    x = rng.normal(100, 20, (4, 5, 6, 3)).astype(np.float32)
    x[0, 1, 1] = np.nan  # a pixel shifted in from outside: the middle still fills the median
    med = median_first_axis(np.where(np.isnan(x), x[2], x))
    want = fill_nan(channels_sum(np.abs(x - med)), np.inf)
    np.testing.assert_array_equal(_deviation(np.ascontiguousarray(x)), want)
    assert np.isinf(_deviation(x)[0, 1, 1])


@pytest.mark.parametrize("case", ["odd", "even", "ties", "unseen", "none seen", "one bin"])
def test_the_typical_deviation_is_numpys_median_of_the_finite_ones(case):
    rng = np.random.default_rng(7)
    x = (rng.gamma(2.0, 6.0, (3, 17, 23)) if case != "one bin" else 5.0 + rng.random((3, 17, 23)) * 1e-3)
    x = x.astype(np.float32)
    if case == "even":
        x = x[:, :, :22]
    if case == "ties":
        x[:, :8] = 7.25
    if case in ("unseen", "none seen"):
        x[rng.random(x.shape) < (1.0 if case == "none seen" else 0.3)] = np.inf
    finite = x[np.isfinite(x)]
    want = float(np.median(finite)) if finite.size else MOVE_FLOOR / MOVE_K
    assert typical(x) == want  # bit for bit


@pytest.mark.parametrize("case", ["odd", "even", "ties", "one bin", "inf", "negative", "-0.0", "nan channel",
                                  "float64", "none seen"])
def test_the_seen_median_is_numpys_median_of_the_seen_pixels(case):
    """``seen_median`` (the light flattening's NaN fill) gives ``np.median(img[~bad], axis=0)``
    bit for bit: through its kernel for finite values >= 0, through NumPy otherwise."""
    rng = np.random.default_rng(11)
    img = rng.gamma(3.0, 30.0, (19, 23, 3)) if case != "one bin" else 5.0 + rng.random((19, 23, 3)) * 1e-3
    img = img.astype(np.float64 if case == "float64" else np.float32)
    bad = rng.random((19, 23)) < (1.0 if case == "none seen" else 0.3)
    if case in ("odd", "even") and (~bad).sum() % 2 != (case == "odd"):
        bad[0, 0] = ~bad[0, 0]
    if case == "ties":
        img[:9] = 7.25
    if case == "inf":
        img[:12, :, 1] = np.inf
    if case == "negative":
        img[5:, :, 2] -= 200.0
    if case == "-0.0":
        img[:10, :, 0] = -0.0
        img[10:, :, 0] = 0.0
    if case == "nan channel":
        img[3, 4, 2] = np.nan
        bad[3, 4] = False
    img[bad, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # none seen: NumPy's mean of nothing
        want = np.median(img[~bad], axis=0)
        got = seen_median(img, bad)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))  # bit for bit


def test_flatten_light_fills_the_unseen_pixels_as_np_where_did():
    rng = np.random.default_rng(12)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (90, 120, 3)).astype(np.float32), (0, 0), 3.0)
    img[:10, :30] = np.nan
    bad = np.isnan(img[..., 0])
    x = np.where(bad[..., None], np.median(img[~bad], axis=0), img).astype(np.float32)
    want = cv2.GaussianBlur(x - low_pass(x), (0, 0), 0.8)
    want[bad] = np.nan
    np.testing.assert_array_equal(flatten_light(img), want)
