"""Idle-time schedules: the heavy backlog every few minutes, the soak every night.

heavy_idle_schedule  cron $SOPILOT_HEAVY_CRON (default every 5 min). Launches
                     heavy_backlog_job when the idle gate says idle and the backlog holds
                     work; otherwise a SkipReason naming the measured numbers.
nightly_soak_schedule cron $SOPILOT_SOAK_CRON (default "0 2 * * *") in
                     $SOPILOT_SOAK_TIMEZONE (default: this machine's zone). Materializes
                     soak_report when the machine is idle.
Both are on by default; SOPILOT_HEAVY_SCHEDULE=off / SOPILOT_SOAK_SCHEDULE=off start them
stopped. Inside a soak's own sandbox (SOPILOT_SOAK_CHILD=1) both always skip.
"""
import os
from pathlib import Path

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.idle_gate import IdleGateResource
from sopilot_resources.dagster_resources.storage import VideoStoreResource

from .heavy import HEAVY_TAG, heavy_backlog_job, heavy_runs_in_flight, pending_counts
from .soak.assets import soak_job
from .soak.pipeline import SOAK_CHILD_ENV


def _status(var: str) -> dg.DefaultScheduleStatus:
    off = os.environ.get(var, "").strip().lower() in ("off", "0", "false", "no", "stopped")
    return dg.DefaultScheduleStatus.STOPPED if off else dg.DefaultScheduleStatus.RUNNING


def local_timezone_name() -> str:
    """IANA name of this machine's zone ($TZ, /etc/timezone, /etc/localtime), else UTC."""
    if os.environ.get("TZ", "").strip(": "):
        return os.environ["TZ"].strip(": ")
    try:
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def heavy_tick(instance: dg.DagsterInstance, idle_gate: IdleGateResource,
               video_store: VideoStoreResource, embedder: EmbedderResource,
               ) -> dg.RunRequest | dg.SkipReason:
    if os.environ.get(SOAK_CHILD_ENV):
        return dg.SkipReason("inside a soak sandbox: idle-time heavy work stays off")
    inflight = heavy_runs_in_flight(instance)
    if inflight:
        return dg.SkipReason(f"heavy run {inflight[0][:8]} still in progress")
    verdict = idle_gate.check(instance)
    if not verdict.idle:
        return dg.SkipReason(f"machine {verdict.summary()}")
    counts = pending_counts(video_store.store(), embedder.identity_key(video_store.store()))
    if counts["reembed"] + counts["rescore"] == 0:
        if counts["problem"]:
            embed = counts["problem"]
        elif not counts["model_dir"]:
            embed = ("no heavy embedder model dir configured (set SOPILOT_VJEPA2_DIR) so no "
                     "re-embedding")
        else:
            embed = f"every video already embedded with {counts['embedder']}"
        return dg.SkipReason(f"heavy backlog empty: 0 rescores pending; {embed} "
                             f"({verdict.summary()})")
    return dg.RunRequest(
        tags={HEAVY_TAG: "1", "sopilot/idle": verdict.summary()[:200]},
        run_config={"ops": {"heavy_backlog": {"config": {}}}},
    )


@dg.schedule(job=heavy_backlog_job, cron_schedule=os.environ.get("SOPILOT_HEAVY_CRON", "*/5 * * * *"),
             default_status=_status("SOPILOT_HEAVY_SCHEDULE"),
             description="When the machine is idle, work through the heavy backlog.")
def heavy_idle_schedule(context: dg.ScheduleEvaluationContext, idle_gate: IdleGateResource,
                        video_store: VideoStoreResource, embedder: EmbedderResource):
    result = heavy_tick(context.instance, idle_gate, video_store, embedder)
    if isinstance(result, dg.SkipReason):
        context.log.info(result.skip_message)
    return result


@dg.schedule(job=soak_job, cron_schedule=os.environ.get("SOPILOT_SOAK_CRON", "0 2 * * *"),
             execution_timezone=os.environ.get("SOPILOT_SOAK_TIMEZONE") or local_timezone_name(),
             default_status=_status("SOPILOT_SOAK_SCHEDULE"),
             description="Nightly soak of the whole pipeline in a sandbox (when idle).")
def nightly_soak_schedule(context: dg.ScheduleEvaluationContext, idle_gate: IdleGateResource):
    if os.environ.get(SOAK_CHILD_ENV):
        return dg.SkipReason("inside a soak sandbox: no soak of the soak")
    verdict = idle_gate.check(context.instance)
    if not verdict.idle:
        return dg.SkipReason(f"nightly soak skipped, machine {verdict.summary()}")
    return dg.RunRequest(tags={"sopilot/soak": "nightly"})


SCHEDULES = [heavy_idle_schedule, nightly_soak_schedule]
JOBS = [heavy_backlog_job, soak_job]


def idle_definitions() -> dg.Definitions:
    """Everything of this module for ``build_definitions(extra=[idle_definitions()])``: the two
    schedules, their jobs, the soak_report asset and the ``idle_gate`` resource (from env)."""
    from .soak.assets import soak_report

    return dg.Definitions(assets=[soak_report], jobs=JOBS, schedules=SCHEDULES,
                          resources={"idle_gate": IdleGateResource.from_env()})
