"""A step the clips found whose clear result the pictures find nowhere is done differently
(:mod:`sopilot_resources.scoring.detect_result_unmade`): synthetic stills (tests/scene_synth.py)
with clip embeddings that show every step done (tests/synthetic_embeddings.py)."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sopilot_resources.scoring import detect_result_unmade as unmade
from sopilot_resources.scoring.deviation import make, span
from sopilot_resources.scoring.detect_steps import classify
from sopilot_resources.scoring.profile import Profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_pairs import SPOTS, STEPS, pair  # noqa: E402


@pytest.mark.parametrize("wrong", [2, 3])
def test_a_found_step_whose_result_is_nowhere_is_done_differently(wrong):
    pe = pair(wrong=wrong)
    status = classify(pe)
    assert all(st.found for st in status)  # the clips see every step done
    out = unmade.unmade_results(pe, status, [])
    assert [(d.type, d.gold_step) for d in out] == [("wrong_step", wrong)]
    ev = out[0].evidence
    assert ev["source"] == "scene" and ev["agreement"] < unmade.AGREE and ev["steps_found"] >= unmade.VOUCH
    x0, y0, x1, y1 = ev["step_box"]
    assert x0 <= SPOTS[wrong][0] <= x1 and y0 <= SPOTS[wrong][1] <= y1
    assert "not in the trainee's pictures" in out[0].message


def test_a_correct_performance_has_every_result():
    pe = pair()
    assert unmade.unmade_results(pe, classify(pe), []) == []


def test_a_step_already_reported_and_the_last_step_are_not_asked():
    pe = pair(wrong=2)
    s2 = STEPS[2]
    given = [make("slow_step", s2, span(s2.start_sec, s2.end_sec), None, 0.5, "clips", pe.profile)]
    assert unmade.unmade_results(pe, classify(pe), given) == []
    last = len(STEPS) - 1
    assert unmade.unmade_results(pair(wrong=last), classify(pe), []) == []


def test_steps_detected_without_a_steps_file_are_not_asked():
    """A detected step's boundary can fall inside a step's work: its change is half a result."""
    pe = pair(wrong=2)
    assert unmade.unmade_results(replace(pe, steps_given=False), classify(pe), []) == []


def test_without_enough_other_steps_found_the_pictures_do_not_judge(monkeypatch):
    """The pair must show that its pictures find a result when it is there."""
    monkeypatch.setattr(unmade, "VOUCH", 3)
    pe = pair(wrong=2)
    assert unmade.unmade_results(pe, classify(pe), []) == []


def test_a_level_vouches_only_when_every_other_clear_step_is_found():
    """Seed 3's wide-view valve, correct: `tighten screw` 0.74, `pick body` (done) 0.28 in detail."""
    res = {1: (0.28, None), 2: (0.95, None), 3: (0.73, None), 4: (0.98, None)}
    assert not unmade._vouched(res, 3)  # step 1 done but not found: these pictures do not vouch
    assert unmade._vouched({**res, 1: (0.9, None)}, 3)
    assert not unmade._vouched({**res, 1: (0.9, None)}, 2)  # found
    assert not unmade._vouched({3: (0.2, None), 4: (0.98, None)}, 3)  # one other step only
    assert not unmade._vouched({2: (0.95, None), 4: (0.98, None)}, 3)  # not clear at this level


def test_the_engine_runs_it_unless_the_profile_says_no(monkeypatch):
    from sopilot_resources.scoring import engine

    calls = []
    monkeypatch.setattr(engine, "unmade_results", lambda pe, status, devs: calls.append(1) or [])
    pe = pair(wrong=2)
    engine.detect(pe)
    assert calls == [1]
    engine.detect(replace(pe, profile=Profile(unmade_check=False)))
    assert calls == [1]
