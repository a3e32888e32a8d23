"""The per-task autopilot's proposal step (issue 15 item 4, first part; docs/reviews.md).

From a task's golden set (reviewed videos with the engine's latest score), propose new verdict
thresholds (``pass_min``, ``review_min``, ``retrain_min``) and penalty weights of the
non-critical deviation types that agree better with the reviews. A score is 100 minus its
deviations' penalties (weight x confidence), so a stored score under other weights is the
stored penalties scaled, and its verdict follows from the thresholds: no video is scored
again. Critical penalties are never touched (a critical deviation fails a video whatever its
score). Parameters: the three thresholds and ``m:<type>``, a multiplier of that type's weight.

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
#: penalty weights the autopilot may scale (never the critical ones), multipliers in 0.05 steps
TUNABLE_PENALTIES = ("missing_step", "wrong_step", "order_swap", "repeated_step", "extra_action",
                     "slow_step", "fast_step", "long_idle")
PEN_START, PEN_FLOOR, PEN_MAX, PEN_STEP, PEN_HARD = 0.2, 0.05, 0.5, 0.05, (0.5, 2.0)


@dataclass(frozen=True)
class Case:
    """One reviewed video: its reviewed verdict, the engine's score, whether the engine found a
    critical deviation (which makes it ``fail`` whatever the score)."""

    name: str
    reviewed: str
    score: float
    critical: bool = False
    #: non-critical penalty points per deviation type, as stored ((type, points), ...); empty
    #: when the score cannot be recomputed (a shift recording: the mean of its cycles)
    penalties: tuple = ()

    def score_at(self, th: dict) -> float:
        """The score under the weight multipliers ``m:<type>`` of ``th`` (the stored score at 1)."""
        if not self.penalties or all(th.get(f"m:{k}", 1.0) == 1.0 for k, _ in self.penalties):
            return self.score
        return round(max(0.0, 100.0 - sum(p * th.get(f"m:{k}", 1.0) for k, p in self.penalties)), 2)


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
        keys = [*THRESHOLDS, *sorted(k for k in self.proposed if k.startswith("m:"))]
        return {k: (self.current.get(k, 1.0), self.proposed[k]) for k in keys
                if self.current.get(k, 1.0) != self.proposed[k]}


def verdict_of(th: dict, c: Case) -> str:
    score = c.score_at(th)
    if c.critical or score < th["retrain_min"]:
        return "fail"
    if score >= th["pass_min"]:
        return "pass"
    return "needs_review" if score >= th["review_min"] else "retrain"


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


def _better(cases: list[Case], current: dict, th: dict, base_unsafe: int, incumbent: tuple | None):
    """th's sort key (lower is better) if it keeps unsafe videos at most ``base_unsafe``."""
    if len(unsafe(th, cases)) > base_unsafe:
        return incumbent
    # the size of a change: threshold points, and a weight multiplier's 0.05 step (PEN_STEP) as one point
    dist = sum(abs(th[k] - current[k]) for k in THRESHOLDS) + (1 / PEN_STEP) * sum(
        abs(th[k] - current.get(k, 1.0)) for k in th if k.startswith("m:"))
    key = (-agreement(th, cases), round(dist, 6), tuple(sorted(th.items())))
    return key if incumbent is None or key < incumbent else incumbent


def best(cases: list[Case], current: dict, bounds: dict, rounds: int = 2) -> dict:
    """The parameters with the most agreement and no more unsafe videos than today; ties: the
    smallest change from ``current``. Thresholds over their whole grid, then each penalty
    multiplier in turn, ``rounds`` times."""
    base_unsafe = len(unsafe(current, cases))
    kinds = sorted({k for c in cases for k, _ in c.penalties if k in TUNABLE_PENALTIES})
    origin = {**current, **{f"m:{k}": float(current.get(f"m:{k}", 1.0)) for k in kinds}}
    cur, found = dict(origin), None
    for _ in range(rounds):  # every move is bounded around ``origin``, today's parameters
        for th in candidates(origin, bounds):
            found = _better(cases, origin, {**cur, **th}, base_unsafe, found)
        cur = dict(found[2]) if found else cur
        for k in kinds:
            n = int(round(float(bounds.get(f"m:{k}", PEN_START)) / PEN_STEP))
            for j in range(-n, n + 1):
                m = round(origin[f"m:{k}"] + j * PEN_STEP, 4)
                if PEN_HARD[0] <= m <= PEN_HARD[1]:
                    found = _better(cases, origin, {**cur, f"m:{k}": m}, base_unsafe, found)
            cur = dict(found[2]) if found else cur
    return cur


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
    cur.update({f"m:{k}": 1.0 for k in sorted({k for c in cases for k, _ in c.penalties if k in TUNABLE_PENALTIES})})
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
    """Bounds after an adopted change (wider) or a rollback (narrower, never below the floor)."""
    f = GROW if adopted else SHRINK
    out = {k: min(MAX_BOUND, max(FLOOR, float(bounds.get(k, START)) * f)) for k in THRESHOLDS}
    out.update({f"m:{k}": min(PEN_MAX, max(PEN_FLOOR, float(bounds.get(f"m:{k}", PEN_START)) * f))
                for k in TUNABLE_PENALTIES})
    return out


def profile_doc(doc: dict, params: dict, penalties: dict) -> dict:
    """Profile JSON ``doc`` with ``params`` applied: thresholds set, penalty weights scaled from
    ``penalties`` (the weights in force)."""
    out = {**doc, **{k: params[k] for k in THRESHOLDS}}
    scaled = {k[2:]: round(penalties[k[2:]] * m * 2) / 2 for k, m in params.items() if k.startswith("m:") and m != 1.0}
    if scaled:
        out["penalties"] = {**doc.get("penalties", {}), **scaled}
    return out
