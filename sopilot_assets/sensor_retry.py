"""Failed video runs retried by the inbox sensor, with back-off and a bounded count.

A video run that failed for good (Dagster's own run retries spent or not applicable: a step
failed on a full disk, out of memory) and whose video was not quarantined (a bad video is,
by its run, see storage/bad_videos.py) is rerun after ``BACKOFF_SEC`` x 2^n, at most
SOPILOT_VIDEO_RETRIES times; at once when free space comes back, and when the same bytes are
dropped again. Cursor ``retry``: {video key: {n, at, why}}; ``runs_seen``: the update time of
the last failed run looked at."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from .batching import batch_request, track
from .jobs import GOLD_LANE, LANE, TRAINEE_ASSETS, VIDEO_ASSETS, VIDEO_JOB
from .sensor_pairs import GOLD_PRIORITY, PRIORITY

BACKOFF_SEC = 60.0
WILL_RETRY = "dagster/will_retry"
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def _done(registry, store, ekey, key: str):
    """The video's record when it still needs its embeddings; None when done or quarantined."""
    rec = registry.video_by_key(key)
    if rec is None or rec.quarantined or (ekey and store.embeddings_path(rec.sha256, ekey).exists()):
        return None
    return rec


def note_failed_runs(context, registry, store, ekey, cur: dict, max_retries: int, now: float) -> None:
    """Schedules a retry for each single-video run that failed since the last look."""
    seen = float(cur.get("runs_seen", 0.0))
    after = dt.datetime.fromtimestamp(seen, dt.timezone.utc) if seen else None
    recs = context.instance.get_run_records(filters=dg.RunsFilter(
        job_name=VIDEO_JOB, statuses=[dg.DagsterRunStatus.FAILURE], updated_after=after), limit=200,
        order_by="update_timestamp", ascending=True)
    retry = cur.setdefault("retry", {})
    for r in recs:
        seen = max(seen, r.update_timestamp.timestamp())
        run = r.dagster_run
        key = run.tags.get("dagster/partition")
        if key is None or run.tags.get(WILL_RETRY) == "true":
            continue  # a range run is split by split_failed_batches; Dagster retries this one itself
        rec = _done(registry, store, ekey, key)
        if rec is None:
            continue
        entry = retry.setdefault(key, {"n": 0})
        if entry["n"] >= max_retries:
            if not entry.get("gave_up"):
                context.log.warning(f"video {rec.file_name} ({key}): its run failed again after {entry['n']} "
                                    f"automatic retries; see run {run.run_id[:8]}'s logs, fix the cause, then "
                                    "drop the file again or materialize its partition from the UI")
                entry["gave_up"] = True
            continue
        entry.update(at=now + BACKOFF_SEC * 2 ** entry["n"], why=run.run_id[:8])
        context.log.info(f"video {rec.file_name} ({key}): run {run.run_id[:8]} failed; retrying it in "
                         f"{BACKOFF_SEC * 2 ** entry['n']:.0f} s (retry {entry['n'] + 1} of {max_retries})")
    cur["runs_seen"] = seen


def retry_now(cur: dict, key: str | None = None, reset: bool = False) -> None:
    """Makes the retry of ``key`` (None: every scheduled one) due at once; ``reset``: a person
    dropped the video again, so its count starts over."""
    retry = cur.setdefault("retry", {})
    if key is not None and (reset or key not in retry):
        retry[key] = {"n": 0}
    for k, e in retry.items():
        if key is None or k == key:
            e["at"] = 0.0
            e.pop("gave_up", None)


def due_retries(context, registry, store, ekey, cur: dict, now: float) -> list[dg.RunRequest]:
    """Run requests for the retries due now (none while a run of that video is requested or
    active: ``cur["batches"]`` follows requested runs until they end, see batching.py)."""
    runs, retry = [], cur.setdefault("retry", {})
    tracked = {k for b in cur.get("batches", {}).values() if b["kind"] == "video" for k in b["keys"]}
    for key, e in list(retry.items()):
        rec = _done(registry, store, ekey, key)
        if rec is None:
            del retry[key]
            continue
        if "at" not in e or e["at"] > now:
            continue
        if key in tracked or context.instance.get_run_records(filters=dg.RunsFilter(
                tags={"dagster/partition": key}, statuses=ACTIVE), limit=1):
            e.pop("at")  # its run is on the way; if it fails, note_failed_runs schedules again
            continue
        e["n"] += 1
        e.pop("at")
        gold = rec.role == "gold"
        rk = f"video:{key}:retry{e['n']}:{now:.0f}"
        tags = {"sopilot/task": rec.task, "sopilot/role": rec.role, "sopilot/retry": str(e["n"]),
                PRIORITY: GOLD_PRIORITY if gold else "0", **({LANE: GOLD_LANE} if gold else {})}
        runs.append(batch_request(VIDEO_JOB, [key], rk, tags, VIDEO_ASSETS if gold else TRAINEE_ASSETS))
        track(cur, "video", rk, [key], now)
        context.log.info(f"retrying video {rec.file_name} ({key}), attempt {e['n']}")
    return runs
