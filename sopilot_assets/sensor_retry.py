"""Failed runs retried by the inbox sensor, with back-off and a bounded count.

A one-video or one-pair run that failed for good (Dagster's own run retries spent or not
applicable: a step failed on a full disk, out of memory) is rerun after ``BACKOFF_SEC`` x 2^n,
at most SOPILOT_VIDEO_RETRIES times; at once when free space comes back, and (a video) when
the same bytes are dropped again. A run Dagster marked ``will_retry`` whose retry run never
appeared (the daemon could not launch it: a full disk, the code server down) is taken over after
``DAGSTER_RETRY_GRACE_SEC``. Not a video that was quarantined (its run found it cannot be
embedded, storage/bad_videos.py), nor a pair that was scored or closed. Runs over several
partitions are split by sensor_announce.split_failed_batches instead.

Cursor ``retry``: {"video:<key>" | "pair:<key>": {n, at}}; ``runs_seen``: the update time of
the last failed run looked at, ``runs_noted``: the ids of the last 50; ``dagster_retry``: {run id:
[kind, key, noted at]} of failed runs left to Dagster's own retry, checked after the grace."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from sopilot_resources.storage.fsutil import read_json
from sopilot_resources.storage.readiness import pair_scored

from .batching import batch_request
from .jobs import GOLD_LANE, LANE, PAIR_JOB, TRAINEE_ASSETS, VIDEO_ASSETS, VIDEO_JOB
from .sensor_pairs import GOLD_PRIORITY, PAIR_PRIORITY, PRIORITY
from .sensor_cursor import InboxCursor

BACKOFF_SEC = 60.0
WILL_RETRY = "dagster/will_retry"
PARENT_RUN_ID = "dagster/parent_run_id"
#: a failed run Dagster said it would retry, with no retry run after this long, is retried by us
DAGSTER_RETRY_GRACE_SEC = 120.0
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]
KIND = {VIDEO_JOB: "video", PAIR_JOB: "pair"}


class Todo:
    """What still needs a run: a video without embeddings (not quarantined), a pending pair
    without a score."""

    def __init__(self, registry, store, rs_dir, ekey):
        self.registry, self.store, self.rs_dir, self.ekey = registry, store, rs_dir, ekey
        self._pending = None

    def get(self, kind: str, key: str):
        """The video or pair record when it still needs its run, else None."""
        if kind == "video":
            rec = self.registry.video_by_key(key)
            if rec is None or rec.quarantined:
                return None
            return None if self.ekey and self._video_done(rec) else rec
        if self._pending is None:
            self._pending = set(self.registry.pending_pairs())
        if key not in self._pending or pair_scored(self.rs_dir, key):
            return None
        return self.registry.pair(key)


    def _video_done(self, rec) -> bool:
        """Everything the video's run makes is there: its embeddings and gate, and for a gold that
        passed the gate its steps. A run can fail after the embeddings were written (the disk
        filled while it drew the contact sheet): the video is not done, its steps never came."""
        if not self.store.embeddings_path(rec.sha256, self.ekey).exists():
            return False
        gate = read_json(self.store.gate_path(rec.sha256, self.ekey))
        if gate is None:
            return False
        return rec.role != "gold" or not gate.get("ok", True) or self.store.steps_path(rec.sha256, self.ekey).exists()


def _name(kind: str, rec) -> str:
    return f"video {rec.file_name} ({rec.key})" if kind == "video" else f"pair {rec.key}"


def note_failed_runs(context, todo: Todo, cur: InboxCursor, max_retries: int, now: float) -> None:
    """Schedules a retry for each one-partition run that failed since the last look."""
    seen = cur.runs_seen
    after = dt.datetime.fromtimestamp(seen, dt.timezone.utc) if seen else None
    recs = context.instance.get_run_records(filters=dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.FAILURE], updated_after=after), limit=200,
        order_by="update_timestamp", ascending=True)
    for r in recs:
        run = r.dagster_run
        if not cur.note_failed_run(run.run_id, r.update_timestamp.timestamp()):
            continue
        kind, key = KIND.get(run.job_name), run.tags.get("dagster/partition")
        if kind is None or key is None:
            continue  # not ours, or a range run (split elsewhere)
        if run.tags.get(WILL_RETRY) == "true":  # Dagster retries it itself, unless its retry is lost
            cur.await_dagster_retry(run.run_id, kind, key, now)
            continue
        _schedule(context, todo, cur, kind, key, run.run_id, max_retries, now)
    for run_id, kind, key in cur.overdue_dagster_retries(now, DAGSTER_RETRY_GRACE_SEC):
        if not context.instance.get_run_records(filters=dg.RunsFilter(tags={PARENT_RUN_ID: run_id}), limit=1):
            # the daemon could not launch its retry (a full disk, the code server down): ours takes over
            _schedule(context, todo, cur, kind, key, run_id, max_retries, now)


def _schedule(context, todo: Todo, cur: InboxCursor, kind: str, key: str, run_id: str, max_retries: int,
              now: float) -> None:
    rec = todo.get(kind, key)
    if rec is None:
        return
    name = f"{kind}:{key}"
    wait, gave_up_now = cur.schedule_retry(name, now, max_retries, BACKOFF_SEC)
    n = cur.retry[name].n
    if wait is None:
        if gave_up_now:
            context.log.warning(f"{_name(kind, rec)}: its run {run_id[:8]} failed again after {n} "
                                "automatic retries; see the run's logs, fix the cause, then drop the file again "
                                "or materialize its partition from the UI")
        return
    context.log.info(f"{_name(kind, rec)}: run {run_id[:8]} failed; retrying it in {wait:.0f} s (retry "
                     f"{n + 1} of {max_retries}; at once when a full disk has space again)")


def retry_now(cur: InboxCursor, video_key: str | None = None) -> None:
    """Makes every scheduled retry due at once (space is back), or (``video_key``: a person
    dropped that video again) that video's, its count started over."""
    cur.retry_now(video_key)


def due_retries(context, todo: Todo, cur: InboxCursor, now: float) -> list[dg.RunRequest]:
    """Run requests for the retries due now; none for a partition whose run is requested or
    active (``cur.batches`` follows requested runs until they end, see batching.py)."""
    runs = []
    tracked = cur.tracked()
    for name in list(cur.retry):
        kind, key = name.split(":", 1)
        rec = todo.get(kind, key)
        if rec is None:
            cur.forget_retry(name)
            continue
        if not cur.take_due(name, now):
            continue
        if name in tracked or context.instance.get_run_records(filters=dg.RunsFilter(
                tags={"dagster/partition": key}, statuses=ACTIVE), limit=1):
            continue  # its run is on the way; if it fails, note_failed_runs schedules again
        n = cur.retry_started(name)
        rk = f"{kind}:{key}:retry{n}:{now:.0f}"
        if kind == "video":
            gold = rec.role == "gold"
            tags = {"sopilot/task": rec.task, "sopilot/role": rec.role, PRIORITY: GOLD_PRIORITY if gold else "0",
                    **({LANE: GOLD_LANE} if gold else {})}
            runs.append(batch_request(VIDEO_JOB, [key], rk, {**tags, "sopilot/retry": str(n)},
                                      VIDEO_ASSETS if gold else TRAINEE_ASSETS))
        else:
            runs.append(batch_request(PAIR_JOB, [key], rk, {"sopilot/task": rec.task, PRIORITY: PAIR_PRIORITY,
                                                            "sopilot/retry": str(n)}))
            cur.pair_retried(key, now)
        cur.track(kind, rk, [key], now)
        context.log.info(f"retrying {_name(kind, rec)}, attempt {n}")
    return runs
