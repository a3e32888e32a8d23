"""Compare what the gold and the trainee left behind: :func:`scene_evidence`, the entry point
the scoring engine calls, and what of it only the gold decides, kept with the gold's stills."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..stills import Stills
from .end_state import end_scenes, gold_end_scene
from .evidence import SceneEvidence
from .levels import SearchLevel
from .outcome import LASTING_K, outcome
from .pictures import COARSE_SIDE, StillCache, flatten_light
from .regions import GoldChange, gold_changes, windows
from .search import TraineeScenes, gold_is_fixed, trainee_scenes
from .settle import settled
from .stations import StationDwell, gold_stations, station_dwell


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

    def changes() -> list[GoldChange | None]:
        return kept(gold, ("changes", g.size, spans_key), lambda: gold_changes(g, gold_spans, end, fixed=reference()[0]))

    def reference() -> tuple[bool, np.ndarray]:
        """(the gold's camera is fixed, its settled end scene): the same for every search."""
        return kept(gold, ("reference", g.size), lambda: (gold_is_fixed(g), settled(g.window(end - 2.0, end))))

    @functools.cache
    def fixed_scenes() -> TraineeScenes:
        return trainee_scenes(t, g, True, reference()[1], align)

    def after_scene(gc: StillCache, s: int) -> np.ndarray:
        """The gold's settled scene at ``gc``'s size in the window step s's change was taken
        after (shown as it is; the end-state check reads it lighting removed)."""
        (a0, a1) = windows(gold_spans, s, end)[1]
        return kept(gold, ("after", gc.size, spans_key, s), lambda: settled(gc.window(a0, a1)))

    def level(name: str, gc: StillCache, tc: StillCache) -> SearchLevel:
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

        def gold_after(s: int) -> np.ndarray:
            return flatten_light(after_scene(gc, s))

        if gc is g:  # the comparison's own pictures: every step's change, made once per gold
            return SearchLevel(name, lambda only: changes(), search, ends, gold_after)
        # detail for a fixed gold camera only (a moving one's stations, searched at 640 px
        # with detail's lower threshold, let steps never done count as done: seed 3's pump
        # line); every step at once, so a step's region does not depend on which steps a pair
        # asked first (:func:`.pictures.flat_at` reads the gold's timeline around them all)
        return SearchLevel(name, lambda only: kept(gold, ("changes", gc.size, spans_key), lambda: gold_changes(
            gc, gold_spans, end, None if reference()[0] else [], fixed=True)), search, ends, gold_after)

    levels = [level("pictures", g, t)]
    gf = StillCache(gold)
    tf = StillCache(trainee, size=gf.size)
    if min(max(gf.native), max(tf.native)) >= 2 * COARSE_SIDE:  # both kept larger than the pictures
        levels.insert(0, level("detail", gf, tf))

    def stations(trainee_from: float) -> StationDwell | None:
        if reference()[0]:
            return None
        gold_side = kept(gold, ("stations", g.size, spans_key), lambda: gold_stations(g, gold_spans))
        return station_dwell(gold_side, t, gold_spans, trainee_from, align)

    return SceneEvidence(out, notes, _gold_changes=changes, levels=levels, _stations=stations,
                         n_steps=len(gold_spans), _fixed=lambda: reference()[0],
                         _gold_picture_after=lambda s: after_scene(g, s))


def kept(gold: Stills, key: tuple, make: Callable):
    """``make()``, kept in the gold's memo (:attr:`..stills.Stills.memo`) under ``key`` (what
    it depends on besides the gold's stills) for the next pair of that gold; its arrays are
    made read-only (shared by every pair). With a store (:attr:`..stills.Stills.store`: the
    gold's cache entry, :mod:`.gold_store`), what it keeps is read from it, or made and put there."""
    if key not in gold.memo:
        value = gold.store.get(key) if gold.store is not None else None
        if value is None:
            value = make()
            if gold.store is not None:
                gold.store.put(key, value)
        gold.memo[key] = _read_only(value)
    return gold.memo[key]


def _read_only(x):
    if isinstance(x, np.ndarray):
        x.setflags(write=False)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _read_only(v)
    elif isinstance(x, GoldChange):
        for v in (x.region, x.change, x.before):
            _read_only(v)
    return x
