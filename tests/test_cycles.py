"""Shift recordings (issue 16): cycles found in a recording, a cyclic gold cut to one cycle,
each cycle scored; one performance scored exactly as before. Synthetic clip embeddings."""
import json

import numpy as np
import pytest

from sopilot_resources.cycles.cyclic_dp import cycle_runs
from sopilot_resources.cycles.find import CycleParams
from sopilot_resources.cycles.gold_cycle import one_cycle_gold
from sopilot_resources.cycles.locate import locate_cycles
from sopilot_resources.cycles.recording import score_recording
from sopilot_resources.cycles.slicing import time_slice
from sopilot_resources.cycles.stats import cycle_stats
from sopilot_resources.scoring.engine import score_embeddings
from sopilot_resources.scoring.report import render as report
from sopilot_resources.stills import Stills
from synthetic_embeddings import HOP, render
from synthetic_shifts import DURS, FOREIGN, GOLD, GOLD_PLAN, P, STEPS, cycle, shift

def found(rec):
    return locate_cycles(GOLD, rec, STEPS)


def test_cycles_found_with_partial_first_and_last_and_boundaries_within_a_second():
    cycles = [cycle(p) for p in (1.0, 0.8, 1.2, 0.9, 1.3, 1.0)]
    plan, truth = shift(cycles, head=[4, 5], tail=[0, 1, 2])
    cs = found(render(plan, P, noise=0.35, offset=0.3, seed=4))
    whole = [c for c in cs if not c.partial]
    assert [c.partial for c in cs] == [True] + [False] * 6 + [True]
    for c, (a, b) in zip(whole, truth):
        assert abs(c.t0 - a) <= 1.0 and abs(c.t1 - b) <= 1.0, (c, a, b)
    assert all(c.coverage > 0.9 for c in whole)


def test_a_long_pause_inside_a_cycle_and_a_missing_step_do_not_split_or_lose_it():
    cycles = [cycle(), cycle(pause_after=2), cycle(skip=(3,)), cycle()]
    plan, truth = shift(cycles)
    cs = found(render(plan, P, noise=0.35, offset=0.3, seed=5))
    assert len(cs) == 4 and not any(c.partial for c in cs)
    assert abs(cs[1].t1 - truth[1][1]) <= 1.0


def test_other_work_is_no_cycle():
    plan = [(-1, 2.0)] + [(k, 3.5) for k in range(len(DURS))] * 3
    rec = render(plan, FOREIGN, noise=0.35, seed=6)
    assert not [c for c in found(rec) if not c.partial]


def test_windows_bound_memory_and_find_the_same_cycles():
    plan, _ = shift([cycle(p) for p in (1.0, 0.9, 1.1, 1.0, 1.2, 0.8, 1.0, 1.1)])
    rec = render(plan, P, noise=0.35, offset=0.3, seed=7)
    whole = locate_cycles(GOLD, rec, STEPS, CycleParams(window=100_000))
    windowed = locate_cycles(GOLD, rec, STEPS, CycleParams(window=10))  # raised to 6 x the template
    assert len(rec) > 6 * 60 and [(c.t0, c.t1) for c in windowed] == [(c.t0, c.t1) for c in whole]


def test_cycle_runs_split_where_the_template_starts_again():
    assert cycle_runs(np.array([-1, 0, 1, 3, 3, 0, 2, -1, -1, 5, 6])) == [(1, 5), (5, 7), (9, 11)]


def test_cyclic_gold_is_cut_to_one_cycle_and_a_single_gold_is_not():
    three = render([(-1, 1.0)] + (GOLD_PLAN[1:] + [(-1, 2.0)]) * 3, P, noise=0.3, seed=8)
    cut, info = one_cycle_gold(three, None)
    period = sum(max(1, round(d / HOP)) * HOP for _, d in GOLD_PLAN[1:] + [(-1, 2.0)])
    assert info is not None and info.cycles == 3 and abs(info.period_sec - period) <= 1.0
    assert abs((cut.ends[-1] - cut.starts[0]) - period) <= 1.5 and info.source == "periodicity"
    same, none = one_cycle_gold(GOLD, STEPS)
    assert none is None and same is GOLD
    by_file, info2 = one_cycle_gold(three, STEPS)  # the steps file names the first cycle
    assert info2.source == "steps file" and by_file.ends[-1] <= STEPS[-1].end_sec + 2.5


