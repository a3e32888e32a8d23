"""``sopilot_inbox_sensor``: takes stable files from the inbox, registers partitions and starts
the work. The inbox logic itself is plain Python (``sopilot_resources.storage.intake``).

Cursor (JSON, saved by Dagster with each tick, so it survives restarts):
``stability`` (size/mtime/since per inbox file), ``failures`` (per-file error counts),
``announced_seq`` (registry log entries already turned into partitions + runs; a crash
before the cursor is saved re-announces them, which is idempotent: adding a partition twice is
a no-op and run keys dedupe runs), ``inflight`` (pairs whose run was requested) and
``blocked`` (pairs waiting on a flagged gold, logged once).
"""

import json
import time

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.storage.readiness import pair_ready, pair_scored

from .jobs import PAIR_JOB, TRAINEE_ASSETS, VIDEO_ASSETS, VIDEO_JOB, pair_job, video_job
from .partitions import PAIRS, VIDEOS

SENSOR = "sopilot_inbox_sensor"
MAX_ANNOUNCE = 500
MAX_PAIR_REQUESTS = 200
#: a pair in flight this long without a score gets its runs looked up (failed for good?)
INFLIGHT_CHECK_SEC = 600
DONE = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def load_cursor(raw: str | None) -> dict:
    cur = {"v": 1, "stability": {}, "failures": {}, "announced_seq": 0, "inflight": {}, "blocked": {}}
    if raw:
        try:
            cur.update(json.loads(raw))
        except json.JSONDecodeError:
            pass
    return cur


def _failed_for_good(instance, run_key: str) -> str:
    """A message when every run started for ``run_key`` (retries included) ended failed."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}), limit=10)
    if runs and all(r.status in DONE for r in runs):
        return (f"its run {runs[0].run_id[:8]} failed ({len(runs)} attempt(s)); see the run's logs, "
                "fix the cause, then materialize the pair's partition from the UI")
    return ""


def build_inbox_sensor(interval_sec: int = 5) -> dg.SensorDefinition:
    @dg.sensor(name=SENSOR, minimum_interval_seconds=interval_sec, jobs=[video_job, pair_job],
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Moves stable files from inbox/<task>/<gold|trainee>/ into the raw "
                           "store, adds video and pair partitions, and starts their runs.")
    def sopilot_inbox_sensor(context: dg.SensorEvaluationContext, video_store: VideoStoreResource,
                             embedder: EmbedderResource, results_store: ResultsStoreResource):
        cur = load_cursor(context.cursor)
        ekey = embedder.identity_key()
        intake = video_store.intake(embedder_key=ekey)
        registry, store = intake.registry, intake.store
        rs = results_store.store()
        if not rs.duckdb_path.exists():
            rs.ensure_views()  # people can query sopilot.duckdb from the first tick on
        out = intake.tick(cur["stability"], failures=cur["failures"])
        cur["stability"], cur["failures"] = out.tracker_state, out.failures
        for ev in out.events:
            getattr(context.log, ev.level if ev.level in ("info", "warning", "error") else "info")(ev.message)
        if out.events:
            rs.append("ingest_events", [ev.row() for ev in out.events], prefix=time.strftime("%Y%m%dT%H%M%S"))
        if out.left_for_next_tick:
            context.log.info(f"{out.left_for_next_tick} stable file(s) left for the next tick")

        runs: list[dg.RunRequest] = []
        adds: dict[str, list[str]] = {VIDEOS: [], PAIRS: []}
        entries = registry.log_after(int(cur["announced_seq"]), MAX_ANNOUNCE)
        for e in entries:
            if e["kind"] == "video":
                rec = registry.video_by_key(e["key"])
                if rec is None:
                    continue
                adds[VIDEOS].append(rec.key)
                sel = VIDEO_ASSETS if rec.role == "gold" else TRAINEE_ASSETS
                runs.append(dg.RunRequest(run_key=f"video:{rec.key}", job_name=VIDEO_JOB, partition_key=rec.key,
                                          asset_selection=[dg.AssetKey(a) for a in sel],
                                          tags={"sopilot/task": rec.task, "sopilot/role": rec.role}))
            else:
                adds[PAIRS].append(e["key"])
            cur["announced_seq"] = e["seq"]
        for key in out.regold:
            rec = registry.video_by_key(key)
            runs.append(dg.RunRequest(run_key=f"steps:{key}:{rec.sidecar_path}:{time.time():.0f}",
                                      job_name=VIDEO_JOB, partition_key=key,
                                      asset_selection=[dg.AssetKey("gold_steps")]))

        pending = registry.pending_pairs()
        still, now = [], time.time()
        for pk in pending:
            if pair_scored(rs.dir, pk):
                cur["inflight"].pop(pk, None)
                cur["blocked"].pop(pk, None)
                continue
            still.append(pk)
            if pk in cur["inflight"]:
                if now - cur["inflight"][pk] > INFLIGHT_CHECK_SEC and pk not in cur["blocked"]:
                    why = _failed_for_good(context.instance, f"pair:{pk}:{ekey}")
                    if why:
                        context.log.warning(f"pair {pk}: {why}")
                        cur["blocked"][pk] = why
                continue
            if len(runs) >= MAX_PAIR_REQUESTS:
                continue
            pair = registry.pair(pk)
            if pair is None:
                continue
            ready, why = pair_ready(store, pair, ekey)
            if ready:
                runs.append(dg.RunRequest(run_key=f"pair:{pk}:{ekey}", job_name=PAIR_JOB, partition_key=pk,
                                          tags={"sopilot/task": pair.task}))
                cur["inflight"][pk] = now
                cur["blocked"].pop(pk, None)
            elif why and cur["blocked"].get(pk) != why:
                context.log.warning(f"pair {pk} waits: {why}")
                cur["blocked"][pk] = why
        if still != pending:
            registry.set_pending_pairs(still)
        keep = set(still)
        cur["inflight"] = {k: t for k, t in cur["inflight"].items() if k in keep}
        cur["blocked"] = {k: w for k, w in cur["blocked"].items() if k in keep}

        requests = [dg.AddDynamicPartitionsRequest(name, keys) for name, keys in adds.items() if keys]
        waiting = len(out.tracker_state)
        skip = None if (runs or requests or out.events) else (
            f"{waiting} inbox file(s) not taken yet (settling or left alone)" if waiting else "inbox empty")
        return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=requests,
                               cursor=json.dumps(cur, separators=(",", ":")), skip_reason=skip)

    return sopilot_inbox_sensor
