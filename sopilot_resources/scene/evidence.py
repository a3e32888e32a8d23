"""Scene evidence for a pair: the entry point the scoring engine calls."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..stills import Stills
from .outcome import LASTING_K, Outcome, outcome
from .pictures import StillCache, settled
from .regions import GoldChange, gold_changes
from .search import TraineeScenes, change_anywhere, gold_is_fixed, trainee_scenes
from .stations import StationDwell, station_dwell


@dataclass
class SceneEvidence:
    """outcome: what the two performances left behind (None: no stills, or not registered);
    changes: per gold step, what its result changes (None: nothing visible); notes: why
    evidence is missing. What only some pairs need is computed on first use: the gold steps'
    changes (a pair whose pictures agree and whose clips report nothing needs none) and the
    trainee's registered scenes for :meth:`made_anywhere`, each kept for the next call (the
    autopilot's dry rescoring asks the same pair's evidence again under every profile it tries)."""

    outcome: Outcome | None
    notes: list[str] = field(default_factory=list)
    _gold_changes: Callable[[], list[GoldChange | None]] | None = field(default=None, repr=False)
    _search: Callable[[list[tuple[float, float]] | None], TraineeScenes] | None = field(default=None, repr=False)
    _changes: list[GoldChange | None] | None = field(default=None, repr=False)
    #: (step, span) -> what :meth:`made_anywhere` found; a fixed camera's scenes (all made)
    _made: dict = field(default_factory=dict, repr=False)
    _all_scenes: TraineeScenes | None = field(default=None, repr=False)
    _stations: Callable[[float], StationDwell | None] | None = field(default=None, repr=False)
    _dwell: dict = field(default_factory=dict, repr=False)

    @property
    def changes(self) -> list[GoldChange | None]:
        if self._changes is None:
            self._changes = self._gold_changes() if self._gold_changes is not None else []
        return self._changes

    @property
    def regions(self) -> list[np.ndarray | None]:
        return [None if c is None else c.region for c in self.changes]

    def made_anywhere(self, spans: dict[int, tuple[float, float]]) -> dict[int, tuple | None]:
        """Per gold step s of ``spans`` (s -> the step's (start, end) gold seconds):
        (agreement, magnitude, observed, when) of its change searched for over the trainee's
        video (:mod:`.search`), or None when the step's result is not visible or no trainee
        scene registers. The trainee's scenes are made once for all of them, only those the
        search of these steps reads."""
        keys = {s: (s, tuple(sp)) for s, sp in spans.items()}
        todo = {s: sp for s, sp in spans.items()
                if s < len(self.changes) and self.changes[s] is not None and keys[s] not in self._made}
        if todo and self._search is not None:
            scenes = self._all_scenes or self._search(list(todo.values()))
            if np.isnan(scenes.gold_times).all():  # a fixed camera: every sample made, any step reads them
                self._all_scenes = scenes
            for s, sp in todo.items():
                self._made[keys[s]] = change_anywhere(self.changes[s], sp, scenes)
        return {s: self._made.get(keys[s]) for s in spans}

    def station_dwell(self, trainee_from: float) -> StationDwell | None:
        """How long each video's camera stayed at each step's station (:mod:`.stations`),
        the trainee's counted from ``trainee_from`` s (its first step); None for a fixed gold
        camera. Kept per start for the next call."""
        key = round(float(trainee_from), 2)
        if key not in self._dwell:
            self._dwell[key] = self._stations(key) if self._stations is not None else None
        return self._dwell[key]

    @property
    def usable(self) -> bool:
        return self.outcome is not None and self.outcome.registered

    def metrics(self) -> dict:
        if not self.usable:
            return {"scene_compared": False, "scene_note": "; ".join(self.notes) or None}
        return {"scene_compared": True, "scene_noise": round(self.outcome.noise, 2),
                "scene_differences": len(self.outcome.differences),
                "scene_steps_with_region": (None if self._changes is None
                                            else sum(c is not None for c in self._changes)),
                "scene_station_pace": next((round(d.pace, 2) for d in self._dwell.values()
                                            if d is not None and np.isfinite(d.pace)), None)}


def scene_evidence(gold: Stills | None, trainee: Stills | None, gold_spans: list[tuple[float, float]],
                   min_strength: float = LASTING_K, keep_pictures: bool = False,
                   to_gold: Callable[[float], float] | None = None) -> SceneEvidence:
    """Compare what the gold and the trainee left behind, and where each gold step works.

    gold_spans: (start, end) seconds per gold step; to_gold: trainee seconds -> the gold seconds
    the alignment pairs them with (needed to search a moving camera's scenes). No stills on either side (embeddings made
    before stills were kept): no evidence, and the engine scores from the clips alone."""
    if gold is None or trainee is None or len(gold) < 2 or len(trainee) < 2:
        return SceneEvidence(None, notes=["no stills kept for this pair (embedded before they were): "
                                          "re-embed both videos to compare pictures"])
    g = StillCache(gold)
    t = StillCache(trainee, size=g.size)
    out = outcome(g, t, min_strength=min_strength, keep_pictures=keep_pictures)
    notes = [] if out.registered else ["the trainee's end scene could not be registered onto the gold's "
                                       "(another station or camera view?): pictures not compared"]
    if not out.registered:
        return SceneEvidence(out, notes)
    end = float(gold.times[-1])

    def changes() -> list[GoldChange | None]:
        return gold_changes(g, gold_spans, end)

    @functools.cache
    def reference() -> tuple[bool, np.ndarray]:
        """(the gold's camera is fixed, its settled end scene): the same for every search."""
        return gold_is_fixed(g), settled(g.window(end - 2.0, end))

    def search(spans: list[tuple[float, float]] | None) -> TraineeScenes:
        fixed, gold_end = reference()
        return trainee_scenes(t, g, fixed, gold_end, to_gold or (lambda x: x), spans)

    def stations(trainee_from: float) -> StationDwell | None:
        return None if reference()[0] else station_dwell(g, t, gold_spans, trainee_from, to_gold or (lambda x: x))

    return SceneEvidence(out, notes, _gold_changes=changes, _search=search, _stations=stations)
