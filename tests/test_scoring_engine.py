"""The engine on clip-embedding sequences with known steps (no video decoding involved)."""
import numpy as np
import pytest

from sopilot_resources.errors import IncompatibleEmbeddingsError, StepsFileError
from sopilot_resources.scoring.engine import score_embeddings
from sopilot_resources.scoring.steps import Step
from synthetic_embeddings import IDENTITY, gold_plan, protos, render

DURS = [3.0, 4.0, 2.5, 5.0, 3.0, 4.0]
PACE = [1.3, 0.7, 1.5, 0.8, 1.2, 1.0]
P = protos(len(DURS), seed=3)
GOLD_PLAN, STEPS = gold_plan(DURS)
GOLD = render(GOLD_PLAN, P, noise=0.3, seed=1)


def trainee_plan() -> list[tuple[int, float]]:
    plan = [(-1, 2.0)]
    for k, d in enumerate(DURS):
        plan += [(k, d * PACE[k]), (-1, 1.0)]
    return plan


def at(plan, step):
    return next(i for i, (p, _) in enumerate(plan) if p == step)


def score(plan, seed=2, **kw):
    return score_embeddings(GOLD, render(plan, P, noise=0.35, offset=0.3, seed=seed), STEPS, **kw)


def kinds(result):
    return sorted((d.type, d.gold_step) for d in result.deviations)


@pytest.mark.parametrize("seed", [2, 7, 11])
def test_correct_performance_passes_clean(seed):
    r = score(trainee_plan(), seed=seed)
    assert r.verdict == "pass" and r.score >= 95, kinds(r)
    assert r.metrics["steps_found"] == len(DURS)


def test_missing_step_is_reported_at_that_step():
    plan = [x for x in trainee_plan() if x[0] != 2]
    r = score(plan)
    assert ("missing_step", 2) in kinds(r) and r.verdict != "pass"
    d = next(d for d in r.deviations if d.type == "missing_step")
    assert d.trainee_time is None and d.gold_time == {"start_sec": STEPS[2].start_sec, "end_sec": STEPS[2].end_sec}


def test_missing_critical_step_fails_whatever_the_score():
    plan = [x for x in trainee_plan() if x[0] != 1]  # step 1 is critical in gold_plan
    r = score(plan)
    assert r.verdict == "fail" and any(d.severity == "critical" for d in r.deviations)


def test_swapped_steps_give_an_order_deviation():
    plan = trainee_plan()
    i, j = at(plan, 3), at(plan, 4)
    plan[i], plan[j] = plan[j], plan[i]
    r = score(plan)
    assert [d.type for d in r.deviations] == ["order_swap"]
    assert r.deviations[0].gold_step in (3, 4) and r.verdict != "pass"


def test_steps_out_of_order_never_pass_unless_the_profile_says_so():
    """However small the order deviation's penalty, the trainee does not ``pass``: at best
    needs_review (Profile.order_blocks_pass); a task whose profile allows it passes as scored."""
    from sopilot_resources.scoring.profile import DEFAULT_PENALTIES, Profile

    plan = trainee_plan()
    i, j = at(plan, 3), at(plan, 4)
    plan[i], plan[j] = plan[j], plan[i]
    light = {**DEFAULT_PENALTIES, "order_swap": 5.0}
    r = score(plan, profile=Profile(penalties=light))
    assert [d.type for d in r.deviations] == ["order_swap"] and r.score >= 95.0
    assert r.verdict == "needs_review"
    from sopilot_resources.scoring.report import render

    assert (f"Why: NEEDS REVIEW: score {r.score:.1f} reaches 85 to pass, but steps were done out of order"
            in render(r, "g", "t"))
    allowed = score(plan, profile=Profile(penalties=light, order_blocks_pass=False))
    assert allowed.verdict == "pass" and "out of order" not in render(allowed, "g", "t")
    assert allowed.verdict_reason == f"PASS: score {allowed.score:.1f} reaches 85 and no critical step deviates"
    assert score(trainee_plan(), profile=Profile(penalties=light)).verdict == "pass"  # nothing out of order
    free = score(plan, profile=Profile(penalties={**DEFAULT_PENALTIES, "order_swap": 0.0}))  # order weighed at 0
    assert [d.type for d in free.deviations] == ["order_swap"] and free.verdict == "pass"


