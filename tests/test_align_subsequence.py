import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _align_ref import brute_subsequence
from sopilot_resources.align import (
    AlignmentInputError, cosine_cost, l2_normalize, matches_from_cost, subsequence_dp, subsequence_matches,
)
from sopilot_resources.align.subsequence import select_matches


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 3), m=st.integers(1, 6), q=st.booleans())
def test_subsequence_dp_equals_brute_force(seed, n, m, q):
    c = np.random.default_rng(seed).random((n, m)).astype(np.float32)
    if q:
        c = (np.round(c * 3) / 3).astype(np.float32)
    total, start, length = subsequence_dp(c)
    by_end, by_span = brute_subsequence(c)
    for j in range(m):
        assert total[j] == pytest.approx(by_end[j], abs=1e-9)
        assert start[j] <= j and length[j] >= max(n, j - start[j] + 1)
        # the reported start and length belong to a real path with that cost
        assert by_span[(start[j], j, length[j])] == pytest.approx(total[j], abs=1e-9)


def _warp(rng, x, noise):
    reps = rng.integers(1, 3, size=len(x))  # each clip held 1 or 2 times: another pace
    y = np.repeat(x, reps, axis=0)
    return y + noise * rng.standard_normal(y.shape)


def test_finds_planted_subsequences_in_noisy_reference():
    rng = np.random.default_rng(10)
    d = 32
    query = rng.standard_normal((15, d))
    ref = rng.standard_normal((600, d))
    first, second = _warp(rng, query, 0.3), _warp(rng, query, 0.3)
    ref[100 : 100 + len(first)] = first
    ref[420 : 420 + len(second)] = second
    matches = subsequence_matches(query, ref, k=3)
    assert len(matches) == 3
    found = sorted((m.start, m.end) for m in matches[:2])
    assert abs(found[0][0] - 100) <= 1 and abs(found[0][1] - (100 + len(first) - 1)) <= 1
    assert abs(found[1][0] - 420) <= 1 and abs(found[1][1] - (420 + len(second) - 1)) <= 1
    assert matches[2].mean_cost > 2 * max(matches[0].mean_cost, matches[1].mean_cost)  # noise
    assert [m.mean_cost for m in matches] == sorted(m.mean_cost for m in matches)
    for m in matches:
        assert m.mean_cost == pytest.approx(m.cost / m.length)
    # same answer from a slice of a precomputed cost matrix (one GEMM shared by all steps)
    gold = np.vstack([rng.standard_normal((7, d)), query, rng.standard_normal((5, d))])
    sliced = matches_from_cost(cosine_cost(gold, ref)[7:22], k=3)
    assert [(m.start, m.end) for m in sliced] == [(m.start, m.end) for m in matches]
    # same answer with pre-normalised inputs
    again = subsequence_matches(l2_normalize(query), l2_normalize(ref), k=3, assume_normalized=True)
    assert [(m.start, m.end) for m in again] == [(m.start, m.end) for m in matches]


def test_matches_do_not_overlap_and_respect_separation():
    rng = np.random.default_rng(11)
    query, ref = rng.standard_normal((5, 8)), rng.standard_normal((200, 8))
    for sep in (None, 0, 10):
        ms = subsequence_matches(query, ref, k=6, min_separation=sep)
        assert len(ms) == 6
        gap = sep or 0
        spans = sorted((m.start, m.end) for m in ms)
        for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
            assert s1 > e0 + gap


def test_select_matches_greedy_order_and_limit():
    total = np.array([4.0, 1.0, 1.0, 9.0, 2.0])
    start = np.array([0, 0, 2, 3, 4])
    length = np.array([2, 2, 1, 1, 1])
    ms = select_matches(total, start, length, k=5)
    # mean costs: 2, .5, 1, 9, 2 -> end 1 [0..1] first; end 2 [2..2]; end 4 [4..4]; end 3 [3..3]
    assert [(m.start, m.end) for m in ms] == [(0, 1), (2, 2), (4, 4), (3, 3)]
    assert len(select_matches(total, start, length, k=1)) == 1


def test_edge_cases_and_errors():
    one = subsequence_matches(np.ones((1, 4)), np.ones((1, 4)), k=3)
    assert [(m.start, m.end, m.length) for m in one] == [(0, 0, 1)]
    long_query = subsequence_matches(np.eye(6), np.eye(6)[:2], k=1)[0]  # query longer than ref
    assert long_query.length >= 6
    with pytest.raises(AlignmentInputError, match="k must be"):
        subsequence_matches(np.ones((2, 2)), np.ones((3, 2)), k=0)
    with pytest.raises(AlignmentInputError, match="min_separation"):
        subsequence_matches(np.ones((2, 2)), np.ones((3, 2)), min_separation=-1)
    with pytest.raises(AlignmentInputError, match="dims differ"):
        subsequence_matches(np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        subsequence_matches(np.array([[np.nan, 1.0]]), np.ones((3, 2)))
    with pytest.raises(AlignmentInputError, match="NaN or infinite"):
        subsequence_matches(np.ones((2, 2)), np.full((3, 2), np.inf), assume_normalized=True)
    with pytest.raises(AlignmentInputError, match="negative"):
        matches_from_cost(-np.ones((2, 3)))
    with pytest.raises(AlignmentInputError, match="k must be"):
        matches_from_cost(np.ones((2, 3)), k=0)
