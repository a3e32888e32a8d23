"""Shift recordings made of synthetic clip embeddings: a six-step gold and cycles of it with
rest between (shared by the cycle tests)."""
from synthetic_embeddings import HOP, gold_plan, protos, render

DURS = [3.0, 4.0, 2.5, 5.0, 3.0, 4.0]
P = protos(len(DURS), seed=3)
GOLD_PLAN, STEPS = gold_plan(DURS)
GOLD = render(GOLD_PLAN, P, noise=0.3, seed=1)
FOREIGN = protos(len(DURS), seed=99)  # other work: prototypes the gold never shows


def cycle(pace=1.0, skip=(), pause_after=None, pause=0.6):
    out = []
    for k, d in enumerate(DURS):
        if k in skip:
            continue
        out += [(k, d * pace), (-1, 10.0 if k == pause_after else pause)]
    return out[:-1]


def shift(cycles, gap=4.0, head=None, tail=None):
    """plan of the cycles with ``gap`` s of rest between; head / tail: a partial first / last
    cycle (its last / first steps). Returns (plan, true (start, end) per whole cycle)."""
    plan, truth, t = [], [], 0.0

    def add(items):
        nonlocal t
        for p_, d in items:
            plan.append((p_, d))
            t += max(1, int(round(d / HOP))) * HOP

    if head:
        add([(k, DURS[k]) for k in head] + [(-1, gap)])
    else:
        add([(-1, gap)])
    for c in cycles:
        t0 = t
        add(c)
        truth.append((t0, t))
        add([(-1, gap)])
    if tail:
        add([(k, DURS[k]) for k in tail] + [(-1, 1.0)])
    return plan, truth
