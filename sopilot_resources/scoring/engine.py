"""The scoring engine: gold and trainee clip embeddings in, score, verdict and deviations out.

:func:`score_embeddings` is the chain (docs/scoring.md): the pair's evidence is built once
(:mod:`.build_pair`), then each detector takes it, with the step statuses so far, and returns
its result (new statuses or deviations); nothing is changed in place.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from ..embeddings import ClipEmbeddings
from .build_pair import build_evidence
from .detect_order import order, swap
from .detect_repeats import repeats
from .detect_end_state import end_state_deviations
from .detect_result import result_deviations
from .detect_result_unmade import unmade_results
from .detect_room import left_out
from .detect_result_pace import lifted_by_pictures, slow_between_results
from .detect_scene import scene_deviations
from .detect_route import route_deviations
from .detect_stations import station_devs
from .detect_steps import classify, missing_or_wrong, trainee_pace
from .detect_timing import extras, idles, pace_devs
from .pair_evidence import PairEvidence, critical_flags
from .profile import Profile
from .result import ScoreResult, reported, score_result
from .steps import Step

__all__ = ["ScoreResult", "detect", "rejudge", "score_embeddings", "score_videos"]


def score_embeddings(gold: ClipEmbeddings, trainee: ClipEmbeddings, steps: list[Step] | None = None,
                     profile: Profile | None = None, device: str = "auto", scene: bool = True) -> ScoreResult:
    """Score a trainee against a gold. steps: gold steps (None: detected from the gold).
    scene: also compare what the steps left behind in the pictures (both videos' stills,
    :mod:`..scene`); without stills on both sides the clips decide alone."""
    profile = profile or Profile()
    gold.check_compatible(trainee)
    pe, clock = build_evidence(gold, trainee, steps, profile, device=device, scene=scene)
    return detect(pe, clock)


def detect(pe: PairEvidence, clock: dict | None = None) -> ScoreResult:
    """The detectors' chain on a pair's evidence (built once by :func:`.build_pair.build_evidence`):
    the step statuses, the deviations, the score. ``clock``: the build's time marks, for the
    timings (None: the chain's own time only)."""
    t0 = time.perf_counter()
    clock = clock or {"start": t0, "align": t0, "scene_sec": 0.0}
    status = classify(pe)  # each step found in place, out of place, or not
    status = swap(pe, status)  # two neighbours done the other way round: both found
    pace = trainee_pace(pe, status)
    status, devs = missing_or_wrong(pe, status, pace)  # a step not found: missing, or done differently
    devs += order(pe, status)
    reps = repeats(pe, status)
    devs += [d for d, _ in reps]
    extra = extras(pe, status, reps)
    devs += extra + idles(pe, status)
    devs += pace_devs(pe, status, reps, extra)
    t_clips = time.perf_counter()
    clip_devs = devs
    devs = scene_deviations(pe, status, devs)  # what the steps left behind (no scene evidence: as they are)
    status, devs = route_deviations(pe, status, devs, pace)  # where a moving camera stopped: steps skipped, out of order
    if pe.profile.end_state_check:  # a step found whose place ends as before it
        devs += end_state_deviations(pe, status, devs)
    if pe.profile.unmade_check:  # a step found whose clear result the pictures find nowhere
        devs += unmade_results(pe, status, devs)
    if pe.profile.result_check:  # a step found whose result is not in the pictures (opt-in: its cost)
        devs += result_deviations(pe, status, devs)
    devs = left_out(pe, status, devs)  # a step "done wrongly" that had no time between its neighbours' results
    # far too long from one step's result to the next: opt-in (its cost), except where the pictures
    # found done a step the clips doubted (nothing else times it)
    lifted = lifted_by_pictures(clip_devs, devs)
    if pe.profile.result_pace_check or lifted:
        devs += slow_between_results(pe, status, devs, lifted)
    devs += station_devs(pe, status, devs, pace)  # a moving camera that stayed far too long at a step's station
    devs = reported(pe, devs)
    t_end = time.perf_counter()
    timings = {"align_sec": clock["align"] - clock["start"], "detect_sec": t_end - clock["align"],
               "scene_sec": clock["scene_sec"] + t_end - t_clips}
    return score_result(pe, status, devs, pace, timings)


def rejudge(pe: PairEvidence, profile: Profile) -> ScoreResult:
    """The pair scored again under another ``profile``, from the evidence already built: what
    the profile tunes (thresholds, penalties, tolerances, strictness, critical steps) acts in
    the detectors only, so this equals :func:`score_embeddings` with that profile (the
    autopilot's dry rescoring, docs/reviews.md)."""
    return detect(replace(pe, profile=profile, critical=critical_flags(list(pe.steps), profile)))


def score_videos(gold_path: str | Path, trainee_path: str | Path, steps_path: str | Path | None = None,
                 profile_path: str | Path | None = None, embedder: str = "color-motion", device: str = "auto",
                 model_dir: str | None = None, scene: bool = True) -> ScoreResult:
    """Decode both videos (concurrently), embed, and score: ``sopilot score`` for one trainee,
    without the embeddings cache (:func:`..score_files.score_files`). Steps: steps_path, else
    the gold's sidecar. scene=False: clips only (no stills kept, no pictures compared). A trainee
    recording of several cycles is scored cycle by cycle, a cyclic gold cut to one cycle
    (:func:`..cycles.recording.score_recording`; one performance: exactly ``score_embeddings``)."""
    from ..score_files import score_files

    outcomes = score_files(gold_path, [trainee_path], steps_path, profile_path, embedder, device, model_dir, scene)
    try:
        out = next(outcomes)
    finally:
        outcomes.close()  # lets the decoders go at once
    if out.error is not None:
        raise out.error
    return out.result
