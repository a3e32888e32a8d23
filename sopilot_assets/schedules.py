"""Idle-time schedules: the heavy backlog every few minutes, the soak every night.

heavy_idle_schedule  cron SOPILOT_HEAVY_CRON. Launches heavy_backlog_job when the idle gate
                     says idle and the backlog holds work; otherwise a SkipReason naming the
                     measured numbers.
nightly_soak_schedule cron SOPILOT_SOAK_CRON in SOPILOT_SOAK_TIMEZONE (default: this machine's
                     zone). Materializes soak_report when the machine is idle.
nightly_autopilot_schedule cron SOPILOT_AUTOPILOT_CRON: autopilot_job when idle (autopilot_job.py).
results_compaction_schedule cron SOPILOT_COMPACT_CRON: results_compaction_job when idle
                     (compaction_job.py): the event tables' small files merged into one each.
Both are on by default; SOPILOT_HEAVY_SCHEDULE=off / SOPILOT_SOAK_SCHEDULE=off start them
stopped. Inside a soak's own sandbox (SOPILOT_SOAK_CHILD=1) both always skip. All of these are
``Settings`` (docs/operations.md), given to ``idle_definitions`` when the code location loads.
"""
import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.idle_gate import IdleGateResource
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.settings import Settings

from .assets.common import Versions
from .autopilot_job import TAG, build_autopilot_job
from .compaction_job import TAG as COMPACT_TAG, results_compaction_job
from .heavy import HEAVY_TAG, build_heavy_job, heavy_runs_in_flight, pending_counts
from .soak.assets import build_soak_report, soak_job


def _status(on: bool) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def heavy_tick(instance: dg.DagsterInstance, settings: Settings, idle_gate: IdleGateResource,
               video_store: VideoStoreResource, embedder: EmbedderResource,
               ) -> dg.RunRequest | dg.SkipReason:
    if settings.soak_child:
        return dg.SkipReason("inside a soak sandbox: idle-time heavy work stays off")
    inflight = heavy_runs_in_flight(instance)
    if inflight:
        return dg.SkipReason(f"heavy run {inflight[0][:8]} still in progress")
    verdict = idle_gate.check(instance)
    if not verdict.idle:
        return dg.SkipReason(f"machine {verdict.summary()}")
    counts = pending_counts(video_store.store(), embedder.identity_key(video_store.store()), settings)
    if counts["reembed"] + counts["rescore"] == 0:
        if counts["problem"]:
            embed = counts["problem"]
        elif not counts["model_dir"]:
            embed = ("no heavy embedder model dir configured (set SOPILOT_MODEL_DIR) so no "
                     "re-embedding")
        else:
            embed = f"every video already embedded with {counts['embedder']}"
        return dg.SkipReason(f"heavy backlog empty: 0 rescores pending; {embed} "
                             f"({verdict.summary()})")
    return dg.RunRequest(
        tags={HEAVY_TAG: "1", "sopilot/idle": verdict.summary()[:200]},
        run_config={"ops": {"heavy_backlog": {"config": {}}}},
    )


def _when_idle(context, settings: Settings, idle_gate: IdleGateResource, what: str, in_sandbox: str,
               tags: dict) -> dg.RunRequest | dg.SkipReason:
    """A nightly run, only when the idle gate says idle (never inside a soak's sandbox)."""
    if settings.soak_child:
        return dg.SkipReason(f"inside a soak sandbox: {in_sandbox}")
    verdict = idle_gate.check(context.instance)
    if not verdict.idle:
        return dg.SkipReason(f"{what} skipped, machine {verdict.summary()}")
    return dg.RunRequest(tags=tags)


def autopilot_schedule(settings: Settings, job: dg.JobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(job=job, cron_schedule=settings.autopilot_cron, execution_timezone=settings.soak_timezone,
                 default_status=_status(settings.autopilot_schedule),
                 description="Nightly per-task autopilot (when the machine is idle).")
    def nightly_autopilot_schedule(context: dg.ScheduleEvaluationContext, idle_gate: IdleGateResource):
        return _when_idle(context, settings, idle_gate, "nightly autopilot", "the autopilot stays off", {TAG: "nightly"})

    return nightly_autopilot_schedule


def compaction_schedule(settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(job=results_compaction_job, cron_schedule=settings.compact_cron,
                 default_status=_status(settings.compact_schedule),
                 description="When the machine is idle, merge the results' small event files.")
    def results_compaction_schedule(context: dg.ScheduleEvaluationContext, idle_gate: IdleGateResource):
        return _when_idle(context, settings, idle_gate, "results compaction", "no compaction", {COMPACT_TAG: "1"})

    return results_compaction_schedule


def build_schedules(settings: Settings, heavy_job: dg.JobDefinition) -> list[dg.ScheduleDefinition]:
    @dg.schedule(job=heavy_job, cron_schedule=settings.heavy_cron, default_status=_status(settings.heavy_schedule),
                 description="When the machine is idle, work through the heavy backlog.")
    def heavy_idle_schedule(context: dg.ScheduleEvaluationContext, idle_gate: IdleGateResource,
                            video_store: VideoStoreResource, embedder: EmbedderResource):
        result = heavy_tick(context.instance, settings, idle_gate, video_store, embedder)
        if isinstance(result, dg.SkipReason):
            context.log.info(result.skip_message)
        return result

    @dg.schedule(job=soak_job, cron_schedule=settings.soak_cron, execution_timezone=settings.soak_timezone,
                 default_status=_status(settings.soak_schedule),
                 description="Nightly soak of the whole pipeline in a sandbox (when idle).")
    def nightly_soak_schedule(context: dg.ScheduleEvaluationContext, idle_gate: IdleGateResource):
        return _when_idle(context, settings, idle_gate, "nightly soak", "no soak of the soak", {"sopilot/soak": "nightly"})

    return [heavy_idle_schedule, nightly_soak_schedule]


def idle_definitions(settings: Settings, versions: Versions) -> dg.Definitions:
    """Everything of this module for ``build_definitions(extra=[idle_definitions(...)])``: the four
    schedules, their jobs, the soak_report asset and the ``idle_gate`` resource."""
    heavy_job = build_heavy_job(settings, versions)
    autopilot_job = build_autopilot_job(settings)
    return dg.Definitions(assets=[build_soak_report(settings)],
                          jobs=[heavy_job, soak_job, autopilot_job, results_compaction_job],
                          schedules=[*build_schedules(settings, heavy_job), autopilot_schedule(settings, autopilot_job),
                                     compaction_schedule(settings)],
                          resources={"idle_gate": IdleGateResource.from_settings(settings)})
