"""Missing or done wrongly: unfound steps that share one stretch of trainee work."""
import numpy as np
import pytest

from sopilot_resources.scoring.detect_steps import missing_or_wrong
from sopilot_resources.scoring.evidence import Span, StepEvidence
from sopilot_resources.scoring.pair_evidence import PairEvidence, StepStatus
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import Step
from sopilot_resources.scoring.timeline import Timeline

HOP = 0.5


def _case(levels: tuple[float, float]):
    """Step 0 found on clips 0-10; steps 1 and 2 (4 s each in the gold) not found, both
    placed between step 0 and the end: clips 10-20 (5 s of work, room for one of them).
    ``levels``: steps 1 and 2's likelihood over that stretch."""
    steps = [Step(0, "a", 1.0, 5.0), Step(1, "b", 5.0, 9.0), Step(2, "c", 9.0, 13.0)]
    like = np.zeros((3, 20), np.float32)
    like[0, :10] = 0.8
    like[1, 10:], like[2, 10:] = levels
    ev = [StepEvidence(0, (0, 8), Span(0, 10, 0.9), Span(0, 10, 0.9), None, 0.8, 0.5, 0.0)]
    ev += [StepEvidence(k, (8 * k, 8 * k + 8), Span(10, 20, 0.5), Span(10, 20, 0.5), None, 0.1, -0.1, 0.0)
           for k in (1, 2)]
    status = [StepStatus(steps[0], False, True, 1.0, Span(0, 10, 0.9))]
    status += [StepStatus(steps[k], False, False, 0.2, None) for k in (1, 2)]
    tl = Timeline(np.arange(20) * HOP + HOP / 2, HOP)
    gold_tl = Timeline(np.arange(28) * HOP + HOP / 2, HOP)
    pe = PairEvidence(steps=tuple(steps), critical=(False,) * 3, gold_tl=gold_tl, tr_tl=tl, step_ev=tuple(ev),
                      like=like, ref=0.5, idle=np.zeros(20, bool), procedure={"recognised": True},
                      overall=1.0, gold_clips=np.array([8.0, 8.0, 8.0]), profile=Profile())
    return pe, status


@pytest.mark.parametrize("levels, wrong, missing", [((0.2, 0.6), 2, 1), ((0.6, 0.2), 1, 2)])
def test_shared_stretch_goes_to_the_step_it_resembles(levels, wrong, missing):
    pe, status = _case(levels)
    after, devs = missing_or_wrong(pe, status, 1.0)
    kinds = {d.gold_step: d.type for d in devs}
    assert kinds == {wrong: "wrong_step", missing: "missing_step"}
    done = next(d for d in devs if d.type == "wrong_step")
    assert done.trainee_time == {"start_sec": 5.0, "end_sec": 10.0}
    assert [d.gold_step for d in devs] == [1, 2]  # reported in gold order
    # the wrong step's stretch is in the returned statuses, not written into the given ones
    assert after[wrong].where == Span(10, 20, 0.5) and not after[wrong].found
    assert status[wrong].where is None and after[missing].where is None


def test_on_equal_terms_the_earlier_step_claims_the_stretch():
    pe, status = _case((0.4, 0.4))
    _, devs = missing_or_wrong(pe, status, 1.0)
    assert {d.gold_step: d.type for d in devs} == {1: "wrong_step", 2: "missing_step"}
