"""The per-task autopilot's proposal step (issue 15 item 4, first part): verdict thresholds
proposed from the golden set within sliding bounds, cross-validated, behind the gate; adopted
as a new profile version, pinned, rolled back with narrower bounds; every pass audited."""
import datetime as dt
import json

import pytest

from sopilot_assets.cli import main
from sopilot_resources.scoring.autopilot import (FLOOR, PEN_START, START, Case, agreement, profile_doc, propose,
                                                 slide, unsafe)
from sopilot_resources.storage import Registry, ResultsStore, VideoStore
from sopilot_resources.storage.registry import TaskRecord

CURRENT = {"pass_min": 85.0, "review_min": 70.0, "retrain_min": 50.0}


def _cases(extra=()):
    good = [Case(f"p{s}", "pass", s) for s in (81, 82, 83, 84, 90, 95, 96, 97)]
    bad = [Case("r60", "retrain", 60), Case("r55", "retrain", 55), Case("r65", "retrain", 65),
           Case("f20", "fail", 20), Case("crit", "fail", 99, critical=True)]
    return good + bad + list(extra)


def test_a_proposal_within_the_bounds_agrees_better_and_passes_the_gate():
    p = propose(_cases(), CURRENT, {})
    assert p.gate_ok, p.reasons
    assert p.changes == {"pass_min": (85.0, 81.0)} and p.agreement_before == 9 and p.agreement_after == 13
    assert p.cv_after > p.cv_before and p.unsafe_after == []


def test_the_gate_never_lets_a_reviewed_defective_pass():
    cases = _cases([Case("f82", "fail", 82)])  # a defective video scoring among the good ones
    p = propose(cases, CURRENT, {})
    assert p.gate_ok and p.proposed["pass_min"] == 83.0  # stops just above it
    assert unsafe(p.proposed, cases) == [] and "f82" not in p.unsafe_after


def test_a_trainee_with_steps_out_of_order_never_passes_under_any_thresholds():
    """The replay agrees with the engine (Profile.order_blocks_pass): a reviewed defective
    video whose steps were reported out of order cannot be made to pass by lowering pass_min,
    so it does not hold the proposal back."""
    from sopilot_resources.scoring.autopilot import verdict_of

    swapped = Case("swap92", "retrain", 92.0, out_of_order=True)
    assert verdict_of(CURRENT, swapped) == "needs_review"
    assert verdict_of({**CURRENT, "pass_min": 50.0}, swapped) == "needs_review"
    p = propose(_cases([swapped]), CURRENT, {})
    assert p.gate_ok and p.changes == {"pass_min": (85.0, 81.0)} and p.unsafe_after == []


def test_stored_and_fresh_results_say_when_steps_were_out_of_order(tmp_path):
    """The replay reads steps out of order from the stored deviations (cases_for) and from a
    fresh result (case_of), under the task's profile: an order deviation that costs points
    holds the case back unless the profile lets order go (order_blocks_pass: false)."""
    from sopilot_resources.scoring.autopilot_detect import case_of
    from sopilot_resources.storage.autopilot_state import cases_for
    from sopilot_resources.storage.profiles import add_version

    store, rs = _root(tmp_path, [Case("swapped", "retrain", 92.0), Case("free", "retrain", 95.0),
                                 Case("clean", "pass", 100.0)])
    rs.write("deviations", "p0", [{"pair_key": "p0", "type": "order_swap", "penalty": 8.0, "severity": "normal"}])
    rs.write("deviations", "p1", [{"pair_key": "p1", "type": "order_swap", "penalty": 0.0, "severity": "normal"}])
    held = {c.name: c.out_of_order for c in cases_for(store, "t")}
    assert held == {"swapped.mp4": True, "free.mp4": False, "clean.mp4": False}
    (store.root / "any_order.json").write_text(json.dumps({"order_blocks_pass": False}))
    reg = Registry(store.registry_dir)
    add_version(reg, reg.task("t"), {"sha256": "b" * 64, "path": "any_order.json", "file_name": "any_order.json",
                                     "fingerprint": "f"}, "inbox", "steps may come in any order")
    assert not any(c.out_of_order for c in cases_for(store, "t"))

    from sopilot_resources.scoring.profile import Profile
    from test_scoring_engine import at, score, trainee_plan

    plan = trainee_plan()
    i, j = at(plan, 3), at(plan, 4)
    plan[i], plan[j] = plan[j], plan[i]
    assert case_of("v", "retrain", score(plan)).out_of_order
    assert not case_of("v", "retrain", score(plan, profile=Profile(order_blocks_pass=False))).out_of_order
    assert not case_of("v", "pass", score(trainee_plan())).out_of_order