def test_one_performance_is_scored_exactly_as_before():
    rec = render(shift([cycle(0.9)])[0], P, noise=0.35, offset=0.3, seed=9)
    a, b = score_recording(GOLD, rec, STEPS).to_dict(), score_embeddings(GOLD, rec, STEPS).to_dict()
    a.pop("timings"), b.pop("timings")
    assert a == b and "cycles" not in a


def test_each_cycle_scored_with_its_deviations_and_the_shift_summed_up():
    cycles = [cycle(), cycle(skip=(2,)), cycle(1.1), cycle(0.9, pause_after=3), cycle(1.6)]
    plan, truth = shift(cycles, head=[4, 5])
    res = score_recording(GOLD, render(plan, P, noise=0.35, offset=0.3, seed=10), STEPS)
    doc = json.loads(json.dumps(res.to_dict()))
    whole = [c for c in doc["cycles"] if not c["partial"]]
    assert doc["cycles"][0]["partial"] and doc["cycles"][0]["score"] is None and len(whole) == 5
    assert [c["verdict"] == "pass" for c in whole] == [True, False, True, False, True]
    d = next(d for d in whole[1]["deviations"] if d["type"] == "missing_step")
    assert d["gold_step"] == 2 and d["gold_time"] == {"start_sec": STEPS[2].start_sec, "end_sec": STEPS[2].end_sec}
    pause = next(d for d in whole[3]["deviations"] if d["type"] == "long_idle")  # in recording seconds
    assert truth[3][0] < pause["trainee_time"]["start_sec"] < pause["trainee_time"]["end_sec"] < truth[3][1]
    # the flat list: each cycle's deviations, saying which cycle (a cycle's own list keeps the engine's words)
    assert doc["deviations"] == [{**d, "cycle": c["index"], "message": f"cycle {c['index'] + 1}: {d['message']}"}
                                 for c in whole for d in c["deviations"]]
    st = doc["cycle_stats"]
    assert st["complete"] == 5 and st["partial"] == 1 and st["passed"] == 3
    assert st["cycle_time"]["slowest"][0] == whole[4]["index"]
    assert res.score == pytest.approx(np.mean([c["score"] for c in whole]), abs=0.01)
    text = report(res, "gold.mp4", "shift.mp4").splitlines()
    assert "6 cycles found (5 complete, 1 partial), 3 passed" in text[1]
    line = next(k for k, t in enumerate(text) if t.startswith(f"  cycle {whole[1]['index'] + 1:>3}"))
    assert "missing" in text[line + 1] and "partial" in next(t for t in text if t.startswith("  cycle   1"))


def test_cycle_stats():
    def c(i, a, b, v="pass", partial=False):
        return {"index": i, "trainee_time": {"start_sec": a, "end_sec": b}, "partial": partial, "verdict": v}

    st = cycle_stats([c(0, 0, 5, None, True), c(1, 8, 28), c(2, 30, 52, "fail"), c(3, 60, 80), c(4, 81, 90, None, True)])
    assert st["found"] == 5 and st["complete"] == 3 and st["passed"] == 2 and st["verdicts"]["fail"] == 1
    assert st["cycle_time"]["median_sec"] == 20 and st["cycle_time"]["slowest"] == [2, 1, 3]
    assert st["between_cycles"] == {"median_sec": 2.5, "total_sec": 14.0}


def test_time_slice_keeps_recording_seconds_and_its_stills():
    rec = render(shift([cycle(), cycle()])[0], P, seed=11)
    frames = [np.full((8, 8, 3), k, np.uint8) for k in range(0, 250, 10)]
    rec.stills = Stills.from_frames(frames, np.arange(len(frames)) * 2.0)
    part, j0 = time_slice(rec, 10.0, 20.0)
    assert part.starts[0] + part.ends[0] >= 20.0 - 1e-6 and j0 == int(np.flatnonzero(rec.starts >= part.starts[0])[0])
    assert list(part.stills.times) == [t for t in rec.stills.times if part.starts[0] <= t <= part.ends[-1]]
    assert part.stills.frame(0)[0, 0, 0] == frames[int(part.stills.times[0] / 2)][0, 0, 0]


