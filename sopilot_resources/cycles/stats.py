"""Cycle-time statistics of a recording, as industrial engineers read them (takt, balance)."""
from __future__ import annotations

import numpy as np

from ..scoring.verdict import Verdict


def cycle_stats(cycles: list[dict], slowest: int = 3) -> dict:
    """cycles: the ``cycles`` entries of a recording (``trainee_time``, ``partial``, ``verdict``)
    -> counts (found, complete, partial, passed, per verdict) and, over complete cycles, the
    cycle time (median, spread as the inter-quartile range, min, max, the ``slowest`` cycles'
    indices) and the time between cycles (median, total)."""
    whole = [c for c in cycles if not c["partial"]]
    secs = np.array([c["trainee_time"]["end_sec"] - c["trainee_time"]["start_sec"] for c in whole])
    gaps = np.array([b["trainee_time"]["start_sec"] - a["trainee_time"]["end_sec"] for a, b in zip(cycles, cycles[1:])])
    by = {v.value: sum(c["verdict"] == v.value for c in whole) for v in Verdict}
    out = {"found": len(cycles), "complete": len(whole), "partial": len(cycles) - len(whole),
           "passed": by.get(Verdict.PASS.value, 0), "verdicts": by}
    if secs.size:
        q1, med, q3 = np.percentile(secs, [25, 50, 75])
        order = np.argsort(-secs, kind="stable")[:slowest]
        out["cycle_time"] = {"median_sec": round(float(med), 2), "iqr_sec": round(float(q3 - q1), 2),
                             "min_sec": round(float(secs.min()), 2), "max_sec": round(float(secs.max()), 2),
                             "slowest": [whole[i]["index"] for i in order]}
    if gaps.size:
        out["between_cycles"] = {"median_sec": round(float(np.median(gaps)), 2), "total_sec": round(float(gaps.sum()), 2)}
    return out
