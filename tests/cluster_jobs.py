"""Jobs for the cluster profile's tests, reconstructed by the Celery workers from this file.

They use the project's own executor (``executor_for``) and step tags (``step_tags``) under the
settings of the environment, as the code location does; each step returns the name of the
worker that ran it (SOPILOT_TEST_WORKER, set per worker process by the test).
"""
import os
import time
from pathlib import Path

import dagster as dg

from sopilot_assets.executors import executor_for
from sopilot_resources.deploy import step_tags
from sopilot_resources.settings import Settings


def _worker() -> str:
    return os.environ.get("SOPILOT_TEST_WORKER", "run-process")


def routing_job() -> dg.JobDefinition:
    """A CPU step, then a GPU step."""
    s = Settings.from_env()

    @dg.op(tags=step_tags(s, wants_gpu=False))
    def cpu_step() -> str:
        return _worker()

    @dg.op(tags=step_tags(s, wants_gpu=True))
    def gpu_step(before: str) -> list:
        return [before, _worker()]

    @dg.job(name="routing", executor_def=executor_for(s))
    def routing():
        gpu_step(cpu_step())

    return routing


def routing_job_without_gpu_workers() -> dg.JobDefinition:
    """``routing_job`` under another name: Dagster caches a reconstructed job per function for the
    life of the process, so a test that changes the settings needs a function of its own."""
    return routing_job()


def slow_job() -> dg.JobDefinition:
    """One step that notes which worker started it (``<marks>/<worker>.started``) and then
    waits until ``<marks>/go`` exists: the test kills the worker in between."""
    s = Settings.from_env()

    @dg.op(config_schema={"marks": str}, tags=step_tags(s, wants_gpu=False))
    def held(context) -> str:
        marks = Path(context.op_config["marks"])
        (marks / f"{_worker()}.started").write_text(str(os.getpid()))
        end = time.monotonic() + 120
        while not (marks / "go").exists() and time.monotonic() < end:
            time.sleep(0.1)
        return _worker()

    @dg.job(name="slow", executor_def=executor_for(s))
    def slow():
        held()

    return slow


def project_job(name: str) -> dg.JobDefinition:
    from sopilot_assets.definitions import code_location

    return code_location().resolve_job_def(name)


def video_job() -> dg.JobDefinition:
    """The project's own ``sopilot_video_job``, from the code location under the environment's settings."""
    return project_job("sopilot_video_job")


def pair_job() -> dg.JobDefinition:
    return project_job("sopilot_pair_job")


def intake_job() -> dg.JobDefinition:
    return project_job("sopilot_intake_job")


def main(argv: list[str]) -> int:
    """``python cluster_jobs.py HOME JOB TAGS_JSON SELECTION_JSON [RUN_CONFIG_JSON]``: one run in
    a process of its own, as the daemon launches each run (two runs in threads of one process can
    deadlock on Python's logging lock while Dagster configures its handlers)."""
    import json
    import sys

    home, job, tags, selection = argv[:4]
    run_config = json.loads(argv[4]) if len(argv) > 4 else None
    with dg.DagsterInstance.from_config(home) as instance:
        fn = {"sopilot_video_job": video_job, "sopilot_pair_job": pair_job, "sopilot_intake_job": intake_job}[job]
        keys = [dg.AssetKey(k) for k in json.loads(selection)] or None
        with dg.execute_job(dg.reconstructable(fn), instance=instance, tags=json.loads(tags),
                            asset_selection=keys, run_config=run_config or None) as r:
            print(json.dumps({"ok": r.success, "run_id": r.run_id}), file=sys.stdout, flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
