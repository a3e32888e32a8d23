"""The end of the chain: the reported deviations, the score, the verdict and the metrics
(:class:`ScoreResult`), from the pair's evidence, the final step statuses and the deviations."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..align.types import Alignment
from .detect_scene_done import made_steps, scaled_by
from .deviation import Deviation, critical_notes, out_of_order
from .pair_evidence import PairEvidence, StepStatus
from .profile import Profile
from .steps import Step


@dataclass
class ScoreResult:
    score: float
    #: a :class:`.verdict.Verdict`'s value, a plain ``str`` (Dagster metadata and Parquet take it as is)
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
    #: a recording of several cycles (:mod:`..cycles`): one entry per cycle, and their
    #: statistics; None for one performance (then the dict has neither key)
    cycles: list[dict] | None = None
    cycle_stats: dict | None = None
    #: why the verdict is what it is (:meth:`.profile.Profile.verdict_reason`)
    verdict_reason: str = ""

    @property
    def penalty_total(self) -> float:
        return float(sum(d.penalty for d in self.deviations))

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason,
            "deviations": [d.to_dict() for d in self.deviations],
            "steps": {
                "gold": [{k: v for k, v in s.to_dict().items()} for s in self.steps_gold],
                "trainee": self.steps_trainee,
            },
            "metrics": self.metrics,
            "embedder": self.embedder,
            "profile_fingerprint": self.profile.fingerprint(),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            **({"cycles": self.cycles, "cycle_stats": self.cycle_stats} if self.cycles is not None else {}),
        }


def reported(pe: PairEvidence, devs: list[Deviation]) -> list[Deviation]:
    """The deviations at least ``min_confidence`` sure, in trainee (else gold) time order."""
    out = [d for d in devs if d.confidence >= pe.profile.min_confidence]
    out.sort(key=lambda d: ((d.trainee_time or d.gold_time or {"start_sec": 0})["start_sec"], d.type))
    return out


def score_result(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation], pace: float,
                 timings: dict | None = None) -> ScoreResult:
    """Score = 100 - the reported deviations' penalties (at least 0); verdict from the profile;
    ``devs``: already :func:`reported`; ``pace``: :func:`.detect_steps.trainee_pace`."""
    tr_tl, alignment = pe.tr_tl, pe.alignment
    penalty = sum(d.penalty for d in devs)
    score = round(max(0.0, 100.0 - penalty), 2)
    verdict, reason = pe.profile.judge(score, critical_notes(devs), out_of_order(devs))
    trainee_steps = [
        {"index": s.step.index, "name": s.step.name, "start_sec": round(tr_tl.t0(s.where.start), 2),
         "end_sec": round(tr_tl.t1(s.where.end), 2), "found": s.found}
        for s in status if s.where is not None
    ]
    trainee_steps.sort(key=lambda d: d["start_sec"])
    metrics = {
        "path_similarity": round(float(1.0 - alignment.normalized_cost), 4),
        "typical_step_contrast": round(pe.ref, 4),
        "procedure_coverage": pe.procedure["coverage"], "procedure_order_gain": pe.procedure["order_gain"],
        "procedure_recognised": pe.procedure["recognised"],
        "steps_found": sum(s.found for s in status),
        "steps_total": len(pe.steps),
        "pace": round(pace, 3),
        "step_match_ratio": [round(s.ratio, 3) for s in status],
        "penalty_total": round(penalty, 2),
        "gold_clips": len(pe.gold_tl.centres), "trainee_clips": len(tr_tl.centres),
        "alignment_backend": alignment.backend,
        **(pe.scene.metrics() if pe.scene is not None else {}),
    }
    if pe.scene is not None and pe.scene.usable:
        metrics["scene_found_done"] = found_by_pictures(pe, status, devs)
    return ScoreResult(score, verdict.value, devs, list(pe.steps), trainee_steps, metrics, pe.embedder, alignment,
                       pe.profile, dict(timings or {}), scene=pe.scene, verdict_reason=reason)


def found_by_pictures(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation]) -> list[dict]:
    """The steps the clips did not find that are reported neither missing nor done wrongly
    because the pictures found their result made (the both-ways search,
    :func:`.detect_scene_done.made_steps`): per step its ``index``, ``name`` and the trainee
    second by which its result was made (``made_by_sec``), so a reviewer sees why a step absent
    from the trainee's timeline costs nothing. The search's answers are kept on the scene
    evidence: these steps were asked already."""
    named = {d.gold_step for d in devs if d.type in ("missing_step", "wrong_step")}
    ask = {s: (st.step.start_sec, st.step.end_sec) for s, st in enumerate(status) if not st.found and s not in named}
    done = made_steps(pe.scene, ask, every=scaled_by(pe)) if ask else {}
    return [{"index": s, "name": status[s].step.name, "made_by_sec": round(float(t), 2)} for s, t in sorted(done.items())]
