"""What a moving camera's route says (:mod:`..scene.route`): steps left out, and steps done
against the gold's order.

The clips of a body-worn camera passing a station look enough like that station's step (the
same fixtures, passing by) for the alignment to squeeze the step in, and two neighbouring
steps done the other way round look, to the clips, like one of them slow, repeated, or extra
work. Where the camera *stopped*, read from how the whole view moved, tells both:

- **Skipped**: the route has no stop at the step's station, with stops at stations before and
  after it, *and* the camera was recognised at the station (:mod:`..scene.stations`) for at
  most SKIP_SHARE of the gold's time there at this trainee's pace (the smaller of its pace at
  the stations and from the clips). Either sign alone also reads on correct fast performers (a
  camera that slows at a station without stopping; a station seldom recognised in a blurred
  view); both together did not on the demo sets. ``missing_step``, unless a deviation already
  names the step; its status becomes not found.
- **Out of order**: the camera first stopped at the step's station after it had stopped at a
  later step's. ``order_swap`` for the step reached late (as the clips type a swap), unless an
  order deviation the engine reports (at least ``min_confidence``) already names either; the
  clips' readings of the swapped stretch go (an order guess too unsure to report too): the
  step reported missing, a slow or repeated step of either, an extra action within the stretch.
- **Stopped at**: a step the clips report missing whose station the camera stopped at on the
  gold's way, and was recognised at for more than SKIP_SHARE of the gold's time there (the
  converse of a skipped step: both signs say the camera stood there), was not left out: the
  clips lost it in a stretch they read otherwise (a detour before it, a swap); the
  ``missing_step`` goes.
- **Off the way**: the camera went back to a station it had left for a later one, or ahead to
  one it then came back to (:func:`..scene.route.detours`). ``extra_action`` over the detour
  (from leaving the station before to reaching the one after), unless the clips report an
  extra action there; the clips' slow or repeated steps lying mostly in the detour go (the
  detour is where their time went).

Docs: docs/scene.md, item 9; docs/bench/accuracy.md, "Station route round".
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .deviation import Deviation, make, span, tc
from .pair_evidence import PairEvidence, StepStatus

#: the camera recognised at the step's station at most this share of the gold's time there
#: (at this trainee's pace)
SKIP_SHARE = 0.5
#: confidence of an order deviation from the route
ORDER_CONF = 0.7
#: the clips' readings of a swapped stretch that the swap explains
SWAP_READINGS = ("slow_step", "repeated_step")


def route_deviations(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation],
                     pace: float) -> tuple[list[StepStatus], list[Deviation]]:
    """(statuses, deviations) revised by the trainee camera's route (new lists; as they are
    without a moving camera, pictures or a route); ``pace``: the trainee's pace from the clips."""
    scene = pe.scene
    located = [s.where.start for s in status if s.where is not None]
    if scene is None or not scene.usable or not located:
        return status, devs
    dwell = scene.station_dwell(pe.tr_tl.t0(min(located)))
    if dwell is None or dwell.route is None or not np.isfinite(dwell.pace):
        return status, devs
    norm = min(dwell.pace, pace) if pace > 0 else dwell.pace
    devs = _late(pe, status, list(devs), dwell.route)
    devs = _detours(pe, status, devs, dwell.route)
    devs = [d for d in devs if not (d.type == "missing_step" and d.gold_step in dwell.route.stopped
                                    and dwell.share(d.gold_step, norm) > SKIP_SHARE)]
    return _skipped(pe, status, devs, dwell, norm)


def _stay(route, k: int) -> tuple[float, float]:
    """The seconds of the first stay at step k's station that is on the gold's way."""
    i = next(i for i, x in enumerate(route.stations) if x == k and i not in route.extra)
    return route.seconds[i]


def _overlap(d: Deviation, t0: float, t1: float) -> float:
    """Seconds of deviation ``d``'s trainee span within [t0, t1]."""
    tt = d.trainee_time or {}
    return max(0.0, min(t1, tt.get("end_sec", -np.inf)) - max(t0, tt.get("start_sec", np.inf)))


