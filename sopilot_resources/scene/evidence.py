"""Scene evidence for a pair, as the scoring engine reads it (made by :func:`.compare.scene_evidence`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .end_state import EndState, end_state, hidden_at_end
from .levels import SearchLevel
from .outcome import Outcome
from .regions import GoldChange
from .search import change_anywhere
from .stations import StationDwell


@dataclass
class SceneEvidence:
    """outcome: what the two performances left behind (None: no stills, or not registered);
    changes: per gold step, what its result changes (None: nothing visible); notes: why
    evidence is missing. What only some pairs need is computed on first use: the gold steps'
    changes (a pair whose pictures agree and whose clips report nothing needs none) and the
    trainee's registered scenes for :meth:`made_anywhere`, each kept for the next call (the
    autopilot's dry rescoring asks the same pair's evidence again under every profile it tries).
    ``levels``: the resolutions :meth:`made_anywhere` searches at, finest first (the stills kept
    larger than the comparison's pictures: "detail", then the comparison's own)."""

    outcome: Outcome | None
    notes: list[str] = field(default_factory=list)
    _gold_changes: Callable[[], list[GoldChange | None]] | None = field(default=None, repr=False)
    levels: list[SearchLevel] = field(default_factory=list, repr=False)
    _changes: list[GoldChange | None] | None = field(default=None, repr=False)
    #: (level, step, span) -> what :meth:`made_anywhere` found
    _made: dict = field(default_factory=dict, repr=False)
    _stations: Callable[[float], StationDwell | None] | None = field(default=None, repr=False)
    _dwell: dict = field(default_factory=dict, repr=False)
    n_steps: int = 0  #: the gold's steps (0: unknown, no neighbours compared)
    _fixed: Callable[[], bool] | None = field(default=None, repr=False)
    _gold_picture_after: Callable[[int], np.ndarray] | None = field(default=None, repr=False)

    def gold_picture_after(self, s: int) -> np.ndarray | None:
        """(H, W, 3) the gold's settled scene right after step s, at the size of the end
        scenes' pictures (``outcome.pictures``), to show where the gold's end hides the step's
        place (an end state judged on the scene after the step, ``EndState.gold_scene``)."""
        return self._gold_picture_after(s) if self._gold_picture_after is not None else None

    @property
    def fixed_camera(self) -> bool:
        """Is the gold's camera fixed (one view of the work area; False: it moves between
        stations, or unknown)?"""
        return bool(self._fixed()) if self._fixed is not None else False

    @property
    def changes(self) -> list[GoldChange | None]:
        if self._changes is None:
            self._changes = self._gold_changes() if self._gold_changes is not None else []
        return self._changes

    @property
    def regions(self) -> list[np.ndarray | None]:
        return [None if c is None else c.region for c in self.changes]

    def made_anywhere(self, spans: dict[int, tuple[float, float]],
                      levels: list[str] | None = None) -> dict[int, list[tuple]]:
        """Per gold step s of ``spans`` (s -> the step's (start, end) gold seconds), at each
        level at which the step's result is visible (finest first; ``levels``: only those
        named): (agreement, magnitude, observed, when, level) of its change searched for over
        the trainee's video (:mod:`.search`; a change there more like the previous or next
        step's is theirs, no match); a level where no trainee scene registers gives nothing.
        The trainee's scenes are made once per level for all of them, only those the search
        of these steps reads."""
        out: dict[int, list[tuple]] = {s: [] for s in spans}
        for level in self.levels:
            if levels is not None and level.name not in levels:
                continue
            ask = {s: tuple(sp) for s, sp in spans.items()}
            todo = {s: sp for s, sp in ask.items() if (level.name, s, sp) not in self._made}
            # each step's change, and its neighbours' (a look-alike change of theirs is not its)
            near = set(todo) | {n for s in todo for n in (s - 1, s + 1) if 0 <= n < self.n_steps}
            changes = level.change(sorted(near)) if near else {}
            todo = {s: sp for s, sp in todo.items() if changes[s] is not None}
            if todo:
                scenes = level._all_scenes or level.search(list(todo.values()))
                if np.isnan(scenes.gold_times).all():  # a fixed camera: every sample made, any step reads them
                    level._all_scenes = scenes
                for s, sp in todo.items():
                    others = [changes[n] for n in (s - 1, s + 1) if changes.get(n) is not None]
                    found = change_anywhere(changes[s], sp, scenes, others)
                    self._made[(level.name, s, sp)] = None if found is None else (*found, level.name)
            for s, sp in ask.items():
                if self._made.get((level.name, s, sp)) is not None:
                    out[s].append(self._made[(level.name, s, sp)])
        return out

    def lasting_changes(self, steps: list[int], level: str) -> dict[int, GoldChange]:
        """The gold changes among ``steps``, at the level named ``level``, checked to last
        both ways (``GoldChange.lasts``: a fixed camera, a step with gold stills before and
        after it); only those steps' changes are made."""
        lv = next((x for x in self.levels if x.name == level), None)
        got = lv.change(steps) if lv is not None and steps else {}
        return {s: c for s, c in got.items() if c is not None and c.lasts}

    def end_states(self, steps: list[int], min_reliability: float = 0.0,
                   every_level: bool = False, coarse_first: bool = False) -> dict[int, list[EndState]]:
        """Per gold step of ``steps``, its region in the two end scenes (:mod:`.end_state`) at
        each level where its result lasts in the gold (``GoldChange.lasts``, its two estimates
        agreeing at least ``min_reliability``) and shows in both ends, finest first, up to the
        first level where it is not undone (the coarser ones are not made for it: a step is
        undone only where every level that sees it says so; ``every_level``: all). A step whose
        change at a finer level could not be checked to last (too few gold stills on a side of
        it: the first and last steps) is not asked at coarser ones, which have the same stills.
        ``coarse_first``: the coarsest level first, and a finer one only for the steps every
        coarser one saw undone (a step unseen at a level is asked no further): the finer
        levels' changes, the costly ones, are then made for those steps alone (detected gold
        steps, which must be seen undone at every level). Where the gold's end scene hides a
        step's region, the gold's scene right after the step stands in for it
        (:func:`.end_state.hidden_at_end`; ``EndState.gold_scene``)."""
        out: dict[int, list[EndState]] = {s: [] for s in steps}
        never: set[int] = set()
        levels = self.levels[::-1] if coarse_first else self.levels
        for k, level in enumerate(levels):
            ask = [s for s in steps if s not in never and (every_level or all(e.undone for e in out[s]))
                   and not (coarse_first and len(out[s]) < k)]
            got = {s: c for s, c in level.change(ask).items() if c is not None} if ask else {}
            never |= {s for s, c in got.items() if not c.lasts}
            changes = {s: c for s, c in got.items() if c.lasts and c.reliability >= min_reliability}
            ends = level.ends() if changes else None
            if ends is None:
                continue
            for s, c in changes.items():
                state = end_state(c, *ends, level.name)
                if state is None and hidden_at_end(c, ends[0]):  # the gold's performer rests over it
                    after = level.gold_after(s)
                    state = None if after is None else end_state(c, after, ends[1], level.name, "after")
                if state is not None:
                    out[s].append(state)
        if coarse_first:  # finest first, as without it
            out = {s: found[::-1] for s, found in out.items()}
        return out

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
