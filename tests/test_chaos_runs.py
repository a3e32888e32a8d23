"""What happens after intake when things go wrong (issue 12, faults 2, 5, 6): bad videos that
open end in quarantine with their pairs closed, a run whose worker died is failed (so it is
retried), a full disk is reported and pauses the inbox, failed writes leave no temporary
file, and a video whose run failed for a passing cause is retried once space is back or when
it is dropped again. Real files, a real small disk (tmpfs), real Dagster instances."""
import json
import os
import subprocess
import sys
import time

import dagster as dg
import pytest
from runs_chaos_support import bad_videos, fill, small_disk
from dagster_support import execute, tick, write_steps, write_video
from test_dagster_sensor import drop, events, setup

from sopilot_resources.storage import Registry, VideoStore
from sopilot_resources.storage.intake import Intake, IntakeConfig


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return bad_videos(tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    gold = write_video(d / "gold.avi", seed=1, step_sec=1.5)
    write_steps(gold, step_sec=1.5)
    return {"gold": gold,
            "t1": write_video(d / "t1.avi", seed=2, step_sec=1.5)}


def _reason(root, name):
    return json.loads((root / "quarantine" / f"{name}.reason.json").read_text())


def test_bad_videos_that_open_are_quarantined_at_intake(tmp_path, bad):
    intake = Intake(VideoStore.at(tmp_path), IntakeConfig(stable_seconds=0, truncated_after_sec=60))
    for name in ("png", "short", "cut", "cut_avi", "cut_mkv", "zeroed"):
        drop(tmp_path, bad[name], "task", "trainee")
    # a cut-short container looks like a copy still going on: it waits truncated_after_sec first
    out = intake.tick(None, now=1000.0)
    intake.tick(out.tracker_state, now=1061.0, failures=out.failures)
    assert _reason(tmp_path, "cut.avi")["reason"] == _reason(tmp_path, "cut.mkv")["reason"] == "truncated"
    assert _reason(tmp_path, "png.mp4")["reason"] == "unsupported_format"
    assert "still image" in _reason(tmp_path, "png.mp4")["message"]
    assert _reason(tmp_path, "short.mp4")["reason"] == "too_short"
    assert _reason(tmp_path, "cut.mp4")["reason"] == "truncated"
    # a zeroed middle decodes at both ends: only the embedding run finds it (next test)
    assert [r.file_name for r in Registry(tmp_path / "registry").videos()] == ["zeroed.mp4"]


def test_a_video_found_bad_by_its_run_is_quarantined_and_its_pair_closed(tmp_path, bad, good):
    res, defs = setup(tmp_path)
    drop(tmp_path, good["gold"], "task", "gold")
    drop(tmp_path, bad["zeroed"], "task", "trainee")
    registry = Registry(tmp_path / "registry")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        outs = {rr.partition_key: o for rr, o in zip(r.run_requests, execute(defs, inst, r.run_requests))}
        bad_key = next(k for k in outs if "zeroed" in k)
        assert not outs[bad_key].success
        failure = [e for e in inst.all_logs(outs[bad_key].run_id) if e.dagster_event and
                   e.dagster_event.event_type_value == "STEP_FAILURE"]
        assert len(failure) == 1  # a bad video is not retried: the same bytes would fail the same way
        r2 = tick(defs, inst, r.cursor, res)
        assert [rr.partition_key for rr in r2.run_requests] == []  # no retry, no pair run
        assert (tmp_path / "quarantine" / "zeroed.mp4").exists()
        why = _reason(tmp_path, "zeroed.mp4")
        assert why["reason"] == "truncated" and why["role"] == "trainee" and "copy it again" in why["what_to_do"]
        assert why["inbox_path"] == "task/trainee/zeroed.mp4" and why["file"] == "zeroed.mp4"  # as dropped
        rec = registry.video_by_key(bad_key)
        assert rec.quarantined["reason"] == "truncated" and not (tmp_path / rec.raw_path).exists()
        assert registry.pending_pairs() == []
        rows = events(tmp_path)
        assert [(e["action"], e["reason"]) for e in rows if e["action"] == "pair_closed"] == [
            ("pair_closed", "truncated")]
        q = dg.AssetKey("quarantine")
        assert any(getattr(e, "asset_key", None) == q for e in r2.asset_events)
        # the same bytes again: quarantined with the same reason, no run
        drop(tmp_path, bad["zeroed"], "task", "trainee", "again.mp4")
        r3 = tick(defs, inst, r2.cursor, res)
        assert r3.run_requests == [] and _reason(tmp_path, "again.mp4")["reason"] == "truncated"
        assert not [rr for rr in tick(defs, inst, r3.cursor, res).run_requests]


def test_a_quarantined_gold_sends_its_trainees_back_to_wait(tmp_path, bad, good):
    res, defs = setup(tmp_path)
    drop(tmp_path, bad["zeroed"], "task", "gold")
    drop(tmp_path, good["t1"], "task", "trainee")
    registry = Registry(tmp_path / "registry")
    with dg.instance_for_test() as inst:
        r = tick(defs, inst, None, res)
        execute(defs, inst, r.run_requests)
        r = tick(defs, inst, r.cursor, res)
        task = registry.task("task")
        assert task.current_gold is None and task.golds[0]["quarantined"] == "truncated"
        assert [registry.video_by_key(k).file_name for k in task.waiting_trainees] == ["t1.avi"]
        drop(tmp_path, good["gold"], "task", "gold")  # a good gold: the trainee is paired with it
        tick(defs, inst, r.cursor, res)
        pairs = [registry.pair(k) for k in registry.pending_pairs()]
        assert [(p.gold_version, registry.video(p.trainee_sha256).file_name) for p in pairs] == [(2, "t1.avi")]


WORKER = """
import os, signal, sys
from dagster import DagsterInstance
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._serdes import deserialize_value
inst = DagsterInstance.from_ref(deserialize_value(sys.stdin.read()))
run = inst.get_run_by_id(sys.argv[1])
inst.report_engine_event(f"Started process for run (pid: {os.getpid()}).", run, EngineEventData.in_process(os.getpid()))
if sys.argv[2] == "started":  # else it dies before its code is loaded: the run stays STARTING
    inst.report_dagster_event(DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name=run.job_name), run.run_id)
os.kill(os.getpid(), signal.SIGKILL)  # the worker dies without a word, as on a full disk or OOM
"""


def test_a_starting_or_started_run_whose_worker_died_is_failed_and_retried(tmp_path):
    from dagster._serdes import serialize_value

    from sopilot_assets.run_sweep import fail_dead_runs

    @dg.op
    def noop():
        return 1

    @dg.job
    def job():
        noop()

    with dg.instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 2}}) as inst:
        run = inst.create_run_for_job(job, tags={"dagster/partition": "task/trainee/x-00000000"})
        alive = inst.create_run_for_job(job)
        inst.report_engine_event(f"Started process for run (pid: {os.getpid()}).", alive,
                                 dg._core.events.EngineEventData.in_process(os.getpid()))
        inst.report_dagster_event(dg._core.events.DagsterEvent(event_type_value="PIPELINE_START", job_name="job"),
                                  alive.run_id)
        starting = inst.create_run_for_job(job)
        inst.report_dagster_event(dg._core.events.DagsterEvent(event_type_value="PIPELINE_STARTING", job_name="job"),
                                  starting.run_id)
        for r, how in ((run, "started"), (starting, "starting")):
            p = subprocess.run([sys.executable, "-c", WORKER, r.run_id, how], input=serialize_value(inst.get_ref()),
                               text=True, capture_output=True, timeout=60)
            assert p.returncode == -9, p.stderr
        assert inst.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
        assert inst.get_run_by_id(starting.run_id).status == dg.DagsterRunStatus.STARTING
        failed = dict(fail_dead_runs(inst))
        assert set(failed) == {run.run_id, starting.run_id}  # the live worker's run is left alone
        assert "task/trainee/x-00000000" in failed[run.run_id] and "worker process" in failed[run.run_id]
        for r in (run, starting):
            after = inst.get_run_by_id(r.run_id)
            assert after.status == dg.DagsterRunStatus.FAILURE
            assert after.tags.get("dagster/will_retry") == "true"  # the daemon's run retries take it
        assert inst.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
        assert fail_dead_runs(inst) == []


