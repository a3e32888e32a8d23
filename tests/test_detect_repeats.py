"""Repeated steps (:mod:`sopilot_resources.scoring.detect_repeats`) on hand-made step evidence:
two matching moments of one execution are not two executions."""
from dataclasses import replace
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


def pair(best: Span, second: Span, where: Span, expected: float = 5.0, contrast: float = 0.8,
         second_contrast: float = 0.78, neighbours: tuple[bool, bool] = (True, True)):
    """One gold step located in place at ``where`` (trainee clips), whose two order-free matches
    are ``best`` and ``second``, as clear as each other (a "twin") by default, with no dip in
    similarity between them; step time ``expected`` clips; the pair's typical step stands out
    0.8 (``ref``). ``neighbours``: a step located before it, and one after it (each found in
    place, no second occurrence)."""
    like = np.full((3, M), 0.2)
    like[1, where.start:where.end] = 1.0  # the step's likelihood: high over the whole located span
    ev = StepEvidence(1, (5, 10), where, best, second, contrast=contrast, owner=0.3, base=0.2,
                      second_contrast=second_contrast, second_owner=0.3)
    before, after = Span(where.start - 6, where.start, 0.9), Span(where.end, where.end + 6, 0.9)
    other = [StepEvidence(k, (0, 5), sp, sp, None, contrast=0.8, owner=0.3, base=0.2) for k, sp in ((0, before), (2, after))]
    step = Step(1, "tighten", 2.0, 4.5)
    status = [StepStatus(Step(0, "fit", 0.0, 1.9), False, True, 1.0, before if neighbours[0] else None),
              StepStatus(step, False, True, 1.0, where),
              StepStatus(Step(2, "press", 4.6, 6.0), False, True, 1.0, after if neighbours[1] else None)]
    pe = SimpleNamespace(like=like, ref=0.8, tr_tl=Timeline(np.arange(M) * 0.5 + 0.25, 0.5), profile=Profile(),
                         expected=np.array([5.0, expected, 5.0]), step_ev=[other[0], ev, other[1]], steps_given=True)
    return pe, status


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


def test_a_step_seen_weakly_done_twice_in_its_own_span_is_a_repeat():
    """Both executions stand out only 0.6 typical steps (another performer's hands): under what
    a repeat elsewhere needs, but two twins in a span of two executions' time are the step done
    twice, reported as clearly as the second is beside the first."""
    pe, status = pair(Span(10, 13, 0.9), Span(15, 18, 0.9), Span(9, 19, 0.9), contrast=0.48, second_contrast=0.47)
    (dev, again), = repeats(pe, status)
    assert dev.type == "repeated_step" and again == Span(15, 18, 0.9)
    assert dev.confidence == pytest.approx(0.47 / 0.48, abs=1e-3)


@pytest.mark.parametrize("where, contrast, second_contrast, why", [
    (Span(9, 16, 0.9), 0.48, 0.47, "the located span holds one execution's time (7 < 1.6 x 5 clips)"),
    (Span(9, 19, 0.9), 0.48, 0.36, "the second is not a twin (0.36 < 0.8 x 0.48)"),
    (Span(9, 19, 0.9), 0.45, 0.38, "a twin, but it would not find a step (0.38 / 0.8 < match_strictness 0.5)"),
])
def test_a_weak_second_match_is_no_repeat_without_two_twins_in_two_executions_time(where, contrast, second_contrast, why):
    pe, status = pair(Span(10, 13, 0.9), Span(15, 18, 0.9), where, contrast=contrast, second_contrast=second_contrast)
    assert repeats(pe, status) == [], why


def test_weak_twins_of_a_detected_gold_step_are_no_repeat():
    """Without a steps file a gold step's time is an estimate (a step cut in two reads twice
    as long), so a span of "two executions' time" proves nothing."""
    pe, status = pair(Span(10, 13, 0.9), Span(15, 18, 0.9), Span(9, 19, 0.9), contrast=0.48, second_contrast=0.47)
    pe.steps_given = False
    assert repeats(pe, status) == []
    pe.step_ev[1] = replace(pe.step_ev[1], contrast=0.8, second_contrast=0.78)  # clear twins still are
    assert len(repeats(pe, status)) == 1


@pytest.mark.parametrize("neighbours", [(False, True), (True, False)])
def test_a_first_or_last_steps_weak_twins_are_no_repeat(neighbours):
    """A first or last step's span also holds the rest before or after the work (seed 19's
    pump line: a correct last step and the arm's rest read as two twins, 1.0 and 0.8): its
    length tells nothing of two executions, so weak twins there are not enough."""
    pe, status = pair(Span(10, 13, 0.9), Span(15, 18, 0.9), Span(9, 19, 0.9), contrast=0.48, second_contrast=0.47,
                      neighbours=neighbours)
    assert repeats(pe, status) == []


@pytest.mark.parametrize("a, b, expected, apart", [
    (Span(0, 2, 1), Span(4, 6, 1), 8.0, True),    # centres 4 clips apart, half an execution is 4
    (Span(0, 2, 1), Span(3, 5, 1), 8.0, False),   # 3 < 4
    (Span(10, 11, 1), Span(0, 4, 1), 4.0, True),  # order does not matter
])
def test_apart_is_half_an_execution(a, b, expected, apart):
    assert _apart(a, b, expected) is apart
