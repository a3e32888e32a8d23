"""The per-task autopilot's proposal step (issue 15 item 4, first part; docs/reviews.md).

From a task's golden set (reviewed videos with the engine's latest score), propose new verdict
thresholds (``pass_min``, ``review_min``, ``retrain_min``) and penalty weights of the
non-critical deviation types that agree better with the reviews. A score is 100 minus its
deviations' penalties (weight x confidence), so a stored score under other weights is the
stored penalties scaled, and its verdict follows from the thresholds: no video is scored
again. Critical penalties are never touched (a critical deviation fails a video whatever its
score). Parameters: the three thresholds and ``m:<type>``, a multiplier of that type's weight.
With *variants* (:mod:`.autopilot_detect`: the golden set rescored under other detection
settings, ``d:<setting>``), the search also picks the detection setting whose rescored
golden set, with its best thresholds and weights, agrees best.

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
    #: the scored pair behind the score ("" when not known), and whether its score is kept as
    #: stored under any profile (a shift recording or a segment file: not rescored)
    pair_key: str = ""
    kept: bool = False
    #: the engine reported steps out of order and the task's profile keeps such a trainee from
    #: ``pass`` (``Profile.order_blocks_pass``): at best needs_review under any thresholds
    out_of_order: bool = False

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
    #: today's value of each detection parameter the proposal changes (``d:<name>``)
    detection_before: dict = field(default_factory=dict)

    @property
    def changes(self) -> dict:
        keys = [*THRESHOLDS, *sorted(k for k in self.proposed if k.startswith(("m:", "d:")))]
        return {k: (self.current.get(k, self.detection_before.get(k, 1.0)), self.proposed[k]) for k in keys
                if self.current.get(k, self.detection_before.get(k, 1.0)) != self.proposed[k]}


def verdict_of(th: dict, c: Case) -> str:
    score = c.score_at(th)
    if c.critical or score < th["retrain_min"]:
        return "fail"
    if score >= th["pass_min"]:
        return "needs_review" if c.out_of_order else "pass"
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
    key = (-agreement(th, cases), round(_dist(th, current), 6), tuple(sorted(th.items())))
    return key if incumbent is None or key < incumbent else incumbent


def best(cases: list[Case], current: dict, bounds: dict, rounds: int = 2, base_unsafe: int | None = None) -> dict:
    """The parameters with the most agreement and no more unsafe videos than today
    (``base_unsafe``, default: under ``current``); ties: the smallest change from ``current``.
    Thresholds over their whole grid, then each penalty multiplier in turn, ``rounds`` times."""
    base_unsafe = len(unsafe(current, cases)) if base_unsafe is None else base_unsafe
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


def _dist(th: dict, current: dict) -> float:
    """The size of a change: threshold points, a weight multiplier's 0.05 step (PEN_STEP) as one point."""
    return sum(abs(th[k] - current[k]) for k in THRESHOLDS) + (1 / PEN_STEP) * sum(
        abs(th[k] - current.get(k, 1.0)) for k in th if k.startswith("m:"))


def best_variant(variants: dict, current: dict, bounds: dict, names: set | None = None) -> tuple[tuple, dict]:
    """(the detection variant, its thresholds and multipliers) that agree best with the reviews
    among ``names`` (all: None), then the smallest change (a detection step counts as a
    point); no more unsafe videos than today's profile. ``variants``: detection variant (a
    tuple of (setting, value, steps from today), () for today's) -> the golden set rescored
    under it (:mod:`.autopilot_detect`)."""
    pick = (lambda cs: cs) if names is None else (lambda cs: [c for c in cs if c.name in names])
    base_unsafe = len(unsafe(current, pick(variants[()])))
    found, seen = None, set()
    # fewest steps first: a variant that judges every video as an earlier one did adds nothing
    for v, cs in sorted(variants.items(), key=lambda kv: sum(n for _, _, n in kv[0])):
        cs = pick(cs)
        same = tuple((c.name, c.score, c.critical, c.penalties) for c in cs)
        if same in seen:
            continue
        seen.add(same)
        th = best(cs, current, bounds, base_unsafe=base_unsafe)
        if len(unsafe(th, cs)) > base_unsafe:
            continue  # even today's thresholds pass more defective videos under this variant
        key = (-agreement(th, cs), round(_dist(th, current) + sum(n for _, _, n in v), 6), v)
        if found is None or key < found[0]:
            found = (key, v, th)
    return (found[1], found[2]) if found else ((), dict(current))


