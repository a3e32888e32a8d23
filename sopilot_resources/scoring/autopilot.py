"""The per-task autopilot's proposal step (issue 15 item 4, first part; docs/reviews.md).

From a task's golden set (reviewed videos with the engine's latest score), propose new verdict
thresholds (``pass_min``, ``review_min``, ``retrain_min``: the verdict follows from a stored
score and its critical flag, so no video is scored again) that agree better with the reviews:

- **Sliding bounds**: each threshold may move at most its bound from today's value (a bound
  starts at ``START``, grows x``GROW`` after an adopted change, shrinks x``SHRINK`` after a
  rollback, never below ``FLOOR``), and never out of ``HARD``.
- **Cross-validation**: the search (best agreement, then the smallest change) is judged on
  videos it did not see (k folds); a proposal must beat today's thresholds there too.
- **The gate**: no reviewed not-``pass`` video may become ``pass`` (the unsafe direction), and the
  agreement on the whole golden set must rise by at least ``margin`` videos.

Plain functions on plain data; storage and the command line are in ``storage/autopilot_state.py``
and ``sopilot_assets/autopilot_cli.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

THRESHOLDS = ("pass_min", "review_min", "retrain_min")
HARD = {"pass_min": (50.0, 99.0), "review_min": (30.0, 95.0), "retrain_min": (10.0, 90.0)}
START, GROW, SHRINK, FLOOR, MAX_BOUND = 5.0, 1.5, 0.5, 1.0, 15.0


@dataclass(frozen=True)
class Case:
    """One reviewed video: its reviewed verdict, the engine's score, whether the engine found a
    critical deviation (which makes it ``fail`` whatever the score)."""

    name: str
    reviewed: str
    score: float
    critical: bool = False


@dataclass
class Proposal:
    current: dict
    proposed: dict
    agreement_before: int
    agreement_after: int
    cv_before: int
    cv_after: int
    unsafe_before: list[str]
    unsafe_after: list[str]
    n: int
    gate_ok: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def changes(self) -> dict:
        return {k: (self.current[k], self.proposed[k]) for k in THRESHOLDS if self.current[k] != self.proposed[k]}


def verdict_of(th: dict, c: Case) -> str:
    if c.critical or c.score < th["retrain_min"]:
        return "fail"
    if c.score >= th["pass_min"]:
        return "pass"
    return "needs_review" if c.score >= th["review_min"] else "retrain"


def agreement(th: dict, cases: list[Case]) -> int:
    return sum(verdict_of(th, c) == c.reviewed for c in cases)


def unsafe(th: dict, cases: list[Case]) -> list[str]:
    """Reviewed not ``pass``, ``pass`` under ``th``."""
    return sorted(c.name for c in cases if c.reviewed != "pass" and verdict_of(th, c) == "pass")


def candidates(current: dict, bounds: dict) -> list[dict]:
    """Threshold sets within ``bounds`` of ``current`` (1-point steps) and ``HARD``, ordered
    retrain_min <= review_min <= pass_min."""
    axes = []
    for k in THRESHOLDS:
        lo, hi = HARD[k]
        b = int(bounds.get(k, START))
        axes.append(sorted({min(hi, max(lo, current[k] + d)) for d in range(-b, b + 1)}))
    return [dict(zip(THRESHOLDS, v)) for v in product(*axes) if v[2] <= v[1] <= v[0]]


def best(cases: list[Case], current: dict, bounds: dict) -> dict:
    """The candidate with the most agreement and no more unsafe videos than today; ties: the
    smallest change from ``current``."""
    base_unsafe = len(unsafe(current, cases))
    scored = []
    for th in candidates(current, bounds):
        if len(unsafe(th, cases)) > base_unsafe:
            continue
        dist = sum(abs(th[k] - current[k]) for k in THRESHOLDS)
        scored.append((-agreement(th, cases), dist, tuple(th[k] for k in THRESHOLDS), th))
    return min(scored)[3] if scored else dict(current)


def cross_validated(cases: list[Case], current: dict, bounds: dict, k: int = 5) -> tuple[int, int]:
    """(agreement of today's thresholds, agreement of the search) on held-out folds: each video
    is judged by thresholds the search chose without it."""
    k = max(2, min(k, len(cases)))
    before = after = 0
    for f in range(k):
        test = cases[f::k]
        train = [c for i, c in enumerate(cases) if i % k != f]
        th = best(train, current, bounds)
        before += agreement(current, test)
        after += agreement(th, test)
    return before, after


def propose(cases: list[Case], current: dict, bounds: dict, margin: int = 1) -> Proposal:
    """The proposal for one task, with the gate's decision and its reasons."""
    cur = {k: float(current[k]) for k in THRESHOLDS}
    th = best(cases, cur, bounds)
    cv_b, cv_a = cross_validated(cases, cur, bounds)
    p = Proposal(cur, th, agreement(cur, cases), agreement(th, cases), cv_b, cv_a, unsafe(cur, cases),
                 unsafe(th, cases), len(cases), False)
    newly = sorted(set(p.unsafe_after) - set(p.unsafe_before))
    if not p.changes:
        p.reasons.append("no threshold within the bounds agrees better with the reviews")
    if newly:
        p.reasons.append(f"it would pass reviewed defective video(s): {', '.join(newly)}")
    if p.agreement_after < p.agreement_before + margin:
        p.reasons.append(f"agreement {p.agreement_before} -> {p.agreement_after} of {p.n}: needs +{margin}")
    if p.cv_after <= p.cv_before:
        p.reasons.append(f"on held-out videos it does no better ({p.cv_before} -> {p.cv_after} of {p.n})")
    p.gate_ok = not p.reasons
    return p


def slide(bounds: dict, adopted: bool) -> dict:
    """Bounds after an adopted change (wider) or a rollback (narrower, never below FLOOR)."""
    f = GROW if adopted else SHRINK
    return {k: min(MAX_BOUND, max(FLOOR, float(bounds.get(k, START)) * f)) for k in THRESHOLDS}
