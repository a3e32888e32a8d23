"""The instance `sopilot serve` prepares: DAGSTER_HOME placement, dagster.yaml, pool, crash sweep."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from sopilot_assets.demo_inbox import copy_into_inbox
from sopilot_assets.instance import GPU_POOL, configure_instance, prepare_dagster_home
from sopilot_resources.settings import Settings


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("SOPILOT_DATA_DIR", raising=False)
    monkeypatch.delenv("SOPILOT_KEEP_DAGSTER_YAML", raising=False)
    return monkeypatch


def test_data_root_and_home_defaults(clean_env, tmp_path):
    clean_env.chdir(tmp_path)
    s = Settings.from_env()
    assert s.data_dir == (tmp_path / "data").resolve()
    assert s.dagster_home_dir == s.data_dir / "dagster_home"
    clean_env.setenv("SOPILOT_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings.from_env().data_dir == tmp_path / "elsewhere"
    assert Settings.from_env().with_data_dir(tmp_path / "explicit").data_dir == tmp_path / "explicit"  # --data-dir
    assert Settings.from_env().with_data_dir("rel").data_dir == tmp_path / "rel"


def test_dagster_home_env_is_honoured(clean_env, tmp_path):
    clean_env.setenv("DAGSTER_HOME", str(tmp_path / "my_home"))
    home, workspace = prepare_dagster_home(Settings.from_env().with_data_dir(tmp_path / "data"))
    assert home == tmp_path / "my_home"
    assert (home / "dagster.yaml").exists() and workspace.parent == home
    assert not (tmp_path / "data" / "dagster_home").exists()


def test_instance_settings_load_in_dagster(clean_env, tmp_path):
    home, workspace = prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    assert yaml.safe_load(workspace.read_text())["load_from"][0]["python_module"] == {
        "module_name": "sopilot_assets.definitions",
        "location_name": "sopilot",
    }
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert inst.telemetry_enabled is False
        assert inst.nux_enabled is False
        assert inst.run_retries_enabled and inst.run_retries_max_retries >= 1
        assert inst.run_monitoring_enabled
        assert inst.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert inst.auto_materialize_enabled and inst.auto_materialize_use_sensors
        conc = inst.get_concurrency_config()
        assert conc.pool_config.default_pool_limit == 1
        assert 1 <= conc.run_queue_config.max_concurrent_runs <= 4
        limits = conc.run_queue_config.tag_concurrency_limits
        assert {"key": "sopilot/lane", "value": "decode", "limit": 2} in limits  # a slot kept for scoring
        assert {"key": "sopilot/lane", "value": "intake", "limit": 1} in limits  # new drops never wait for a batch
        from sopilot_assets.jobs import pair_job, video_job

        assert video_job.tags["sopilot/lane"] == "decode" and pair_job.tags["sopilot/lane"] == "score"


def test_template_rewritten_unless_kept(clean_env, tmp_path):
    home, _ = prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    clean_env.setenv("SOPILOT_KEEP_DAGSTER_YAML", "1")
    prepare_dagster_home(Settings.from_env().with_data_dir(tmp_path / "data"))
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"


def test_configure_sets_gpu_pool_and_fails_orphaned_runs(clean_env, tmp_path):
    home, _ = prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    with dg.DagsterInstance.from_config(str(home)) as inst:
        started = inst.add_run(DagsterRun(job_name="j", run_id="a" * 32, status=DagsterRunStatus.STARTED))
        done = inst.add_run(DagsterRun(job_name="j", run_id="b" * 32, status=DagsterRunStatus.SUCCESS))
        waiting = inst.add_run(DagsterRun(job_name="j", run_id="c" * 32, status=DagsterRunStatus.NOT_STARTED))
        inst.event_log_storage.set_concurrency_slots(GPU_POOL, 1)
        claim = inst.event_log_storage.claim_concurrency_slot(GPU_POOL, started.run_id, "embed")
        assert claim.is_claimed
    failed = configure_instance(home)
    assert failed == [started.run_id]
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert inst.get_run_by_id(started.run_id).status == DagsterRunStatus.FAILURE
        assert inst.get_run_by_id(done.run_id).status == DagsterRunStatus.SUCCESS
        assert inst.get_run_by_id(waiting.run_id).status == DagsterRunStatus.NOT_STARTED
        info = inst.event_log_storage.get_concurrency_info(GPU_POOL)
        assert info.slot_count == 1 and info.active_slot_count == 0  # the dead run's slot is free
    assert configure_instance(home) == []  # idempotent


def test_copy_into_inbox_keeps_layout_and_order(tmp_path):
    src = tmp_path / "demo"
    for rel in ["t1/gold/g.mp4", "t1/gold/g.steps.json", "t1/trainee/a.mp4", "t2/trainee/b.avi"]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(rel.encode())
    (src / "manifest.json").write_text("{}")
    written = copy_into_inbox(src, tmp_path / "inbox")
    rel = [p.relative_to(tmp_path / "inbox").as_posix() for p in written]
    assert rel == ["t1/gold/g.steps.json", "t1/gold/g.mp4", "t1/trainee/a.mp4", "t2/trainee/b.avi"]
    assert (tmp_path / "inbox/t2/trainee/b.avi").read_bytes() == b"t2/trainee/b.avi"
    assert not (tmp_path / "inbox/manifest.json").exists()
    assert not list((tmp_path / "inbox").rglob(".*"))  # no temp file left behind
