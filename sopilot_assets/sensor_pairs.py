"""The inbox sensor's second half: start a pair's run once its inputs exist, and say why a
pair still waits (a flagged gold, a video or pair run that failed for good)."""
import time

import dagster as dg

from sopilot_resources.storage.intake import Event
from sopilot_resources.storage.readiness import pair_ready, pair_scored, segment_turn

from .batching import batch_request, batch_run_key, contiguous_batches, stored_order
from .jobs import PAIR_JOB
from .partitions import PAIRS
from .sensor_cursor import InboxCursor

#: run queue order: a gold unblocks every trainee of its task, a pair run ends in a score
PRIORITY, GOLD_PRIORITY, PAIR_PRIORITY = "dagster/priority", "2", "1"
#: inputs or a score overdue this long: look up whether their runs failed for good
INFLIGHT_CHECK_SEC = 600
DONE = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _failed_for_good(instance, run_key: str, what: str = "the pair's partition") -> str:
    """A message when every run started for ``run_key`` (retries included) ended failed."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}), limit=10)
    if runs and all(r.status in DONE for r in runs):
        return (f"its run {runs[0].run_id[:8]} failed ({len(runs)} attempt(s)); a failed video is retried "
                f"automatically (SOPILOT_VIDEO_RETRIES); else see the run's logs, fix the cause, then "
                f"materialize {what} from the UI")
    return ""


def pair_run_requests(context, registry, store, rs, ekey: str | None, cur: InboxCursor, limit: int,
                      max_batch: int, pair_adds: list[str] = ()) -> list:
    """Run requests for pending pairs whose inputs are ready (at most ``limit`` pairs, grouped
    into partition-range runs); updates the cursor's ``inflight`` / ``blocked`` / ``checked`` /
    ``batches`` and the registry's pending list. ``max_batch``: pairs per run at most;
    ``pair_adds``: pair partitions this tick adds."""
    ready: dict[str, str] = {}
    ingesting = cur.in_flight("video")  # a pair waits for its trainee's whole batch: one pair run per batch
    pending = registry.pending_pairs()
    still, now, blocked_events = [], time.time(), []
    for pk in pending:
        if pair_scored(rs.dir, pk):
            cur.pair_done(pk)
            continue
        still.append(pk)
        if pk in cur.inflight:
            if now - cur.inflight[pk] > INFLIGHT_CHECK_SEC and pk not in cur.blocked:
                why = _failed_for_good(context.instance, batch_run_key("pair", [pk], ekey or ""))
                if why and cur.block(pk, why):
                    context.log.warning(f"pair {pk}: {why}")
            continue
        if len(ready) >= limit:
            continue
        pair = registry.pair(pk)
        if pair is None or pair.trainee_key in ingesting:
            continue
        ok, why = pair_ready(store, pair, ekey)
        if ok and not segment_turn(registry, rs.dir, pair):
            continue  # the recording's previous segment is scored first (a later tick)
        if ok:
            ready[pk] = pair.task
            cur.pair_requested(pk, now)
        elif not why and pk not in cur.blocked:
            if cur.inputs_overdue(pk, now, INFLIGHT_CHECK_SEC):  # did a video run fail?
                for vkey in (pair.gold_key, pair.trainee_key):
                    fail = _failed_for_good(context.instance, batch_run_key("video", [vkey]), f"video partition {vkey}")
                    if fail:
                        context.log.warning(f"pair {pk} waits for video {vkey}: {fail}")
                        cur.block(pk, f"video {vkey}: {fail}")
                        break
        elif why and cur.block(pk, why):
            context.log.warning(f"pair {pk} waits: {why}")
            blocked_events.append(Event("waiting", f"pair {pk} waits: {why}", pair.task, "trainee",
                                        reason="gold_flagged", video_key=pair.trainee_key, level="warning"))
    if len(still) != len(pending):
        registry.drop_pending_pairs(set(pending) - set(still))
    if blocked_events:
        rs.append("ingest_events", [ev.row() for ev in blocked_events], prefix=time.strftime("%Y%m%dT%H%M%S"))
    runs = []
    if ready:
        order = stored_order(context.instance, PAIRS, pair_adds)
        for keys in contiguous_batches(order, list(ready), max_batch, parallel=1):
            rk = batch_run_key("pair", keys, ekey or "")
            tasks = {ready[k] for k in keys}
            runs.append(batch_request(PAIR_JOB, keys, rk, {"sopilot/task": tasks.pop() if len(tasks) == 1 else "several",
                                                           PRIORITY: PAIR_PRIORITY}))
            cur.track("pair", rk, keys, now)
    cur.keep_pairs(set(still))
    return runs
