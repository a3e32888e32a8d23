"""The deployment profile without servers: which executor and instance each profile gets, the
GPU routing tags decided from the settings (never from the loading machine's GPU), and the
definitions loading with the Celery and the Kubernetes executor."""
from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
import yaml

from sopilot_assets.definitions import code_location
from sopilot_assets.instance import instance_template
from sopilot_assets.supervisor_units import unit_env
from sopilot_resources.deploy import GPU_QUEUE, K8S_TAG, QUEUE_TAG, gpu_wanted, step_tags
from sopilot_resources.settings import Settings

PG = "postgresql+psycopg2://sop@db:5432/sopilot"
CLUSTER = {"SOPILOT_DEPLOYMENT": "cluster", "SOPILOT_POSTGRES_URL": PG, "SOPILOT_CELERY_BROKER": "redis://b:6379/0"}


def settings(**env) -> Settings:
    return Settings.from_env({k.upper() if k.islower() else k: v for k, v in env.items()})


def has_gpu():
    return True


def no_gpu():
    return False


def test_gpu_wanted_comes_from_the_settings_in_the_cluster_and_from_the_machine_on_one_box():
    vj = {"SOPILOT_EMBEDDER": "vjepa2"}
    one_box = settings(**vj)
    assert gpu_wanted(one_box, "embed", has_gpu) and not gpu_wanted(one_box, "embed", no_gpu)
    assert not gpu_wanted(settings(), "embed", has_gpu)  # color-motion is numpy
    cluster = settings(**CLUSTER, **vj)
    assert not gpu_wanted(cluster, "embed", has_gpu)  # the code server's GPU does not count
    with_gpu = settings(**CLUSTER, **vj, SOPILOT_GPU_WORKERS="1")
    assert gpu_wanted(with_gpu, "embed", no_gpu) and gpu_wanted(with_gpu, "align", no_gpu)
    assert not gpu_wanted(settings(**CLUSTER, **vj, SOPILOT_GPU_WORKERS="1", SOPILOT_DEVICE="cpu"), "align", has_gpu)


