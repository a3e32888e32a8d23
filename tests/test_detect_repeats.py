"""Repeated steps (:mod:`sopilot_resources.scoring.detect_repeats`) on hand-made step evidence:
two matching moments of one execution are not two executions."""
from types import SimpleNamespace

import numpy as np
import pytest

from sopilot_resources.scoring.detect_repeats import _apart, repeats
from sopilot_resources.scoring.evidence import Span, StepEvidence
from sopilot_resources.scoring.pair_evidence import StepStatus
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import Step
from sopilot_resources.scoring.timeline import Timeline

M = 60  # trainee clips, 0.5 s apart


def pair(best: Span, second: Span, where: Span, expected: float = 5.0):
    """One gold step located in place at ``where`` (trainee clips), whose two order-free matches
    are ``best`` and ``second``, as clear as each other (a "twin"), with no dip in similarity
    between them; step time ``expected`` clips."""
    like = np.full((1, M), 0.2)
    like[0, where.start:where.end] = 1.0  # the step's likelihood: high over the whole located span
    ev = StepEvidence(0, (0, 5), where, best, second, contrast=0.8, owner=0.3, base=0.2,
                      second_contrast=0.78, second_owner=0.3)
    step = Step(0, "tighten", 2.0, 4.5)
    pe = SimpleNamespace(like=like, ref=0.8, tr_tl=Timeline(np.arange(M) * 0.5 + 0.25, 0.5), profile=Profile(),
                         expected=np.array([expected]), step_ev=[ev])
    return pe, [StepStatus(step, False, True, 1.0, where)]


def test_back_to_back_executions_are_a_repeat():
    pe, status = pair(Span(10, 13, 0.9), Span(15, 18, 0.9), Span(9, 19, 0.9))
    (dev, again), = repeats(pe, status)
    assert dev.type == "repeated_step" and again == Span(15, 18, 0.9)


def test_two_moments_of_one_long_execution_are_not_a_repeat():
    """The located span is long enough for two executions, but the two best matching moments
    sit a clip apart: parts of one execution (seen on the demo sets: 8 of 10 correct videos that
    failed with a repeated step, e.g. seed 15's terminals)."""
    pe, status = pair(Span(12, 13, 0.9), Span(14, 15, 0.9), Span(9, 19, 0.9))
    assert repeats(pe, status) == []


@pytest.mark.parametrize("a, b, expected, apart", [
    (Span(0, 2, 1), Span(4, 6, 1), 8.0, True),    # centres 4 clips apart, half an execution is 4
    (Span(0, 2, 1), Span(3, 5, 1), 8.0, False),   # 3 < 4
    (Span(10, 11, 1), Span(0, 4, 1), 4.0, True),  # order does not matter
])
def test_apart_is_half_an_execution(a, b, expected, apart):
    assert _apart(a, b, expected) is apart