def _late(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation], route) -> list[Deviation]:
    sure = pe.profile.min_confidence
    for k, j in sorted(route.late.items()):
        named = [d for d in devs if d.type == "order_swap" and d.gold_step in (k, j)]
        if any(d.confidence >= sure for d in named):
            continue
        devs = [d for d in devs if not any(d is x for x in named)]  # the clips' guess, too unsure to report
        t0, t1 = _stay(route, j)[0], _stay(route, k)[1]

        def explained(d: Deviation) -> bool:
            return ((d.type == "missing_step" and d.gold_step == k)
                    or (d.type in SWAP_READINGS and d.gold_step in (k, j))
                    or (d.type == "extra_action" and _overlap(d, t0, t1) > 0))

        devs = [d for d in devs if not explained(d)]
        st, other = status[k].step, status[j].step
        msg = (f"step {k + 1} '{st.name}' done after step {j + 1} '{other.name}', against the gold's order: "
               f"the camera stopped at step {j + 1}'s station ({tc(t0)}) before step {k + 1}'s ({tc(t1)})")
        evidence = {"source": "scene", "finding": "the camera reached the step's station out of the gold's order",
                    **route.to_dict()}
        devs.append(make("order_swap", st, span(st.start_sec, st.end_sec), span(t0, t1), ORDER_CONF, msg, pe.profile,
                         evidence=evidence))
    return devs


def _detours(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation], route) -> list[Deviation]:
    for i in route.extra:
        k = route.stations[i]
        t0 = route.seconds[i - 1][1] if i > 0 else route.seconds[i][0]
        t1 = route.seconds[i + 1][0] if i + 1 < len(route.seconds) else route.seconds[i][1]
        if any(d.type == "extra_action" and _overlap(d, t0, t1) > 0 for d in devs):
            continue
        devs = [d for d in devs if not (d.type in SWAP_READINGS and _overlap(d, t0, t1) >= 0.5 * _span_sec(d))]
        prev = route.stations[i - 1] if i > 0 else None
        after = status[prev].step if prev is not None else None
        came = f" after step {prev + 1} '{after.name}'" if after is not None else ""
        msg = (f"extra action{came}: the camera went to step {k + 1}'s station off the gold's way "
               f"({tc(t0)}-{tc(t1)}): work the gold does not do there, or step {k + 1} done again")
        evidence = {"source": "scene", "finding": "the camera left the gold's way between stations",
                    "station_of_step": k + 1, **route.to_dict()}
        devs.append(make("extra_action", after, None, span(t0, t1), ORDER_CONF, msg, pe.profile, evidence=evidence))
    return devs


def _span_sec(d: Deviation) -> float:
    tt = d.trainee_time or {}
    return max(0.0, tt.get("end_sec", 0.0) - tt.get("start_sec", 0.0))


def _skipped(pe: PairEvidence, status: list[StepStatus], devs: list[Deviation], dwell,
             norm: float) -> tuple[list[StepStatus], list[Deviation]]:
    named = {d.gold_step for d in devs if d.gold_step is not None}
    out, new = list(status), []
    for s, st in enumerate(status):
        g, t = dwell.gold[s], dwell.trainee[s]
        share = dwell.share(s, norm)
        if not dwell.route.skipped[s] or s in named or not np.isfinite(share) or share > SKIP_SHARE:
            continue
        step = st.step
        stops = " -> ".join(str(k + 1) for k in dwell.route.stations)
        msg = (f"step {step.index + 1} '{step.name}' missing (gold {tc(step.start_sec)}-{tc(step.end_sec)}): "
               f"the camera went past its station without stopping (stopped at the stations of steps "
               f"{stops}) and was there {t:.1f} s vs {g:.1f} s in the gold")
        evidence = {**dwell.to_dict(s, norm), **dwell.route.to_dict(),
                    "finding": "the camera passed the step's station without stopping"}
        new.append(make("missing_step", step, span(step.start_sec, step.end_sec), None, 0.9 - 0.4 * share, msg,
                        pe.profile, st.critical, evidence=evidence))
        out[s] = replace(st, found=False, where=None)
    return out, devs + new