def test_repeated_step():
    plan = trainee_plan()
    i = at(plan, 2)
    plan[i + 1:i + 1] = [(-1, 1.0), (2, DURS[2])]
    assert kinds(score(plan)) == [("repeated_step", 2)]


def test_extra_action_and_long_idle_are_localized():
    plan = trainee_plan()
    i = at(plan, 2)
    plan.insert(i + 1, (len(DURS) + 1, 5.0))  # the 'extra' prototype
    r = score(plan)
    assert [d.type for d in r.deviations] == ["extra_action"]
    t0 = sum(d for _, d in plan[: i + 1])
    tt = r.deviations[0].trainee_time
    assert abs(tt["start_sec"] - t0) < 1.5 and abs(tt["end_sec"] - (t0 + 5.0)) < 1.5

    plan = trainee_plan()
    plan.insert(at(plan, 3), (-1, 12.0))
    assert [d.type for d in score(plan).deviations] == ["long_idle"]


def test_wrong_step_in_place():
    plan = [(len(DURS), d) if p == 1 else (p, d) for p, d in trainee_plan()]
    r = score(plan)
    assert kinds(r) == [("wrong_step", 1)]
    assert r.deviations[0].trainee_time is not None


def test_much_slower_step():
    plan = [(p, d * 3.5 if p == 3 else d) for p, d in trainee_plan()]
    assert kinds(score(plan)) == [("slow_step", 3)]


def test_a_slow_step_whose_last_part_barely_moves_is_still_slow():
    """Slow work reads as still: the in-order span ends where the motion stops, and the rest of
    the step, which still looks like it, used to go uncounted (a 3.5x step passed)."""
    from dataclasses import replace

    plan = [(p, d * 3.5 if p == 3 else d) for p, d in trainee_plan()]
    t = render(plan, P, noise=0.35, offset=0.3, seed=2)
    t0, d = sum(x for _, x in plan[:at(plan, 3)]), plan[at(plan, 3)][1]
    slow_still = (t.starts >= t0 + 0.7 * d) & (t.starts < t0 + d)
    t = replace(t, motion=np.where(slow_still, np.float32(0.01), t.motion))
    r = score_embeddings(GOLD, t, STEPS)
    assert kinds(r) == [("slow_step", 3)]
    dev = r.deviations[0]
    assert dev.trainee_time["end_sec"] >= t0 + d - 1.0  # its time runs to where the step really ends


def test_unrelated_video_scores_low():
    other = render(trainee_plan(), protos(len(DURS), seed=99), noise=0.35, seed=5)
    r = score_embeddings(GOLD, other, STEPS)
    assert r.verdict == "fail" and r.score < 50


def test_score_is_explained_by_penalties_and_serializes():
    plan = [x for x in trainee_plan() if x[0] != 4]
    r = score(plan)
    assert r.score == pytest.approx(max(0.0, 100.0 - sum(d.penalty for d in r.deviations)), abs=0.01)
    doc = r.to_dict()
    assert set(doc) >= {"score", "verdict", "deviations", "steps", "metrics", "embedder", "timings"}
    d = doc["deviations"][0]
    assert set(d) == {"type", "gold_step", "gold_step_name", "gold_time", "trainee_time", "severity",
                      "confidence", "penalty", "message", "evidence"}
    assert 0.0 <= d["confidence"] <= 1.0


