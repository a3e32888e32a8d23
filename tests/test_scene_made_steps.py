"""Which steps the pictures find made, and when (:func:`sopilot_resources.scoring.detect_scene_done.made_steps`):
the comparison's own pictures first, the stills as kept only where they are needed; and a
clips' repeat that such a step explains (:func:`~sopilot_resources.scoring.detect_scene_done.repeat_for_done`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest

from sopilot_resources.scoring.detect_scene_done import made_steps, repeat_for_done
from sopilot_resources.scoring.deviation import Deviation
from sopilot_resources.scoring.evidence import Span


@dataclass
class Level:
    name: str


@dataclass
class Scene:
    """What each level finds per step: (agreement, magnitude, observed, when, level)."""

    found: dict[str, dict[int, tuple]]
    levels: list = field(default_factory=lambda: [Level("detail"), Level("pictures")])
    asked: list = field(default_factory=list)

    def made_anywhere(self, spans, levels=None):
        self.asked.append((sorted(spans), levels))
        names = [lv.name for lv in self.levels if levels is None or lv.name in levels]
        return {s: [self.found[n][s] for n in names if s in self.found[n]] for s in spans}


SPANS = {0: (1.0, 3.0), 1: (3.0, 5.0), 2: (5.0, 7.0)}


def test_the_stills_as_kept_are_searched_only_for_steps_the_pictures_leave_undecided():
    scene = Scene({"pictures": {0: (0.9, 1.0, 1.0, 4.0, "pictures"), 1: (0.3, 1.0, 1.0, 6.0, "pictures")},
                   "detail": {0: (0.9, 1.0, 1.0, 3.5, "detail"), 1: (0.8, 1.0, 1.0, 5.5, "detail"),
                              2: (0.1, 1.0, 1.0, 7.0, "detail")}})
    done = made_steps(scene, SPANS)
    assert done == {0: 4.0, 1: 5.5}  # step 0 from the pictures, step 1 only the detail finds
    assert scene.asked == [([0, 1, 2], ["pictures"]), ([1, 2], ["detail"])]


def test_known_steps_are_asked_again_only_at_finer_levels_for_an_earlier_moment():
    scene = Scene({"pictures": {0: (0.9, 1.0, 1.0, 4.0, "pictures")},
                   "detail": {0: (0.9, 1.0, 1.0, 3.5, "detail")}})
    done = made_steps(scene, {0: SPANS[0]})
    assert done == {0: 4.0}
    assert made_steps(scene, {0: SPANS[0]}, known=done) == {0: 3.5}
    assert scene.asked[-1] == ([0], ["detail"])
    later = Scene({"pictures": {}, "detail": {0: (0.9, 1.0, 1.0, 9.0, "detail")}})
    assert made_steps(later, {0: SPANS[0]}, known={0: 4.0, 2: 7.0}) == {0: 4.0, 2: 7.0}  # never later


def test_coarse_only_asks_the_comparisons_own_pictures_and_nothing_finer():
    scene = Scene({"pictures": {0: (0.9, 1.0, 1.0, 4.0, "pictures"), 1: (0.3, 1.0, 1.0, 6.0, "pictures")},
                   "detail": {1: (0.8, 1.0, 1.0, 5.5, "detail")}})
    assert made_steps(scene, SPANS, coarse_only=True) == {0: 4.0}  # step 1 is found only in detail
    assert scene.asked == [([0, 1, 2], ["pictures"])]


def test_a_change_too_faint_too_large_or_half_seen_is_not_made():
    scene = Scene({"pictures": {0: (0.9, 0.4, 1.0, 4.0, "pictures"), 1: (0.9, 2.5, 1.0, 4.0, "pictures"),
                                2: (0.9, 1.0, 0.4, 4.0, "pictures")}, "detail": {}})
    assert made_steps(scene, SPANS) == {}


def test_one_level_is_searched_once():
    scene = Scene({"pictures": {1: (0.8, 1.0, 1.0, 4.0, "pictures")}}, levels=[Level("pictures")])
    assert made_steps(scene, SPANS) == {1: 4.0}
    assert scene.asked == [([0, 1, 2], None)]


def _repeat_case(made_at):
    """Step 2 located twice by the clips: at trainee 7-10 s (the best match) and again at
    13-15 s (reported); step 1 missed by the clips and found made by the pictures at
    ``made_at`` s, its expected time 3.5 s."""
    ev = [None, None, SimpleNamespace(best=Span(14, 20, 0.9), second=Span(26, 30, 0.8))]
    pe = SimpleNamespace(step_ev=ev, tr_tl=SimpleNamespace(t0=lambda i: i * 0.5, t1=lambda i: i * 0.5))
    d = Deviation(type="repeated_step", gold_step=2, gold_step_name="insert pin", gold_time=None,
                  trainee_time={"start_sec": 13.0, "end_sec": 15.0}, severity="quality", confidence=0.9,
                  penalty=18.0, message="repeated")
    done = {} if made_at is None else {1: made_at}
    return d, pe, done, np.array([3.0, 3.5, 4.0])


@pytest.mark.parametrize("made_at, expect", [(10.0, True), (9.0, True), (15.0, False), (6.0, False), (None, False)])
def test_a_repeat_whose_other_occurrence_is_a_step_made_there_is_no_repeat(made_at, expect):
    """The clips see step 2 at 7-10 s and again at 13-15 s; the pictures find step 1 made by
    ``made_at``: by 9-10 s its 3.5 s cover the first occurrence (it was step 1's work, which
    looks like step 2 in the clips), by 15 s they lie on the reported one, by 6 s they cover
    under half of it."""
    d, pe, done, expected = _repeat_case(made_at)
    assert repeat_for_done(d, pe, done, expected) is expect


def test_a_softer_trainees_small_changes_count_at_the_pairs_own_scale():
    """Defocus and motion blur shrink every change the trainee's pictures show: a good match
    under DONE_MAG's floor counts when the pair's other steps show theirs about as small."""
    soft = {0: (0.9, 0.55, 1.0, 4.0, "detail"), 1: (0.8, 0.42, 1.0, 5.5, "detail"),
            2: (0.9, 0.6, 1.0, 7.0, "detail"), 3: (0.9, 0.45, 1.0, 9.0, "detail")}
    every = {**SPANS, 3: (7.0, 9.0)}
    scene = Scene({"pictures": {}, "detail": soft})
    assert made_steps(scene, {1: SPANS[1]}) == {}  # without the pair's steps: DONE_MAG's floor
    assert made_steps(scene, {1: SPANS[1]}, every=every) == {1: 5.5}
    sharp = Scene({"pictures": {}, "detail": {**soft, 0: (0.9, 1.0, 1.0, 4.0, "detail"),
                                              2: (0.9, 0.95, 1.0, 7.0, "detail"), 3: (0.9, 1.1, 1.0, 9.0, "detail")}})
    assert made_steps(sharp, {1: SPANS[1]}, every=every) == {}  # a sharp pair's small change is too small
    faint = Scene({"pictures": {}, "detail": {**soft, 1: (0.8, 0.2, 1.0, 5.5, "detail")}})
    assert made_steps(faint, {1: SPANS[1]}, every=every) == {}  # never under SCALE_FLOOR x the floor


def test_the_pairs_own_scale_is_asked_only_with_a_steps_file(monkeypatch):
    """A detected step can hold two true steps: its change made smaller is one of them left out."""
    import sys
    from dataclasses import replace
    from pathlib import Path

    from sopilot_resources.scoring import detect_scene
    from sopilot_resources.scoring.deviation import make, span
    from sopilot_resources.scoring.detect_steps import classify

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scene_pairs import STEPS, pair

    asked = []
    monkeypatch.setattr(detect_scene, "made_steps", lambda scene, spans, **kw: asked.append(kw.get("every")) or {})
    pe = pair()
    s2 = STEPS[2]
    devs = [make("missing_step", s2, span(s2.start_sec, s2.end_sec), None, 0.5, "clips", pe.profile)]
    detect_scene.scene_deviations(pe, classify(pe), devs)
    assert asked[0] == {s: (st.start_sec, st.end_sec) for s, st in enumerate(STEPS[:-1])}
    detect_scene.scene_deviations(replace(pe, steps_given=False), classify(pe), devs)
    assert asked[-1] is None


def test_the_report_lists_a_step_found_at_the_pairs_own_scale():
    """The pair report's "found in the pictures" (``scene_found_done``) asks the same question as
    the scoring: a step the search lifted at the pair's scale is listed there, not "not found"
    (seed 59's correct mixed bracket trainee, `apply label`)."""
    from sopilot_resources.scoring.result import found_by_pictures

    steps = [SimpleNamespace(name=f"s{k}", start_sec=2.0 * k + 1, end_sec=2.0 * k + 3) for k in range(5)]
    soft = {0: (0.9, 0.55, 1.0, 4.0, "detail"), 1: (0.8, 0.42, 1.0, 5.5, "detail"),
            2: (0.9, 0.6, 1.0, 7.0, "detail"), 3: (0.9, 0.45, 1.0, 9.0, "detail")}
    status = [SimpleNamespace(found=k != 1, step=st) for k, st in enumerate(steps)]
    pe = SimpleNamespace(scene=Scene({"pictures": {}, "detail": soft}), steps=steps, steps_given=True)
    assert found_by_pictures(pe, status, []) == [{"index": 1, "name": "s1", "made_by_sec": 5.5}]
    pe.steps_given = False  # detected steps: DONE_MAG's floor
    assert found_by_pictures(pe, status, []) == []
