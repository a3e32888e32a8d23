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
