"""A step the clips report missing whose result the both-ways search finds nowhere: the pictures
back the clips' deviation up (seed 49's bracket, `connect sensor` left out, passed with a
missing step at confidence 0.36)."""
from types import SimpleNamespace

import numpy as np
import pytest

from sopilot_resources.scene.outcome import LastingDifference
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.detect_result import CONF_BASE
from sopilot_resources.scoring.detect_scene import scene_deviations
from sopilot_resources.scoring.detect_steps import classify
from sopilot_resources.scoring.deviation import make, span
from sopilot_resources.scoring.profile import Profile
from synthetic_embeddings import gold_plan, protos, render

DURS = [3.0, 4.0, 2.5, 5.0, 3.0]
P = protos(len(DURS), seed=3)
GOLD_PLAN, STEPS = gold_plan(DURS)
GOLD = render(GOLD_PLAN, P, noise=0.3, seed=1)


def _pair(best: float | None, differ: bool, clear: bool = True):
    """A correct trainee's evidence with a fixed camera's pictures: step 3's change is clear in
    the gold (unless not ``clear``), its best match in the trainee agrees ``best`` (None: not
    searched at any level), and the two end scenes differ over its region when ``differ``."""
    plan = [(-1, 2.0)] + [x for k, d in enumerate(DURS) for x in ((k, d), (-1, 1.0))]
    pe, _ = build_evidence(GOLD, render(plan, P, noise=0.35, offset=0.3, seed=2), STEPS, Profile(), scene=False)
    region = np.zeros((18, 32), bool)
    region[4:8, 4:8] = True
    mask = region if differ else np.roll(region, 12, axis=1)
    diffs = [LastingDifference((4, 4, 8, 8), 16, 5.0, 0.6, 0.2, gold_time=(7.0, 8.0), mask=mask)]
    found = [] if best is None else [(best, 0.1, 1.0, 20.0, "pictures")]
    scene = SimpleNamespace(
        usable=True, fixed_camera=True, outcome=SimpleNamespace(differences=diffs), regions=[None] * len(STEPS),
        levels=[SimpleNamespace(name="pictures")],
        made_anywhere=lambda spans, levels=None: {s: (found if s == 2 else []) for s in spans},
        lasting_changes=lambda steps, level: {s: SimpleNamespace(reliability=0.95 if clear else 0.8, region=region)
                                              for s in steps if s == 2})
    return pe.__class__(**{**vars(pe), "scene": scene})


def _missing(pe, confidence=0.36, evidence=None):
    s2 = STEPS[2]
    return make("missing_step", s2, span(s2.start_sec, s2.end_sec), None, confidence, "step 3 missing", pe.profile,
                evidence=evidence)


@pytest.mark.parametrize("best, differ, clear, backed", [
    (0.2, True, True, True),  # nowhere, and the end scenes differ there: backed up
    (0.6, True, True, False),  # found, if not made (the both-ways search's own threshold is higher)
    (0.2, False, True, False),  # the end scenes alike over its region: no second sign
    (0.2, True, False, False),  # the gold's change not clear
    (None, True, True, False),  # not searched at any level
])
def test_a_missing_step_whose_result_is_nowhere_is_backed_by_the_pictures(best, differ, clear, backed):
    pe = _pair(best, differ, clear)
    status = classify(pe)
    dev = _missing(pe)
    out = scene_deviations(pe, status, [dev])
    assert [(d.type, d.gold_step) for d in out] == [("missing_step", 2)]
    got = out[0]
    if not backed:
        assert got is dev
        return
    assert got.confidence >= CONF_BASE > dev.confidence
    assert got.penalty == pytest.approx(dev.penalty / dev.confidence * got.confidence, abs=0.02)
    assert got.evidence["finding"] == "the step's result is nowhere in the trainee's pictures"
    assert got.evidence["agreement"] == 0.2 and got.evidence["end_difference"] == 5.0
    assert got.message.startswith("step 3 missing") and "nowhere in the trainee's pictures" in got.message
    assert got.evidence["step_box"] is None  # the end scenes' size unknown: no box to outline


def test_the_evidence_outlines_the_steps_place_for_the_report():
    pe = _pair(0.2, True)
    pe.scene.outcome.shape = (18, 32)
    got = scene_deviations(pe, classify(pe), [_missing(pe)])[0]
    assert got.evidence["step_box"] == [4, 4, 8, 8]  # [x0, y0, x1, y1] of the region


def test_a_deviation_already_surer_or_with_evidence_keeps_its_weight():
    pe = _pair(0.2, True)
    status = classify(pe)
    sure = _missing(pe, confidence=0.95)
    out = scene_deviations(pe, status, [sure])[0]
    assert out.confidence == 0.95 and out.penalty == sure.penalty and out.evidence is not None
    other = _missing(pe, evidence={"source": "scene", "finding": "something else"})
    assert scene_deviations(pe, status, [other])[0] is other
