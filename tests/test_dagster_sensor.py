"""The inbox sensor: stability, dedupe, quarantine, bounded ticks, cursor across restarts,
pairing order, crash recovery. Ticks run with dg.build_sensor_context; no run executes here."""
import json
import os

import pytest

import dagster as dg
from dagster_support import resources, tick, write_steps, write_video

from sopilot_assets.definitions import build_definitions
from sopilot_assets.assets.common import Versions
from sopilot_resources.dagster_resources.storage import TestVideoStoreResource
from sopilot_resources.storage import Registry, VideoStore
from sopilot_resources.storage.intake import Intake, IntakeConfig

V = Versions(embedder_key="color-motion-v1-test", profile_fingerprint="p0")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Small real videos, written once: gold, two trainees."""
    d = tmp_path_factory.mktemp("clips")
    return {"gold": write_video(d / "gold.avi", seed=1, step_sec=1.5),
            "t1": write_video(d / "t1.avi", seed=2, step_sec=1.5),
            "t2": write_video(d / "t2.avi", order=(0, 2, 1, 3), seed=3, step_sec=1.5)}


def drop(root, clip, task, role, name=None):
    dst = root / "inbox" / task / role / (name or clip.name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(clip.read_bytes())
    return dst


def setup(tmp_path, **store_kw):
    res = resources(tmp_path)
    res["video_store"] = TestVideoStoreResource(data_dir=str(tmp_path), **store_kw)
    return res, build_definitions(resources=res, versions=V)


def events(root):
    from sopilot_resources.storage import ResultsStore

    return ResultsStore(root / "results", root / "sopilot.duckdb").query(
        "SELECT action, file_name, reason FROM ingest_events ORDER BY event_at")


def test_waits_until_file_is_stable(tmp_path, clips):
    store = VideoStore.at(tmp_path)
    intake = Intake(store, IntakeConfig(stable_seconds=10))
    f = drop(tmp_path, clips["t1"], "task", "trainee")
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])  # still being copied
    out = intake.tick(None, now=1000.0)
    assert out.processed == 0 and f.exists()
    f.write_bytes(data)  # grew: the clock restarts
    out = intake.tick(out.tracker_state, now=1008.0)
    assert out.processed == 0 and f.exists()
    out = intake.tick(out.tracker_state, now=1015.0)  # 7 s unchanged: not yet
    assert out.processed == 0 and f.exists()
    out = intake.tick(out.tracker_state, now=1019.0)  # 11 s unchanged
    assert out.processed == 1 and not f.exists()
    assert len(Registry(store.registry_dir).videos()) == 1


def test_sensor_registers_partitions_and_requests_runs(tmp_path, clips):
    res, defs = setup(tmp_path)
    g = drop(tmp_path, clips["gold"], "task", "gold")
    write_steps(g, step_sec=1.5)
    drop(tmp_path, clips["t1"], "task", "trainee")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        assert inst.get_dynamic_partitions("videos") == [
            "task/gold/gold-" + _sha8(clips["gold"]), "task/trainee/t1-" + _sha8(clips["t1"])]
        pairs = inst.get_dynamic_partitions("pairs")
        assert pairs == [f"task/t1-{_sha8(clips['t1'])}/gold-v1"]
        by_key = {rr.partition_key: rr for rr in r.run_requests}
        gold_rr = by_key["task/gold/gold-" + _sha8(clips["gold"])]
        assert gold_rr.job_name == "sopilot_video_job"
        assert {k.path[-1] for k in gold_rr.asset_selection} == {"video", "clip_embeddings", "gold_steps"}
        assert gold_rr.tags["dagster/priority"] == "2"  # a gold first: it unblocks its trainees
        trainee_rr = by_key["task/trainee/t1-" + _sha8(clips["t1"])]
        assert {k.path[-1] for k in trainee_rr.asset_selection} == {"video", "clip_embeddings"}
        assert len(r.run_requests) == 2  # the pair waits for embeddings
        # nothing left in the inbox; the steps file went with its gold
        assert not any(p.is_file() for p in (tmp_path / "inbox").rglob("*"))
        rec = Registry(tmp_path / "registry").video_by_key(gold_rr.partition_key)
        assert rec.sidecar_path and (tmp_path / rec.sidecar_path).exists()
        r2 = tick(defs, inst, r.cursor, res)  # same cursor: nothing repeated
        assert r2.run_requests == [] and not r2.dynamic_partitions_requests


def _sha8(p):
    from sopilot_resources.storage import sha256_file

    return sha256_file(p)[:8]


def test_same_bytes_twice_are_one_video(tmp_path, clips):
    res, defs = setup(tmp_path)
    drop(tmp_path, clips["t1"], "task", "trainee", "first.avi")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        drop(tmp_path, clips["t1"], "task", "trainee", "again.avi")
        drop(tmp_path, clips["t1"], "task", "trainee", "first.avi")  # same name, same bytes
        r = tick(defs, inst, r.cursor, res)
        assert inst.get_dynamic_partitions("videos") == ["task/trainee/first-" + _sha8(clips["t1"])]
        assert r.run_requests == []
    archived = sorted(p.relative_to(tmp_path / "archive").as_posix()
                      for p in (tmp_path / "archive").rglob("*.avi"))
    assert archived == ["duplicates/task/trainee/again.avi", "duplicates/task/trainee/first.avi"]
    rec = Registry(tmp_path / "registry").videos()[0]
    assert len(rec.duplicates) == 2
    assert [e["action"] for e in events(tmp_path)].count("duplicate") == 2


def test_bad_files_are_quarantined_or_ignored_never_crash(tmp_path, clips):
    res, defs = setup(tmp_path)
    inbox = tmp_path / "inbox"
    (inbox / "task" / "trainee").mkdir(parents=True)
    (inbox / "task" / "gold").mkdir(parents=True)
    (inbox / "task" / "trainee" / "empty.mp4").write_bytes(b"")
    (inbox / "task" / "trainee" / "garbage.mp4").write_bytes(os.urandom(5000))
    (inbox / "task" / "trainee" / "notes.txt").write_text("hello")
    (inbox / "task" / "trainee" / ".hidden.mp4").write_bytes(b"x")
    (inbox / "task" / "trainee" / "copying.mp4.part").write_bytes(b"x")
    outside = tmp_path / "outside.avi"
    outside.write_bytes(clips["t1"].read_bytes())
    (inbox / "task" / "trainee" / "link.avi").symlink_to(outside)
    drop(tmp_path, clips["t2"], "task", "reviewer")  # unknown role
    (inbox / "loose.mp4").write_bytes(b"x")  # no task folder
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        assert r.run_requests == [] and inst.get_dynamic_partitions("videos") == []
    q = tmp_path / "quarantine"
    reasons = {p.name[: -len(".reason.json")]: json.loads(p.read_text())["reason"]
               for p in q.rglob("*.reason.json")}
    assert reasons == {"empty.mp4": "empty_file", "garbage.mp4": "unreadable",
                       "notes.txt": "unsupported_format", "link.avi": "symlink_outside_inbox",
                       "t2.avi": "unknown_role", "loose.mp4": "bad_location"}
    for name in reasons:  # kept with their original names
        assert (q / name).exists() or (q / name).is_symlink()
    assert outside.exists()  # the link's target is untouched
    assert (inbox / "task" / "trainee" / ".hidden.mp4").exists()  # ignored, left alone
    assert (inbox / "task" / "trainee" / "copying.mp4.part").exists()
    ev = events(tmp_path)
    assert {e["reason"] for e in ev if e["action"] == "ignored"} == {"hidden_file", "partial_download"}


def test_unexpected_error_retries_then_quarantines(tmp_path, clips):
    calls = []

    def flaky(path, **kw):
        calls.append(path)
        raise RuntimeError("decoder exploded")

    intake = Intake(VideoStore.at(tmp_path), IntakeConfig(stable_seconds=0), check_video=flaky)
    f = drop(tmp_path, clips["t1"], "task", "trainee")
    state, failures = None, None
    for n in range(3):
        out = intake.tick(state, now=100.0 + n, failures=failures)
        state, failures = out.tracker_state, out.failures
        assert f.exists() == (n < 2)
    assert len(calls) == 3
    assert json.loads((tmp_path / "quarantine" / "t1.avi.reason.json").read_text())["reason"] == "ingest_error"


def test_bounded_work_per_intake_run_and_cursor_across_restarts(tmp_path, clips):
    """The sensor hands at most max_files_per_tick files to one intake run; the rest go to the
    next one; every file is registered and requested once, across fresh contexts (restarts)."""
    res, defs = setup(tmp_path, max_files_per_tick=2)
    names = [f"v{i}.avi" for i in range(5)]
    for i, n in enumerate(names):  # distinct bytes per file
        write_video(tmp_path / "inbox" / "task" / "trainee" / n, seed=10 + i, step_sec=0.5)
    requested, handed = [], []
    cursor = None
    with dg.instance_for_test() as inst:
        for _ in range(2):
            r = tick(defs, inst, cursor, res)  # a fresh context each time, as after a restart
            requested += [rr.partition_key for rr in r.run_requests or []]
            handed += [len(json.loads(rr.run_config["ops"]["inbox_intake"]["config"]["entries"]))
                       for rr in r.intake_requests]
            cursor = r.cursor
        r = tick(defs, inst, cursor, res)
        assert not r.run_requests and not r.intake_requests
        assert len(inst.get_dynamic_partitions("videos")) == 5
    assert handed == [2, 2, 1]
    assert len(requested) == 5 == len(set(requested))
    state = json.loads(cursor)
    assert state["announced_seq"] == Registry(tmp_path / "registry").last_seq()


def test_announcement_repeats_after_lost_cursor(tmp_path, clips):
    """A crash after the files moved but before Dagster saved the cursor: the next tick (old
    cursor) announces the same partitions and runs again - with the same run keys."""
    res, defs = setup(tmp_path)
    drop(tmp_path, clips["t1"], "task", "trainee")
    with dg.instance_for_test() as inst:
        r1 = tick(defs, inst, None, res)
        r2 = tick(defs, inst, None, res)  # cursor of r1 lost
        assert [rr.run_key for rr in r2.run_requests] == [rr.run_key for rr in r1.run_requests]


def test_crash_between_move_and_registration_recovers(tmp_path, clips, monkeypatch):
    store = VideoStore.at(tmp_path)
    intake = Intake(store, IntakeConfig(stable_seconds=0))
    drop(tmp_path, clips["t1"], "task", "trainee")
    real = Intake.commit

    def crash(self, rec, events):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Intake, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        intake.tick(None, now=1.0)
    monkeypatch.setattr(Intake, "commit", real)
    assert list((tmp_path / "raw").rglob("*.avi")) and Registry(store.registry_dir).videos() == []
    out = Intake(store, IntakeConfig(stable_seconds=0)).tick(None, now=2.0)
    assert "recovered" in [e.action for e in out.events]
    assert len(Registry(store.registry_dir).videos()) == 1


def test_trainee_before_gold_waits_then_pairs_and_new_gold_becomes_current(tmp_path, clips):
    res, defs = setup(tmp_path)
    reg = Registry(tmp_path / "registry")
    drop(tmp_path, clips["t1"], "task", "trainee")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        assert inst.get_dynamic_partitions("pairs") == []
        assert reg.task("task").waiting_trainees == ["task/trainee/t1-" + _sha8(clips["t1"])]
        drop(tmp_path, clips["gold"], "task", "gold")
        r = tick(defs, inst, r.cursor, res)
        p1 = f"task/t1-{_sha8(clips['t1'])}/gold-v1"
        assert inst.get_dynamic_partitions("pairs") == [p1]
        assert reg.task("task").waiting_trainees == []
        # a second gold (other bytes) becomes current v2; the next trainee pairs with it only
        drop(tmp_path, clips["t2"], "task", "gold", "gold2.avi")
        r = tick(defs, inst, r.cursor, res)
        assert [g["version"] for g in reg.task("task").golds] == [1, 2]
        assert reg.task("task").current_gold["file_name"] == "gold2.avi"
        t3 = write_video(tmp_path / "t3.avi", seed=7, step_sec=1.5)
        drop(tmp_path, t3, "task", "trainee")
        tick(defs, inst, r.cursor, res)
        pairs = inst.get_dynamic_partitions("pairs")
        assert pairs == [p1, f"task/t3-{_sha8(t3)}/gold-v2"]


def test_task_profile_is_versioned_and_bad_one_quarantined(tmp_path, clips):
    res, defs = setup(tmp_path)
    prof = tmp_path / "inbox" / "task" / "profile.json"
    prof.parent.mkdir(parents=True)
    prof.write_text(json.dumps({"pass_min": 90.0}))
    drop(tmp_path, clips["gold"], "task", "gold")
    drop(tmp_path, clips["t1"], "task", "trainee")
    reg = Registry(tmp_path / "registry")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        task = reg.task("task")
        assert task.profile["version"] == 1 and (tmp_path / task.profile["path"]).exists()
        assert reg.pairs()[0].profile_sha256 == task.profile["sha256"]
        prof.write_text(json.dumps({"pass_mni": 90.0}))  # a typo: rejected, the old one stays
        tick(defs, inst, r.cursor, res)
    assert json.loads((tmp_path / "quarantine" / "profile.json.reason.json").read_text())["reason"] == "bad_profile"
    assert reg.task("task").profile["version"] == 1


def test_steps_file_dropped_later_attaches_to_its_gold(tmp_path, clips):
    res, defs = setup(tmp_path)
    g = drop(tmp_path, clips["gold"], "task", "gold")
    reg = Registry(tmp_path / "registry")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        gold = reg.videos()[0]
        assert gold.sidecar_path is None
        write_steps(g, step_sec=1.5)  # beside where the gold was dropped
        r = tick(defs, inst, r.cursor, res)
        assert reg.video(gold.sha256).sidecar_path
        assert [(rr.partition_key, [k.path[-1] for k in rr.asset_selection]) for rr in r.run_requests] == [
            (gold.key, ["gold_steps"])]


def test_an_inbox_of_thousands_is_taken_a_bounded_batch_per_tick(tmp_path):
    d = tmp_path / "inbox" / "task" / "trainee"
    d.mkdir(parents=True)
    for i in range(1500):
        (d / f"clip{i:04d}.mp4").write_bytes(b"")
    intake = Intake(VideoStore.at(tmp_path), IntakeConfig(stable_seconds=0, max_files_per_tick=25))
    out = intake.tick(None, now=1.0)
    assert out.processed == 25 and out.left_for_next_tick == 1475
    assert len(json.dumps(out.tracker_state)) < 200_000
    out = intake.tick(out.tracker_state, now=2.0)
    assert out.processed == 25 and len(list(d.iterdir())) == 1450


def test_a_pair_whose_runs_all_failed_is_reported(tmp_path):
    from sopilot_assets.sensor_pairs import _failed_for_good

    @dg.asset
    def boom():
        raise dg.Failure("broken", allow_retries=False)

    with dg.instance_for_test() as inst:
        assert _failed_for_good(inst, "pair:x") == ""  # no run yet: nothing to say
        dg.materialize([boom], instance=inst, tags={"dagster/run_key": "pair:x"}, raise_on_error=False)
        assert "failed (1 attempt(s))" in _failed_for_good(inst, "pair:x")
        assert _failed_for_good(inst, "pair:y") == ""


def test_a_pair_waiting_on_a_failed_video_run_is_reported_once(tmp_path, clips):
    res, defs = setup(tmp_path)
    drop(tmp_path, clips["gold"], "task", "gold")
    drop(tmp_path, clips["t1"], "task", "trainee")

    @dg.asset
    def boom():
        raise dg.Failure("corrupt", allow_retries=False)

    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        trainee_key = "task/trainee/t1-" + _sha8(clips["t1"])
        dg.materialize([boom], instance=inst, tags={"dagster/run_key": f"video:{trainee_key}"},
                       raise_on_error=False)
        r = tick(defs, inst, r.cursor, res)  # first look: remembers when it started waiting
        cur = json.loads(r.cursor)
        assert cur["blocked"] == {} and len(cur["checked"]) == 1
        cur["checked"] = {k: t - 3600 for k, t in cur["checked"].items()}  # an hour later
        r = tick(defs, inst, json.dumps(cur), res)
        blocked = json.loads(r.cursor)["blocked"]
        assert len(blocked) == 1 and f"video {trainee_key}: its run" in next(iter(blocked.values()))


def test_unreadable_cursor_is_replaced_and_nothing_is_taken_twice(tmp_path, clips, capfd):
    res, defs = setup(tmp_path)
    drop(tmp_path, clips["t1"], "task", "trainee")
    with dg.instance_for_test() as inst:
        r1 = tick(defs, inst, None, res)
        assert len(r1.run_requests) == 1
        r2 = tick(defs, inst, "{not json", res)  # a damaged cursor: starts afresh, says so
        assert "unreadable" not in json.loads(r2.cursor)
        assert "cursor was unreadable" in capfd.readouterr().err
        assert [rr.run_key for rr in r2.run_requests] == [rr.run_key for rr in r1.run_requests]
        assert len(inst.get_dynamic_partitions("videos")) == 1


def test_rejections_are_named_in_the_tick_and_kept_in_the_quarantine_table(tmp_path, clips):
    from sopilot_resources.storage import ResultsStore

    res, defs = setup(tmp_path)
    inbox = tmp_path / "inbox"
    (inbox / "task" / "trainee").mkdir(parents=True)
    (inbox / "task" / "trainee" / "empty.mp4").write_bytes(b"")
    (inbox / "task" / "trainee" / "garbage.mp4").write_bytes(os.urandom(5000))
    drop(tmp_path, clips["t2"], "task", "reviewer")
    rs = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        # no run but the intake run: the quarantine asset gets a materialization from it, whose
        # text names each file, its reason and what to do
        assert not r.run_requests
        [mat] = r.asset_events
        text = mat.description
        assert text.startswith("3 file(s) quarantined: ")
        for part in ("task/trainee/empty.mp4 (empty_file: re-copy the file",
                     "task/trainee/garbage.mp4 (unreadable: re-export", "task/reviewer/t2.avi (unknown_role: move it"):
            assert part in text
        assert mat.asset_key == dg.AssetKey("quarantine")
        assert inst.get_latest_materialization_event(dg.AssetKey("quarantine")).asset_materialization.description == text
        assert sorted(rec.data["reason"] for rec in mat.metadata["rejected"].records) == [
            "empty_file", "unknown_role", "unreadable"]
        assert mat.metadata["files_in_quarantine"].value == 3
        rows = rs.query("SELECT file_name, inbox_path, reason, what_to_do, stored_path FROM quarantine ORDER BY file_name")
        assert [(x["file_name"], x["reason"], x["stored_path"]) for x in rows] == [
            ("empty.mp4", "empty_file", "quarantine/empty.mp4"), ("garbage.mp4", "unreadable", "quarantine/garbage.mp4"),
            ("t2.avi", "unknown_role", "quarantine/t2.avi")]
        assert all(x["what_to_do"] for x in rows)

        # next tick: nothing new, no event, a plain message
        (inbox / "task" / "trainee" / "copying.mp4.part").write_bytes(b"x")
        r = tick(defs, inst, r.cursor, res)
        assert r.asset_events == [] and not r.intake_results and r.skip_reason.skip_message.startswith("1 ignored")

        # a person takes a file away; a tick that also starts runs still records its rejection
        (tmp_path / "quarantine" / "empty.mp4").unlink()
        drop(tmp_path, clips["gold"], "task", "gold")
        (inbox / "task" / "trainee" / "notes.txt").write_text("hello")
        r = tick(defs, inst, r.cursor, res)
        assert r.run_requests and r.skip_reason is None
        [mat] = r.asset_events
        assert [rec.data["file"] for rec in mat.metadata["rejected"].records] == ["task/trainee/notes.txt"]
        names = [x["file_name"] for x in rs.query("SELECT file_name FROM quarantine ORDER BY file_name")]
        assert names == ["garbage.mp4", "notes.txt", "t2.avi"]
    assert dg.AssetKey("quarantine") in {s.key for s in defs.resolve_all_asset_specs()}
