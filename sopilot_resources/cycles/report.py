"""The human-readable report of a recording of several cycles (``sopilot score`` on a shift)."""
from __future__ import annotations

from pathlib import Path

from ..scoring.deviation import tc
from ..scoring.verdict import Verdict
from .unrecognised import unrecognised_line


def render_recording(result, gold_path: str | Path, trainee_path: str | Path) -> str:
    """result: a ScoreResult with ``cycles`` -> the summary, cycle times and one line per cycle
    (its deviations' messages under it)."""
    st = result.cycle_stats
    lines = [f"SOPilot: recording {Path(trainee_path).name}  vs  gold {Path(gold_path).name}",
             f"{st['found']} cycles found ({st['complete']} complete, {st['partial']} partial), {st['passed']} passed; "
             f"mean score {result.score:.1f} / 100    Verdict: {Verdict(result.verdict).label}"]
    if result.verdict_reason:
        lines.append(f"Why: {result.verdict_reason}")
    ct, gap = st.get("cycle_time"), st.get("between_cycles")
    if ct:
        lines.append(f"Cycle time median {ct['median_sec']:.1f} s (IQR {ct['iqr_sec']:.1f} s, {ct['min_sec']:.1f}-"
                     f"{ct['max_sec']:.1f} s), slowest cycles {', '.join(str(i + 1) for i in ct['slowest'])}")
    if gap:
        lines.append(f"Between cycles: median {gap['median_sec']:.1f} s, {gap['total_sec']:.0f} s in all")
    odd = unrecognised_line(st.get("unrecognised_work") or [])
    if odd:
        lines.append(odd[0].upper() + odd[1:])
    lines.append("")
    for c in result.cycles:
        span = f"{tc(c['trainee_time']['start_sec'])}-{tc(c['trainee_time']['end_sec'])}"
        if c["partial"]:
            lines.append(f"  cycle {c['index'] + 1:>3}  {span}  partial (the recording cuts it), not scored")
            continue
        lines.append(f"  cycle {c['index'] + 1:>3}  {span}  {c['score']:5.1f}  {Verdict(c['verdict']).label}")
        lines += [f"      - [{d['severity']}] {d['message']}" for d in c["deviations"]]
    return "\n".join(lines)
