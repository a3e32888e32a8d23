"""One step-number convention: ``gold_step`` is 0-based in data (JSON, DuckDB), "step N" in a
message is 1-based (N = gold_step + 1), and an order message names each step beside its own
number, the misplaced step first."""
import dataclasses
import re

import pytest

from sopilot_resources.scoring.engine import score_embeddings
from synthetic_embeddings import gold_plan, protos, render

DURS = [3.0, 4.0, 2.5, 5.0, 3.0, 4.0]
PACE = [1.3, 0.7, 1.5, 0.8, 1.2, 1.0]
P = protos(len(DURS), seed=3)
GOLD_PLAN, STEPS = gold_plan(DURS)
NAMES = ["pick housing", "fit gasket", "insert stem", "tighten nut", "test valve", "label"]
STEPS = [dataclasses.replace(s, name=n) for s, n in zip(STEPS, NAMES)]  # names unlike numbers
GOLD = render(GOLD_PLAN, P, noise=0.3, seed=1)
STEP_NO = re.compile(r"step (\d+) '([^']*)'")


def _plan():
    plan = [(-1, 2.0)]
    for k, d in enumerate(DURS):
        plan += [(k, d * PACE[k]), (-1, 1.0)]
    return plan


def _at(plan, step):
    return next(i for i, (p, _) in enumerate(plan) if p == step)


def _variants():
    """Trainee plans that between them make the engine emit every kind of deviation."""
    missing = [x for x in _plan() if x[0] != 2]
    swapped = _plan()
    i, j = _at(swapped, 3), _at(swapped, 4)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    repeated = _plan()
    k = _at(repeated, 2)
    repeated[k + 1:k + 1] = [(-1, 1.0), (2, DURS[2])]
    extra = _plan()
    extra.insert(_at(extra, 2) + 1, (len(DURS) + 1, 5.0))
    idle = _plan()
    idle.insert(_at(idle, 3), (-1, 12.0))
    wrong = [(len(DURS), d) if p == 1 else (p, d) for p, d in _plan()]
    slow = [(p, d * 3.5 if p == 3 else d) for p, d in _plan()]
    fast = [(p, d * 0.2 if p == 3 else d) for p, d in _plan()]
    early = _plan()  # step 5 moved to the front: done before steps 1-4
    e = early.pop(_at(early, 4))
    early.insert(1, e)
    return {"missing": missing, "swapped": swapped, "repeated": repeated, "extra": extra, "idle": idle,
            "wrong": wrong, "slow": slow, "fast": fast, "early": early}


@pytest.fixture(scope="module")
def deviations():
    out = []
    for name, plan in _variants().items():
        r = score_embeddings(GOLD, render(plan, P, noise=0.35, offset=0.3, seed=2), STEPS)
        out += [(name, d.to_dict()) for d in r.deviations]
    return out


def test_every_kind_is_covered(deviations):
    kinds = {d["type"] for _, d in deviations}
    assert kinds >= {"missing_step", "wrong_step", "order_swap", "repeated_step", "extra_action",
                     "long_idle", "slow_step"}, kinds


def test_message_step_number_is_gold_step_plus_one(deviations):
    for name, d in deviations:
        m = STEP_NO.search(d["message"])
        if d["gold_step"] is None:
            assert m is None, (name, d)
            continue
        assert m, (name, d["message"])
        assert int(m.group(1)) == d["gold_step"] + 1, (name, d)
        assert m.group(2) == d["gold_step_name"] == STEPS[d["gold_step"]].name, (name, d)


def test_order_message_pairs_each_number_with_its_name(deviations):
    swaps = [d for _, d in deviations if d["type"] == "order_swap"]
    assert swaps
    for d in swaps:
        named = STEP_NO.findall(d["message"])
        assert len(named) == 2, d["message"]
        for number, name in named:  # every number beside the name of that gold step
            assert STEPS[int(number) - 1].name == name, d["message"]
        first, other = (int(n) - 1 for n, _ in named)
        assert first == d["gold_step"] and other != first
        # "before" when the misplaced step came first in the gold's order but later in the trainee, etc.
        word = "before" if " before step " in d["message"] else "after"
        assert (word == "before") == (first > other), d["message"]
