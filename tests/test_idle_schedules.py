"""Idle-time schedule ticks (dg.build_schedule_context) and the heavy job end to end:
skip when busy with the numbers in the reason, launch when idle, stop cleanly between
batches when the machine gets busy, resume without redoing or losing work.

Load is simulated by overriding the resource's readings source (``sample``), never by
patching psutil; the heavy embedder is the real V-JEPA2 code path on a tiny random model
saved locally (no download)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from sopilot_assets.definitions import versions_from_settings
from sopilot_assets.heavy import HEAVY_TAG, build_heavy_job, ledger_for
from sopilot_assets.schedules import build_schedules
from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.idle_gate import IdleGateResource
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.settings import Settings
from sopilot_resources.storage import Registry, VideoRecord, VideoStore
from tests.video_synth import textured, write_video


class SimulatedLoad(IdleGateResource):
    cpu: float = 5.0
    ram: float = 20.0

    def sample(self) -> dict:
        return {"cpu_percent": self.cpu, "ram_percent": self.ram, "gpus": [],
                "gpu_status": "unavailable: simulated", "active_runs": 0}


class ScriptedLoad(IdleGateResource):
    """Readings from a JSON list file: each measurement takes the next, the last repeats."""

    script: str

    def sample(self) -> dict:
        p = Path(self.script)
        queue = json.loads(p.read_text())
        cpu = queue.pop(0) if len(queue) > 1 else queue[0]
        p.write_text(json.dumps(queue))
        return {"cpu_percent": float(cpu), "ram_percent": 10.0, "gpus": [],
                "gpu_status": "unavailable: scripted", "active_runs": 0}


@pytest.fixture(scope="module")
def tiny_vjepa2(tmp_path_factory):
    torch = pytest.importorskip("torch")  # the optional `torch` extra (make test installs it)
    transformers = pytest.importorskip("transformers")

    d = tmp_path_factory.mktemp("vjepa2-tiny")
    cfg = transformers.VJEPA2Config(
        crop_size=32, patch_size=8, frames_per_clip=4, tubelet_size=2, hidden_size=32,
        num_attention_heads=2, num_hidden_layers=1, mlp_ratio=2.0, pred_hidden_size=16,
        pred_num_attention_heads=2, pred_num_hidden_layers=1, num_pooler_layers=1)
    torch.manual_seed(0)
    transformers.VJEPA2Model(cfg).save_pretrained(d)
    return d


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(root))
    for k in ("SOPILOT_MODEL_DIR", "SOPILOT_VJEPA2_DIR", "SOPILOT_HEAVY_MODEL_DIR"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.delenv("SOPILOT_SOAK_CHILD", raising=False)
    store = VideoStore.at(root).ensure()
    reg = Registry(store.registry_dir)
    for i in range(3):
        sha = f"{i:02d}" + "ab" * 31
        raw = store.raw_path(sha, ".mp4")
        raw.parent.mkdir(parents=True, exist_ok=True)
        write_video(raw, 40, fps=8, size=(64, 48), frame=textured(64, 48, seed=i))
        reg.put_video(VideoRecord(key=f"task/trainee/t{i}-{sha[:8]}", sha256=sha, task="task",
                                  role="trainee", file_name=f"t{i}.mp4", inbox_path=f"task/trainee/t{i}.mp4",
                                  raw_path=str(raw.relative_to(root)), size_bytes=raw.stat().st_size,
                                  registered_at="2026-01-01T00:00:00+00:00", seq=i + 1))
    return root


def resources(gate):
    return {"idle_gate": gate, "embedder": EmbedderResource(),
            "video_store": VideoStoreResource(data_dir=os.environ["SOPILOT_DATA_DIR"])}


def idle():
    """(heavy_backlog_job, heavy_idle_schedule, nightly_soak_schedule) under the settings the
    environment holds now, as the code location builds them when it loads."""
    s = Settings.from_env()
    job = build_heavy_job(s, versions_from_settings(s))
    return (job, *build_schedules(s, job))


def tick(instance, gate):
    ctx = dg.build_schedule_context(instance=instance, resources=resources(gate))
    return idle()[1](ctx)


def test_busy_skips_with_numbers(data_root):
    with dg.instance_for_test() as inst:
        res = tick(inst, SimulatedLoad(cpu=71.4, ram=63.0))
    assert isinstance(res, dg.SkipReason)
    assert "CPU 71 % > 50 % budget" in res.skip_message
    assert "RAM 63 % > 50 % budget" in res.skip_message


def test_idle_without_model_dir_says_backlog_empty(data_root):
    with dg.instance_for_test() as inst:
        res = tick(inst, SimulatedLoad())
    assert isinstance(res, dg.SkipReason)
    assert "heavy backlog empty" in res.skip_message
    assert "no heavy embedder model dir configured" in res.skip_message


def test_active_heavy_run_blocks_a_second(data_root, monkeypatch, tiny_vjepa2):
    monkeypatch.setenv("SOPILOT_MODEL_DIR", str(tiny_vjepa2))
    with dg.instance_for_test() as inst:
        run = inst.create_run_for_job(idle()[0], tags={HEAVY_TAG: "1"})
        inst.handle_run_event(run.run_id, dg.DagsterEvent(
            event_type_value="PIPELINE_START", job_name=run.job_name))
        res = tick(inst, SimulatedLoad())
    assert isinstance(res, dg.SkipReason) and "still in progress" in res.skip_message


def test_soak_child_and_nightly_busy(data_root, monkeypatch):
    with dg.instance_for_test() as inst:
        ctx = dg.build_schedule_context(instance=inst, resources={"idle_gate": SimulatedLoad(cpu=90)})
        res = idle()[2](ctx)
        assert isinstance(res, dg.SkipReason) and "CPU 90 % > 50 % budget" in res.skip_message
        ctx = dg.build_schedule_context(instance=inst, resources={"idle_gate": SimulatedLoad()})
        assert isinstance(idle()[2](ctx), dg.RunRequest)
        monkeypatch.setenv("SOPILOT_SOAK_CHILD", "1")
        assert isinstance(tick(inst, SimulatedLoad()), dg.SkipReason)
        assert "no soak of the soak" in idle()[2](ctx).skip_message


def test_launch_interrupt_resume(data_root, monkeypatch, tiny_vjepa2, tmp_path):
    monkeypatch.setenv("SOPILOT_MODEL_DIR", str(tiny_vjepa2))
    heavy_backlog_job = idle()[0]
    store = VideoStore.at(data_root)
    script = tmp_path / "load.json"
    with dg.instance_for_test() as inst:
        req = tick(inst, SimulatedLoad())
        assert isinstance(req, dg.RunRequest) and req.tags[HEAVY_TAG] == "1"

        # first window: idle for one batch, then the machine gets busy (CPU 88 %)
        script.write_text(json.dumps([88.0]))
        cfg = {"ops": {"heavy_backlog": {"config": {"batch_size": 1, "device": "cpu"}}}}
        r1 = heavy_backlog_job.execute_in_process(
            run_config=cfg, instance=inst, resources=resources(ScriptedLoad(script=str(script))))
        out1 = r1.output_for_node("heavy_backlog")
        assert r1.success and len(out1["done"]) == 1 and out1["remaining"] == 2
        assert "CPU 88 % > 50 % budget" in out1["stopped"]
        key = next(iter(ledger_for(store).entries().values()))["embedder_key"]
        assert key.startswith("vjepa2-")
        first = store.embeddings_path(out1["done"][0].split("/")[1], key)
        mtime = first.stat().st_mtime_ns

        # next idle window: the tick launches again, the run finishes the rest
        req2 = tick(inst, SimulatedLoad())
        assert isinstance(req2, dg.RunRequest)
        script.write_text(json.dumps([3.0]))
        r2 = heavy_backlog_job.execute_in_process(
            run_config=cfg, instance=inst, resources=resources(ScriptedLoad(script=str(script))))
        out2 = r2.output_for_node("heavy_backlog")
        assert r2.success and len(out2["done"]) == 2 and out2["remaining"] == 0
        assert not set(out1["done"]) & set(out2["done"])  # nothing done twice
        assert first.stat().st_mtime_ns == mtime
        done = ledger_for(store).entries()
        assert len(done) == 3 and all(v["embedder_key"] == key for v in done.values())
        for sha in (f"{i:02d}" + "ab" * 31 for i in range(3)):  # nothing lost
            assert store.embeddings_path(sha, key).is_file()
        # the default embeddings' folder is untouched: only the vjepa2 key was written
        assert {p.name for p in store.video_work(sha).iterdir()} == {key}

        res = tick(inst, SimulatedLoad())
        assert isinstance(res, dg.SkipReason)
        assert "every video already embedded with vjepa2" in res.skip_message


def test_bad_model_dir_is_named_not_launched(data_root, monkeypatch, tmp_path):
    monkeypatch.setenv("SOPILOT_MODEL_DIR", str(tmp_path / "nowhere"))
    with dg.instance_for_test() as inst:
        res = tick(inst, SimulatedLoad())
    assert isinstance(res, dg.SkipReason) and "has no config.json" in res.skip_message


def test_idle_definitions_merge_into_the_code_location(tmp_path):
    from sopilot_assets.definitions import code_location

    with dg.instance_for_test():  # loading consults an instance; never a stale global one
        defs = code_location(Settings(data_dir=tmp_path))
        dg.Definitions.validate_loadable(defs)
        repo = defs.get_repository_def()
    assert {"heavy_idle_schedule", "nightly_soak_schedule"} <= {s.name for s in repo.schedule_defs}
    assert {"heavy_backlog_job", "soak_job"} <= set(repo.job_names)
    nightly = repo.get_schedule_def("nightly_soak_schedule")
    assert nightly.cron_schedule == "0 2 * * *"


def test_schedules_follow_the_settings(tmp_path):
    s = Settings.from_env({"SOPILOT_DATA_DIR": str(tmp_path), "SOPILOT_HEAVY_CRON": "*/7 * * * *",
                           "SOPILOT_HEAVY_SCHEDULE": "off", "SOPILOT_SOAK_CRON": "30 3 * * *",
                           "SOPILOT_SOAK_TIMEZONE": "Europe/Berlin"})
    heavy, nightly = build_schedules(s, build_heavy_job(s, versions_from_settings(s)))
    assert heavy.cron_schedule == "*/7 * * * *"
    assert heavy.default_status == dg.DefaultScheduleStatus.STOPPED
    assert nightly.default_status == dg.DefaultScheduleStatus.RUNNING
    assert (nightly.cron_schedule, nightly.execution_timezone) == ("30 3 * * *", "Europe/Berlin")
