"""A moving camera's route over the gold's stations (scene/route.py), and the steps left out
and order swaps that the engine reports from it (scoring/detect_route.py)."""
import numpy as np
import pytest

import station_synth as S
from sopilot_resources.scene import scene_evidence
from sopilot_resources.scene.pictures import StillCache
from sopilot_resources.scene.register import view
from sopilot_resources.scene.pan import pan_path, speed, stays, stops
from sopilot_resources.scene.route import detours, out_of_order, skipped
from sopilot_resources.scene.stations import station_dwell
from sopilot_resources.scoring.deviation import make, span
from sopilot_resources.scoring.detect_route import route_deviations
from sopilot_resources.scoring.evidence import Span
from sopilot_resources.scoring.pair_evidence import PairEvidence, StepStatus
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import Step
from sopilot_resources.scoring.timeline import Timeline

#: three seconds' walk between stations (station_synth's default one-second walk pans 100 px
#: between samples, more than the phase correlation of settled half-second samples follows)
WALK = 3.0
GOLD = S.gold_spans(walk=WALK)


def visited(path, stations):
    """The stations stopped at, in order (:func:`stays`, their stop indices left out)."""
    return [k for k, _, _ in stays(path, stations)]
STATIONS = np.array([[0.0, 0.0], [-0.6, 0.0], [-1.2, 0.0], [-1.8, 0.0], [-2.4, 0.0]])


def _moves(stays, legs):
    """A pan path (K, 2): ``stays[k]`` samples at station ``legs``' k-th stop, moving between
    them along x in bell-shaped legs of 5 samples."""
    xs, bell = [], np.array([0.1, 0.25, 0.3, 0.25, 0.1])
    x = STATIONS[legs[0], 0]
    for k, n in zip(legs, stays):
        target = STATIONS[k, 0]
        xs += list(x + (target - x) * np.cumsum(bell) / bell.sum())
        x = target
        xs += [x] * n
    return np.column_stack([xs, np.zeros(len(xs))])


def test_the_pan_path_follows_a_view_that_slides_along_a_textured_bench():
    bench = S.row()
    hps = [view(bench[20:200, x0:x0 + 320].astype(np.uint8)).hp for x0 in (40, 40, 52, 70, 70)]
    path = pan_path(hps)
    assert path.shape == (5, 2)
    # the view moves right along the bench: the scene moves left in it, by 0, 12, 18, 0 px
    assert np.allclose(path[:, 0], [0, 0, -12 / 320, -30 / 320, -30 / 320], atol=1.5 / 320)
    assert np.allclose(path[:, 1], 0, atol=1.5 / 320)


def test_a_station_passed_in_one_move_is_skipped_and_every_stop_is_a_station():
    path = _moves([6, 6, 6, 6, 6], [0, 1, 3, 4, 4])
    route = visited(path, STATIONS)
    assert route == [0, 1, 3, 4]
    assert list(skipped(route, 5)) == [False, False, True, False, False]
    # the same route with every station stopped at skips nothing
    route = visited(_moves([6] * 5, [0, 1, 2, 3, 4]), STATIONS)
    assert route == [0, 1, 2, 3, 4] and not skipped(route, 5).any()


def test_a_fast_performer_that_slows_at_a_station_without_stopping_stops_there():
    """Two legs whose speed dips to a third of its peak between them: a stay, however short."""
    v = np.array([0.0, 0.0, 0.08, 0.12, 0.08, 0.04, 0.09, 0.13, 0.08, 0.0, 0.0])
    assert 5 in stops(v)
    assert 5 not in stops(np.array([0.0, 0.0, 0.08, 0.12, 0.1, 0.09, 0.11, 0.13, 0.08, 0.0, 0.0]))


def test_pictures_repeated_every_other_sample_make_no_stops():
    """Stills kept at a lower rate than the samples: every other step reads no motion."""
    path = _moves([6, 6], [0, 2])
    doubled = np.repeat(path, 2, axis=0)
    route = visited(doubled, STATIONS)
    assert route == [0, 2]
    assert np.all(speed(doubled)[23:30] > 0.02)  # the leg (samples 11-15, doubled) moves throughout


def test_a_station_first_reached_after_a_later_one_is_out_of_order():
    assert out_of_order([0, 1, 2, 4, 3, 5]) == {3: 4}
    assert out_of_order([0, 2, 1, 3]) == {1: 2}
    assert out_of_order([0, 1, 2, 1, 2, 3]) == {}  # going back to a station already worked at
    assert out_of_order([0, 1, 3, 4]) == {}  # a station skipped is not one done late


