"""After a restart: fail the runs whose worker process is gone, so run retries re-execute them.

A run worker writes "Started process for run (pid: N)" before its run is STARTED; a STARTED run
whose process no longer exists (or whose pid now belongs to a younger process) was interrupted by
the crash and would stay "in progress" forever with Dagster's default run launcher. Runs whose
worker still lives (a code server's run workers outlive a killed code server) are left alone.
STARTING runs (launch in flight) are left to run monitoring (`start_timeout_seconds`).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("sopilot.serve")

PID_START_SLACK_S = 2.0  # clock granularity between the event's timestamp and the process start


def worker_pid(instance, run_id: str) -> tuple[int, float] | None:
    """(pid, event timestamp) from the run's latest "Started process for run" engine event."""
    from dagster._core.events import DagsterEventType

    found = None
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        meta = getattr(event.event_specific_data, "metadata", None) or {}
        if "pid" in meta and (event.message or record.user_message or "").startswith("Started process for"):
            try:
                found = (int(meta["pid"].value), record.timestamp)
            except (TypeError, ValueError):
                continue
    return found


def process_gone(pid: int, since: float) -> bool:
    """True when no live process `pid` exists that was started before `since` (+ slack)."""
    import psutil

    try:
        p = psutil.Process(pid)
        return p.status() == psutil.STATUS_ZOMBIE or p.create_time() > since + PID_START_SLACK_S
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False  # cannot tell: leave the run alone


def sweep_dead_workers(home: Path, why: str) -> list[str]:
    """Fail STARTED runs of the instance at `home` whose worker process is gone; return their ids."""
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

    failed = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED])):
            found = worker_pid(instance, run.run_id)
            if found is None or not process_gone(*found):
                continue
            current = instance.get_run_by_id(run.run_id)
            if current is None or current.status != DagsterRunStatus.STARTED:
                continue  # finished meanwhile
            instance.report_run_failed(current, f"sopilot serve: the process of this run (pid {found[0]}) is "
                                                f"gone ({why}); run retries re-execute it.")
            failed.append(run.run_id)
    if failed:
        log.info("marked %d run(s) failed whose process is gone (%s); run retries re-execute them: %s",
                 len(failed), why, ", ".join(r[:8] for r in failed))
    return failed


FAILED_RETRY_MESSAGE = "Failed to retry run"  # Dagster's engine event when a retry could not be launched


def retry_lost_retries(home: Path, since: float) -> list[str]:
    """Re-arm the automatic retry of failed runs whose retry Dagster could not launch since `since`
    (epoch s), e.g. while the code server was down; return their ids.

    Dagster marks such a run `dagster/will_retry=false` and never tries again. The run is marked
    retryable again and its failure reported once more, so the daemon's retry machinery (which
    never starts a second retry of the same run) launches the retry now that the code server answers.
    """
    import dagster as dg
    from dagster._core.events import DagsterEventType
    from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter
    from dagster._core.storage.tags import PARENT_RUN_ID_TAG, WILL_RETRY_TAG

    rearmed = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE],
                                                        tags={WILL_RETRY_TAG: "false"})):
            lost = any(r.timestamp >= since and (r.dagster_event.message or "") == FAILED_RETRY_MESSAGE
                       for r in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT))
            if not lost or instance.get_runs(filters=RunsFilter(tags={PARENT_RUN_ID_TAG: run.run_id}), limit=1):
                continue
            instance.add_run_tags(run.run_id, {WILL_RETRY_TAG: "true"})
            instance.report_run_failed(instance.get_run_by_id(run.run_id),
                                       "sopilot serve: its retry could not be launched while the code server "
                                       "was down; retrying it now.")
            rearmed.append(run.run_id)
    if rearmed:
        log.info("re-armed the retry of %d failed run(s) whose retry was lost while the code server was down: %s",
                 len(rearmed), ", ".join(r[:8] for r in rearmed))
    return rearmed
