import numpy as np
import pytest

from sopilot_resources.align import AlignmentInputError, cosine_cost, l2_normalize
from sopilot_resources.align.cost import block_rows, iter_cost_blocks


def test_cosine_cost_matches_definition():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((7, 5)), rng.standard_normal((4, 5))
    ref = 1 - (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    c = cosine_cost(a, b)
    assert c.dtype == np.float32 and c.shape == (7, 4)
    np.testing.assert_allclose(c, ref, atol=1e-6)
    assert c.min() >= 0 and c.max() <= 2


def test_self_cost_is_zero_and_scale_invariant():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 3))
    np.testing.assert_allclose(np.diag(cosine_cost(a, a * 10)), 0, atol=1e-6)


def test_zero_rows_are_orthogonal_not_nan():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    c = cosine_cost(a, np.array([[1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(c, [[1, 1], [0, 1]], atol=1e-7)
    assert np.all(np.linalg.norm(l2_normalize(a), axis=1) == [0, 1])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected(bad):
    a = np.ones((3, 4))
    a[1, 2] = bad
    with pytest.raises(AlignmentInputError, match="NaN or infinite"):
        cosine_cost(a, np.ones((2, 4)))
    with pytest.raises(ValueError):  # AlignmentInputError is also a ValueError
        cosine_cost(np.ones((2, 4)), a)


@pytest.mark.parametrize("a,b,msg", [
    (np.ones((3, 4)), np.ones((3, 5)), "dims differ"),
    (np.ones(4), np.ones((3, 4)), "2-D"),
    (np.ones((0, 4)), np.ones((3, 4)), "empty"),
    (np.array([["x"]]), np.ones((1, 1)), "real numbers"),
])
def test_bad_shapes_are_rejected(a, b, msg):
    with pytest.raises(AlignmentInputError, match=msg):
        cosine_cost(a, b)


def test_blocks_cover_the_full_matrix():
    rng = np.random.default_rng(2)
    an, bn = l2_normalize(rng.standard_normal((23, 8))), l2_normalize(rng.standard_normal((11, 8)))
    rows = block_rows(11, block_bytes=4 * 11 * 5)
    assert rows == 5
    blocks = [(i0, blk.copy()) for i0, blk in iter_cost_blocks(an, bn, rows)]
    assert [i0 for i0, _ in blocks] == [0, 5, 10, 15, 20]
    np.testing.assert_allclose(np.vstack([b for _, b in blocks]), cosine_cost(an, bn), atol=1e-6)
    assert block_rows(10**9, block_bytes=1) == 1
