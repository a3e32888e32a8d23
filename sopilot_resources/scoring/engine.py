"""The scoring engine: gold and trainee clip embeddings in, score, verdict and deviations out."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..align import align_embeddings
from ..align.types import Alignment
from ..embeddings import ClipEmbeddings
from ..errors import StepsFileError
from ..stills import STILLS_FPS
from . import detect_steps as ds
from . import detect_timing as dt
from .adapt import relocate
from .detect_order import apply_swap, order
from .detect_repeats import repeats
from .deviation import Deviation
from .evidence import block_layout, collect_evidence, gold_max_similarity, prepare, step_likelihood
from .motion import clip_motion, close_gaps, mid_step
from .profile import Profile, load_profile
from .segment import procedure_evidence, segment_spans
from .steps import Step, core_clip_ranges, detect_steps, find_sidecar, load_steps, step_clip_ranges
from .timeline import Timeline, idle_mask


@dataclass
class ScoreResult:
    score: float
    verdict: str
    deviations: list[Deviation]
    steps_gold: list[Step]
    steps_trainee: list[dict]
    metrics: dict
    embedder: dict
    alignment: Alignment
    profile: Profile
    timings: dict = field(default_factory=dict)
    #: the scene comparison behind the picture-based deviations (None: not run)
    scene: object | None = field(default=None, repr=False)

    @property
    def penalty_total(self) -> float:
        return float(sum(d.penalty for d in self.deviations))

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "verdict": self.verdict,
            "deviations": [d.to_dict() for d in self.deviations],
            "steps": {
                "gold": [{k: v for k, v in s.to_dict().items()} for s in self.steps_gold],
                "trainee": self.steps_trainee,
            },
            "metrics": self.metrics,
            "embedder": self.embedder,
            "profile_fingerprint": self.profile.fingerprint(),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


#: a still stretch interrupted by at most this much motion is one pause
IDLE_GAP_SEC = 1.0


def _critical(steps: list[Step], profile: Profile) -> list[bool]:
    marks = {str(c) for c in profile.critical_steps}
    return [s.critical or s.name in marks or str(s.index) in marks for s in steps]


def _trainee_span(d: Deviation, tl: Timeline):
    from .evidence import Span

    c = tl.centres
    j0 = int(np.searchsorted(c, d.trainee_time["start_sec"]))
    j1 = int(np.searchsorted(c, d.trainee_time["end_sec"]))
    return Span(j0, max(j0 + 1, j1), 0.0)


def _to_gold(path: np.ndarray, gold_tl: Timeline, tr_tl: Timeline):
    """trainee seconds -> the gold seconds the DTW path pairs them with."""
    tj, gi = tr_tl.centres[path[:, 1]], gold_tl.centres[path[:, 0]]

    def to_gold(t: float) -> float:
        return float(np.interp(t, tj, gi))

    return to_gold


def _check_steps(steps: list[Step], gold: ClipEmbeddings) -> None:
    end = float(gold.ends[-1])
    for s in steps:
        if s.start_sec >= end:
            raise StepsFileError(f"step {s.index + 1} '{s.name}' starts at {s.start_sec:.1f} s, after the gold "
                                 f"video ends ({end:.1f} s); fix the steps file")


def score_embeddings(gold: ClipEmbeddings, trainee: ClipEmbeddings, steps: list[Step] | None = None,
                     profile: Profile | None = None, device: str = "auto", scene: bool = True) -> ScoreResult:
    """Score a trainee against a gold. steps: gold steps (None: detected from the gold).
    scene: also compare what the steps left behind in the pictures (both videos' stills,
    :mod:`..scene`); without stills on both sides the clips decide alone."""
    profile = profile or Profile()
    gold.check_compatible(trainee)
    t = {"start": time.perf_counter()}
    gold_tl, tr_tl = Timeline.from_clips(gold.starts, gold.ends), Timeline.from_clips(trainee.starts, trainee.ends)
    blocks = block_layout(gold.embedder)
    g, tr = prepare(gold.vectors, gold_tl.hop, blocks=blocks), prepare(trainee.vectors, tr_tl.hop, blocks=blocks)
    steps = steps if steps else detect_steps(gold.vectors, gold.starts, gold.ends)
    _check_steps(steps, gold)
    ranges = step_clip_ranges(steps, gold.starts, gold.ends)
    alignment = align_embeddings(g, tr, device=device)
    t["align"] = time.perf_counter()
    core = core_clip_ranges(steps, gold.starts, gold.ends)
    like = step_likelihood(g, tr, core)
    overall = float(np.clip(tr_tl.seconds(len(trainee)) / max(gold_tl.seconds(len(gold)), 1e-6), 0.5, 2.0))
    gold_clips = np.array([s.duration for s in steps]) / tr_tl.hop
    mapped, placed = segment_spans(like, gold_clips, overall)
    # keep the feature dimensions that tell the steps apart the same way in both videos
    # (:mod:`.adapt`), then locate the steps again with them
    g, tr, like, mapped, placed = relocate(g, tr, core, like, mapped, placed, gold_clips, overall)
    ev, like = collect_evidence(g, tr, core, mapped, like, placed)
    gold_best = gold_max_similarity(g, tr)
    gap = max(1, int(round(IDLE_GAP_SEC / tr_tl.hop)))
    idle, gold_idle = (close_gaps(idle_mask(clip_motion(e)), gap) for e in (trainee, gold))
    proc = procedure_evidence(like, gold_clips, overall)
    status, ref = ds.classify(ev, steps, _critical(steps, profile), profile, gold_clips * overall,
                               proc["recognised"], gold_clips * min(overall, 1.0))
    if proc["recognised"]:
        apply_swap(status, ev, like, ref, gold_clips, overall)
    paces = [s.where.length * tr_tl.hop / max(s.step.duration, gold_tl.hop) for s in status if s.found]
    pace = float(np.median(paces)) if paces else 1.0
    devs = ds.missing_or_wrong(status, ev, gold_tl, tr_tl, idle, pace, profile, proc["recognised"], like)
    devs += order(status, tr_tl, profile)
    rep = repeats(status, ev, like, ref, tr_tl, profile, gold_clips * overall)
    devs += [d for d, _ in rep]
    p = alignment.path
    extra = dt.extras(ds.coverage(status, ev, like, ref), [sp for _, sp in rep], gold_best, idle, ref, p, status,
                      tr_tl, profile, overall)
    pauses = idle & ~mid_step(idle, status, tr_tl)  # a pause inside a step makes it slow
    devs += extra + dt.idles(pauses, gold_idle, p, status, gold_tl, tr_tl, profile)
    elsewhere = [sp for _, sp in rep] + [_trainee_span(d, tr_tl) for d in extra]
    devs += dt.pace_devs(status, elsewhere, ranges, idle, gold_idle, gold_tl, tr_tl, profile, pauses)
    t["clips"] = time.perf_counter()
    evidence = None
    if scene:
        from ..scene import scene_evidence
        from .detect_scene import scene_deviations

        evidence = scene_evidence(gold.stills, trainee.stills, [(s.start_sec, s.end_sec) for s in steps],
                                  keep_pictures=True, to_gold=_to_gold(alignment.path, gold_tl, tr_tl))
        devs = scene_deviations(evidence, devs, status, steps, tr_tl, float(trainee.ends[-1]), profile,
                                gold.stills.times if gold.stills is not None else np.zeros(0),
                                trainee.stills.times if trainee.stills is not None else np.zeros(0))
    devs = [d for d in devs if d.confidence >= profile.min_confidence]
    devs.sort(key=lambda d: ((d.trainee_time or d.gold_time or {"start_sec": 0})["start_sec"], d.type))
    t["detect"] = time.perf_counter()
    penalty = sum(d.penalty for d in devs)
    score = round(max(0.0, 100.0 - penalty), 2)
    verdict = profile.verdict(score, any(d.severity == "critical" for d in devs))
    trainee_steps = [
        {"index": s.step.index, "name": s.step.name, "start_sec": round(tr_tl.t0(s.where.start), 2),
         "end_sec": round(tr_tl.t1(s.where.end), 2), "found": s.found}
        for s in status if s.where is not None
    ]
    trainee_steps.sort(key=lambda d: d["start_sec"])
    metrics = {
        "path_similarity": round(float(1.0 - alignment.normalized_cost), 4),
        "typical_step_contrast": round(ref, 4),
        "procedure_coverage": proc["coverage"], "procedure_order_gain": proc["order_gain"],
        "procedure_recognised": proc["recognised"],
        "steps_found": sum(s.found for s in status),
        "steps_total": len(steps),
        "pace": round(pace, 3),
        "step_match_ratio": [round(s.ratio, 3) for s in status],
        "penalty_total": round(penalty, 2),
        "gold_clips": len(gold), "trainee_clips": len(trainee),
        "alignment_backend": alignment.backend,
        **(evidence.metrics() if evidence is not None else {}),
    }
    timings = {"align_sec": t["align"] - t["start"], "detect_sec": t["detect"] - t["align"],
               "scene_sec": t["detect"] - t["clips"]}
    return ScoreResult(score, verdict, devs, steps, trainee_steps, metrics, gold.embedder, alignment, profile, timings,
                       scene=evidence)


def score_videos(gold_path: str | Path, trainee_path: str | Path, steps_path: str | Path | None = None,
                 profile_path: str | Path | None = None, embedder: str = "color-motion", device: str = "auto",
                 model_dir: str | None = None, scene: bool = True) -> ScoreResult:
    """Decode both videos (concurrently), embed, and score. Steps: steps_path, else the gold's
    sidecar. scene=False: clips only (no stills kept, no pictures compared)."""
    from ..embedders.registry import get_embedder
    from ..ingest import ingest_pair

    profile = load_profile(profile_path)
    side = Path(steps_path) if steps_path else find_sidecar(gold_path)
    steps = load_steps(side) if side else None
    t0 = time.perf_counter()
    emb = get_embedder(embedder, device=device, model_dir=model_dir)
    gold, trainee = ingest_pair(gold_path, trainee_path, emb, stills_fps=STILLS_FPS if scene else 0.0)
    t1 = time.perf_counter()
    result = score_embeddings(gold, trainee, steps, profile, device=device, scene=scene)
    result.timings = {"ingest_sec": t1 - t0, **result.timings, "total_sec": time.perf_counter() - t0}
    result.metrics["steps_source"] = str(side) if side else "detected"
    return result