def test_stream_prepared_windows_equal_the_engines_preparation():
    from sopilot_resources.cycles.stream_prepare import StreamPrepared
    from sopilot_resources.scoring.evidence import prepare

    x = np.random.default_rng(0).normal(size=(1000, 16)).astype(np.float32) + np.linspace(0, 3, 1000)[:, None]
    blocks = [(slice(0, 10), 1.0), (slice(10, 16), 2.0)]
    whole = prepare(x, 0.5, blocks=blocks)
    sp = StreamPrepared(x, 0.5, blocks=blocks, chunk=97)
    for a, b in ((0, 1000), (0, 3), (450, 620), (997, 1000)):
        np.testing.assert_allclose(sp.rows(a, b), whole[a:b], atol=2e-5)


def test_work_no_cycle_explains_is_reported_and_keeps_the_recording_from_pass():
    both = np.concatenate([P[:-2], FOREIGN[:-2], P[-2:]])  # 0-5 the task's steps, 6-11 other work, -2 rest
    other = [(6 + k, 3.5) for k in range(len(DURS))]  # ~21 s of work the gold never shows
    plan = shift([cycle(), cycle()])[0] + other + [(-1, 4.0)] + shift([cycle(), cycle()])[0]
    rec = render(plan, both, noise=0.35, offset=0.3, seed=12)
    res = score_recording(GOLD, rec, STEPS)
    odd = res.cycle_stats["unrecognised_work"]
    cyc = [c for c in res.cycles if not c["partial"]]
    assert len(cyc) == 4 and all(c["verdict"] == "pass" for c in cyc) and len(odd) == 1
    assert cyc[1]["trainee_time"]["end_sec"] <= odd[0]["start_sec"] + 1.0
    assert odd[0]["end_sec"] <= cyc[2]["trainee_time"]["start_sec"] + 1.0 and odd[0]["active_sec"] >= 15
    assert res.verdict == "needs_review"
    assert res.verdict_reason.startswith(f"NEEDS REVIEW: mean cycle score {res.score:.1f} reaches 85, but ")
    assert res.verdict_reason.endswith(" s of work in 1 stretch(es) is no cycle of the SOP")
    assert "Work no cycle explains: 1 stretch" in report(res, "gold.mp4", "shift.mp4")
    clean = score_recording(GOLD, render(shift([cycle()] * 4)[0], P, noise=0.35, offset=0.3, seed=13), STEPS)
    assert clean.cycle_stats["unrecognised_work"] == [] and clean.verdict == "pass"
    assert clean.verdict_reason.startswith("PASS: mean cycle score ")


def test_a_cycle_with_steps_out_of_order_is_held_back_and_the_recording_is_its_mean():
    """The order rule (Profile.order_blocks_pass) holds for each cycle as for one performance:
    a cycle with two steps swapped is at best needs_review, however small the order deviation's
    penalty. The recording's verdict is that of its mean score, as for a critical deviation:
    each cycle's own verdict carries it."""
    from sopilot_resources.scoring.profile import DEFAULT_PENALTIES, Profile

    swapped = cycle()
    i, j = swapped.index((0, DURS[0])), swapped.index((1, DURS[1]))
    swapped[i], swapped[j] = swapped[j], swapped[i]
    rec = render(shift([cycle(), swapped, cycle(), cycle()])[0], P, noise=0.35, offset=0.3, seed=14)
    light = Profile(penalties={**DEFAULT_PENALTIES, "order_swap": 5.0})
    res = score_recording(GOLD, rec, STEPS, light)
    cyc = [c for c in res.cycles if not c["partial"]]
    assert [any(d["type"] == "order_swap" for d in c["deviations"]) for c in cyc] == [False, True, False, False]
    assert [c["verdict"] for c in cyc] == ["pass", "needs_review", "pass", "pass"]
    assert res.score >= light.pass_min and res.verdict == "pass"
    allowed = score_recording(GOLD, rec, STEPS, Profile(penalties=light.penalties, order_blocks_pass=False))
    assert [c["verdict"] for c in allowed.cycles if not c["partial"]] == ["pass"] * 4
