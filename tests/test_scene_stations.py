"""How long a moving camera stays at each step's station (scene/stations.py), and the slow
steps the engine reports from it (scoring/detect_stations.py)."""
import numpy as np
import pytest

import scene_synth
import station_synth as S
from sopilot_resources.scene import scene_evidence
from sopilot_resources.scene.pictures import StillCache
from sopilot_resources.scene.register import view
from sopilot_resources.scene.stations import at_station, station_dwell
from sopilot_resources.scoring.deviation import make, span
from sopilot_resources.scoring.detect_stations import station_devs
from sopilot_resources.scoring.evidence import Span
from sopilot_resources.scoring.pair_evidence import PairEvidence, StepStatus
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import Step
from sopilot_resources.scoring.timeline import Timeline

GOLD = S.gold_spans()


def _dwell(factors, worn=True):
    tr = S.stretched(GOLD, factors)
    g = StillCache(S.stills(GOLD))
    t = StillCache(S.stills(tr, worn=worn, seed=1), size=g.size)
    return station_dwell(g, t, GOLD, tr[0][0], S.to_gold(tr, GOLD)), tr


def test_a_station_is_told_from_its_neighbours_and_from_passing_by():
    gold = S.stills(GOLD)
    worn = S.stills(GOLD, worn=True, seed=2)
    at = {round(float(x), 1): i for i, x in enumerate(gold.times)}
    ref = view(gold.frame(at[GOLD[2][1] - 0.5]))  # station 2, late in its step
    assert at_station(ref, view(worn.frame(at[GOLD[2][0] + 1.0])))  # another camera, same station
    assert not at_station(ref, view(worn.frame(at[GOLD[3][0] + 1.0])))  # the next station
    half_way = (GOLD[2][1] + GOLD[3][0]) / 2 + S.LAG
    assert not at_station(ref, view(worn.frame(at[half_way])))  # half-way to the next one


def test_a_step_kept_at_its_station_three_times_as_long_stands_out():
    d, tr = _dwell([1, 1, 3, 1, 1])
    assert d.pace == pytest.approx(1.0, abs=0.15)
    assert d.ratio(2) >= 2.2
    assert all(0.7 <= d.ratio(s) <= 1.4 for s in (0, 1, 3))
    assert np.isnan(d.ratio(4))  # the last station: where the video ends
    first, last = d.when[2]
    assert first <= tr[2][0] + 0.5 and last >= tr[2][1] - 1.0


@pytest.mark.parametrize("factor", [0.6, 1.6])
def test_a_faster_or_slower_trainee_moves_every_station_alike(factor):
    d, _ = _dwell([factor] * 5)
    assert d.pace == pytest.approx(factor, rel=0.3)
    assert max(d.ratio(s) for s in range(4)) < 1.5


def test_a_fixed_camera_has_no_station_dwell():
    take = scene_synth.gold_take()
    ev = scene_evidence(scene_synth.stills(take), scene_synth.stills(take), take.spans)
    assert ev.usable and ev.station_dwell(take.spans[0][0]) is None


def _pair(factors, devs_profile=None, at=None):
    """PairEvidence of a trainee whose steps are ``GOLD`` stretched by ``factors``, with the
    real scene evidence of the two takes (``at``: each step's station), every step found where
    it was done."""
    tr = S.stretched(GOLD, factors)
    scene = scene_evidence(S.stills(GOLD, at=at), S.stills(tr, worn=True, seed=1, at=at), GOLD,
                           to_gold=S.to_gold(tr, GOLD))
    hop = 0.5
    steps = [Step(k, f"step {k}", a, b) for k, (a, b) in enumerate(GOLD)]
    m = int(np.ceil((tr[-1][1] + 2.0) / hop))
    tl = Timeline(np.arange(m) * hop, hop)
    status = [StepStatus(st, False, True, 1.0, Span(int(a / hop), int(b / hop), 0.9)) for st, (a, b) in zip(steps, tr)]
    n = int(np.ceil((GOLD[-1][1] + 2.0) / hop))
    pe = PairEvidence(steps=tuple(steps), critical=(False,) * 5, gold_tl=Timeline(np.arange(n) * hop, hop), tr_tl=tl,
                      step_ev=(), like=np.zeros((5, m), np.float32), ref=0.5, idle=np.zeros(m, bool),
                      procedure={"recognised": True}, overall=1.0, gold_clips=np.full(5, 6.0),
                      profile=devs_profile or Profile(), scene=scene)
    return pe, status, tr