def test_full_disk_is_reported_and_leaves_no_temp_files(tmp_path, good, monkeypatch):
    import numpy as np

    from sopilot_resources.embeddings import ClipEmbeddings
    from sopilot_resources.storage.disk import sweep_temp_files

    monkeypatch.setenv("SOPILOT_MIN_FREE_MB", "8")
    with small_disk(tmp_path / "disk", 24) as disk:
        root = disk / "data"
        res, defs = setup(root)
        drop(root, good["t1"], "task", "trainee")
        leftover = root / "work" / "videos" / "ab" / "k" / "embeddings.npz.tmp.npz"
        leftover.parent.mkdir(parents=True)
        leftover.write_bytes(b"")
        os.utime(leftover, (time.time() - 7200, time.time() - 7200))  # a crash's, hours ago
        ballast = fill(disk, 4)
        with dg.instance_for_test() as inst:
            r = tick(defs, inst, None, res)
            assert r.run_requests == [] and "is full" in r.skip_reason.skip_message and "SOPILOT_DATA_DIR" in r.skip_reason.skip_message
            check = [e for e in r.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
            assert [(c.check_name, c.passed) for c in check] == [("free_space", False)]
            assert (root / "inbox" / "task" / "trainee" / "t1.avi").exists()  # waits in the inbox
            r = tick(defs, inst, r.cursor, res)  # said again every tick; the check once
            assert "is full" in r.skip_reason.skip_message and not r.asset_events
            # a write that fails on the full disk leaves no temporary file behind
            fill(disk, 0)
            emb = ClipEmbeddings(vectors=np.random.rand(2000, 256).astype(np.float32), starts=np.zeros(2000),
                                 ends=np.ones(2000), quality=np.zeros((2000, 5), bool),
                                 motion=np.zeros(2000, np.float32), embedder={}, video={}, sampling={})
            with pytest.raises(OSError):
                emb.save(root / "work" / "e.npz")
            assert list((root / "work").glob("*.tmp.npz")) == [] and not (root / "work" / "e.npz").exists()
            ballast.unlink()
            r = tick(defs, inst, r.cursor, res)
            check = [e for e in r.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
            assert [(c.check_name, c.passed) for c in check] == [("free_space", True)]
            assert not leftover.exists()  # swept once space was back
            assert [rr.partition_key.split("/")[-1][:2] for rr in r.run_requests] == ["t1"]
    assert sweep_temp_files(tmp_path) == []


def test_a_transient_failure_is_retried_when_space_is_back_and_when_dropped_again(tmp_path, good, monkeypatch):
    monkeypatch.setenv("SOPILOT_MIN_FREE_MB", "2")
    with small_disk(tmp_path / "disk", 24) as disk:
        root = disk / "data"
        res, defs = setup(root)
        store = VideoStore.at(root)
        drop(root, good["t1"], "task", "trainee")
        with dg.instance_for_test() as inst:
            r = tick(defs, inst, None, res)
            (rr,) = r.run_requests
            ballast = fill(disk, 0)
            (out,) = execute(defs, inst, [rr])
            assert not out.success  # the embeddings could not be saved
            r = tick(defs, inst, r.cursor, res)
            assert r.run_requests == [] and "is full" in r.skip_reason.skip_message
            ballast.unlink()
            r = tick(defs, inst, r.cursor, res)  # space is back: retried at once
            (retry,) = r.run_requests
            assert retry.partition_key == rr.partition_key and retry.tags["sopilot/retry"] == "1"
            assert [rr.partition_key for rr in tick(defs, inst, r.cursor, res).run_requests] == []  # not twice
            # it fails again (disk full); then a person drops the same file again: retried at once
            ballast = fill(disk, 0)
            (out,) = execute(defs, inst, [retry])
            assert not out.success
            ballast.unlink()
            r = tick(defs, inst, r.cursor, res)
            assert r.run_requests == []  # the next automatic retry waits its back-off
            due = json.loads(r.cursor)["retry"][f"video:{rr.partition_key}"]
            assert due["n"] == 1 and due["at"] > time.time() + 60
            r = tick(defs, inst, r.cursor, res)  # a failure is noted once: its back-off does not move
            assert json.loads(r.cursor)["retry"][f"video:{rr.partition_key}"] == due and r.run_requests == []
            drop(root, good["t1"], "task", "trainee", "t1-again.avi")
            r = tick(defs, inst, r.cursor, res)
            (again,) = r.run_requests
            assert again.partition_key == rr.partition_key
            assert any(e["action"] == "retry" for e in events(root))
            (out,) = execute(defs, inst, [again])
            assert out.success
            rec = Registry(root / "registry").video_by_key(rr.partition_key)
            assert list(store.video_work(rec.sha256).rglob("embeddings.npz"))
            r = tick(defs, inst, r.cursor, res)
            assert r.run_requests == [] and json.loads(r.cursor)["retry"] == {}


def test_a_pair_run_that_failed_on_a_full_disk_is_retried_once_space_is_back(tmp_path, good, monkeypatch):
    from sopilot_resources.storage import ResultsStore

    monkeypatch.setenv("SOPILOT_MIN_FREE_MB", "2")
    with small_disk(tmp_path / "disk", 32) as disk:
        root = disk / "data"
        res, defs = setup(root)
        drop(root, good["gold"], "task", "gold")
        drop(root, good["gold"].with_name("gold.steps.json"), "task", "gold")
        drop(root, good["t1"], "task", "trainee")
        with dg.instance_for_test() as inst:
            r = tick(defs, inst, None, res)
            assert all(o.success for o in execute(defs, inst, r.run_requests))
            r = tick(defs, inst, r.cursor, res)
            (pair_rr,) = r.run_requests
            ballast = fill(disk, 0)
            assert not execute(defs, inst, [pair_rr])[0].success
            r = tick(defs, inst, r.cursor, res)
            assert "is full" in r.skip_reason.skip_message
            ballast.unlink()
            r = tick(defs, inst, r.cursor, res)
            (retry,) = r.run_requests
            assert retry.job_name == "sopilot_pair_job" and retry.partition_key == pair_rr.partition_key
            assert execute(defs, inst, [retry])[0].success
            assert tick(defs, inst, r.cursor, res).run_requests == []
            rows = ResultsStore(root / "results", root / "sopilot.duckdb").query("SELECT trainee_file FROM scores")
            assert [x["trainee_file"] for x in rows] == ["t1.avi"]


def test_a_failed_run_whose_dagster_retry_never_came_is_retried_by_the_sensor(tmp_path, good, monkeypatch):
    """Dagster marks a failed run `will_retry`, but its daemon cannot launch the retry (a full disk,
    the code server down): after the grace the sensor's own retry takes over; never while a retry
    run of it exists."""
    from sopilot_assets.sensor_retry import DAGSTER_RETRY_GRACE_SEC

    monkeypatch.setenv("SOPILOT_MIN_FREE_MB", "2")
    with small_disk(tmp_path / "disk", 24) as disk:
        root = disk / "data"
        res, defs = setup(root)
        drop(root, good["t1"], "task", "trainee")
        with dg.instance_for_test() as inst:
            r = tick(defs, inst, None, res)
            (rr,) = r.run_requests
            ballast = fill(disk, 0)
            (out,) = execute(defs, inst, [rr])
            ballast.unlink()
            assert not out.success
            inst.add_run_tags(out.run_id, {"dagster/will_retry": "true"})  # as the daemon marks it
            r = tick(defs, inst, r.cursor, res)
            cur = json.loads(r.cursor)
            assert r.run_requests == [] and f"video:{rr.partition_key}" not in cur["retry"]
            assert out.run_id in cur["dagster_retry"]  # left to Dagster for now
            cur["dagster_retry"][out.run_id][2] -= DAGSTER_RETRY_GRACE_SEC + 1  # the grace has passed
            r = tick(defs, inst, json.dumps(cur), res)
            cur = json.loads(r.cursor)
            assert cur["dagster_retry"] == {} and cur["retry"][f"video:{rr.partition_key}"]["at"] > time.time()
            # the same, but Dagster's retry run exists: the sensor leaves it alone
            cur = {**cur, "retry": {}, "dagster_retry": {out.run_id: ["video", rr.partition_key, 0.0]}}
            inst.create_run_for_job(defs.resolve_job_def("sopilot_video_job"),
                                    tags={"dagster/parent_run_id": out.run_id})
            r = tick(defs, inst, json.dumps(cur), res)
            assert json.loads(r.cursor)["retry"] == {} and json.loads(r.cursor)["dagster_retry"] == {}


def test_a_video_whose_run_died_after_its_embeddings_is_still_to_do(tmp_path):
    """A gold's run can fail after writing its embeddings (the disk filled while it drew the
    contact sheet): its steps never came, so its retry must not be skipped as done."""
    from sopilot_assets.sensor_retry import Todo
    from sopilot_resources.storage.fsutil import atomic_write_json
    from sopilot_resources.storage.registry import VideoRecord

    store, registry = VideoStore.at(tmp_path), Registry(tmp_path / "registry")
    rec = VideoRecord(key="t/gold/g-0158735d", sha256="0158735d" + "0" * 56, task="t", role="gold", file_name="g.mp4",
                      inbox_path="t/gold/g.mp4", raw_path="raw/g.mp4", size_bytes=1, registered_at="now")
    registry.put_video(rec)
    todo = Todo(registry, store, tmp_path / "results", "emb-v1")
    emb = store.embeddings_path(rec.sha256, "emb-v1")
    emb.parent.mkdir(parents=True)
    emb.write_bytes(b"x")
    assert todo.get("video", rec.key) is not None  # embeddings, no gate
    atomic_write_json(store.gate_path(rec.sha256, "emb-v1"), {"ok": True})
    assert todo.get("video", rec.key) is not None  # a gold through the gate, no steps yet
    atomic_write_json(store.steps_path(rec.sha256, "emb-v1"), {"steps": []})
    assert todo.get("video", rec.key) is None
    atomic_write_json(store.gate_path(rec.sha256, "emb-v1"), {"ok": False})
    store.steps_path(rec.sha256, "emb-v1").unlink()
    assert todo.get("video", rec.key) is None  # a gold the gate refused: nothing to retry
