"""The inbox split in two: the sensor only notices (no file is read, moved or registered in its
tick) and hands stable files to one intake run at a time; intake runs that race (two processes
taking the same files, or two files with the same bytes) register each content once, archive the
copies and lose nothing."""
from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import dagster as dg
import pytest

from dagster_support import resources, write_video

from sopilot_assets.assets.common import Versions
from sopilot_assets.definitions import build_definitions
from sopilot_assets.intake_job import INTAKE_JOB
from sopilot_resources.dagster_resources.storage import TestVideoStoreResource
from sopilot_resources.storage import Registry, VideoStore
from sopilot_resources.storage import fsutil
from sopilot_resources.storage.intake import Intake, IntakeConfig
from sopilot_resources.storage.stability import StabilityTracker

V = Versions(embedder_key="color-motion-v1-test", profile_fingerprint="p0")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return [write_video(d / f"c{i}.avi", seed=20 + i, step_sec=0.6) for i in range(4)]


def _evaluate(defs, instance, res, cursor=None):
    sensor = defs.resolve_sensor_def("sopilot_inbox_sensor")
    return sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=res, definitions=defs))


def test_the_sensor_tick_reads_no_file_and_hands_stable_ones_to_one_intake_run(tmp_path, clips, monkeypatch):
    res = resources(tmp_path)
    res["video_store"] = TestVideoStoreResource(data_dir=str(tmp_path))
    defs = build_definitions(resources=res, versions=V)
    inbox = tmp_path / "inbox" / "t" / "trainee"
    inbox.mkdir(parents=True)
    for c in clips[:2]:
        (inbox / c.name).write_bytes(c.read_bytes())

    def no_reading(*a, **kw):
        raise AssertionError("the sensor read a file's contents")

    for name in ("hash_unchanged", "sha256_file", "move_file"):  # what taking a file needs
        monkeypatch.setattr(fsutil, name, no_reading)
        monkeypatch.setattr(f"sopilot_resources.storage.intake.{name}", no_reading, raising=False)
    with dg.instance_for_test() as inst:
        r = _evaluate(defs, inst, res)
        [req] = r.run_requests
        assert req.job_name == INTAKE_JOB and req.tags["sopilot/lane"] == "intake"
        entries = json.loads(req.run_config["ops"]["inbox_intake"]["config"]["entries"])
        assert sorted(e["rel"] for e in entries) == ["t/trainee/c0.avi", "t/trainee/c1.avi"]
        assert all(e["size"] == (inbox / Path(e["rel"]).name).stat().st_size for e in entries)
        assert sorted(p.name for p in inbox.iterdir()) == ["c0.avi", "c1.avi"]  # nothing moved
        assert Registry(tmp_path / "registry").videos() == []

        # while that run is queued or going, no second one is asked for, even for a new file
        run = inst.create_run_for_job(defs.resolve_job_def(INTAKE_JOB), run_config=req.run_config)
        inst.handle_run_event(run.run_id, dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=INTAKE_JOB))
        (inbox / clips[2].name).write_bytes(clips[2].read_bytes())
        r2 = _evaluate(defs, inst, res, r.cursor)
        assert not [x for x in r2.run_requests or [] if x.job_name == INTAKE_JOB]
        inst.report_run_failed(run)  # it ended (its files are still in the inbox): they are handed over again
        monkeypatch.undo()
        r3 = _evaluate(defs, inst, res, r2.cursor)
        [req3] = [x for x in r3.run_requests if x.job_name == INTAKE_JOB]
        again = json.loads(req3.run_config["ops"]["inbox_intake"]["config"]["entries"])
        assert sorted(e["rel"] for e in again) == ["t/trainee/c2.avi"]  # c0, c1: offered a minute ago


def _take(root: str, start) -> None:
    """One intake run's work, in a process of its own: notice, then take all it noticed."""
    intake = Intake(VideoStore.at(root), IntakeConfig(stable_seconds=0))
    seen = intake.notice(None, now=1000.0)
    start.wait()
    intake.take(seen.take, StabilityTracker(seen.tracker_state, 0), 1000.0, seen.failures)


def test_racing_intake_runs_register_each_content_once_and_lose_nothing(tmp_path, clips):
    """Two processes take the same inbox at once (as two intake runs would); the inbox holds
    four distinct videos and two byte-for-byte copies. Then a last pass takes what was left."""
    inbox = tmp_path / "inbox" / "t" / "trainee"
    inbox.mkdir(parents=True)
    dropped = {}
    for c in clips:
        dropped[c.name] = c.read_bytes()
    dropped["copy0.avi"], dropped["copy1.avi"] = dropped["c0.avi"], dropped["c1.avi"]
    for name, data in dropped.items():
        (inbox / name).write_bytes(data)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_take, args=(str(tmp_path), start)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    _take(str(tmp_path), type("Go", (), {"wait": lambda self: None})())  # the next intake run

    assert list(inbox.iterdir()) == []
    reg = Registry(tmp_path / "registry")
    videos = reg.videos()
    assert sorted(v.sha256 for v in videos) == sorted({fsutil.hashlib.sha256(b).hexdigest() for b in dropped.values()})
    logged = [e["key"] for e in reg.log_after(0, 1000) if e["kind"] == "video"]
    assert set(logged) == {v.key for v in videos}
    raw = sorted(p for p in (tmp_path / "raw").rglob("*.avi"))
    archived = sorted(p for p in (tmp_path / "archive").rglob("*.avi"))
    assert len(raw) == 4 and len(archived) == 2
    # nothing lost: every dropped file is stored whole, once (a copy in archive/, the first in raw/)
    kept = sorted(p.read_bytes() for p in raw + archived)
    assert kept == sorted(dropped.values())
    assert reg.task("t").waiting_trainees and len(set(reg.task("t").waiting_trainees)) == 4
