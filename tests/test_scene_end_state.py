"""A step the clips found whose result is not there when the trainee's video ends is done
differently (scene/end_state.py, scoring/detect_end_state.py): synthetic stills
(tests/scene_synth.py) and synthetic clip embeddings (tests/synthetic_embeddings.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from sopilot_resources.scene.end_state import UNDONE_AGREE, UNDONE_SIZE, end_state
from sopilot_resources.scene.figures import deviation_pictures
from sopilot_resources.scene.regions import GoldChange
from sopilot_resources.scoring import engine
from sopilot_resources.scoring.detect_end_state import end_state_deviations
from sopilot_resources.scoring.detect_steps import classify
from sopilot_resources.scoring.deviation import make, span
from sopilot_resources.scoring.profile import Profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_pairs import SPANS, SPOTS, STEPS, pair  # noqa: E402
from scene_synth import Take, stills  # noqa: E402

from sopilot_resources.scene import scene_evidence  # noqa: E402


def _square(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, GoldChange]:
    """(before, after, change): (H, W, 3) flattened scenes of a step that puts a bright square
    on a dark spot, and its lasting change."""
    before = rng.normal(0, 3, (40, 60, 3)).astype(np.float32)
    after = before.copy()
    after[10:20, 20:30] += np.float32([60, 20, -30])
    region = np.zeros((40, 60), bool)
    region[10:20, 20:30] = True
    return before, after, GoldChange(0, region, after - before, lasts=True)


def test_an_end_that_looks_like_before_the_step_is_undone_one_like_after_is_not():
    rng = np.random.default_rng(0)
    before, after, ch = _square(rng)
    gold_end = after + rng.normal(0, 3, after.shape).astype(np.float32)
    done = end_state(ch, gold_end, after + rng.normal(0, 3, after.shape).astype(np.float32), "pictures")
    undone = end_state(ch, gold_end, before + rng.normal(0, 3, before.shape).astype(np.float32), "pictures")
    assert not done.undone and done.size < 0.3
    assert undone.undone and undone.agreement > 0.9 and 0.8 < undone.size < 1.2
    # the result there, one pixel off (registration): a difference at its edges only
    off = np.roll(after, 1, axis=1) + rng.normal(0, 3, after.shape).astype(np.float32)
    moved = end_state(ch, gold_end, off, "pictures")
    assert moved.size < UNDONE_SIZE and not moved.undone
    hidden = before.copy()
    hidden[5:25, 15:35] = np.nan  # the performer's arm over the spot in the trainee's end scene
    assert end_state(ch, gold_end, hidden, "pictures") is None


def _pair(spots: list, scale: int = 1):
    """Every step's clips done; the trainee's pictures from ``Take(spots=spots)`` (a step whose
    spot is None leaves nothing)."""
    return pair(spots=spots, scale=scale)


@pytest.mark.parametrize("scale", [1, 2])
def test_a_found_step_whose_result_is_not_there_at_the_end_is_done_differently(scale):
    """Step 2 leaves nothing, though the clips see it done; at 640 px stills both levels of
    pictures (detail and the comparison's) must agree."""
    pe = _pair([*SPOTS[:2], None, *SPOTS[3:]], scale)
    status = classify(pe)
    assert all(st.found for st in status)
    out = end_state_deviations(pe, status, [])
    assert [(d.type, d.gold_step) for d in out] == [("wrong_step", 2)]
    ev = out[0].evidence
    assert ev["source"] == "scene" and "end scene" in ev["finding"]
    assert [x["level"] for x in ev["levels"]] == (["detail", "pictures"] if scale == 2 else ["pictures"])
    assert all(x["agreement"] >= UNDONE_AGREE and x["size"] >= UNDONE_SIZE for x in ev["levels"])
    x0, y0, x1, y1 = ev["step_box"]
    assert x0 <= SPOTS[2][0] <= x1 and y0 <= SPOTS[2][1] <= y1
    assert "as it was before the step" in out[0].message
    pics = deviation_pictures(pe.scene.outcome, [out[0].to_dict()])  # gold | trainee, the step's region outlined
    assert pics[0][0][1][:4] == b"\x89PNG" and "agreement " in pics[0][0][0] and "None" not in pics[0][0][0]


class _OneLevel:
    """A pair's scene evidence whose end states come from its finest level only (the region
    shows there and at no coarser level: a tiny one, as a detected step's may be)."""

    def __init__(self, scene):
        self._scene = scene

    def __getattr__(self, name):
        return getattr(self._scene, name)

    def end_states(self, steps, *args, **kwargs):
        return {s: found[:1] for s, found in self._scene.end_states(steps, *args, **kwargs).items()}


def test_detected_gold_steps_are_checked_where_every_level_sees_the_step_undone():
    """Without a steps file the gold's steps are detected, and their bounds are estimates: a
    detected step's region is trusted only where every level of pictures sees it and says
    undone (seed 1's valve: a 2 px region, seen at 640 px only, failed correct videos)."""
    from dataclasses import replace

    pe = _pair([*SPOTS[:2], None, *SPOTS[3:]], scale=2)
    detected = replace(pe, steps_given=False)
    assert len(pe.scene.levels) == 2
    out = end_state_deviations(detected, classify(pe), [])
    assert [(d.type, d.gold_step) for d in out] == [("wrong_step", 2)]
    assert [x["level"] for x in out[0].evidence["levels"]] == ["detail", "pictures"]
    one = replace(detected, scene=_OneLevel(pe.scene))
    assert end_state_deviations(one, classify(pe), []) == []
    # with a steps file one level is enough (a small part's region may show at 640 px only)
    assert [(d.type, d.gold_step) for d in end_state_deviations(replace(pe, scene=_OneLevel(pe.scene)),
                                                                classify(pe), [])] == [("wrong_step", 2)]


def test_a_correct_performance_ends_with_every_result_and_no_deviation():
    pe = _pair(list(SPOTS))
    assert end_state_deviations(pe, classify(pe), []) == []
    states = pe.scene.end_states(list(range(len(STEPS))))
    assert sum(len(v) for v in states.values()) >= 3  # the results were looked at, and found
    assert not any(e.undone for v in states.values() for e in v)


def test_a_step_the_clips_already_report_is_not_reported_again():
    pe = _pair([*SPOTS[:2], None, *SPOTS[3:]])
    s2 = STEPS[2]
    given = [make("missing_step", s2, span(s2.start_sec, s2.end_sec), None, 0.5, "clips", pe.profile)]
    assert end_state_deviations(pe, classify(pe), given) == []


def test_the_engine_checks_end_states_by_default_and_a_profile_can_turn_it_off():
    """On by default, it takes a step left undone out of ``pass``; ``end_state_check: false``
    scores from the clips and the other scene evidence alone."""
    from dataclasses import replace

    pe = _pair([*SPOTS[:2], None, *SPOTS[3:]])
    assert Profile().end_state_check is True
    res = engine.detect(pe)
    assert ("wrong_step", 2) in {(d.type, d.gold_step) for d in res.deviations}
    assert res.verdict != "pass"
    # without it the unmade-result rule still finds the step's result nowhere (another way to it)
    alone = engine.detect(replace(pe, profile=Profile(end_state_check=False)))
    assert ("wrong_step", 2) in {(d.type, d.gold_step) for d in alone.deviations}
    off = engine.detect(replace(pe, profile=Profile(end_state_check=False, unmade_check=False)))
    assert ("wrong_step", 2) not in {(d.type, d.gold_step) for d in off.deviations}


def test_a_gold_scored_against_many_trainees_makes_its_step_regions_once(monkeypatch):
    """The gold's step changes (at both levels) and settled scenes are kept with its stills
    (``Stills.memo``): a second trainee's evidence makes none of them again, and reads the
    same as with a gold of its own; what is kept is read-only (every pair shares it)."""
    import sopilot_resources.scene.compare as evidence
    from sopilot_resources.stills import Stills

    g = stills(Take(SPANS, spots=SPOTS, scale=2))
    look = {"shift": (3.0, -2.0), "gain": 0.9, "scale": 2}
    t1 = stills(Take(SPANS, spots=[*SPOTS[:2], None, *SPOTS[3:]], seed=4, **look))
    t2 = stills(Take(SPANS, spots=SPOTS, seed=5, **look))
    real, sizes = evidence.gold_changes, []
    monkeypatch.setattr(evidence, "gold_changes", lambda c, *a, **k: sizes.append(c.size) or real(c, *a, **k))
    steps = list(range(len(SPANS)))
    first = scene_evidence(g, t1, SPANS).end_states(steps)
    assert sorted(sizes) == [(320, 180), (640, 360)]  # step 2 undone at detail: the comparison's too
    assert any(e.undone for e in first[2])
    second = scene_evidence(g, t2, SPANS).end_states(steps)
    assert len(sizes) == 2  # made once, for the first trainee
    assert second == scene_evidence(Stills(g.times, g.jpeg, g.offsets), t2, SPANS).end_states(steps)
    assert not any(e.undone for found in second.values() for e in found)
    change = next(c for c in scene_evidence(g, t2, SPANS).lasting_changes(steps, "detail").values())
    with pytest.raises(ValueError):
        change.region[0, 0] = True


def test_coarse_first_makes_the_fine_regions_only_for_steps_the_coarse_level_sees_undone(monkeypatch):
    """Detected gold steps ask the end states coarse level first (``coarse_first``): a
    correct trainee's pair makes the gold's step changes at 320 px only; a trainee with step 2
    left undone makes the 640 px ones too, and reads step 2 as finest-first does."""
    import sopilot_resources.scene.compare as evidence

    g = stills(Take(SPANS, spots=SPOTS, scale=2))
    look = {"shift": (3.0, -2.0), "gain": 0.9, "scale": 2}
    correct = stills(Take(SPANS, spots=SPOTS, seed=5, **look))
    undone = stills(Take(SPANS, spots=[*SPOTS[:2], None, *SPOTS[3:]], seed=4, **look))
    real, sizes = evidence.gold_changes, []
    monkeypatch.setattr(evidence, "gold_changes", lambda c, *a, **k: sizes.append(c.size) or real(c, *a, **k))
    steps = list(range(len(SPANS)))
    got = scene_evidence(g, correct, SPANS).end_states(steps, coarse_first=True)
    assert sizes == [(320, 180)] and not any(e.undone for found in got.values() for e in found)
    g2 = stills(Take(SPANS, spots=SPOTS, scale=2))  # a gold of its own: nothing kept from the first pair
    sizes.clear()
    got = scene_evidence(g2, undone, SPANS).end_states(steps, coarse_first=True)
    assert sorted(sizes) == [(320, 180), (640, 360)]
    assert [e.level for e in got[2]] == ["detail", "pictures"] and all(e.undone for e in got[2])
    assert got[2] == scene_evidence(g2, undone, SPANS).end_states(steps)[2]


def test_where_the_gold_end_hides_a_region_the_scene_right_after_the_step_stands_in():
    """The gold's performer resting over a step's place as the video ends (the terminals'
    `tighten T4`) left that step unjudged: the gold's scene right after the step, whose change
    lasts, is its end there (``EndState.gold_scene``); a trainee who shows the result is done,
    one who shows the place as before the step is not; a gold end that shows the place is
    still the one compared, and no stand-in means nothing is judged, as before."""
    from sopilot_resources.scene.end_state import hidden_at_end
    from sopilot_resources.scene.evidence import SceneEvidence
    from sopilot_resources.scene.levels import SearchLevel

    rng = np.random.default_rng(1)
    before, after, ch = _square(rng)
    rested = after + rng.normal(0, 3, after.shape).astype(np.float32)
    rested[5:25, 15:40] = np.nan  # the gold's hand over the place in its last seconds
    assert hidden_at_end(ch, rested) and not hidden_at_end(ch, after)

    def states(gold_end, trainee_end, stand_in=True):
        level = SearchLevel("pictures", lambda steps: [ch], lambda spans: None, lambda: (gold_end, trainee_end),
                            (lambda s: after) if stand_in else (lambda s: None))
        return SceneEvidence(None, levels=[level]).end_states([0])[0]

    noisy = lambda x: x + rng.normal(0, 3, x.shape).astype(np.float32)  # noqa: E731
    undone = states(rested, noisy(before))
    assert [(e.gold_scene, e.undone) for e in undone] == [("after", True)]
    assert undone[0].to_dict()["gold_scene"] == "after"
    assert [(e.gold_scene, e.undone) for e in states(rested, noisy(after))] == [("after", False)]
    assert [(e.gold_scene, e.undone) for e in states(noisy(after), noisy(before))] == [("end", True)]
    assert states(rested, noisy(before), stand_in=False) == []


def test_the_picture_of_an_end_state_judged_after_the_step_shows_the_gold_after_it():
    """A supervisor sees the result: where the gold's end hid the place (its hand resting
    there), the deviation's picture puts the gold's scene right after the step on the left,
    and says so; otherwise the gold's end, as before."""
    import cv2

    from sopilot_resources.scene.outcome import Outcome

    end = np.full((90, 160, 3), 120.0, np.float32)
    end[30:50, 60:90] = (200, 150, 120)  # the gold performer's hand over the place
    after = np.full((90, 160, 3), 120.0, np.float32)
    after[35:45, 70:80] = (20, 220, 20)  # the step's result
    out = Outcome([], True, 1.0, {"gold_end": end, "trainee_end": np.full_like(end, 120.0)}, (90, 160))
    dev = {"type": "wrong_step", "gold_step": 3, "evidence": {
        "source": "scene", "finding": "not there", "agreement": 0.9, "step_box": [68, 33, 82, 47],
        "levels": [{"level": "pictures", "agreement": 0.9, "size": 1.0, "seen": 1.0, "gold_scene": "after"}]}}
    asked = []
    got = deviation_pictures(out, [dev], lambda s: asked.append(s) or after)[0][0]
    assert asked == [3] and "right after the step" in got[0]
    left = cv2.imdecode(np.frombuffer(got[1], np.uint8), cv2.IMREAD_COLOR)[:, :100]
    assert (left[..., 1] > 180).any() and not (left[..., 1] > 140).all()  # the green result shows
    plain = deviation_pictures(out, [{**dev, "evidence": {**dev["evidence"], "levels": [
        {**dev["evidence"]["levels"][0], "gold_scene": "end"}]}}], lambda s: after)[0][0]
    assert "at the end" in plain[0] and plain[1] != got[1]
    assert deviation_pictures(out, [dev])[0][0][1] == plain[1]  # no stand-in given: the gold's end