def cross_validated(cases: list[Case], current: dict, bounds: dict, k: int = 5,
                    variants: dict | None = None) -> tuple[int, int]:
    """(agreement of today's profile, agreement of the search) on held-out folds: each video
    is judged by parameters the search chose without it."""
    variants = variants or {(): cases}
    names = [c.name for c in variants[()]]
    k = max(2, min(k, len(names)))
    before = after = 0
    for f in range(k):
        test = set(names[f::k])
        train = {n for i, n in enumerate(names) if i % k != f}
        v, th = best_variant(variants, current, bounds, train)
        before += agreement(current, [c for c in variants[()] if c.name in test])
        after += agreement(th, [c for c in variants[v] if c.name in test])
    return before, after


def propose(cases: list[Case], current: dict, bounds: dict, margin: int = 1, variants: dict | None = None,
            detection_now: dict | None = None) -> Proposal:
    """The proposal for one task, with the gate's decision and its reasons. ``variants``: the
    golden set rescored under detection variants (:func:`best_variant`; with ``()``, today's
    profile rescored, which then stands for ``cases``); None: thresholds and weights only.
    ``detection_now``: today's value of each detection parameter (for the change's record)."""
    variants = dict(variants or {})
    cases = variants.setdefault((), cases)
    kinds = sorted({k for cs in variants.values() for c in cs for k, _ in c.penalties if k in TUNABLE_PENALTIES})
    cur = {k: float(current[k]) for k in THRESHOLDS}
    cur.update({f"m:{k}": 1.0 for k in kinds})
    v, th = best_variant(variants, cur, bounds)
    after_cases = variants[v]
    cv_b, cv_a = cross_validated(cases, cur, bounds, variants=variants)
    proposed = {**th, **{f"d:{name}": value for name, value, _ in v}}
    p = Proposal(cur, proposed, agreement(cur, cases), agreement(th, after_cases), cv_b, cv_a, unsafe(cur, cases),
                 unsafe(th, after_cases), len(cases), False,
                 detection_before={f"d:{name}": (detection_now or {}).get(name) for name, _, _ in v})
    newly = sorted(set(p.unsafe_after) - set(p.unsafe_before))
    if not p.changes:
        p.reasons.append("no threshold, weight or detection setting within the bounds agrees better with the reviews")
    if newly:
        p.reasons.append(f"it would pass reviewed defective video(s): {', '.join(newly)}")
    if p.agreement_after < p.agreement_before + margin:
        p.reasons.append(f"agreement {p.agreement_before} -> {p.agreement_after} of {p.n}: needs +{margin}")
    if p.cv_after <= p.cv_before:
        p.reasons.append(f"on held-out videos it does no better ({p.cv_before} -> {p.cv_after} of {p.n})")
    p.gate_ok = not p.reasons
    return p


def slide(bounds: dict, adopted: bool) -> dict:
    """Bounds after an adopted change (wider) or a rollback (narrower, never below the floor):
    thresholds in points, weight multipliers (``m:``), detection settings in steps (``d:``)."""
    from .autopilot_detect import D_FLOOR, D_MAX, D_START, KNOBS

    f = GROW if adopted else SHRINK
    out = {k: min(MAX_BOUND, max(FLOOR, float(bounds.get(k, START)) * f)) for k in THRESHOLDS}
    out.update({f"m:{k}": min(PEN_MAX, max(PEN_FLOOR, float(bounds.get(f"m:{k}", PEN_START)) * f))
                for k in TUNABLE_PENALTIES})
    out.update({f"d:{k}": min(D_MAX, max(D_FLOOR, float(bounds.get(f"d:{k}", D_START)) * f)) for k in KNOBS})
    return out


def profile_doc(doc: dict, params: dict, penalties: dict) -> dict:
    """Profile JSON ``doc`` with ``params`` applied: thresholds and detection settings (``d:``)
    set, penalty weights scaled from ``penalties`` (the weights in force)."""
    out = {**doc, **{k: params[k] for k in THRESHOLDS}, **{k[2:]: v for k, v in params.items() if k.startswith("d:")}}
    scaled = {k[2:]: round(penalties[k[2:]] * m * 2) / 2 for k, m in params.items() if k.startswith("m:") and m != 1.0}
    if scaled:
        out["penalties"] = {**doc.get("penalties", {}), **scaled}
    return out