def test_detected_steps_when_no_sidecar():
    r = score_embeddings(GOLD, render(trainee_plan(), P, noise=0.35, offset=0.3, seed=2), None)
    assert 3 <= len(r.steps_gold) <= 14 and r.verdict == "pass"


def test_mixed_embedders_refused_and_bad_steps():
    other = render(trainee_plan(), P, seed=3)
    other.embedder = {**IDENTITY, "version": 2}
    with pytest.raises(IncompatibleEmbeddingsError):
        score_embeddings(GOLD, other, STEPS)
    with pytest.raises(StepsFileError):
        score_embeddings(GOLD, render(trainee_plan(), P, seed=3), [Step(0, "late", 500.0, 510.0)])


def test_random_performances_never_crash_and_penalties_explain_the_score():
    """Property check over 300 random gold / trainee pairs: 1-8 steps of any length, trainee
    steps dropped, reordered, stretched, separated by long pauses or replaced by unrelated
    work, any noise and lighting offset, given or detected steps."""
    rng = np.random.default_rng(0)
    for it in range(300):
        n = int(rng.integers(1, 9))
        protos_ = protos(n, dim=int(rng.choice([8, 64])), seed=it)
        plan, steps = gold_plan(list(rng.uniform(0.5, 6, n)), pause=float(rng.uniform(0, 2)))
        tr = [(-1, float(rng.uniform(0, 3)))]
        for k in rng.permutation(n)[: int(rng.integers(0, n + 1))]:
            tr.append((int(k) if rng.random() > 0.1 else n + 1, float(rng.uniform(0.3, 10))))  # n + 1: 'extra'
            if rng.random() < 0.3:
                tr.append((-1, float(rng.uniform(0, 12))))
        gold = render(plan, protos_, seed=it)
        trainee = render(tr, protos_, noise=float(rng.uniform(0, 1)), offset=float(rng.uniform(-1, 1)), seed=it + 1000)
        r = score_embeddings(gold, trainee, None if rng.random() < 0.2 else steps)
        assert r.score == round(max(0.0, 100.0 - r.penalty_total), 2), it
        assert r.verdict in ("pass", "needs_review", "retrain", "fail"), it
        assert all(0.0 <= d.confidence <= 1.0 for d in r.deviations), it
        r.to_dict()


def test_each_step_is_measured_against_the_pace_of_the_others():
    from sopilot_resources.scoring.detect_timing import others_median

    assert others_median(np.array([1.0, 1.0, 2.6, 1.3, 1.3])) == pytest.approx([1.3, 1.3, 1.15, 1.15, 1.15])
    assert others_median(np.array([1.0, 3.0, 1.2])).tolist() == [1.2, 1.2, 1.2]  # too few: all
    assert others_median(np.array([])).tolist() == []


SHORT = [3.0, 4.0, 3.0, 4.0, 3.5]
P_SHORT = protos(len(SHORT), seed=5)
GOLD_SHORT_PLAN, STEPS_SHORT = gold_plan(SHORT)
GOLD_SHORT = render(GOLD_SHORT_PLAN, P_SHORT, noise=0.3, seed=1)


@pytest.mark.parametrize("seed", [2, 7, 11, 17])
@pytest.mark.parametrize("factor, expect", [(1.0, []), (2.5, [("slow_step", 2)])])
def test_a_slow_step_does_not_lengthen_its_own_yardstick(seed, factor, expect):
    """Five steps, two of them done at 1.3x: with the 2.5x step itself in the median, the pace
    was 1.3 and the step 1.9x of it (it passed); against the other four steps' 1.15 it is slow."""
    paces = [1.0, 1.0, factor, 1.3, 1.3]
    plan = [(-1, 2.0)]
    for k, d in enumerate(SHORT):
        plan += [(k, d * paces[k]), (-1, 1.0)]
    r = score_embeddings(GOLD_SHORT, render(plan, P_SHORT, noise=0.35, offset=0.3, seed=seed), STEPS_SHORT)
    assert kinds(r) == expect
