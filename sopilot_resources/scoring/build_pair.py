"""Build a pair's :class:`.pair_evidence.PairEvidence` once, before any detector runs
(docs/scoring.md, pipeline steps 2-9): prepared vectors, gold steps, the DTW alignment, the
step likelihood, the in-order segmentation (reweighted per pair), the per-step evidence, the
procedure test, still clips and, optionally, the scene comparison."""
from __future__ import annotations

import time

import numpy as np

from ..align import align_embeddings
from ..embeddings import ClipEmbeddings
from ..errors import StepsFileError
from .adapt import relocate
from .evidence import block_layout, collect_evidence, gold_max_similarity, prepare, step_likelihood
from .motion import clip_motion, close_gaps
from .pair_evidence import PairEvidence, critical_flags, read_only, typical_contrast
from .profile import Profile
from .segment import procedure_evidence, segment_spans
from .steps import Step, core_clip_ranges, detect_steps
from .timeline import Timeline, idle_mask

#: a still stretch interrupted by at most this much motion is one pause
IDLE_GAP_SEC = 1.0


def _check_steps(steps: list[Step], gold: ClipEmbeddings) -> None:
    end = float(gold.ends[-1])
    for s in steps:
        if s.start_sec >= end:
            raise StepsFileError(f"step {s.index + 1} '{s.name}' starts at {s.start_sec:.1f} s, after the gold "
                                 f"video ends ({end:.1f} s); fix the steps file")


def _to_gold(path: np.ndarray, gold_tl: Timeline, tr_tl: Timeline):
    """trainee seconds -> the gold seconds the DTW path pairs them with."""
    tj, gi = tr_tl.centres[path[:, 1]], gold_tl.centres[path[:, 0]]

    def to_gold(t: float) -> float:
        return float(np.interp(t, tj, gi))

    return to_gold


def _times(emb: ClipEmbeddings) -> np.ndarray:
    return emb.stills.times if emb.stills is not None else np.zeros(0)


def build_evidence(gold: ClipEmbeddings, trainee: ClipEmbeddings, steps: list[Step] | None, profile: Profile,
                   device: str = "auto", scene: bool = True) -> tuple[PairEvidence, dict]:
    """The pair's evidence, and when it was built: ``{"start", "align"}`` (``time.perf_counter``
    marks) and ``"scene_sec"`` (the scene comparison's seconds). steps: gold steps (None:
    detected from the gold); scene: also compare the stills (:mod:`..scene`)."""
    clock = {"start": time.perf_counter()}
    gold_tl, tr_tl = Timeline.from_clips(gold.starts, gold.ends), Timeline.from_clips(trainee.starts, trainee.ends)
    blocks = block_layout(gold.embedder)
    g, tr = prepare(gold.vectors, gold_tl.hop, blocks=blocks), prepare(trainee.vectors, tr_tl.hop, blocks=blocks)
    given = bool(steps)
    steps = steps if steps else detect_steps(gold.vectors, gold.starts, gold.ends)
    _check_steps(steps, gold)
    alignment = align_embeddings(g, tr, device=device)
    clock["align"] = time.perf_counter()
    core = core_clip_ranges(steps, gold.starts, gold.ends)
    like = step_likelihood(g, tr, core)
    overall = float(np.clip(tr_tl.seconds(len(trainee)) / max(gold_tl.seconds(len(gold)), 1e-6), 0.5, 2.0))
    gold_clips = np.array([s.duration for s in steps]) / tr_tl.hop
    mapped, placed = segment_spans(like, gold_clips, overall)
    # keep the feature dimensions that tell the steps apart the same way in both videos
    # (:mod:`.adapt`), then locate the steps again with them
    g, tr, like, mapped, placed = relocate(g, tr, core, like, mapped, placed, gold_clips, overall)
    step_ev, like = collect_evidence(g, tr, core, mapped, like, placed)
    gold_best = gold_max_similarity(g, tr)
    gap = max(1, int(round(IDLE_GAP_SEC / tr_tl.hop)))
    idle, gold_idle = (close_gaps(idle_mask(clip_motion(e)), gap) for e in (trainee, gold))
    proc = procedure_evidence(like, gold_clips, overall)
    t_scene = time.perf_counter()
    evidence = None
    if scene:
        from ..scene import scene_evidence

        evidence = scene_evidence(gold.stills, trainee.stills, [(s.start_sec, s.end_sec) for s in steps],
                                  keep_pictures=True, to_gold=_to_gold(alignment.path, gold_tl, tr_tl))
    clock["scene_sec"] = time.perf_counter() - t_scene
    read_only(like, gold_best, idle, gold_idle, gold_clips)
    pe = PairEvidence(
        steps=tuple(steps), critical=critical_flags(steps, profile), gold_tl=gold_tl, tr_tl=tr_tl,
        step_ev=tuple(step_ev), like=like, ref=typical_contrast(step_ev), idle=idle, procedure=proc,
        overall=overall, gold_clips=gold_clips, profile=profile, gold_idle=gold_idle, gold_best=gold_best,
        alignment=alignment, embedder=gold.embedder, scene=evidence, trainee_end=float(trainee.ends[-1]),
        gold_still_times=_times(gold), trainee_still_times=_times(trainee), steps_given=given)
    return pe, clock