def test_the_long_stay_is_a_slow_step_with_the_dwell_as_evidence():
    pe, status, tr = _pair([1, 1, 3, 1, 1])
    assert pe.scene.usable
    devs = station_devs(pe, status, [], 1.0)
    assert [(d.type, d.gold_step) for d in devs] == [("slow_step", 2)]
    d = devs[0]
    assert d.evidence["source"] == "scene" and d.evidence["ratio"] >= 2.2
    assert d.evidence["trainee_at_station_sec"] > 2 * d.evidence["gold_at_station_sec"]
    assert d.trainee_time["start_sec"] <= tr[2][0] + 0.5 and "stayed at its station" in d.message
    assert d.severity == "efficiency" and 0 < d.penalty <= Profile().penalty("slow_step")
    assert pe.scene.metrics()["scene_station_pace"] == pytest.approx(1.0, abs=0.15)
    # the same pair at the same pace everywhere: nothing
    pe, status, _ = _pair([1, 1, 1, 1, 1])
    assert station_devs(pe, status, [], 1.0) == []


def test_nothing_is_added_where_the_clips_already_report_it_or_the_profile_allows_it():
    pe, status, tr = _pair([1, 1, 3, 1, 1])
    step = pe.steps[2]
    at_step = make("repeated_step", step, span(step.start_sec, step.end_sec), span(*tr[2]), 0.8, "again", pe.profile)
    assert station_devs(pe, status, [at_step], 1.0) == []
    idle = make("long_idle", None, None, span(tr[2][0] + 3.0, tr[2][0] + 8.0), 0.9, "pause", pe.profile)
    assert station_devs(pe, status, [idle], 1.0) == []  # a timing deviation already covers the stay
    lenient, status, _ = _pair([1, 1, 3, 1, 1], Profile(slow_ratio=4.0))
    assert station_devs(lenient, status, [], 1.0) == []


def test_a_trainee_slower_by_the_clips_than_at_the_stations_is_judged_at_the_clips_pace():
    """A stations' pace below the clips' pace means the stations are seldom recognised in this
    trainee's view (a camera worn quite differently): the larger pace is the yardstick, so a
    station it is recognised at does not look slow."""
    pe, status, _ = _pair([1, 1, 3, 1, 1])
    dwell = pe.scene.station_dwell(pe.tr_tl.t0(status[0].where.start))
    assert station_devs(pe, status, [], 0.5 * dwell.pace)  # the stations' pace rules
    assert dwell.ratio(2, 2.0 * dwell.pace) == pytest.approx(dwell.ratio(2) / 2.0)
    assert station_devs(pe, status, [], 2.0 * dwell.pace) == []


def test_steps_at_the_last_station_and_the_rest_there_judge_nothing():
    """Steps 3 and 4 both at the last station (3): the trainee's long rest there after the
    work is not a slow step (the video ends at that station), and steps 3 and 4 share a stay."""
    at = [0, 1, 2, 3, 3]
    gold = StillCache(S.stills(GOLD, at=at))
    tr = S.stretched(GOLD, [1, 1, 1, 2.5, 1])
    trainee = StillCache(S.stills(tr, tail=10.0, worn=True, seed=1, at=at), size=gold.size)
    d = station_dwell(gold, trainee, GOLD, tr[0][0], S.to_gold(tr, GOLD))
    assert np.isnan(d.ratio(3)) and np.isnan(d.ratio(4))
    assert list(d.shared) == [False, False, False, False, True]
    assert np.isfinite(d.pace) and all(d.ratio(s) < 1.5 for s in range(3))


def test_two_steps_at_one_station_share_one_stay_and_one_deviation():
    pe, status, _ = _pair([1, 3, 3, 1, 1], at=[0, 1, 1, 2, 3])
    devs = station_devs(pe, status, [], 1.0)
    assert [(d.type, d.gold_step) for d in devs] == [("slow_step", 1)]
