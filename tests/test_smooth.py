"""scoring.smooth.moving_average gives exactly scipy.ndimage.uniform_filter1d(..., axis=0,
mode="nearest") on float32 clip vectors: every window size, odd and even, longer than the
video, one row, large and small magnitudes."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from sopilot_resources.scoring.smooth import moving_average


def test_the_moving_average_is_scipys_bit_for_bit():
    rng = np.random.default_rng(0)
    cases = 0
    for n in (1, 2, 3, 7, 60, 241):
        for d in (1, 5, 33):
            x = (rng.normal(size=(n, d)) * rng.uniform(0.01, 1000) + rng.uniform(-50, 50)).astype(np.float32)
            for size in sorted({1, 2, 3, 4, 5, 9, n, n + 1, 2 * n + 3}):
                want = uniform_filter1d(x, size=size, axis=0, mode="nearest")
                got = moving_average(x, size)
                assert got.dtype == np.float32 and got.shape == x.shape
                np.testing.assert_array_equal(got, want)
                cases += 1
    assert cases > 100


def test_non_contiguous_and_float64_inputs_are_averaged_as_float32():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 12))
    for v in (x, x[:, ::2], x[::-1]):
        want = uniform_filter1d(np.asarray(v, np.float32), size=5, axis=0, mode="nearest")
        np.testing.assert_array_equal(moving_average(v, 5), want)


@pytest.mark.parametrize("x, size", [(np.zeros((4, 2)), 0), (np.zeros((0, 3)), 3), (np.zeros(5), 3)])
def test_bad_inputs_are_refused(x, size):
    with pytest.raises(ValueError):
        moving_average(x, size)
