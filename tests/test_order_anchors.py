"""An order deviation needs an anchor: a neighbour the clips really found, over a fair share of
its time, and a step found out of place needs a sequence of clips there. A one-clip match, or
the stretch a step done wrongly was given, is where the clips guessed, and a correct trainee's order was judged wrong twice on it (seed
49's terminals: `tighten T3` matched order-free in the video's last 0.5 s)."""
import numpy as np
import pytest

from sopilot_resources.scoring.detect_scene_order import ANCHOR_SHARE, done_out_of_order
from sopilot_resources.scoring.detect_steps import OUT_OF_PLACE_CLIPS, classify
from sopilot_resources.scoring.evidence import Span, StepEvidence
from sopilot_resources.scoring.pair_evidence import PairEvidence, StepStatus
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import Step
from sopilot_resources.scoring.timeline import Timeline

HOP = 0.5
STEPS = [Step(0, "a", 1.0, 5.0), Step(1, "b", 5.0, 9.0), Step(2, "c", 9.0, 13.0)]


@pytest.mark.parametrize("neighbour, expected, expect", [
    ("found", None, [("order_swap", 1)]),  # step 3 found over 5-9 s, step 2 made at 12 s: after it
    ("wrong", None, []),  # step 3 not found: its stretch is where its time went, no anchor
    ("sliver", None, [("order_swap", 1)]),  # found over 0.5 s: anchors when nothing is expected ...
    ("sliver", np.array([4.0, 4.0, 4.0]), []),  # ... not against the 4 s step 3 should take
    ("found", np.array([4.0, 4.0, 4.0]), [("order_swap", 1)]),
])
def test_a_step_made_after_its_neighbour_needs_the_neighbour_found_over_its_time(neighbour, expected, expect):
    where = {"found": (5.0, 9.0), "wrong": (5.0, 9.0), "sliver": (8.5, 9.0)}[neighbour]
    status = [StepStatus(STEPS[0], False, True, 1.0, Span(0, 8, 0.9)),
              StepStatus(STEPS[1], False, False, 0.2, None),
              StepStatus(STEPS[2], False, neighbour != "wrong", 1.0, Span(10, 18, 0.9))]
    tr_spans = [(0.0, 4.0), None, where]
    assert ANCHOR_SHARE * 4.0 > 0.5
    out = done_out_of_order({1: 12.0}, status, tr_spans, [], Profile(), expected)
    assert [(d.type, d.gold_step) for d in out] == expect


def _pair(best_len: int) -> PairEvidence:
    """Three 4 s steps; step 2 is not where the in-order segmentation looked for it, and its
    order-free best match (clearly better than anything there) lies after step 3, ``best_len``
    clips long."""
    ev = [StepEvidence(0, (0, 8), Span(0, 8, 0.9), Span(0, 8, 0.9), None, 0.5, 0.3, 0.0, mapped_contrast=0.5,
                       mapped_owner=0.3),
          StepEvidence(1, (8, 16), Span(8, 8, 0.0), Span(28, 28 + best_len, 0.9), None, 0.6, 0.3, 0.0,
                       mapped_contrast=0.0, mapped_owner=-1.0, placed=False),
          StepEvidence(2, (16, 24), Span(8, 24, 0.9), Span(8, 24, 0.9), None, 0.5, 0.3, 0.0, mapped_contrast=0.5,
                       mapped_owner=0.3)]
    tl = Timeline(np.arange(32) * HOP + HOP / 2, HOP)
    return PairEvidence(steps=tuple(STEPS), critical=(False,) * 3, gold_tl=Timeline(np.arange(28) * HOP + HOP / 2, HOP),
                        tr_tl=tl, step_ev=tuple(ev), like=np.zeros((3, 32), np.float32), ref=0.5,
                        idle=np.zeros(32, bool), procedure={"recognised": True}, overall=1.0,
                        gold_clips=np.array([8.0, 8.0, 8.0]), profile=Profile())


def test_an_order_free_match_in_a_sliver_of_the_steps_time_is_no_reordering():
    whole = classify(_pair(8))[1]
    assert whole.found and not whole.in_place and whole.where == Span(28, 36, 0.9)
    sliver = classify(_pair(1))[1]  # one clip (0.5 s) of a step expected to take 4 s: a moment
    assert 1 < OUT_OF_PLACE_CLIPS and not sliver.found and sliver.where is None
    two = classify(_pair(2))[1]  # two clips: a sequence, even if short (a swap of detected steps)
    assert two.found and not two.in_place and two.where == Span(28, 30, 0.9)
