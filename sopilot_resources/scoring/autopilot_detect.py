"""The autopilot's detection settings (issue 15 item 4, "thresholds, strictness, ratios"):
how strict a step match must be, how slow or fast a step may be, how long a pause or an
unexplained action may last, and the least confidence a deviation is reported with. Unlike
thresholds and weights, these change *which* deviations the engine finds, so each candidate
setting rescores the golden set (``storage/autopilot_dry.py``: the pair's evidence is built
once per video, the detectors run again per setting, :func:`.engine.rejudge`).

Plain data: a *variant* is a tuple of ``(parameter, value, steps from today)`` (``()`` is
today's profile); the search moves one parameter at a time, at most its sliding bound (in
steps) from today's value and never out of ``hard``. Bounds are kept under ``d:<parameter>``
beside the thresholds' (``autopilot.slide``).
"""
from __future__ import annotations

from dataclasses import dataclass

from .autopilot import Case
from .deviation import out_of_order
from .profile import Profile


@dataclass(frozen=True)
class Knob:
    step: float
    hard: tuple[float, float]


#: the tunable detection settings (docs/scoring.md, "Profile"), their step and hard range
KNOBS = {
    "match_strictness": Knob(0.05, (0.2, 0.8)),
    "slow_ratio": Knob(0.2, (1.5, 4.0)),
    "fast_ratio": Knob(0.05, (0.15, 0.6)),
    "idle_sec": Knob(1.0, (3.0, 20.0)),
    "extra_min_sec": Knob(0.5, (1.5, 10.0)),
    "min_confidence": Knob(0.05, (0.2, 0.7)),
}
#: a setting's bound, in steps: starts at D_START, x GROW after an adopted change, x SHRINK
#: after a rollback (``autopilot.slide``), within [D_FLOOR, D_MAX]
D_START, D_FLOOR, D_MAX = 2.0, 1.0, 4.0


def settings_of(doc: dict) -> dict:
    """Today's value of each detection setting under profile JSON ``doc`` ({}: the defaults)."""
    base = Profile()
    return {k: float(doc.get(k, getattr(base, k))) for k in KNOBS}


def variants(doc: dict, bounds: dict, knobs: tuple[str, ...] | None = None) -> list[tuple]:
    """Today's profile (``()``) and every one-setting change within its bound: variants
    ``((name, value, steps),)``. knobs: the settings searched (None: all of ``KNOBS``)."""
    now = settings_of(doc)
    out: list[tuple] = [()]
    for name in knobs or tuple(KNOBS):
        kb = KNOBS[name]
        reach = int(round(float(bounds.get(f"d:{name}", D_START))))
        for j in (*range(-reach, 0), *range(1, reach + 1)):
            value = round(now[name] + j * kb.step, 4)
            if kb.hard[0] <= value <= kb.hard[1]:
                out.append(((name, value, abs(j)),))
    return out


def apply(doc: dict, variant: tuple) -> dict:
    """Profile JSON ``doc`` with ``variant``'s settings."""
    return {**doc, **{name: value for name, value, _ in variant}}


def case_of(name: str, reviewed: str, result, pair_key: str = "") -> Case:
    """A golden-set Case from a fresh :class:`.result.ScoreResult` (its non-critical penalty
    points per deviation type, as the results tables store them)."""
    pens: dict[str, float] = {}
    for d in result.deviations:
        if d.severity != "critical":
            pens[d.type] = pens.get(d.type, 0.0) + float(d.penalty)
    critical = any(d.severity == "critical" for d in result.deviations)
    several = bool(result.cycles) and len(result.cycles) > 1
    held = result.profile.order_blocks_pass and out_of_order(result.deviations)
    return Case(name, reviewed, float(result.score), critical, () if several else tuple(sorted(pens.items())),
                pair_key, several, held)
