"""Which steps the pictures find made, and when (:func:`sopilot_resources.scoring.detect_scene_done.made_steps`):
the comparison's own pictures first, the stills as kept only where they are needed."""
from __future__ import annotations

from dataclasses import dataclass, field

from sopilot_resources.scoring.detect_scene_done import made_steps


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


def test_a_change_too_faint_too_large_or_half_seen_is_not_made():
    scene = Scene({"pictures": {0: (0.9, 0.4, 1.0, 4.0, "pictures"), 1: (0.9, 2.5, 1.0, 4.0, "pictures"),
                                2: (0.9, 1.0, 0.4, 4.0, "pictures")}, "detail": {}})
    assert made_steps(scene, SPANS) == {}


def test_one_level_is_searched_once():
    scene = Scene({"pictures": {1: (0.8, 1.0, 1.0, 4.0, "pictures")}}, levels=[Level("pictures")])
    assert made_steps(scene, SPANS) == {1: 4.0}
    assert scene.asked == [([0, 1, 2], None)]
