"""The Deviation record and how its penalty and severity follow from the profile."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .profile import Profile
from .steps import Step

DEVIATION_TYPES = (
    "missing_step", "wrong_step", "order_swap", "repeated_step",
    "extra_action", "slow_step", "fast_step", "long_idle",
)
SEVERITIES = ("critical", "quality", "efficiency")


@dataclass(frozen=True)
class Deviation:
    """One finding; never edited once made (a revised one replaces it: ``dataclasses.replace``)."""

    type: str
    gold_step: int | None
    gold_step_name: str | None
    gold_time: dict | None
    trainee_time: dict | None
    severity: str
    confidence: float
    penalty: float
    message: str
    #: what the deviation rests on beyond the clips (e.g. the scene comparison: where the
    #: pictures differ, how clearly, when); None when the clips alone decided
    evidence: dict | None = None
    #: the cycle of a shift recording it was found in (0-based, :mod:`..cycles`); None in a
    #: recording of one performance, and then the dict has no ``cycle`` key
    cycle: int | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["cycle"] is None:
            del d["cycle"]
        return d


def tc(seconds: float) -> str:
    """Timecode ``MM:SS`` (``H:MM:SS`` past an hour)."""
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60:02d}:{rem % 60:02d}"


def span(start: float, end: float) -> dict:
    return {"start_sec": round(float(start), 2), "end_sec": round(float(end), 2)}


def make(kind: str, step: Step | None, gold_time: dict | None, trainee_time: dict | None,
         confidence: float, message: str, profile: Profile, critical: bool = False,
         evidence: dict | None = None) -> Deviation:
    """Build a deviation; penalty = profile weight x confidence."""
    confidence = float(min(1.0, max(0.0, confidence)))
    if kind in ("missing_step", "wrong_step"):
        severity = "critical" if critical else "quality"
        weight = profile.penalty(kind.replace("_step", "_critical_step")) if critical else profile.penalty(kind)
    else:
        severity = "efficiency" if kind in ("slow_step", "fast_step", "long_idle") else "quality"
        weight = profile.penalty(kind)
    return Deviation(
        type=kind,
        gold_step=None if step is None else step.index,
        gold_step_name=None if step is None else step.name,
        gold_time=gold_time, trainee_time=trainee_time, severity=severity,
        confidence=round(confidence, 3), penalty=round(weight * confidence, 2), message=message,
        evidence=evidence,
    )


def at_least(d: Deviation, confidence: float) -> Deviation:
    """``d`` weighed at least ``confidence`` sure (another source backs it up): a copy with that
    confidence and its penalty scaled alike where it is higher, else ``d`` itself."""
    if confidence <= d.confidence:
        return d
    return replace(d, penalty=round(d.penalty / max(d.confidence, 1e-6) * confidence, 2),
                   confidence=round(confidence, 3))


def critical_notes(deviations) -> list[str]:
    """One short description per critical deviation, e.g. "step 3 'bolt cover' missing step"
    (steps counted from 1, as in the messages)."""
    out = []
    for d in deviations:
        if d.severity == "critical":
            step = "" if d.gold_step is None else f"step {d.gold_step + 1} '{d.gold_step_name}' "
            out.append(f"{step}{d.type.replace('_', ' ')}")
    return out


def out_of_order(deviations) -> bool:
    """Steps are reported out of order: an ``order_swap`` deviation that costs points (a task
    whose profile weighs order at 0 does not care about it; ``Profile.order_blocks_pass``)."""
    return any(d.type == "order_swap" and d.penalty > 0 for d in deviations)
