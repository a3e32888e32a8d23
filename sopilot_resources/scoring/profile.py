"""Task profile: penalty weights, verdict thresholds, detection tolerances, critical steps."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import ProfileError
from .verdict import Verdict

#: penalty (score points) of each deviation type at confidence 1.0
DEFAULT_PENALTIES = {
    "missing_step": 40.0,
    "missing_critical_step": 50.0,
    "wrong_step": 35.0,
    "wrong_critical_step": 35.0,
    "order_swap": 20.0,
    "repeated_step": 20.0,
    "extra_action": 35.0,
    "slow_step": 20.0,
    "fast_step": 20.0,
    "long_idle": 20.0,
}


@dataclass(frozen=True)
class Profile:
    """Everything a task may tune. Defaults are documented in docs/scoring.md.

    Verdict: a critical deviation (missing or wrong critical step) gives ``fail``; otherwise
    score >= pass_min -> pass, >= review_min -> needs_review, >= retrain_min -> retrain, else fail;
    with ``order_blocks_pass``, steps reported out of order make it at best needs_review.
    """

    pass_min: float = 85.0
    review_min: float = 70.0
    retrain_min: float = 50.0
    penalties: dict = field(default_factory=lambda: dict(DEFAULT_PENALTIES))
    #: step names (or 0-based indices) that are critical, on top of the steps file's flags
    critical_steps: tuple = ()
    #: a step taking more than slow_ratio x (gold duration x overall pace) is slow
    slow_ratio: float = 2.2
    fast_ratio: float = 0.35
    #: pause with no motion at least this long is a long idle
    idle_sec: float = 6.0
    #: unmatched trainee action at least this long is an extra action
    extra_min_sec: float = 3.0
    #: 0..1: where between "looks like another step" and "looks like a normal match" a
    #: step's best match must lie to count as found (higher = stricter)
    match_strictness: float = 0.5
    #: a deviation below this confidence is not reported
    min_confidence: float = 0.35
    #: steps done out of order never ``pass`` (at best needs_review): an order deviation's
    #: confidence says how surely its two steps were recognised, and its penalty scales with
    #: it, but once both are found their order is a fact, not a matter of degree (an order
    #: deviation weighed at 0, ``penalties.order_swap: 0``, holds nothing back)
    order_blocks_pass: bool = True
    #: search every step's result in the trainee's pictures, and report a step the clips found
    #: whose result is not there as done differently (scoring/detect_result.py, fixed gold
    #: cameras): it catches steps done wrongly that the clips take for done, and costs several
    #: times the time of a pair (docs/scene.md, "Result check"), so it is off unless asked
    result_check: bool = False
    #: compare each step's place in the two end scenes, and report a step the clips found whose
    #: place ends as it was before the step as done differently (scoring/detect_end_state.py,
    #: fixed gold cameras; a detected gold step only where every level of pictures sees it
    #: undone): it locates steps done wrongly. It makes the gold's step regions at 640 px, kept
    #: with the gold's cache entry (for detected steps only those the 320 px level sees undone):
    #: 1.21x the time of a pair without it on the 60 s 720p valve pair (docs/scene.md, "End state")
    end_state_check: bool = True
    #: search the result of each step the clips found (but the last) in the trainee's pictures,
    #: coarse level first, and report one whose change the gold shows clearly and no level finds
    #: (best match under 0.75, while two other steps are found) as done differently
    #: (scoring/detect_result_unmade.py, fixed gold cameras; docs/bench/accuracy.md, "Stop 47")
    unmade_check: bool = True
    #: time each step by its result in a fixed camera's pictures, and report a stretch from one
    #: step's result to the next far slower than the trainee's others as a slow step (or the
    #: earlier step done again; scoring/detect_result_pace.py, a steps file's steps): it catches
    #: some slow and repeated steps the clips measure as ordinary; searching every step's result
    #: costs about 1.15-1.2x the time of a fixed-camera pair (docs/bench/accuracy.md, "Room
    #: round"), so it is off unless asked
    result_pace_check: bool = False

    def fingerprint(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=list).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def penalty(self, kind: str) -> float:
        return float(self.penalties.get(kind, DEFAULT_PENALTIES.get(kind, 10.0)))

    def verdict(self, score: float, has_critical: bool, out_of_order: bool = False) -> Verdict:
        """``out_of_order``: an ``order_swap`` deviation is reported."""
        return self.judge(score, ["a critical step"] if has_critical else [], out_of_order)[0]

    def judge(self, score: float, critical: list[str], out_of_order: bool = False,
              what: str = "score") -> tuple[Verdict, str]:
        """The verdict and why, in words a supervisor reads beside it; ``critical``: the
        critical deviations (one short description each); ``what``: how the score is named (a
        shift recording's is the mean of its cycles')."""
        said = f"{what} {score:.1f}"
        if critical:
            return Verdict.FAIL, (f"{Verdict.FAIL.label}: a critical step is not done as the SOP requires "
                                  f"({'; '.join(critical)}), whatever the {what}")
        if score < self.retrain_min:
            return Verdict.FAIL, f"{Verdict.FAIL.label}: {said} is below {self.retrain_min:g}, the lowest score to retrain"
        if score >= self.pass_min:
            if out_of_order and self.order_blocks_pass:
                return Verdict.NEEDS_REVIEW, (f"{Verdict.NEEDS_REVIEW.label}: {said} reaches {self.pass_min:g} to pass, "
                                              "but steps were done out of order, which holds a pass back "
                                              "(profile: order_blocks_pass)")
            return Verdict.PASS, f"{Verdict.PASS.label}: {said} reaches {self.pass_min:g} and no critical step deviates"
        if score >= self.review_min:
            return Verdict.NEEDS_REVIEW, (f"{Verdict.NEEDS_REVIEW.label}: {said} is between {self.review_min:g} "
                                          f"and {self.pass_min:g}")
        return Verdict.RETRAIN, f"{Verdict.RETRAIN.label}: {said} is between {self.retrain_min:g} and {self.review_min:g}"

    def verdict_reason(self, score: float, critical: list[str], out_of_order: bool = False,
                       what: str = "score") -> str:
        """Why :meth:`verdict` gives what it gives (:meth:`judge`'s reason)."""
        return self.judge(score, critical, out_of_order, what)[1]

    def to_dict(self) -> dict:
        return asdict(self)


def load_profile(path: str | Path | None) -> Profile:
    """Read a JSON profile; unknown keys are an error (a typo must not pass silently)."""
    if path is None:
        return Profile()
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{path}: not a readable JSON profile ({exc})") from None
    return parse_profile(doc, str(path))


def parse_profile(doc: object, source: str = "profile") -> Profile:
    """A Profile from a JSON object (``source`` names it in errors)."""
    path = source
    if not isinstance(doc, dict):
        raise ProfileError(f"{path}: a profile is a JSON object")
    known = {f.name for f in fields(Profile)}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ProfileError(f"{path}: unknown profile keys {unknown}; known keys: {sorted(known)}")
    kw = dict(doc)
    if "penalties" in kw:
        bad = sorted(set(kw["penalties"]) - set(DEFAULT_PENALTIES))
        if bad:
            raise ProfileError(f"{path}: unknown penalty names {bad}; known: {sorted(DEFAULT_PENALTIES)}")
        kw["penalties"] = {**DEFAULT_PENALTIES, **{k: float(v) for k, v in kw["penalties"].items()}}
    if "critical_steps" in kw:
        kw["critical_steps"] = tuple(kw["critical_steps"])
    for flag in ("order_blocks_pass", "result_check", "end_state_check", "unmade_check", "result_pace_check"):
        if not isinstance(kw.get(flag, False), bool):
            raise ProfileError(f"{path}: {flag} must be true or false, not {kw[flag]!r}")
    try:
        prof = Profile(**kw)
    except TypeError as exc:
        raise ProfileError(f"{path}: {exc}") from None
    if not (prof.pass_min >= prof.review_min >= prof.retrain_min >= 0):
        raise ProfileError(f"{path}: thresholds must satisfy pass_min >= review_min >= retrain_min >= 0")
    return prof
