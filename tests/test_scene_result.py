"""A step's result, as the pictures see it: its region keeps only what lasts (not the arm
resting in a window), and a step the clips found whose result the trainee's pictures do not
show is reported done differently (synthetic stills, tests/scene_synth.py; synthetic clip
embeddings, tests/synthetic_embeddings.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from sopilot_resources.scene.figures import deviation_pictures
from sopilot_resources.scene.pictures import StillCache
from sopilot_resources.scene.regions import gold_changes, off_border
from sopilot_resources.scoring.detect_result import result_deviations
from sopilot_resources.scoring.detect_steps import classify
from sopilot_resources.scoring.profile import Profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_pairs import SPANS, SPOTS, STEPS, pair  # noqa: E402
from scene_synth import Take, stills  # noqa: E402


def _part_box(spot, r=8, pad=3):
    x, y = spot
    return slice(y - r - pad, y + r + pad + 1), slice(x - r - pad, x + r + pad + 1)


def test_a_resting_arm_is_not_a_step_result():
    """The arm rests on a step's spot into the next step, so it is in the step's windows; the
    step's region without the check holds it, with the check only the part and the previous
    step's part, which the resting arm hid until then (the arm is elsewhere in the gold's
    other stills, and at its start and end). The first step has too few stills before it to
    check."""
    take = Take(SPANS, spots=SPOTS, rest=2.0)
    g = StillCache(stills(take))
    end = float(g.stills.times[-1])
    plain, kept = gold_changes(g, SPANS, end), gold_changes(g, SPANS, end, fixed=True)
    for s in (1, 2):  # the arm also covers step 3's part through its "after" window: too little left
        own, inside = np.zeros_like(kept[s].region), np.zeros_like(kept[s].region)
        own[_part_box(SPOTS[s])] = True
        inside[_part_box(SPOTS[s - 1])] = True
        inside |= own
        assert plain[s].region[~inside].sum() > 5000  # the arm, caught resting
        assert kept[s].region[~inside].sum() < 0.15 * plain[s].region[~inside].sum()  # its edges, at most
        assert kept[s].region[own].sum() > 100
        assert kept[s].lasts and not plain[s].lasts
    assert not kept[0].lasts


def test_what_reaches_in_from_the_border_is_the_performer_not_a_result():
    """A gold performer who rests in the same pose after every step passes the lasting check
    (seed 11's valve): the arm, a band from the picture's bottom edge, is cut from the step's
    region with everything connected to it; a part apart from it stays, as does a part near
    (not touching) the border margin."""
    region = np.zeros((180, 320), bool)
    region[100:180, 150:160] = True  # the forearm, from the bottom edge
    region[95:100, 150:200] = True  # ... and the hand, still on it
    region[40:52, 60:72] = True  # the step's part
    region[12:20, 300:308] = True  # a part 9 px from the top, 12 px from the right border
    out = off_border(region)
    assert out[40:52, 60:72].all() and out[12:20, 300:308].all()
    assert not out[95:180, 150:200].any()
    assert out.sum() == 12 * 12 + 8 * 8


def _pair(wrong: int | None):
    """A correct performance (clip embeddings) whose pictures show step ``wrong``'s part as a
    look-alike of another colour (None: the gold's parts)."""
    return pair(wrong=wrong)


@pytest.mark.parametrize("wrong", [2, 3])
def test_a_step_whose_result_is_not_in_the_pictures_is_done_differently(wrong):
    pe = _pair(wrong)
    status = classify(pe)
    assert all(st.found for st in status)  # the clips see every step done
    out = result_deviations(pe, status, [])
    assert [(d.type, d.gold_step) for d in out] == [("wrong_step", wrong)]
    ev = out[0].evidence
    assert ev["source"] == "scene" and ev["agreement"] < 0.5 <= ev["pair_agreement"] and ev["end_difference"] > 0
    assert "not in the trainee's pictures" in out[0].message
    x0, y0, x1, y1 = ev["step_box"]  # where the step works, for its picture in the report
    assert x0 <= SPOTS[wrong][0] <= x1 and y0 <= SPOTS[wrong][1] <= y1
    pics = deviation_pictures(pe.scene.outcome, [out[0].to_dict()])
    assert pics[0][0][1][:4] == b"\x89PNG"


def test_a_correct_performance_has_every_result_and_no_deviation():
    pe = _pair(None)
    assert result_deviations(pe, classify(pe), []) == []


def test_a_step_the_clips_already_report_is_not_reported_twice():
    from sopilot_resources.scoring.deviation import make, span

    pe = _pair(2)
    s2 = STEPS[2]
    given = [make("wrong_step", s2, span(s2.start_sec, s2.end_sec), None, 0.5, "clips", pe.profile)]
    assert result_deviations(pe, classify(pe), given) == []


def test_the_engine_checks_results_only_when_the_profile_asks(monkeypatch):
    """The result check costs several times a pair's time, so it is the profile's choice."""
    from dataclasses import replace

    from sopilot_resources.scoring import engine

    calls = []
    monkeypatch.setattr(engine, "result_deviations", lambda pe, status, devs: calls.append(pe.profile) or [])
    pe = _pair(2)
    assert Profile().result_check is False
    engine.detect(pe)
    assert calls == []
    engine.detect(replace(pe, profile=Profile(result_check=True)))
    assert len(calls) == 1
