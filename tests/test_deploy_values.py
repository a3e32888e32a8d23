"""deploy/values.yaml (Dagster's Helm chart) agrees with the code: every SOPILOT_* variable it
sets is a real setting, those settings load, the code location then loads with the Kubernetes
executor and GPU tags, and every pod mounts the data root where SOPILOT_DATA_DIR says.

Not run here (no cluster, no helm, the chart is not a package on this machine): `helm lint` /
`helm template` against the chart's values.schema.json, and a deployment itself."""
from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import yaml

from sopilot_assets.definitions import code_location
from sopilot_resources.deploy import K8S_TAG
from sopilot_resources.settings import Settings

VALUES = Path(__file__).resolve().parents[1] / "deploy" / "values.yaml"


def _values() -> dict:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


def test_the_values_set_real_settings_that_load_the_k8s_definitions():
    (dep,) = _values()["dagster-user-deployments"]["deployments"]
    assert dep["dagsterApiGrpcArgs"] == ["--module-name", "sopilot_assets.definitions"]
    env = {e["name"]: e.get("value") for e in dep["env"]}
    known = {names[0] for names in Settings.variables().values()}
    assert set(env) <= known, set(env) - known
    env["SOPILOT_POSTGRES_URL"] = "postgresql+psycopg2://sop:pw@postgres:5432/sopilot"  # from its secret
    env["SOPILOT_EMBEDDER"] = "vjepa2"  # a model embedder: its steps want the GPU
    s = Settings.from_env(env)
    assert (s.deployment, s.run_executor, str(s.data_dir)) == ("cluster", "k8s", "/data")
    with dg.instance_for_test():  # Dagster reads its definitions-state storage from the current instance
        job = code_location(s).resolve_job_def("sopilot_video_job")
    assert job.executor_def.name == "k8s"
    k8s = json.loads(job.graph.node_dict["ingest_video"].definition.tags[K8S_TAG])
    key, value = env["SOPILOT_K8S_GPU_NODE_SELECTOR"].split("=")
    assert k8s["pod_spec_config"]["node_selector"] == {key: value}


def test_every_pod_mounts_the_shared_data_root_at_the_data_dir():
    v = _values()
    (dep,) = v["dagster-user-deployments"]["deployments"]
    data_dir = next(e["value"] for e in dep["env"] if e["name"] == "SOPILOT_DATA_DIR")
    launcher = v["runLauncher"]["config"]["k8sRunLauncher"]
    assert v["runLauncher"]["type"] == "K8sRunLauncher"
    for where in (dep, launcher):
        (mount,) = where["volumeMounts"]
        (vol,) = [x for x in where["volumes"] if x["name"] == mount["name"]]
        assert mount["mountPath"] == data_dir and vol["persistentVolumeClaim"]["claimName"] == "sopilot-data"


def test_run_pods_get_the_postgres_url_under_its_own_name():
    """The run launcher's envSecrets become envFrom: a run pod gets one variable per key of the
    secret, named after the key. So the key must be SOPILOT_POSTGRES_URL, the same key the code
    server reads, or run pods would get a variable named after some other key."""
    v = _values()
    (dep,) = v["dagster-user-deployments"]["deployments"]
    (ref,) = [e["valueFrom"]["secretKeyRef"] for e in dep["env"] if e["name"] == "SOPILOT_POSTGRES_URL"]
    assert ref["key"] == "SOPILOT_POSTGRES_URL" == Settings.variables()["postgres_url"][0]
    launcher = v["runLauncher"]["config"]["k8sRunLauncher"]
    assert [s["name"] for s in launcher["envSecrets"]] == [ref["name"]]


def _rendered_concurrency(conc: dict) -> dict:
    """dagster.yaml's ``concurrency`` as the chart renders it from ``concurrency`` in the values
    (its templates/helpers/instance/_concurrency.tpl: camelCase keys to snake_case)."""
    pools, runs = conc.get("pools") or {}, conc.get("runs") or {}
    out = {}
    names = {"defaultLimit": "default_limit", "granularity": "granularity",
             "opGranularityRunBuffer": "op_granularity_run_buffer"}
    if any(pools.get(k) is not None for k in names):
        out["pools"] = {names[k]: pools[k] for k in names if pools.get(k) is not None}
    if runs.get("maxConcurrentRuns") is not None or runs.get("tagConcurrencyLimits"):
        out["runs"] = {}
        if runs.get("maxConcurrentRuns") is not None:
            out["runs"]["max_concurrent_runs"] = runs["maxConcurrentRuns"]
        if runs.get("tagConcurrencyLimits"):
            out["runs"]["tag_concurrency_limits"] = [dict(t) for t in runs["tagConcurrencyLimits"]]
    return out


def test_the_values_carry_the_concurrency_limits_sopilot_serve_sets(tmp_path):
    """One source of truth: the limits come from what `sopilot serve --deployment cluster` writes
    (the dagster.yaml template) and stores (the `gpu` pool's limit), read from the code."""
    from dagster._core.instance.config import dagster_instance_config

    from sopilot_assets.instance import GPU_POOL_LIMIT, instance_template

    v = _values()
    serve = yaml.safe_load(instance_template(deployment="cluster"))["concurrency"]
    assert v["concurrency"]["enabled"]
    helm = _rendered_concurrency(v["concurrency"])
    assert helm == serve
    # the chart sets no per-pool limit: the `gpu` pool gets the default one, the limit serve stores
    assert helm["pools"]["default_limit"] == GPU_POOL_LIMIT
    assert {"key": "sopilot/lane", "value": "intake", "limit": 1} in helm["runs"]["tag_concurrency_limits"]
    coordinator = v["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] and coordinator["type"] == "QueuedRunCoordinator"
    qrc = coordinator["config"]["queuedRunCoordinator"] or {}
    assert not {"maxConcurrentRuns", "tagConcurrencyLimits"} & set(qrc), "set them in `concurrency` only"
    # Dagster accepts the instance config the chart renders from them
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({
        "concurrency": helm,
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"}}))
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == serve["runs"]["max_concurrent_runs"]
