"""Scene evidence for a pair: the entry point the scoring engine calls."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..stills import Stills
from .outcome import LASTING_K, Outcome, outcome
from .pictures import StillCache
from .regions import gold_regions


@dataclass
class SceneEvidence:
    """outcome: what the two performances left behind (None: no stills, or not registered);
    regions: per gold step, the region its result changes (None: nothing visible);
    seconds: time spent; notes: why evidence is missing."""

    outcome: Outcome | None
    regions: list[np.ndarray | None] = field(default_factory=list, repr=False)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.outcome is not None and self.outcome.registered

    def metrics(self) -> dict:
        if not self.usable:
            return {"scene_compared": False, "scene_note": "; ".join(self.notes) or None}
        return {"scene_compared": True, "scene_noise": round(self.outcome.noise, 2),
                "scene_differences": len(self.outcome.differences),
                "scene_steps_with_region": sum(r is not None for r in self.regions),
                "scene_sec": round(self.seconds, 3)}


def scene_evidence(gold: Stills | None, trainee: Stills | None, gold_spans: list[tuple[float, float]],
                   min_strength: float = LASTING_K, keep_pictures: bool = False) -> SceneEvidence:
    """Compare what the gold and the trainee left behind, and where each gold step works.

    gold_spans: (start, end) seconds per gold step. No stills on either side (embeddings made
    before stills were kept): no evidence, and the engine scores from the clips alone."""
    t0 = time.perf_counter()
    if gold is None or trainee is None or len(gold) < 2 or len(trainee) < 2:
        return SceneEvidence(None, notes=["no stills kept for this pair (embedded before they were): "
                                          "re-embed both videos to compare pictures"])
    g = StillCache(gold)
    t = StillCache(trainee, size=g.size)
    out = outcome(g, t, min_strength=min_strength, keep_pictures=keep_pictures)
    notes = [] if out.registered else ["the trainee's end scene could not be registered onto the gold's "
                                       "(another station or camera view?): pictures not compared"]
    regions = gold_regions(g, gold_spans, float(gold.times[-1])) if out.registered else []
    return SceneEvidence(out, regions, time.perf_counter() - t0, notes)
