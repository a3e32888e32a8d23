import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _align_ref import brute_dtw, path_cost
from sopilot_resources.align import AlignmentInputError, align_embeddings, cosine_cost, dtw_path, l2_normalize
from sopilot_resources.align.dtw_numba import dtw_embeddings_numba


def _cost(seed, n, m, quantize):
    c = np.random.default_rng(seed).random((n, m)).astype(np.float32)
    return (np.round(c * 4) / 4).astype(np.float32) if quantize else c  # quantized: many ties


def _staircase(n, m):
    """Diagonal while both indices can grow, then straight: a valid, generally suboptimal path."""
    path = [(k, k) for k in range(min(n, m))]
    i, j = path[-1]
    path += [(i + t, j) for t in range(1, n - i)] + [(i, j + t) for t in range(1, m - j)]
    return path


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), m=st.integers(1, 5), q=st.booleans())
def test_optimal_cost_equals_brute_force(seed, n, m, q):
    c = _cost(seed, n, m, q)
    path, total = dtw_path(c, backend="numba")
    assert total == pytest.approx(brute_dtw(c), abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), m=st.integers(1, 40), q=st.booleans())
def test_path_properties(seed, n, m, q):
    c = _cost(seed, n, m, q)
    path, total = dtw_path(c, backend="numba")
    assert path.dtype == np.int64 and path.shape[1] == 2
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (n - 1, m - 1)
    steps = {tuple(s) for s in np.diff(path, axis=0)}
    assert steps <= {(1, 0), (0, 1), (1, 1)}
    assert max(n, m) <= len(path) <= n + m - 1
    assert path_cost(c, path) == total  # same summation order as the DP: exact
    assert total <= path_cost(c, _staircase(n, m)) + 1e-12


def test_tie_break_is_diagonal_then_up_then_left():
    path, total = dtw_path(np.zeros((3, 5), np.float32), backend="numba")
    assert path.tolist() == [[0, 0], [0, 1], [0, 2], [1, 3], [2, 4]]
    path, _ = dtw_path(np.zeros((5, 3), np.float32), backend="numba")
    assert path.tolist() == [[0, 0], [1, 0], [2, 0], [3, 1], [4, 2]]
    assert total == 0.0


@pytest.mark.parametrize("n,m", [(1, 1), (1, 7), (7, 1)])
def test_single_row_or_column(n, m):
    c = _cost(3, n, m, False)
    path, total = dtw_path(c, backend="numba")
    assert len(path) == max(n, m)
    assert total == pytest.approx(float(c.astype(np.float64).sum()))


def test_blocked_equals_unblocked():
    rng = np.random.default_rng(4)
    an, bn = l2_normalize(rng.standard_normal((97, 16))), l2_normalize(rng.standard_normal((61, 16)))
    full_path, full_total = dtw_path(cosine_cost(an, bn), backend="numba")
    for block_bytes in (1, 4 * 61 * 7, 4 * 61 * 96, 1 << 30):  # 1 row, 7 rows, ragged, one block
        path, total = dtw_embeddings_numba(an, bn, block_bytes)
        np.testing.assert_array_equal(path, full_path)
        assert total == pytest.approx(full_total, rel=1e-6)


def test_align_embeddings_result():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((30, 8))
    b = np.repeat(a, 2, axis=0) * 3.0  # same content at half speed, other scale
    al = align_embeddings(a, b, backend="numba")
    assert al.backend == "numba" and al.shape == (30, 60)
    assert al.total_cost == pytest.approx(0.0, abs=1e-4)
    assert al.normalized_cost == pytest.approx(al.total_cost / len(al.path))
    assert all(j // 2 == i for i, j in al.path)


def test_peak_memory_is_directions_plus_one_block():
    n = m = 1500
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((n, 32)).astype(np.float32), rng.standard_normal((m, 32)).astype(np.float32)
    block = 1 << 20
    align_embeddings(a[:4], b[:4], backend="numba")  # compile outside the measurement
    tracemalloc.start()
    align_embeddings(a, b, backend="numba", block_bytes=block)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    inputs = 2 * (a.nbytes + b.nbytes)  # normalised copies (+ scratch)
    budget = n * m + block + inputs + 2 * (n + m) * 16 + (1 << 20)
    assert peak < budget, (peak, budget)
    assert peak < n * m * 4 / 2  # far below even a float32 cost matrix (9 MB)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_cost_is_rejected(bad):
    c = np.ones((3, 3), np.float32)
    c[0, 1] = bad
    with pytest.raises(AlignmentInputError, match="NaN or infinite"):
        dtw_path(c)
    with pytest.raises(ValueError, match="NaN or infinite"):
        align_embeddings(np.full((2, 2), bad), np.ones((2, 2)))


def test_bad_cost_and_backend_requests():
    with pytest.raises(AlignmentInputError, match="negative"):
        dtw_path(-np.ones((2, 2)))
    with pytest.raises(AlignmentInputError, match="non-empty 2-D"):
        dtw_path(np.ones((0, 3)))
    with pytest.raises(AlignmentInputError, match="unknown DTW backend"):
        dtw_path(np.ones((2, 2)), backend="fast")
    with pytest.raises(AlignmentInputError, match="unknown device"):
        dtw_path(np.ones((2, 2)), device="tpu")
    with pytest.raises(AlignmentInputError, match="CPU"):
        dtw_path(np.ones((2, 2)), backend="numba", device="cuda")
