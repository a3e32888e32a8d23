"""Work between the cycles that the gold's order does not explain.

A cycle done so differently that the template cannot follow it (steps left out, done in
another order, other work in their place) is no cycle to :func:`.find.find_cycles`: it would
vanish from the recording's list. A supervisor must see it, so every stretch outside the
cycles in which the performer keeps working (clips not idle, :func:`..scoring.timeline.idle_mask`)
for at least half a gold cycle is reported, and the recording cannot ``pass`` with one.
"""
from __future__ import annotations

import numpy as np

from ..embeddings import ClipEmbeddings
from ..scoring.timeline import idle_mask
from .find import Cycle

#: share of a gold cycle a stretch must be worked for to be reported
MIN_SHARE = 0.5


def unrecognised_work(rec: ClipEmbeddings, cycles: list[Cycle], cycle_sec: float, trailing: bool = True,
                      min_share: float = MIN_SHARE) -> list[dict]:
    """rec: the recording; cycles: its cycles (partial ones too), in order; cycle_sec: the gold
    cycle's length. Stretches before the first cycle, between cycles and (with ``trailing``)
    after the last, each ``{start_sec, end_sec, active_sec}`` in recording seconds, in which at
    least ``min_share * cycle_sec`` seconds of clips are active."""
    if len(rec) == 0:
        return []
    centres = (np.asarray(rec.starts) + np.asarray(rec.ends)) / 2.0
    active = ~idle_mask(rec.motion)
    hop = float(np.median(np.diff(centres))) if len(centres) > 1 else float(rec.ends[0] - rec.starts[0])
    edges = [float(rec.starts[0])] + [t for c in cycles for t in (c.t0, c.t1)]
    if trailing:
        edges.append(float(rec.ends[-1]))
    out = []
    for a, b in zip(edges[::2], edges[1::2]):
        inside = (centres > a) & (centres < b)
        work = float(np.count_nonzero(active & inside)) * hop
        if b - a >= min_share * cycle_sec and work >= min_share * cycle_sec:
            out.append({"start_sec": round(a, 2), "end_sec": round(b, 2), "active_sec": round(work, 1)})
    return out


def unrecognised_line(stretches: list[dict]) -> str:
    """'' or 'work no cycle explains: 2 stretches, 0:41-1:20 (35 s active), ...; look at them'."""
    if not stretches:
        return ""
    from ..scoring.deviation import tc

    parts = [f"{tc(s['start_sec'])}-{tc(s['end_sec'])} ({s['active_sec']:.0f} s active)" for s in stretches]
    n = len(stretches)
    return (f"work no cycle explains: {n} stretch{'es' if n > 1 else ''}, {', '.join(parts)} "
            "(a cycle done too differently to be recognised, or other work): look at them")
