"""Score a recording that may hold the task many times (a shift): find the cycles, score each
with the whole engine on its own stretch, and sum the recording up (docs/scoring.md,
"Shift recordings").

With fewer than two complete cycles the recording is one performance and is scored exactly as
before (:func:`..scoring.engine.score_embeddings` on the whole of it): same result, same JSON.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..align.types import Alignment
from ..embeddings import ClipEmbeddings
from ..scoring.engine import score_embeddings
from ..scoring.profile import Profile
from ..scoring.result import ScoreResult
from ..scoring.steps import Step, detect_steps
from ..scoring.verdict import Verdict
from .find import Cycle
from .gold_cycle import one_cycle_gold
from .locate import locate_cycles
from .slicing import time_slice
from .stats import cycle_stats
from .unrecognised import unrecognised_work

#: seconds of the recording scored with a cycle before its first and after its last step (as
#: a one-cycle video has), never past half-way to the next cycle
PAD_BEFORE, PAD_AFTER = 1.5, 1.5


def _spans(cycles: list[Cycle], t_start: float, t_end: float) -> list[tuple[float, float]]:
    out = []
    for k, c in enumerate(cycles):
        lo = (cycles[k - 1].t1 + c.t0) / 2 if k else t_start
        hi = (c.t1 + cycles[k + 1].t0) / 2 if k + 1 < len(cycles) else t_end
        out.append((max(lo, c.t0 - PAD_BEFORE), min(hi, c.t1 + PAD_AFTER)))
    return out


def _entry(k: int, c: Cycle, res: ScoreResult | None) -> dict:
    d = {"index": k, "trainee_time": {"start_sec": round(c.t0, 2), "end_sec": round(c.t1, 2)},
         "partial": c.partial, "coverage": c.coverage, "score": None, "verdict": None, "deviations": []}
    if res is not None:
        d.update(score=res.score, verdict=res.verdict, deviations=[x.to_dict() for x in res.deviations])
    return d


def score_recording(gold: ClipEmbeddings, trainee: ClipEmbeddings, steps: list[Step] | None = None,
                    profile: Profile | None = None, device: str = "auto", scene: bool = True) -> ScoreResult:
    """As :func:`..scoring.engine.score_embeddings`, for a recording of any number of cycles.
    A cyclic gold is cut to one cycle first (``metrics.gold_cycles`` says so)."""
    profile = profile or Profile()
    gold.check_compatible(trainee)
    gold, steps, found, gold_cyc = one_cycle_inputs(gold, steps)
    cycles = locate_cycles(gold, trainee, found)
    if sum(not c.partial for c in cycles) < 2:
        res = score_embeddings(gold, trainee, steps, profile, device=device, scene=scene)
        if gold_cyc is not None:
            res.metrics["gold_cycles"] = gold_cyc.to_dict()
        return res
    return recording_result(gold, trainee, found, cycles, profile, device, scene, gold_cyc)


def one_cycle_inputs(gold: ClipEmbeddings, steps: list[Step] | None):
    """(gold cut to one cycle if it holds several, the steps to score with (None: detect them),
    the steps to find cycles with, what was found about the gold's cycles or None)."""
    gold, gold_cyc = one_cycle_gold(gold, steps)
    if gold_cyc is not None and gold_cyc.source == "periodicity":
        steps = None
    return gold, steps, steps or detect_steps(gold.vectors, gold.starts, gold.ends), gold_cyc


def recording_result(gold, trainee, steps, cycles, profile, device, scene, gold_cyc, index0: int = 0,
                     trailing: bool = True) -> ScoreResult:
    """Scores each complete cycle of ``cycles`` (found in ``trainee``) and sums them up; cycle
    indices count from ``index0`` (a segment of a longer recording). No complete cycle: score
    100 and ``pass`` with nothing found wrong (nothing was done), ``cycles_complete`` 0.
    Work outside the cycles (:mod:`.unrecognised`; after the last one only with ``trailing``)
    is listed in ``cycle_stats["unrecognised_work"]`` and keeps the recording from ``pass``."""
    entries, results, paths, tsteps, devs = [], [], [], [], []
    spans = _spans(cycles, float(trainee.starts[0]) if len(trainee) else 0.0, float(trainee.ends[-1]) if len(trainee) else 0.0)
    for n, (c, (t0, t1)) in enumerate(zip(cycles, spans)):
        k, res = index0 + n, None
        if not c.partial:
            part, j0 = time_slice(trainee, t0, t1)
            res = score_embeddings(gold, part, steps, profile, device=device, scene=scene)
            res.scene = None  # its pictures: memory would grow with the number of cycles
            results.append(res)
            paths.append(res.alignment.path + np.array([0, j0]))
            tsteps += [{**s, "cycle": k} for s in res.steps_trainee]
            # the flat list says which cycle each is from (the cycle's own list keeps the engine's words)
            devs += [replace(d, cycle=k, message=f"cycle {k + 1}: {d.message}") for d in res.deviations]
        entries.append(_entry(k, c, res))
    score = round(float(np.mean([r.score for r in results])), 2) if results else 100.0
    path = np.concatenate(paths) if paths else np.zeros((0, 2), np.int64)
    backend = results[0].alignment.backend if results else "none"
    align = Alignment(path, float(sum(r.alignment.total_cost for r in results)),
                      float(np.mean([r.alignment.normalized_cost for r in results])) if results else 0.0, backend,
                      (len(gold), len(trainee)))
    stats = cycle_stats(entries)
    stats["unrecognised_work"] = unrecognised_work(trainee, cycles, float(steps[-1].end_sec - steps[0].start_sec),
                                                   trailing)
    # a cycle's critical or order deviation: its own verdict
    verdict, reason = profile.judge(score, [], what="mean cycle score")
    if stats["unrecognised_work"] and verdict == Verdict.PASS:
        verdict = Verdict.NEEDS_REVIEW
        work = sum(w["active_sec"] for w in stats["unrecognised_work"])
        reason = (f"{verdict.label}: mean cycle score {score:.1f} reaches {profile.pass_min:g}, but "
                  f"{work:.0f} s of work in {len(stats['unrecognised_work'])} stretch(es) is no cycle of the SOP")
    metrics = {"cycles_found": stats["found"], "cycles_complete": stats["complete"], "cycles_passed": stats["passed"],
               "steps_total": len(steps), "gold_clips": len(gold), "trainee_clips": len(trainee),
               "path_similarity": round(float(np.mean([r.metrics["path_similarity"] for r in results])), 4)
               if results else None,
               "penalty_total": round(float(np.mean([r.penalty_total for r in results])), 2) if results else 0.0,
               "alignment_backend": backend}
    if gold_cyc is not None:
        metrics["gold_cycles"] = gold_cyc.to_dict()
    keys = results[0].timings if results else {}
    timings = {k: float(sum(r.timings.get(k, 0.0) for r in results)) for k in keys}
    return ScoreResult(score, verdict.value, devs, list(steps), tsteps, metrics, dict(gold.embedder),
                       align, profile, timings, cycles=entries, cycle_stats=stats, verdict_reason=reason)
