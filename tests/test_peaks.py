"""scoring.peaks.find_peaks gives exactly what scipy.signal.find_peaks gives (distance and
prominence), on signals with plateaus, ties and flat stretches."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks as scipy_find_peaks

from sopilot_resources.scoring.peaks import find_peaks


def _signals(rng: np.random.Generator):
    for n in (0, 1, 2, 3, 5, 40, 300):
        yield rng.normal(size=n)
        yield np.cumsum(rng.normal(size=n))  # a random walk: nested peaks
        yield np.round(rng.normal(size=n) * 2) / 2  # quantised: plateaus and equal heights
    yield np.zeros(50)  # flat: no peak
    yield np.array([0, 1, 1, 1, 0, 2, 2, 0, 1, 1, 3, 3, 3, 3, 1], float)  # plateaus, one at the end
    yield np.tile([0.0, 1.0, 0.0, 1.0, 1.0, 0.0], 20)  # many peaks of the same height (ties in priority)
    yield np.array([0, 3, 0, 1, np.nan, 0, 2, 0], float)  # a NaN ends a prominence scan, as in SciPy


@pytest.mark.parametrize("seed", range(4))
def test_the_peaks_are_scipys(seed):
    rng = np.random.default_rng(seed)
    cases = 0
    for x in _signals(rng):
        for distance in (1, 2, 3, 4.5, 9):
            for prominence in (0.0, 0.02, 0.3, 1.0, 3.0):
                want = scipy_find_peaks(x, distance=distance, prominence=prominence)[0]
                got = find_peaks(x, distance=distance, prominence=prominence)
                np.testing.assert_array_equal(got, want)
                assert got.dtype == np.int64
                cases += len(want) > 0
    assert cases > 100  # most cases found peaks to compare


def test_distance_below_one_is_refused():
    with pytest.raises(ValueError):
        find_peaks(np.zeros(5), distance=0.5, prominence=0.1)


def test_a_four_hour_golds_curve_gives_scipys_peaks():
    """28 800 samples (4 h at 2 clips/s) of a random walk: thousands of nested peaks."""
    x = np.cumsum(np.random.default_rng(5).normal(size=28_800))
    for distance in (1, 8):
        np.testing.assert_array_equal(find_peaks(x, distance=distance, prominence=0.5),
                                      scipy_find_peaks(x, distance=distance, prominence=0.5)[0])
