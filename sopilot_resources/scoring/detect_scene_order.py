"""Order from the pictures: a step the both-ways search found done (:mod:`.detect_scene`)
whose change was made after the next step had ended, or before the previous one started."""
from __future__ import annotations

import numpy as np

from .deviation import Deviation, make, span, tc
from .pair_evidence import StepStatus
from .profile import Profile

#: a step so found whose change was made ORDER_SLACK s after the next step ended (or before
#: the previous one started) was done out of order, with this confidence
ORDER_SLACK, ORDER_CONF = 1.5, 0.6
#: ... the neighbour located by the clips over at least this share of its expected time (a
#: neighbour matched in a sliver of it is no anchor: seed 49's correct terminals trainee, its
#: `tighten T3` matched order-free over the video's last 0.5 s, for a step of about 3 s)
ANCHOR_SHARE = 0.5


def done_out_of_order(done: dict[int, float], status: list[StepStatus], tr_spans: list, devs: list[Deviation],
                      profile: Profile, expected: np.ndarray | None = None) -> list[Deviation]:
    """``order_swap`` for the steps the pictures found done (``done``: step -> trainee seconds
    by which its change was made) after the next step, as the clips located it, had ended (or
    before the previous one had started), ORDER_SLACK s beyond: the clips missed the step
    because it was not where the gold's order put it. None where an order deviation already
    names the step or that neighbour, where the clips did not find the neighbour (the stretch a
    step done wrongly is given is where its time went, not where it was done: seed 49's correct
    terminals trainee, `tighten T3` unrecognised and given the next step's seconds), or where
    they found it over less than ANCHOR_SHARE of its ``expected`` (S,) trainee seconds (None:
    any span anchors)."""
    named = {d.gold_step for d in devs if d.type == "order_swap"}
    out = []
    for s, when in sorted(done.items()):
        for other, after in ((s + 1, True), (s - 1, False)):
            if (not 0 <= other < len(status) or tr_spans[other] is None or not status[other].found
                    or {s, other} & named):
                continue
            a, b = tr_spans[other]
            if expected is not None and b - a < ANCHOR_SHARE * float(expected[other]):
                continue
            if (when > b + ORDER_SLACK) if after else (when < a - ORDER_SLACK):
                st, nb = status[s].step, status[other].step
                msg = (f"step {s + 1} '{st.name}' done {'after' if after else 'before'} step {other + 1} "
                       f"'{nb.name}', against the gold's order: its result appears at {tc(when)} "
                       f"(step {other + 1}: trainee {tc(a)}-{tc(b)})")
                ev = {"source": "scene", "finding": "the step's result appears out of the gold's order",
                      "made_by_sec": round(when, 2), "neighbour_trainee": [round(a, 2), round(b, 2)]}
                out.append(make("order_swap", st, span(st.start_sec, st.end_sec), span(max(0.0, when - 1.0), when),
                                ORDER_CONF, msg, profile, evidence=ev))
                named |= {s, other}
                break
    return out