def test_the_gate_refuses_what_does_not_help_and_says_why():
    agreeing = [Case(f"p{s}", "pass", s) for s in (90, 95)] + [Case("r60", "retrain", 60)]
    p = propose(agreeing, CURRENT, {})
    assert not p.gate_ok and any("no threshold" in r for r in p.reasons)
    few = [Case("p83", "pass", 83), Case("p90", "pass", 90)]  # one video would move it: not on held-out ones
    q = propose(few, CURRENT, {})
    assert not q.gate_ok and any("held-out" in r for r in q.reasons)


def test_bounds_limit_the_move_and_slide():
    p = propose(_cases(), CURRENT, {"pass_min": 2, "review_min": 2, "retrain_min": 2})
    assert p.proposed["pass_min"] == 83.0  # 85 - 2
    b = slide({}, adopted=True)
    assert b["pass_min"] == START * 1.5
    assert slide(b, adopted=False)["pass_min"] == START * 0.75
    tiny = {"pass_min": FLOOR, "review_min": FLOOR, "retrain_min": FLOOR}
    narrow = slide(tiny, adopted=False)
    assert {k: narrow[k] for k in tiny} == tiny and narrow["m:missing_step"] == PEN_START * 0.5  # never below the floors
    assert agreement(CURRENT, _cases()) == 9


def _root(tmp_path, cases):
    """A data root whose task t has ``cases`` as reviewed videos with a latest score each."""
    store = VideoStore.at(tmp_path / "data").ensure()
    Registry(store.registry_dir).put_task(TaskRecord(task="t"))
    rs = ResultsStore(store.results, store.duckdb_path)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    for k, c in enumerate(cases):
        rs.write("scores", f"p{k}", [{"pair_key": f"p{k}", "task": "t", "trainee_file": f"{c.name}.mp4",
                                      "trainee_sha256": c.name, "gold_version": 1, "score": c.score,
                                      "verdict": "x", "scored_at": now, "n_critical": int(c.critical)}])
        rs.append("reviews", [{"review_id": f"r{k}", "task": "t", "trainee_file": f"{c.name}.mp4",
                               "trainee_sha256": c.name, "verdict": c.reviewed, "deviations": "[]",
                               "reviewed_at": now}], prefix="t")
    return store, rs


