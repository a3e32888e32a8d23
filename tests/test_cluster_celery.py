"""The cluster profile for real: Dagster's instance in a real PostgreSQL, steps on `sopilot
worker` Celery processes through a real Redis (tests/services.py), GPU steps routed to the `gpu`
queue, and a step whose worker is killed with `kill -9` finished by the other worker."""
from __future__ import annotations

import threading
import time

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRunStatus

from cluster_jobs import routing_job, routing_job_without_gpu_workers, slow_job
from cluster_support import Workers, cluster_env, cluster_instance

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def env(tmp_path, postgres, redis_url, monkeypatch, request):
    db = postgres.create_db("t_" + request.node.name.lower()[:40].replace("[", "_").replace("]", ""))
    # one broker for the session: dagster-celery registers its task once per process, on the
    # first broker it was given (a second test with another broker would publish to the first)
    vals = cluster_env(tmp_path, db, redis_url)
    for k, v in vals.items():
        monkeypatch.setenv(k, v)
    return vals


def _outputs(instance, run_id) -> dict:
    """step key -> the worker that ran it, from the run's own event log in Postgres."""
    out = {}
    for rec in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = rec.dagster_event.engine_event_data
        worker = dict(data.metadata or {}).get("Celery worker") if data else None
        if worker is not None:
            out[rec.dagster_event.step_key] = worker.value
    return out


def test_the_instance_is_postgres_and_gpu_steps_go_to_the_gpu_worker(env, tmp_path, monkeypatch):
    monkeypatch.setenv("SOPILOT_GPU_WORKERS", "1")
    workers = Workers({**env, "SOPILOT_GPU_WORKERS": "1"}, tmp_path)
    try:
        with cluster_instance(env) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            workers.start("cpu", "dagster")
            workers.start("gpu", "gpu")
            workers.wait_ready()
            with dg.execute_job(dg.reconstructable(routing_job), instance=instance) as result:
                assert result.success
                assert result.output_for_node("gpu_step") == ["cpu", "gpu"]
            ran_on = _outputs(instance, result.run_id)
            assert ran_on["cpu_step"].startswith("cpu@") and ran_on["gpu_step"].startswith("gpu@")
    finally:
        workers.stop()


def test_without_gpu_workers_gpu_steps_run_on_the_cpu_workers(env, tmp_path):
    workers = Workers(env, tmp_path)
    try:
        with cluster_instance(env) as instance:
            workers.start("cpu", "dagster")
            workers.wait_ready()
            with dg.execute_job(dg.reconstructable(routing_job_without_gpu_workers), instance=instance) as result:
                assert result.success and result.output_for_node("gpu_step") == ["cpu", "cpu"]
    finally:
        workers.stop()


def test_a_step_whose_worker_is_killed_is_finished_by_the_other_worker(env, tmp_path, monkeypatch):
    """``kill -9`` of a worker (its whole process group) while its step runs: the broker hands
    the unacknowledged step to the other worker, and the run succeeds once, on that worker."""
    monkeypatch.setenv("SOPILOT_CELERY_VISIBILITY_TIMEOUT", "5")
    marks = tmp_path / "marks"
    marks.mkdir()
    workers = Workers({**env, "SOPILOT_CELERY_VISIBILITY_TIMEOUT": "5"}, tmp_path)
    box = {}
    try:
        with cluster_instance(env) as instance:
            workers.start("a", "dagster")
            workers.start("b", "dagster")
            workers.wait_ready()
            config = {"ops": {"held": {"config": {"marks": str(marks)}}}}

            def run():
                with dg.execute_job(dg.reconstructable(slow_job), instance=instance, run_config=config) as r:
                    box["ok"], box["out"], box["run_id"] = r.success, r.output_for_node("held"), r.run_id

            thread = threading.Thread(target=run)
            thread.start()
            first = _wait_for(lambda: [p.stem for p in marks.glob("*.started")], 90)
            assert len(first) == 1
            workers.kill9(first[0])
            other = "b" if first[0] == "a" else "a"
            _wait_for(lambda: (marks / f"{other}.started").exists(), 90)
            (marks / "go").touch()
            thread.join(120)
            assert not thread.is_alive()
            assert box["ok"] and box["out"] == other
            run = instance.get_run_by_id(box["run_id"])
            assert run.status == DagsterRunStatus.SUCCESS
            outputs = instance.all_logs(box["run_id"], of_type=dg.DagsterEventType.STEP_OUTPUT)
            assert len(outputs) == 1  # the step's result was recorded once
    finally:
        (marks / "go").touch()
        workers.stop()


def _wait_for(what, timeout: float):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout} s")
