"""The human-readable report printed by ``sopilot score``."""
from __future__ import annotations

from pathlib import Path

from .deviation import tc
from .result import ScoreResult
from .verdict import Verdict


def render(result: ScoreResult, gold_path: str | Path, trainee_path: str | Path) -> str:
    if result.cycles is not None:  # a recording of several cycles (a shift)
        from ..cycles.report import render_recording

        return render_recording(result, gold_path, trainee_path)
    m = result.metrics
    lines = [
        f"SOPilot: trainee {Path(trainee_path).name}  vs  gold {Path(gold_path).name}",
        f"Score {result.score:.1f} / 100    Verdict: {Verdict(result.verdict).label}",
        f"{m['steps_found']}/{m['steps_total']} steps found, pace {m['pace']:.2f}x gold, "
        f"embedder {result.embedder.get('name', '?')}",
        *([f"Why: {result.verdict_reason}"] if result.verdict_reason else []),
        "",
    ]
    if result.deviations:
        lines.append(f"Deviations ({len(result.deviations)}), penalties add up to {result.penalty_total:.1f} points:")
        for d in result.deviations:
            lines.append(f"  - [{d.severity}] {d.message}  (-{d.penalty:.1f}, confidence {d.confidence:.2f})")
    else:
        lines.append("No deviations: the trainee followed the SOP.")
    lines += ["", "Steps (gold -> trainee), numbered from 1 as in the messages:"]
    where = {s["index"]: s for s in result.steps_trainee}
    pictures = {x["index"]: x["made_by_sec"] for x in result.metrics.get("scene_found_done") or []}
    width = max((len(s.name) for s in result.steps_gold), default=4)
    for s in result.steps_gold:
        t = where.get(s.index)
        tt = (f"{tc(t['start_sec'])}-{tc(t['end_sec'])}" if t else
              f"not seen in the clips, its result made by {tc(pictures[s.index])} (pictures)" if s.index in pictures
              else "not found")
        flag = " (critical)" if s.critical else ""
        lines.append(f"  {s.index + 1:>2}. {s.name:<{width}}  gold {tc(s.start_sec)}-{tc(s.end_sec)}  trainee {tt}{flag}")
    return "\n".join(lines)

