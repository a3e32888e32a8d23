"""A synthetic pair for the scene detectors' tests: clip embeddings of a correct performance
(tests/synthetic_embeddings.py) with the pictures of a take of the work area
(tests/scene_synth.py), the trainee's take as each test asks."""
from __future__ import annotations

from dataclasses import replace

from scene_synth import Take, stills
from synthetic_embeddings import gold_plan, protos, render

from sopilot_resources.scene import scene_evidence
from sopilot_resources.scoring.build_pair import build_evidence
from sopilot_resources.scoring.pair_evidence import PairEvidence
from sopilot_resources.scoring.profile import Profile

DURS = [3.0, 3.0, 3.0, 3.0, 3.0]
SPOTS = [(70, 60), (130, 50), (190, 65), (250, 95), (110, 115)]
P = protos(len(DURS), seed=3)
GOLD_PLAN, STEPS = gold_plan(DURS)
SPANS = [(s.start_sec, s.end_sec) for s in STEPS]


def pair(**trainee_take) -> PairEvidence:
    """PairEvidence whose clips show every step done and whose pictures are the gold's take
    (its parts at SPOTS) and the trainee's ``Take(SPANS, **trainee_take)`` from a moved camera
    with another gain (``scale`` applies to both: 2 renders stills as kept, 640 px)."""
    trainee = render(GOLD_PLAN, P, noise=0.35, offset=0.3, seed=2)
    gold = render(GOLD_PLAN, P, noise=0.3, seed=1)
    pe, _ = build_evidence(gold, trainee, STEPS, Profile(), scene=False)
    g = stills(Take(SPANS, spots=SPOTS, scale=trainee_take.get("scale", 1)))
    t = stills(Take(SPANS, **{"spots": SPOTS, "seed": 4, "shift": (3.0, -2.0), "gain": 0.9, **trainee_take}))
    return replace(pe, scene=scene_evidence(g, t, SPANS, keep_pictures=True))
