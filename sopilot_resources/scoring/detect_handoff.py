"""A deviation the pictures cleared, handed on to the neighbour whose result is not there.

When the clips report a step missing or done wrongly and the both-ways search finds its
change made (:mod:`.detect_scene`), the clips' deviation is dropped. But the clips rarely
blame a step for nothing: with a defect next door (a neighbour done wrongly or left out,
whose motion still looks like the gold's), the alignment slips and the blame lands one
step off. So each neighbour of a cleared step that the clips found is checked like the
result check does (:mod:`.detect_result`), on the scenes the search has already made: when
the gold shows its lasting change clearly, no level of pictures finds it in the trainee, and
the two end scenes differ over its region (a lasting difference, :mod:`..scene.outcome`: the
second sign, from the end of the video; without it the wide-view valve, whose pictures find
a step done right as poorly, had a correct video failed), it is ``wrong_step``, or
``missing_step`` when its region never changed that much (no match of the search's
MIN_SIZE). The cleared step itself, found done, is the pair's standard (its pictures show
results), so no other step is searched.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..scene.search import MIN_SIZE
from .detect_result import CONF_BASE, NOT_FOUND, clear_searched, touches
from .deviation import Deviation, make, span, tc
from .pair_evidence import PairEvidence, StepStatus


class Searched(NamedTuple):
    """Step n's best match over the levels where the gold shows its lasting change clearly
    (:func:`searched_best`)."""

    agreement: float
    size: float
    #: the strongest lasting difference of the end scenes over its region at those levels
    #: (None: none touches it)
    end_difference: float | None
    #: its region at the first such level (finest first)
    region: np.ndarray


def searched_best(pe: PairEvidence, n: int) -> Searched | None:
    """Step n's best match over the levels where the gold shows its lasting change clearly,
    from the both-ways search's scenes; None: clear at no level, or not searchable there."""
    scene = pe.scene
    best, sign, region = None, None, None
    diffs = [d for d in scene.outcome.differences if d.mask is not None]
    for level in [lv.name for lv in scene.levels]:
        if n not in (got := clear_searched(pe, [n], level)):
            continue
        ch, found = got[n]
        region = ch.region if region is None else region
        hit = [d.strength for d in diffs if touches(ch.region, d.mask)]
        sign = max(hit + ([] if sign is None else [sign]), default=None)
        if found is not None:
            best = found if best is None else max(best, found)
    return None if best is None else Searched(*best, sign, region)


def handed_on(pe: PairEvidence, status: list[StepStatus], cleared: dict[int, Deviation],
              devs: list[Deviation]) -> list[Deviation]:
    """New ``wrong_step`` / ``missing_step`` deviations for the neighbours of the steps in
    ``cleared`` (step -> the clips' deviation the pictures cleared) that the clips found, that
    nothing in ``devs`` names, whose clear lasting change no level of pictures finds in the
    trainee, and over whose region the end scenes differ."""
    named = {d.gold_step for d in devs if d.type in ("missing_step", "wrong_step")} | set(cleared)
    out = []
    for s, dev in sorted(cleared.items()):
        for n in (s + 1, s - 1):
            if not 0 <= n < len(status) or n in named or not status[n].found or status[n].where is None:
                continue
            got = searched_best(pe, n)
            if got is None or got.agreement >= NOT_FOUND or got.end_difference is None:
                continue
            a, size, sign, st = got.agreement, got.size, got.end_difference, status[n]
            # its region never changed that much (no match of MIN_SIZE): the step was left out
            kind = "missing_step" if size < MIN_SIZE else "wrong_step"
            where = (pe.tr_tl.t0(st.where.start), pe.tr_tl.t1(st.where.end))
            what = "left out: its region never changes" if kind == "missing_step" else "done differently"
            msg = (f"step {n + 1} '{st.step.name}' {what}; its result is not in the trainee's pictures, "
                   f"while step {s + 1} '{pe.steps[s].name}', which the clips doubted, was done "
                   f"(gold {tc(st.step.start_sec)}-{tc(st.step.end_sec)}, about trainee {tc(where[0])}-{tc(where[1])})")
            evidence = {"source": "scene", "finding": "the step's result is not in the trainee's pictures",
                        "agreement": round(a, 2), "size": round(size, 2), "end_difference": round(sign, 2),
                        "handed_on_from": s, "cleared": dev.type}
            out.append(make(kind, st.step, span(st.step.start_sec, st.step.end_sec),
                            span(*where) if kind == "wrong_step" else None, CONF_BASE, msg, pe.profile,
                            st.critical, evidence=evidence))
            named.add(n)
    return out
