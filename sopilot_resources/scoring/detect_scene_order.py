"""Order from the pictures: a step the both-ways search found done (:mod:`.detect_scene`)
whose change was made after the next step had ended, or before the previous one started."""
from __future__ import annotations

from .deviation import Deviation, make, span, tc
from .pair_evidence import StepStatus
from .profile import Profile

#: a step so found whose change was made ORDER_SLACK s after the next step ended (or before
#: the previous one started) was done out of order, with this confidence
ORDER_SLACK, ORDER_CONF = 1.5, 0.6


def done_out_of_order(done: dict[int, float], status: list[StepStatus], tr_spans: list, devs: list[Deviation],
                      profile: Profile) -> list[Deviation]:
    """``order_swap`` for the steps the pictures found done (``done``: step -> trainee seconds
    by which its change was made) after the next step, as the clips located it, had ended (or
    before the previous one had started), ORDER_SLACK s beyond: the clips missed the step
    because it was not where the gold's order put it. None where an order deviation already
    names the step or that neighbour."""
    named = {d.gold_step for d in devs if d.type == "order_swap"}
    out = []
    for s, when in sorted(done.items()):
        for other, after in ((s + 1, True), (s - 1, False)):
            if not 0 <= other < len(status) or tr_spans[other] is None or {s, other} & named:
                continue
            a, b = tr_spans[other]
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
