"""The per-trainee test of whether the gold's step order is there at all
(:func:`sopilot_resources.scoring.segment.procedure_evidence`), on hand-made step likelihoods:
what a performance in order can gain, by how many steps the gold has (docs/bench/accuracy.md,
"Stop 39", item 4)."""
import numpy as np
import pytest

from sopilot_resources.scoring.segment import ORDER_MIN, procedure_evidence


def in_order(s_n: int, seed: int = 1) -> np.ndarray:
    """(S, M): S steps of 12 clips each, done in order, each clip clearly its own step's."""
    rng = np.random.default_rng(seed)
    like = np.full((s_n, 12 * s_n), 0.2) + rng.normal(scale=0.02, size=(s_n, 12 * s_n))
    for k in range(s_n):
        like[k, 12 * k:12 * k + 12] += 0.6
    return like


@pytest.mark.parametrize("s_n", [3, 4, 6, 8])
def test_a_clean_performance_gains_one_less_two_steps_of_s(s_n):
    """The shuffled orders (reversed; each half reversed) keep 2 of the S steps in order, so a
    clean performance in order gains 1 - 2 / S: 0.33 at 3 steps, 0.67 at 6. ``ORDER_MIN`` was
    measured on golds of 6-9 steps; a gold of 3 needs more than half of what it can show."""
    got = procedure_evidence(in_order(s_n), np.full(s_n, 12.0), 1.0)
    assert got["order_gain"] == pytest.approx(1 - 2 / s_n, abs=0.02) and got["recognised"]
    assert (ORDER_MIN / (1 - 2 / s_n) > 0.5) is (s_n == 3)


def test_clips_in_no_order_are_not_the_procedure():
    like = in_order(6)
    shuffled = like[:, np.random.default_rng(2).permutation(like.shape[1])]
    assert not procedure_evidence(shuffled, np.full(6, 12.0), 1.0)["recognised"]