@pytest.mark.parametrize("route, extra", [
    ([0, 1, 2, 3, 4, 3, 5], [5]),  # back to station 3 after 4
    ([0, 1, 2, 4, 3, 4, 5], [3]),  # ahead to 4, then 3, then 4 again: the first stay at 4
    ([0, 1, 0, 1, 2, 3], [2]),  # back to 0; the second stay at 1 is the way on
    ([0, 1, 2, 4, 3, 5], []),  # a swap is no detour
    ([0, 1, 3, 4, 5], []), ([0, 1, 2, 3, 4, 5], [])])
def test_stays_off_the_gold_way_are_returns_and_detours_ahead(route, extra):
    assert detours(route) == extra


def test_a_route_that_ends_or_starts_early_skips_nothing_it_did_not_pass():
    assert not skipped([0, 1], 5).any()
    assert not skipped([2, 3, 4], 5).any()
    assert not skipped([], 5).any()


def _pair(tr, at, where, on_way=None, unfound=()):
    """PairEvidence of the five-station gold and a trainee whose spans ``tr`` are worked at the
    stations ``at`` (None: step k at station k), and the clips' statuses: gold step k located at
    ``where[k]`` (trainee seconds), found unless in ``unfound``. ``on_way``: the trainee spans
    the alignment pairs with the gold's steps in order (default ``tr``)."""
    steps = [Step(k, f"step {k}", a, b) for k, (a, b) in enumerate(GOLD)]
    scene = scene_evidence(S.stills(GOLD), S.stills(tr, worn=True, seed=1, at=at), GOLD,
                           to_gold=S.to_gold(on_way or tr, GOLD))
    hop = 0.5
    m = int(np.ceil((tr[-1][1] + 2.0) / hop))
    status = [StepStatus(st, False, k not in unfound, 1.0, Span(int(where[k][0] / hop), int(where[k][1] / hop), 0.9))
              for k, st in enumerate(steps)]
    n = int(np.ceil((GOLD[-1][1] + 2.0) / hop))
    pe = PairEvidence(steps=tuple(steps), critical=(False,) * 5, gold_tl=Timeline(np.arange(n) * hop, hop),
                      tr_tl=Timeline(np.arange(m) * hop, hop), step_ev=(), like=np.zeros((5, m), np.float32),
                      ref=0.5, idle=np.zeros(m, bool), procedure={"recognised": True}, overall=1.0,
                      gold_clips=np.full(5, 6.0), profile=Profile(), scene=scene)
    return pe, status


def test_a_station_walked_past_is_a_missing_step_with_the_route_as_evidence():
    """Steps 0, 1, 3, 4 at their stations; from station 1 the camera walks straight on to 3 (in
    four seconds: twice as far as a walk between neighbours); the clips squeeze step 2 into
    the walk."""
    tr = [(1.0, 4.0), (7.0, 10.0), (14.0, 17.0), (20.0, 23.0)]
    squeeze = (10.0, 14.0)
    where = {0: tr[0], 1: tr[1], 2: squeeze, 3: tr[2], 4: tr[3]}
    pe, status = _pair(tr, [0, 1, 3, 4], where, on_way=[tr[0], tr[1], squeeze, tr[2], tr[3]])
    route = pe.scene.station_dwell(1.0).route
    assert route.stations == [0, 1, 3, 4] and list(route.skipped) == [False, False, True, False, False]
    assert route.late == {}
    status2, devs = route_deviations(pe, status, [], 1.0)
    assert [(d.type, d.gold_step) for d in devs] == [("missing_step", 2)]
    d = devs[0]
    assert d.trainee_time is None and d.evidence["route"] == [1, 2, 4, 5]
    assert d.evidence["trainee_at_station_sec"] <= 1.0 and "went past its station" in d.message
    assert not status2[2].found and status2[2].where is None and status2[1] is status[1]
    # the clips already report something at that step: nothing more
    step = pe.steps[2]
    clip = make("wrong_step", step, span(step.start_sec, step.end_sec), span(*squeeze), 0.7, "wrong", pe.profile)
    assert route_deviations(pe, status, [clip], 1.0)[1] == [clip]


@pytest.mark.parametrize("factor", [1.0, 0.6])
def test_a_trainee_who_stops_at_every_station_skips_none(factor):
    tr = S.stretched(GOLD, [factor] * 5, walk=WALK)
    pe, status = _pair(tr, None, dict(enumerate(tr)))
    route = pe.scene.station_dwell(tr[0][0]).route
    assert route.stations == [0, 1, 2, 3, 4] and not route.skipped.any() and route.late == {}
    assert route_deviations(pe, status, [], factor) == (status, [])


def test_a_station_of_two_steps_is_never_skipped_by_one_of_them():
    """Steps 1 and 2 at one station: a stop there is a stop for both."""
    at = [0, 1, 1, 2, 3]
    g = StillCache(S.stills(GOLD, at=at))
    t = StillCache(S.stills(GOLD, worn=True, seed=1, at=at), size=g.size)
    d = station_dwell(g, t, GOLD, GOLD[0][0], lambda x: x)
    assert not d.route.skipped.any()