def _cli(capsys, store, *args):
    rc = main(["profile", *args, "--data-dir", str(store.root)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_autopilot_adopts_pins_rolls_back_and_audits_every_pass(tmp_path, capsys):
    from sopilot_resources.scoring.profile import load_profile

    store, rs = _root(tmp_path, _cases())
    rc, out, _ = _cli(capsys, store, "autopilot", "t")
    assert rc == 0 and "passes the gate" in out and "pass_min 85 -> 81" in out
    rc, out, _ = _cli(capsys, store, "autopilot", "t", "--adopt", "--canary", "0")
    assert rc == 0 and "profile v1 adopted" in out
    task = Registry(store.registry_dir).task("t")
    assert task.profile["proposed_by"] == "autopilot" and "agreement 9 -> 13 of 13" in task.profile["why"]
    assert load_profile(store.root / task.profile["path"]).pass_min == 81.0
    st = json.loads((store.registry_dir / "autopilot" / "t.json").read_text())
    assert st["bounds"]["pass_min"] == START * 1.5  # widened after an adopted change
    rc, out, _ = _cli(capsys, store, "pin", "t", "--by", "ops")
    rc, out, _ = _cli(capsys, store, "autopilot", "t", "--adopt")
    assert "pinned by ops" in out and Registry(store.registry_dir).task("t").profile["version"] == 1
    _cli(capsys, store, "unpin", "t")
    rc, out, _ = _cli(capsys, store, "autopilot", "t", "--min-reviews", "50")
    assert "at least 50 needed" in out
    rc, out, err = _cli(capsys, store, "rollback", "t", "1")  # v1 is in force
    assert rc == 2 and "in force already" in err
    events = [r["event"] for r in rs.query("SELECT event FROM profile_events ORDER BY event_at")]
    assert events == ["proposed", "adopted", "pinned", "skipped", "unpinned", "skipped"]


def test_a_rolled_back_autopilot_version_narrows_its_bounds(tmp_path, capsys):
    store, rs = _root(tmp_path, _cases())
    reg = Registry(store.registry_dir)
    t = reg.task("t")
    (store.root / "p.json").write_text(json.dumps({"pass_min": 88}))
    from sopilot_resources.storage.profiles import add_version

    add_version(reg, t, {"sha256": "a" * 64, "path": "p.json", "file_name": "p.json", "fingerprint": "f"},
                "inbox", "dropped")
    _cli(capsys, store, "autopilot", "t", "--adopt", "--canary", "0")
    assert reg.task("t").profile["proposed_by"] == "autopilot"
    rc, out, _ = _cli(capsys, store, "rollback", "t", "1", "--by", "maria")
    assert rc == 0 and "v3 is now in force" in out
    st = json.loads((store.registry_dir / "autopilot" / "t.json").read_text())
    assert st["bounds"]["pass_min"] == START * 1.5 * 0.5
    assert [r["event"] for r in rs.query("SELECT event FROM profile_events ORDER BY event_at")][-1] == "rolled_back"


def test_unknown_task_is_an_error(tmp_path, capsys):
    store, _ = _root(tmp_path, _cases())
    rc, _, err = _cli(capsys, store, "autopilot", "nope")
    assert rc == 2 and "unknown task 'nope'" in err


def test_the_nightly_autopilot_runs_when_idle_and_its_job_audits_each_task(tmp_path):
    import dagster as dg

    from sopilot_assets.autopilot_job import build_autopilot_job
    from sopilot_assets.schedules import autopilot_schedule
    from sopilot_resources.dagster_resources.storage import VideoStoreResource
    from sopilot_resources.settings import Settings
    from test_idle_schedules import SimulatedLoad

    store, rs = _root(tmp_path, _cases())
    s = Settings.from_env({"SOPILOT_DATA_DIR": str(store.root), "SOPILOT_AUTOPILOT_CRON": "15 4 * * *"})
    job = build_autopilot_job(s)
    schedule = autopilot_schedule(s, job)
    assert schedule.cron_schedule == "15 4 * * *" and schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    with dg.instance_for_test() as inst:
        busy = schedule(dg.build_schedule_context(instance=inst, resources={"idle_gate": SimulatedLoad(cpu=90)}))
        assert isinstance(busy, dg.SkipReason) and "nightly autopilot skipped" in busy.skip_message
        idle = schedule(dg.build_schedule_context(instance=inst, resources={"idle_gate": SimulatedLoad()}))
        assert isinstance(idle, dg.RunRequest)
        res = job.execute_in_process(instance=inst, resources={"video_store": VideoStoreResource(data_dir=str(store.root))})
    assert res.success
    assert [r["event"] for r in rs.query("SELECT event FROM profile_events")] == ["proposed"]  # SOPILOT_AUTOPILOT_ADOPT=0
    assert Registry(store.registry_dir).task("t").profile is None  # nothing adopted by default
    adopting = Settings.from_env({"SOPILOT_DATA_DIR": str(store.root), "SOPILOT_AUTOPILOT_ADOPT": "1",
                                  "SOPILOT_AUTOPILOT_CANARY": "0"})
    with dg.instance_for_test() as inst:
        assert build_autopilot_job(adopting).execute_in_process(
            instance=inst, resources={"video_store": VideoStoreResource(data_dir=str(store.root))}).success
    assert Registry(store.registry_dir).task("t").profile["proposed_by"] == "autopilot"


def _more(rs, cases, at, start=100):
    """``cases`` scored at ``at`` and reviewed: new trainees of task t."""
    for k, c in enumerate(cases, start):
        rs.write("scores", f"p{k}", [{"pair_key": f"p{k}", "task": "t", "trainee_file": f"{c.name}.mp4",
                                      "trainee_sha256": c.name, "gold_version": 1, "score": c.score,
                                      "verdict": "x", "scored_at": at, "n_critical": 0}])
        rs.append("reviews", [{"review_id": f"r{k}", "task": "t", "trainee_file": f"{c.name}.mp4",
                               "trainee_sha256": c.name, "verdict": c.reviewed, "deviations": "[]",
                               "reviewed_at": at}], prefix="t")


@pytest.mark.parametrize("new, outcome", [
    ([Case("n83", "pass", 83), Case("n82", "pass", 82), Case("n60", "retrain", 60)], "adopted"),
    ([Case("n83", "retrain", 83), Case("n82", "fail", 82), Case("n99", "pass", 99)], "canary_failed"),
])
def test_the_canary_promotes_or_drops_the_proposal_on_new_reviewed_trainees(tmp_path, capsys, new, outcome):
    store, rs = _root(tmp_path, _cases())
    rc, out, _ = _cli(capsys, store, "autopilot", "t", "--adopt", "--canary", "3")
    assert "canary started" in out and Registry(store.registry_dir).task("t").profile is None
    rc, out, _ = _cli(capsys, store, "autopilot", "t", "--adopt", "--canary", "3")
    assert "0 of 3 new trainees" in out  # the old golden set does not count
    _more(rs, new, dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1))
    rc, out, _ = _cli(capsys, store, "autopilot", "t", "--adopt", "--canary", "3")
    task = Registry(store.registry_dir).task("t")
    st = json.loads((store.registry_dir / "autopilot" / "t.json").read_text())
    events = [r["event"] for r in rs.query("SELECT event FROM profile_events ORDER BY event_at")]
    assert events == ["canary_started", "canary_waiting", outcome] and "candidate" not in st
    if outcome == "adopted":
        assert "adopted after its canary (canary: 3 vs 1 of 3" in out and task.profile["proposed_by"] == "autopilot"
        assert st["bounds"]["pass_min"] == START * 1.5
    else:
        assert "dropped after its canary" in out and "would pass n82.mp4, n83.mp4" in out and task.profile is None
        assert st["bounds"]["pass_min"] == START * 0.5


def test_a_pass_killed_mid_adoption_leaves_nothing_half_done_and_the_next_one_goes_on(tmp_path, capsys, monkeypatch):
    import sopilot_resources.storage.autopilot_state as ap

    store, rs = _root(tmp_path, _cases())

    def killed(*a, **k):
        raise KeyboardInterrupt  # the process dies after the profile file, before the registry write

    monkeypatch.setattr(ap, "add_version", killed)
    with pytest.raises(KeyboardInterrupt):
        ap.run(store, "t", adopt=True, canary=0)
    assert Registry(store.registry_dir).task("t").profile is None  # nothing adopted
    assert not (store.registry_dir / "autopilot" / "t.json").exists()  # bounds untouched
    assert rs.query("SELECT count(*) AS n FROM profile_events")[0]["n"] == 0
    monkeypatch.undo()
    kind, _, msg = ap.run(store, "t", adopt=True, canary=0)
    assert kind == "adopted" and Registry(store.registry_dir).task("t").profile["version"] == 1


def test_penalty_weights_are_tuned_from_stored_penalties_and_critical_ones_never():
    # correct performances lose 20 points to slow steps; defective ones to missing steps
    good = [Case(f"g{k}", "pass", 80.0, penalties=(("slow_step", 20.0),)) for k in range(5)]
    bad = [Case(f"b{k}", "retrain", 60.0, penalties=(("missing_step", 40.0),)) for k in range(5)]
    p = propose(good + bad, CURRENT, {"pass_min": 0, "review_min": 0, "retrain_min": 0, "m:slow_step": 0.25})
    assert p.gate_ok, p.reasons
    assert p.changes == {"m:slow_step": (1.0, 0.75)}  # 100 - 20 x 0.75 = 85: pass; the smallest such cut
    assert p.agreement_before == 5 and p.agreement_after == 10
    doc = profile_doc({"pass_min": 85}, p.proposed, {"slow_step": 20.0, "missing_step": 40.0})
    assert doc["penalties"] == {"slow_step": 15.0} and doc["pass_min"] == 85.0
    from sopilot_resources.scoring.autopilot import TUNABLE_PENALTIES

    assert not {"missing_critical_step", "wrong_critical_step"} & set(TUNABLE_PENALTIES)
    q = propose(good + bad, CURRENT, {"pass_min": 0, "review_min": 0, "retrain_min": 0})  # 0.2 is not enough
    assert not q.gate_ok and q.proposed["m:slow_step"] == 1.0


def test_an_adopted_penalty_change_is_written_into_the_new_profile(tmp_path, capsys):
    from sopilot_resources.scoring.profile import load_profile
    from sopilot_resources.storage import autopilot_state as ap

    good = [Case(f"g{k}", "pass", 80.0) for k in range(5)]
    bad = [Case(f"b{k}", "retrain", 60.0) for k in range(5)]
    store, rs = _root(tmp_path, good + bad)
    for k, c in enumerate(good + bad):  # the stored deviations behind each score
        kind, pen = ("slow_step", 20.0) if c.reviewed == "pass" else ("missing_step", 40.0)
        rs.write("deviations", f"p{k}", [{"pair_key": f"p{k}", "task": "t", "idx": 0, "type": kind, "penalty": pen,
                                          "severity": "quality" if kind == "missing_step" else "efficiency"}])
    ap.save_state(store, "t", {"bounds": {"pass_min": 0, "review_min": 0, "retrain_min": 0, "m:slow_step": 0.25}})
    kind, p, msg = ap.run(store, "t", adopt=True, canary=0, min_reviews=8)
    assert kind == "adopted" and "slow_step penalty 20 -> 15" in msg, msg
    prof = load_profile(store.root / Registry(store.registry_dir).task("t").profile["path"])
    assert prof.penalty("slow_step") == 15.0 and prof.penalty("missing_step") == 40.0 and prof.pass_min == 85.0
