"""Is a gold step's result still there when the trainee's video ends?

A step done wrongly (the wrong part, a screw pressed instead of turned, a ring dropped beside
its seat, a wire one terminal off) leaves the place where the gold's result sits looking as
it did *before* the step. The two end scenes (:mod:`.outcome`: settled, registered, colours
matched, lighting removed) are compared over the gold step's region: the trainee's end
minus the gold's end, against the gold's change undone (before minus after). When the two
correlate (``agreement``) and the difference is about as large as the change (``size``),
the trainee's work area shows the scene before the step, where the gold's shows its result.

Where the gold's end scene hides the region (its performer resting over it as the video
ends), the gold's scene right after the step stands in for its end (:func:`hidden_at_end`):
the region's change lasts, so that scene shows the result the end would.

Unlike the outcome's lasting differences, judged pixel by pixel in units of the whole
picture's noise, this looks only where the gold step works and compares with what that step
does, so a small part's result counts at its own scale (a lamp, a screw head, a jumper).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .outcome import EDGE_SEC
from .pictures import StillCache, flatten_light, match_colours
from .regions import MIN_REGION, GoldChange, correlation
from .register import Registration
from .settle import settled
from .track import scaled

#: the trainee's end looks like the gold's scene before the step: the end scenes' difference
#: over the region correlates this well with the step's change undone ...
UNDONE_AGREE = 0.7
#: ... and is at least this share of that change's size (a correct trainee's end differs by
#: noise and a pixel of registration: at most 0.56 of it where it correlates 0.7 or more, on
#: seeds 0, 1, 7, 9 and 17; benchmarks/probe_end_state.py)
UNDONE_SIZE = 0.75
#: the region counts as seen at the end when this share of its pixels shows in both end scenes
SEEN_MIN = 0.5


@dataclass(frozen=True)
class EndState:
    """A gold step's region in the two end scenes at one ``level`` of pictures: ``agreement``
    of their difference with the step's change undone (1: the trainee's end looks like the
    gold before the step), its ``size`` (share of the change's), ``seen`` share of the region."""

    level: str
    agreement: float
    size: float
    seen: float
    #: the gold scene compared: its ``end``, or the scene right ``after`` the step where the
    #: gold's end hides the region (:meth:`.evidence.SceneEvidence.end_states`)
    gold_scene: str = "end"

    @property
    def undone(self) -> bool:
        """The trainee's end shows the scene before the step here, not the step's result."""
        return self.agreement >= UNDONE_AGREE and self.size >= UNDONE_SIZE

    def to_dict(self) -> dict:
        return {"level": self.level, "agreement": round(self.agreement, 2), "size": round(self.size, 2),
                "seen": round(self.seen, 2), "gold_scene": self.gold_scene}


def end_state(change: GoldChange, gold_end: np.ndarray, trainee_end: np.ndarray, level: str,
              gold_scene: str = "end") -> EndState | None:
    """The step's region (``change``) in the flattened end scenes ``gold_end`` and
    ``trainee_end`` (H, W, 3, the trainee's in the gold's frame, at the change's size); None
    when too little of it shows in both (the performer over it, or outside the trainee's view).
    ``gold_scene``: which gold scene ``gold_end`` is (``after``: the one right after the step)."""
    ys, xs = np.nonzero(change.region)
    diff = trainee_end[ys, xs] - gold_end[ys, xs]
    undo = -change.change[ys, xs]
    ok = np.isfinite(diff).all(-1) & np.isfinite(undo).all(-1)
    if ok.sum() < max(MIN_REGION, SEEN_MIN * len(ys)):
        return None
    d, u = diff[ok], undo[ok]
    size = float(np.linalg.norm(d) / (np.linalg.norm(u) + 1e-6))
    return EndState(level, correlation(d.ravel(), u.ravel()), size, float(ok.mean()), gold_scene)


def hidden_at_end(change: GoldChange, gold_end: np.ndarray) -> bool:
    """Does the gold's end scene ``gold_end`` (H, W, 3) hide the step's region (less than
    SEEN_MIN of it shows: the gold's performer resting over it as the video ends)? Then the
    gold's scene right after the step stands in for it: the region's change was checked to
    last, so that scene shows the result as the end would (a terminal under the resting hand:
    `tighten T4` on seeds 19, 23, 25 and 29, whose wrong executions passed)."""
    ys, xs = np.nonzero(change.region)
    return bool(len(ys)) and float(np.isfinite(gold_end[ys, xs]).all(-1).mean()) < SEEN_MIN


def gold_end_scene(gold: StillCache) -> np.ndarray:
    """(H, W, 3) the gold's settled end scene at ``gold``'s size, as :func:`end_scenes` takes it."""
    g_end = float(gold.stills.times[-1])
    return settled(gold.window(g_end - EDGE_SEC, g_end))


def end_scenes(gold: StillCache, trainee: StillCache, warp: Registration, warp_size: tuple[int, int],
               gold_end: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(gold end, trainee end) flattened at ``gold``'s size, the trainee's end registered with
    ``warp`` (found on pictures of ``warp_size`` (W, H), scaled) and its colours matched, as
    :func:`.outcome.outcome` makes them at its own size; None when the warp did not register.
    ``gold_end``: :func:`gold_end_scene`, when already made (it is the same for every trainee)."""
    if warp is None or not warp.ok:
        return None
    t_end = float(trainee.stills.times[-1])
    gf = gold_end_scene(gold) if gold_end is None else gold_end
    tf = settled(trainee.window(t_end - EDGE_SEC, t_end))
    reg = scaled(warp, warp_size, gold.size)
    return flatten_light(gf), flatten_light(match_colours(reg.apply(tf, gold.size), gf))
