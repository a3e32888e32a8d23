"""Scene evidence for a pair: the entry point the scoring engine calls."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..stills import Stills
from .end_state import EndState, end_scenes, end_state, gold_end_scene
from .levels import SearchLevel
from .outcome import LASTING_K, Outcome, outcome
from .pictures import COARSE_SIDE, StillCache, settled
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
                   every_level: bool = False) -> dict[int, list[EndState]]:
        """Per gold step of ``steps``, its region in the two end scenes (:mod:`.end_state`) at
        each level where its result lasts in the gold (:meth:`lasting_changes`, its two
        estimates agreeing at least ``min_reliability``) and shows in both ends, finest first,
        up to the first level where it is not undone (the coarser ones are not made for it:
        a step is undone only where every level that sees it says so; ``every_level``: all)."""
        out: dict[int, list[EndState]] = {s: [] for s in steps}
        for level in self.levels:
            ask = [s for s in steps if every_level or all(e.undone for e in out[s])]
            changes = {s: c for s, c in self.lasting_changes(ask, level.name).items()
                       if c.reliability >= min_reliability}
            ends = level.ends() if changes else None
            if ends is None:
                continue
            for s, c in changes.items():
                state = end_state(c, *ends, level.name)
                if state is not None:
                    out[s].append(state)
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
    g = StillCache(gold, side=COARSE_SIDE)
    t = StillCache(trainee, size=g.size)
    out = outcome(g, t, min_strength=min_strength, keep_pictures=keep_pictures)
    notes = [] if out.registered else ["the trainee's end scene could not be registered onto the gold's "
                                       "(another station or camera view?): pictures not compared"]
    if not out.registered:
        return SceneEvidence(out, notes)
    end = float(gold.times[-1])
    align = to_gold or (lambda x: x)
    spans_key = tuple((float(a), float(b)) for a, b in gold_spans)

    @functools.cache
    def changes() -> list[GoldChange | None]:
        return kept(gold, ("changes", g.size, spans_key), lambda: gold_changes(g, gold_spans, end, fixed=reference()[0]))

    @functools.cache
    def reference() -> tuple[bool, np.ndarray]:
        """(the gold's camera is fixed, its settled end scene): the same for every search."""
        return kept(gold, ("reference", g.size), lambda: (gold_is_fixed(g), settled(g.window(end - 2.0, end))))

    @functools.cache
    def fixed_scenes() -> TraineeScenes:
        return trainee_scenes(t, g, True, reference()[1], align)

    def level(name: str, gc: StillCache, tc: StillCache) -> SearchLevel:
        @functools.cache
        def gold_end() -> np.ndarray:
            return reference()[1] if gc is g else kept(gold, ("end", gc.size), lambda: settled(gc.window(end - 2.0, end)))

        def search(spans: list[tuple[float, float]] | None) -> TraineeScenes:
            if not reference()[0]:
                return trainee_scenes(tc, gc, False, gold_end(), align, spans)
            # a fixed camera: every sample, registered once on the comparison's pictures
            return fixed_scenes() if gc is g else trainee_scenes(tc, gc, True, gold_end(), align, given=fixed_scenes())

        @functools.cache
        def ends() -> tuple[np.ndarray, np.ndarray] | None:
            if gc is g:
                return out.ends
            return end_scenes(gc, tc, out.warp, g.size, kept(gold, ("end scene", gc.size), lambda: gold_end_scene(gc)))

        # every pair of this gold shares its steps' changes at this level (the gold's memo)
        shared = kept(gold, ("level changes", name, gc.size, spans_key), dict)
        if gc is g:  # the comparison's own pictures: every step's change, made once
            return SearchLevel(name, lambda only: changes(), search, ends, _changes=shared)
        # detail for a fixed gold camera only (a moving one's stations, searched at 640 px
        # with detail's lower threshold, let steps never done count as done: seed 3's pump
        # line); every step at once, so a step's region does not depend on which steps a pair
        # asked first (:func:`.pictures.flat_at` reads the gold's timeline around them all)
        detail = functools.cache(lambda: kept(gold, ("changes", gc.size, spans_key), lambda: gold_changes(
            gc, gold_spans, end, None if reference()[0] else [], fixed=True)))
        return SearchLevel(name, lambda only: detail(), search, ends, _changes=shared)

    levels = [level("pictures", g, t)]
    gf = StillCache(gold)
    tf = StillCache(trainee, size=gf.size)
    if min(max(gf.native), max(tf.native)) >= 2 * COARSE_SIDE:  # both kept larger than the pictures
        levels.insert(0, level("detail", gf, tf))

    def stations(trainee_from: float) -> StationDwell | None:
        return None if reference()[0] else station_dwell(g, t, gold_spans, trainee_from, align)

    return SceneEvidence(out, notes, _gold_changes=changes, levels=levels, _stations=stations,
                         n_steps=len(gold_spans))


def kept(gold: Stills, key: tuple, make: Callable):
    """``make()``, kept in the gold's memo (:attr:`..stills.Stills.memo`) under ``key`` (what
    it depends on besides the gold's stills) for the next pair of that gold; its arrays are
    made read-only (shared by every pair)."""
    if key not in gold.memo:
        gold.memo[key] = _read_only(make())
    return gold.memo[key]


def _read_only(x):
    if isinstance(x, np.ndarray):
        x.setflags(write=False)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _read_only(v)
    elif isinstance(x, GoldChange):
        for v in (x.region, x.before, x.after, x.change):
            _read_only(v)
    return x