def test_two_stations_worked_the_other_way_round_are_an_order_swap_not_what_the_clips_read():
    """Steps 2 and 3 done at their stations in the order 3, 2: the clips read the stretch as
    step 3 slow and step 2 missing (the alignment's in-order reading); the route says where
    the camera stopped, and when."""
    tr = [(1.0, 4.0), (7.0, 10.0), (13.0, 16.0), (19.0, 22.0), (25.0, 28.0)]  # steps 0, 1, 3, 2, 4
    where = {0: tr[0], 1: tr[1], 2: (16.0, 19.0), 3: (13.0, 22.0), 4: tr[4]}  # the clips' reading
    pe, status = _pair(tr, [0, 1, 3, 2, 4], where, unfound=(2,))
    steps, scene = pe.steps, pe.scene
    route = scene.station_dwell(1.0).route
    assert route.stations == [0, 1, 3, 2, 4] and route.late == {2: 3} and not route.skipped.any()
    s2, s3 = steps[2], steps[3]
    clips = [make("missing_step", s2, span(s2.start_sec, s2.end_sec), None, 0.8, "missing", pe.profile),
             make("slow_step", s3, span(s3.start_sec, s3.end_sec), span(13.0, 22.0), 0.8, "slow", pe.profile)]
    _, devs = route_deviations(pe, status, clips, 1.0)
    assert [(d.type, d.gold_step) for d in devs] == [("order_swap", 2)]
    d = devs[0]
    assert d.evidence["route"] == [1, 2, 4, 3, 5] and "against the gold's order" in d.message
    assert 12.0 <= d.trainee_time["start_sec"] <= 16.0 and 19.0 <= d.trainee_time["end_sec"] <= 23.0
    # an order deviation the clips already report for either step: the route adds nothing
    swap = make("order_swap", s3, span(s3.start_sec, s3.end_sec), span(13.0, 16.0), 0.7, "swap", pe.profile)
    assert route_deviations(pe, status, [swap], 1.0)[1] == [swap]


def test_a_detour_to_a_later_station_is_an_extra_action_and_the_step_after_it_not_missing():
    """After step 2 the camera goes on to station 4 and works there, comes back to station 3
    for step 3, then does step 4: the clips read step 3 as missing (its stretch looked like
    nothing they expected) and the work at station 4 as step 4 repeated."""
    tr = [(1.0, 4.0), (7.0, 10.0), (13.0, 16.0), (22.0, 25.0), (28.0, 31.0), (34.0, 37.0)]
    at = [0, 1, 2, 4, 3, 4]
    where = {0: tr[0], 1: tr[1], 2: tr[2], 3: tr[4], 4: tr[5]}
    pe, status = _pair(tr, at, where, on_way=[tr[i] for i in (0, 1, 2, 4, 5)], unfound=(3,))
    steps, scene = pe.steps, pe.scene
    route = scene.station_dwell(1.0).route
    assert route.stations == at and route.extra == [3] and route.late == {} and not route.skipped.any()
    s3, s4 = steps[3], steps[4]
    clips = [make("missing_step", s3, span(s3.start_sec, s3.end_sec), None, 0.8, "missing", pe.profile),
             make("repeated_step", s4, span(s4.start_sec, s4.end_sec), span(*tr[3]), 0.8, "again", pe.profile)]
    _, devs = route_deviations(pe, status, clips, 1.0)
    assert [(d.type, d.gold_step) for d in devs] == [("extra_action", 2)]
    d = devs[0]
    assert d.trainee_time["start_sec"] <= tr[3][0] and d.trainee_time["end_sec"] >= tr[3][1] - 0.5
    assert d.evidence["station_of_step"] == 5 and "off the gold's way" in d.message
    # the clips already report an extra action there: theirs stands, nothing is added
    extra = make("extra_action", s3, None, span(*tr[3]), 0.8, "extra", pe.profile)
    assert route_deviations(pe, status, [extra], 1.0)[1] == [extra]


def test_the_gold_side_of_the_stations_is_made_once_for_every_trainee(monkeypatch):
    """Its station views, stays and pan path depend on the gold alone: kept in its memo."""
    import sopilot_resources.scene.compare as compare

    made = []
    real = compare.gold_stations
    monkeypatch.setattr(compare, "gold_stations", lambda g, spans: made.append(1) or real(g, spans))
    gold = S.stills(GOLD)
    for factor in (1.0, 0.8):
        tr = S.stretched(GOLD, [factor] * 5, walk=WALK)
        ev = scene_evidence(gold, S.stills(tr, worn=True, seed=1), GOLD, to_gold=S.to_gold(tr, GOLD))
        assert ev.station_dwell(tr[0][0]).route.stations == [0, 1, 2, 3, 4]
    assert made == [1]
