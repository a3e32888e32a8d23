"""``sopilot_inbox_sensor``: notices stable files in the inbox and starts an intake run to take
them (intake_job.py: hashing, probing, moving, registering, pairing, quarantine happen there,
never in the tick), then turns what that run registered into partitions and runs. The inbox
logic itself is plain Python (``sopilot_resources.storage.intake``).

Cursor: ``InboxCursor`` (sensor_cursor.py), typed, saved by Dagster with each tick as JSON, so it
survives restarts. A crash before it is saved re-announces registry log entries, which is
idempotent: adding a partition twice is a no-op, run keys dedupe runs, and a trainee already
embedded is not requested again. An unreadable cursor is logged and replaced by a fresh one.

Each tick first measures free space and fails runs whose worker is gone (sensor_health.py):
on a full disk it stops there. Then it quarantines the videos runs found cannot be embedded
(storage/bad_videos.py, in the intake run), notices the inbox, announces, and retries failed videos.
"""

import time

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.settings import Settings

from sopilot_resources.storage import intake_failures
from sopilot_resources.storage.bad_videos import pending_reports
from sopilot_resources.storage.quarantine import refresh_quarantine_table, tick_text

from .intake_job import INTAKE_JOB, intake_job, intake_request
from .jobs import pair_job, video_job
from .partitions import PAIRS
from .sensor_announce import announce, split_failed_batches
from .sensor_health import health
from .sensor_pairs import pair_run_requests
from .sensor_cursor import InboxCursor
from .sensor_retry import ACTIVE, Todo, due_retries, note_failed_runs, retry_now

SENSOR = "sopilot_inbox_sensor"
MAX_ANNOUNCE = 500
MAX_PAIR_REQUESTS = 200
#: a file handed to an intake run and still in the inbox, unchanged, is handed over again after this
REOFFER_SEC = 60.0


def build_inbox_sensor(settings: Settings) -> dg.SensorDefinition:
    """Ticks every SOPILOT_SENSOR_INTERVAL seconds; runs of at most SOPILOT_MAX_BATCH partitions."""
    max_batch = settings.max_batch

    @dg.sensor(name=SENSOR, minimum_interval_seconds=settings.sensor_interval, jobs=[intake_job, video_job, pair_job],
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Notices stable files in inbox/<task>/<gold|trainee>/ and starts an intake run "
                           "to take them; adds the video and pair partitions it registered and starts their runs.")
    def sopilot_inbox_sensor(context: dg.SensorEvaluationContext, video_store: VideoStoreResource,
                             embedder: EmbedderResource, results_store: ResultsStoreResource):
        cur, unreadable = InboxCursor.parse(context.cursor)
        if unreadable:
            context.log.warning("the sensor's saved cursor was unreadable; starting from a fresh one. Videos "
                                "already taken stay in the registry, so none is lost; some runs may repeat")
        ekey = embedder.identity_key(video_store.store())
        intake = video_store.intake(embedder_key=ekey)
        registry, store = intake.registry, intake.store
        full, asset_events, disk_text = health(context, store, cur, settings.min_free_mb, settings.dagster_home)
        if full:  # every run would fail: the inbox waits, nothing is started
            return dg.SensorResult(asset_events=asset_events, cursor=cur.dumps(),
                                   skip_reason=disk_text)
        rs = results_store.store()
        if not rs.duckdb_path.exists():
            rs.ensure_views()  # people can query sopilot.duckdb from the first tick on
        seen = intake.notice(cur.stability, failures=intake_failures.counts(store))
        cur.noticed(seen.tracker_state, seen.failures)
        for ev in seen.events:
            getattr(context.log, ev.level if ev.level in ("info", "warning", "error") else "info")(ev.message)
        if seen.events:
            rs.append("ingest_events", [ev.row() for ev in seen.events], prefix=time.strftime("%Y%m%dT%H%M%S"))
        now = time.time()
        runs = _intake(context, intake, cur, seen, now)

        more, adds = announce(context, registry, store, ekey, registry.log_after(cur.announced_seq, MAX_ANNOUNCE),
                              cur, now, max_batch)
        runs += more
        if not pending_reports(store):  # else after the intake run quarantined them: they are not rerun
            runs += split_failed_batches(context, registry, ekey, cur, now)
            todo = Todo(registry, store, rs.dir, ekey)
            note_failed_runs(context, todo, cur, settings.video_retries, now)
            if cur.take_space_back():
                retry_now(cur)
            runs += due_retries(context, todo, cur, now)

        runs += pair_run_requests(context, registry, store, rs, ekey, cur, MAX_PAIR_REQUESTS - len(runs),
                                  max_batch, pair_adds=adds[PAIRS])

        requests = [dg.AddDynamicPartitionsRequest(name, keys) for name, keys in adds.items() if keys]
        if not rs.part_path("quarantine", "current").exists():
            refresh_quarantine_table(store, rs)
        text = tick_text(seen.events, len(seen.tracker_state))
        # a tick without runs says what it did, never a bare "0 runs requested"
        return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=requests, asset_events=asset_events,
                               cursor=cur.dumps(), skip_reason=None if runs else text)

    return sopilot_inbox_sensor


def _intake(context, intake, cur: InboxCursor, seen, now: float) -> list[dg.RunRequest]:
    """An intake run for the stable files not handed over yet (also for an interrupted move or a
    video a run reported bad), unless one is queued or going: one at a time."""
    offer = cur.to_offer(seen.take, now, REOFFER_SEC, seen.failures)
    chores = bool(intake.registry.journal()) or bool(pending_reports(intake.store))
    if not (offer or chores):
        return []
    busy = context.instance.get_run_records(filters=dg.RunsFilter(job_name=INTAKE_JOB, statuses=ACTIVE), limit=1)
    if busy:
        if offer:
            context.log.info(f"{len(offer)} stable file(s) wait for the intake run {busy[0].dagster_run.run_id[:8]} "
                             "that is queued or going")
        return []
    cur.offer(offer, now, seen.failures)
    if seen.left:
        context.log.info(f"{seen.left} more stable file(s) are handed over after these {len(offer)}")
    return [intake_request(offer, cur.stability, now)]