def test_step_tags_route_gpu_steps_only_when_gpu_workers_exist():
    assert step_tags(settings(), True) == {}  # one box: in-process, no routing
    cpu_only = settings(**CLUSTER)
    assert step_tags(cpu_only, True) == {QUEUE_TAG: "dagster"} == step_tags(cpu_only, False)
    gpu = settings(**CLUSTER, SOPILOT_GPU_WORKERS="1", SOPILOT_K8S_GPU_NODE_SELECTOR="pool=l4")
    tags = step_tags(gpu, True)
    assert tags[QUEUE_TAG] == GPU_QUEUE
    k8s = tags[K8S_TAG]
    assert k8s["container_config"]["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert k8s["pod_spec_config"]["node_selector"] == {"pool": "l4"}
    assert k8s["pod_spec_config"]["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert step_tags(gpu, False) == {QUEUE_TAG: "dagster"}


def _jobs(env: dict) -> dict:
    """The code location's jobs, resolved on an instance of its own (Dagster reads its
    definitions-state storage from the current instance while resolving)."""
    defs = code_location(settings(**env))
    with dg.instance_for_test():
        return {j.name: j for j in defs.resolve_all_job_defs()}


def test_the_single_profile_keeps_in_process_runs():
    jobs = _jobs({})
    assert {j.executor_def.name for j in jobs.values()} == {"in_process"}
    assert not any(QUEUE_TAG in n.definition.tags for j in jobs.values() for n in j.graph.node_dict.values())


@pytest.mark.parametrize("executor, name", [("celery", "sopilot_celery"), ("k8s", "k8s")])
def test_the_definitions_load_with_the_cluster_executors_and_gpu_tags(executor, name):
    env = {**CLUSTER, "SOPILOT_EXECUTOR": executor, "SOPILOT_GPU_WORKERS": "1", "SOPILOT_EMBEDDER": "vjepa2"}
    jobs = _jobs(env)
    for job in ("sopilot_video_job", "sopilot_pair_job", "sopilot_rollup_job", "heavy_backlog_job"):
        assert jobs[job].executor_def.name == name, job
    assert jobs["soak_job"].executor_def.name == "in_process"  # it measures the host it runs on
    for job, node in (("sopilot_video_job", "ingest_video"), ("sopilot_pair_job", "score_pair"),
                      ("heavy_backlog_job", "heavy_backlog")):
        tags = jobs[job].graph.node_dict[node].definition.tags
        assert json.loads(tags[K8S_TAG])["container_config"]["resources"]["requests"] == {"nvidia.com/gpu": "1"}
        assert tags.get(QUEUE_TAG) == (GPU_QUEUE if executor == "celery" else None)


def test_with_device_cpu_no_step_goes_to_the_gpu_queue():
    """SOPILOT_DEVICE=cpu keeps every step, the heavy backlog too, on the CPU workers' queue."""
    env = {**CLUSTER, "SOPILOT_GPU_WORKERS": "1", "SOPILOT_DEVICE": "cpu", "SOPILOT_EMBEDDER": "vjepa2"}
    jobs = _jobs(env)
    for job, node in (("sopilot_video_job", "ingest_video"), ("sopilot_pair_job", "score_pair"),
                      ("heavy_backlog_job", "heavy_backlog")):
        tags = jobs[job].graph.node_dict[node].definition.tags
        assert tags.get(QUEUE_TAG) == "dagster" and K8S_TAG not in tags, (job, tags)


def test_the_cluster_instance_is_postgres_with_room_for_more_runs():
    single, cluster = yaml.safe_load(instance_template()), yaml.safe_load(instance_template(deployment="cluster"))
    assert "storage" not in single and single["concurrency"]["runs"]["max_concurrent_runs"] == 4
    assert cluster["storage"] == {"postgres": {"postgres_url": {"env": "SOPILOT_POSTGRES_URL"}}}
    assert cluster["concurrency"]["runs"]["max_concurrent_runs"] > 4
    assert {k: v for k, v in cluster.items() if k not in ("storage", "concurrency")} == \
        {k: v for k, v in single.items() if k != "concurrency"}


def test_serve_passes_its_profile_to_what_it_starts(tmp_path):
    assert unit_env(tmp_path, tmp_path, False, "cluster")["SOPILOT_DEPLOYMENT"] == "cluster"
    assert settings(**CLUSTER).with_deployment("single").deployment == "single"
    with pytest.raises(Exception, match="needs SOPILOT_POSTGRES_URL"):
        settings().with_deployment("cluster")


def test_a_worker_gets_the_executors_broker_and_task_settings(tmp_path):
    from sopilot_assets.worker_cli import worker_command
    from sopilot_resources.errors import SopilotError

    s = settings(**CLUSTER, SOPILOT_CELERY_VISIBILITY_TIMEOUT="600", SOPILOT_DATA_DIR=str(tmp_path / "share"))
    argv, env = worker_command(s, ["gpu", "dagster", "gpu"], 2, None, tmp_path)
    assert argv[argv.index("-Q") + 1] == "gpu,dagster" and "--concurrency=2" in argv
    assert argv[argv.index("-n") + 1].startswith("sopilot-gpu-dagster@")
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path) and env["SOPILOT_DATA_DIR"] == str(tmp_path / "share")
    conf = {}
    exec((tmp_path / "dagster_celery_config.py").read_text(), conf)
    assert conf["broker_url"] == conf["result_backend"] == "redis://b:6379/0"
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"] and conf["worker_prefetch_multiplier"] == 1
    assert conf["broker_transport_options"]["visibility_timeout"] == 600
    with pytest.raises(SopilotError, match="serves the cluster profile"):
        worker_command(settings(), [], 1, None, tmp_path)


def test_dagster_home_stays_off_the_shared_data_root_in_the_cluster(tmp_path):
    from sopilot_resources.settings.model import CLUSTER_DAGSTER_HOME
    from sopilot_resources.settings.values import SettingsError

    share = tmp_path / "share"
    one_box = settings(SOPILOT_DATA_DIR=str(share))
    assert one_box.dagster_home_dir == share / "dagster_home"  # one box: unchanged
    cluster = settings(**CLUSTER, SOPILOT_DATA_DIR=str(share))
    assert cluster.dagster_home_dir == CLUSTER_DAGSTER_HOME.expanduser()  # host-local by default
    assert share not in cluster.dagster_home_dir.parents
    own = settings(**CLUSTER, SOPILOT_DATA_DIR=str(share), DAGSTER_HOME=str(tmp_path / "home"))
    assert own.dagster_home_dir == tmp_path / "home"
    for inside in (share / "dagster_home", share):
        with pytest.raises(SettingsError, match="inside the data root .*set DAGSTER_HOME to a folder on this host"):
            settings(**CLUSTER, SOPILOT_DATA_DIR=str(share), DAGSTER_HOME=str(inside))
    with pytest.raises(SettingsError, match="inside the data root"):  # --data-dir is checked too
        own.with_data_dir(tmp_path)
    with pytest.raises(SettingsError, match="inside the data root"):  # and --deployment cluster
        settings(SOPILOT_DATA_DIR=str(share), DAGSTER_HOME=str(share / "h"), SOPILOT_POSTGRES_URL=PG,
                 SOPILOT_CELERY_BROKER="redis://b:6379/0").with_deployment("cluster")


def test_the_cluster_instance_keeps_step_logs_on_the_shared_data_root(tmp_path):
    """Workers write a step's captured output where the run's instance says: on the share, so the
    UI on the server can show what any host ran (DAGSTER_HOME is host-local in this profile)."""
    import dagster as dg
    from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

    from sopilot_assets.instance import compute_logs_section

    data = tmp_path / "share with space"
    cluster = yaml.safe_load(instance_template(deployment="cluster", data_dir=data))
    assert cluster["compute_logs"]["config"]["base_dir"] == str(data / "dagster_compute_logs")
    assert "compute_logs" not in yaml.safe_load(instance_template(deployment="cluster"))
    assert "compute_logs" not in yaml.safe_load(instance_template(data_dir=data))  # one box: under DAGSTER_HOME
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(compute_logs_section(data), encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as inst:  # Dagster accepts the section as written
        assert isinstance(inst.compute_log_manager, LocalComputeLogManager)
        assert Path(inst.compute_log_manager._base_dir) == data / "dagster_compute_logs"
