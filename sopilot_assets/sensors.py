"""``sopilot_inbox_sensor``: takes stable files from the inbox, registers partitions and starts
the work. The inbox logic itself is plain Python (``sopilot_resources.storage.intake``).

Cursor: ``InboxCursor`` (sensor_cursor.py), typed, saved by Dagster with each tick as JSON, so it
survives restarts. A crash before it is saved re-announces registry log entries, which is
idempotent: adding a partition twice is a no-op, run keys dedupe runs, and a trainee already
embedded is not requested again. An unreadable cursor is logged and replaced by a fresh one.

Each tick first measures free space and fails runs whose worker is gone (sensor_health.py):
on a full disk it stops there. Then it quarantines the videos runs found cannot be embedded
(storage/bad_videos.py), takes the inbox, announces, and retries failed videos.
"""

import time

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.settings import Settings

from sopilot_resources.storage.bad_videos import quarantine_reported
from sopilot_resources.storage.quarantine import refresh_quarantine_table, tick_text

from .assets.quarantine import quarantine_event
from .assets.reviews import profiles_event, reviews_event
from .jobs import VIDEO_JOB, pair_job, video_job
from .partitions import PAIRS
from .sensor_announce import announce, split_failed_batches
from .sensor_health import health
from .sensor_pairs import pair_run_requests
from .sensor_cursor import InboxCursor
from .sensor_retry import Todo, due_retries, note_failed_runs, retry_now

SENSOR = "sopilot_inbox_sensor"
MAX_ANNOUNCE = 500
MAX_PAIR_REQUESTS = 200


def build_inbox_sensor(settings: Settings) -> dg.SensorDefinition:
    """Ticks every SOPILOT_SENSOR_INTERVAL seconds; runs of at most SOPILOT_MAX_BATCH partitions."""
    max_batch = settings.max_batch

    @dg.sensor(name=SENSOR, minimum_interval_seconds=settings.sensor_interval, jobs=[video_job, pair_job],
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Moves stable files from inbox/<task>/<gold|trainee>/ into the raw "
                           "store, adds video and pair partitions, and starts their runs.")
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
        bad = quarantine_reported(intake)  # videos their runs found cannot be embedded
        out = intake.tick(cur.stability, failures=cur.failures)
        out.events[:0] = bad
        cur.stability, cur.failures = out.tracker_state, out.failures
        for ev in out.events:
            getattr(context.log, ev.level if ev.level in ("info", "warning", "error") else "info")(ev.message)
        if out.events:
            rs.append("ingest_events", [ev.row() for ev in out.events], prefix=time.strftime("%Y%m%dT%H%M%S"))
        if out.left_for_next_tick:
            context.log.info(f"{out.left_for_next_tick} stable file(s) left for the next tick")

        first = cur.announced_seq
        now = time.time()
        runs, adds = announce(context, registry, store, ekey, registry.log_after(first, MAX_ANNOUNCE), cur, now,
                              max_batch)
        runs += split_failed_batches(context, registry, ekey, cur, now)
        # past any hole a crash left in the log (entries are written only by this sensor)
        cur.announced(min(registry.last_seq(), first + MAX_ANNOUNCE))
        for key in out.regold:
            rec = registry.video_by_key(key)
            runs.append(dg.RunRequest(run_key=f"steps:{key}:{rec.sidecar_path}:{time.time():.0f}",
                                      job_name=VIDEO_JOB, partition_key=key,
                                      asset_selection=[dg.AssetKey("gold_steps")]))

        todo = Todo(registry, store, rs.dir, ekey)
        note_failed_runs(context, todo, cur, settings.video_retries, now)
        if cur.space_back:
            cur.space_back = False
            retry_now(cur)
        for ev in out.events:
            if ev.action == "retry":  # the same bytes dropped again while not embedded
                retry_now(cur, ev.video_key)
        runs += due_retries(context, todo, cur, now)

        runs += pair_run_requests(context, registry, store, rs, ekey, cur, MAX_PAIR_REQUESTS - len(runs),
                                  max_batch, pair_adds=adds[PAIRS])

        requests = [dg.AddDynamicPartitionsRequest(name, keys) for name, keys in adds.items() if keys]
        text = tick_text(out.events, len(out.tracker_state))
        made = [ev for ev in out.events if ev.action == "profile"]
        if made:
            asset_events.append(profiles_event(registry, "; ".join(ev.message for ev in made)))
        stored = [ev for ev in out.events if ev.action == "review"]
        if stored:
            asset_events.append(reviews_event(len(stored), "; ".join(ev.message for ev in stored)))
        rejected = [ev for ev in out.events if ev.action == "quarantined"]
        if rejected or not rs.part_path("quarantine", "current").exists():
            rows = refresh_quarantine_table(store, rs)
            if rejected:
                asset_events.append(quarantine_event(rejected, rows, str(store.quarantine_dir), text))
        # a tick without runs says what it did (rejections first), never a bare "0 runs requested"
        return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=requests, asset_events=asset_events,
                               cursor=cur.dumps(), skip_reason=None if runs else text)

    return sopilot_inbox_sensor
