"""After a restart: fail the runs whose worker process is gone, so run retries re-execute them.

A run worker writes "Started process for run (pid: N)" before its run is STARTED; a STARTED run
whose process no longer exists (or whose pid now belongs to a younger process) was interrupted by
the crash and would stay "in progress" forever with Dagster's default run launcher. Runs whose
worker still lives (a code server's run workers outlive a killed code server) are left alone.
The check itself (which pid, alive or reused) is `run_sweep.fail_dead_runs`, shared with the sensor.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("sopilot.serve")


def sweep_dead_workers(home: Path, why: str) -> list[str]:
    """Fail the live runs of the instance at `home` whose worker process is gone; return their ids.
    The same check as the inbox sensor's (`run_sweep.fail_dead_runs`), run at once after a restart
    rather than at the next sensor tick (the daemon may be the part that is restarting)."""
    import dagster as dg

    from sopilot_assets.run_sweep import fail_dead_runs

    with dg.DagsterInstance.from_config(str(home)) as instance:
        failed = [run_id for run_id, _ in fail_dead_runs(instance, why=f"sopilot serve: {why}")]
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
