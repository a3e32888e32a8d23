"""The inbox sensor's middle part: turn new registry entries into partitions and runs (a gold
alone and first; trainees grouped into partition-range runs), and split a batch run that
failed for good into one run per partition, so that one bad video or pair cannot hold back
the others and the one at fault is named by its own failed run."""
from __future__ import annotations

import dagster as dg

from .batching import batch_request, batch_run_key, contiguous_batches, failed_batches, stored_order
from .jobs import GOLD_LANE, LANE, PAIR_JOB, TRAINEE_ASSETS, VIDEO_ASSETS, VIDEO_JOB
from .partitions import PAIRS, VIDEOS
from .sensor_pairs import GOLD_PRIORITY, PAIR_PRIORITY, PRIORITY
from .sensor_cursor import InboxCursor
from .sensor_retry import retry_now


def announce(context, registry, store, ekey: str | None, entries: list[dict], cur: InboxCursor, now: float,
             max_batch: int):
    """Run requests and partitions to add ({name: keys}) for registry log ``entries``; trainees
    in runs of at most ``max_batch`` videos."""
    runs: list[dg.RunRequest] = []
    adds: dict[str, list[str]] = {VIDEOS: [], PAIRS: []}
    trainees = {}
    for e in entries:
        if e["kind"] == "video":
            rec = registry.video_by_key(e["key"])
            if rec is None:
                continue
            adds[VIDEOS].append(rec.key)
            if rec.quarantined:  # re-announced after its run found it bad: nothing to run
                pass
            elif rec.role == "gold":  # alone, first in the queue, outside the decode lane: it unblocks its task's pairs
                runs.append(batch_request(VIDEO_JOB, [rec.key], batch_run_key("video", [rec.key]),
                                          {"sopilot/task": rec.task, "sopilot/role": "gold",
                                           PRIORITY: GOLD_PRIORITY, LANE: GOLD_LANE}, VIDEO_ASSETS))
            elif not (ekey and store.embeddings_path(rec.sha256, ekey).exists()):  # re-announced, done
                trainees[rec.key] = rec
        elif e["kind"] == "steps":  # a gold's steps file changed (intake run): rebuild its steps
            runs.append(dg.RunRequest(run_key=f"steps:{e['key']}:{e['seq']}", job_name=VIDEO_JOB,
                                      partition_key=e["key"], asset_selection=[dg.AssetKey("gold_steps")]))
        elif e["kind"] == "retry":  # the same bytes dropped again while not embedded: rerun it now
            retry_now(cur, e["key"])
        else:
            adds[PAIRS].append(e["key"])
        cur.announced(e["seq"])
    if trainees:
        order = stored_order(context.instance, VIDEOS, adds[VIDEOS])
        for keys in contiguous_batches(order, list(trainees), max_batch):
            tasks = {trainees[k].task for k in keys}
            rk = batch_run_key("video", keys)
            runs.append(batch_request(VIDEO_JOB, keys, rk, {
                "sopilot/task": tasks.pop() if len(tasks) == 1 else "several", "sopilot/role": "trainee",
                PRIORITY: "0"}, TRAINEE_ASSETS))
            cur.track("video", rk, keys, now)
    return runs, adds


def split_failed_batches(context, registry, ekey: str | None, cur: InboxCursor, now: float) -> list[dg.RunRequest]:
    """One run per partition of every batch run that failed for good."""
    runs = []
    for kind, rk, keys in failed_batches(context.instance, cur, now):
        context.log.warning(f"batch run {rk} failed; retrying its {len(keys)} {kind}s one by one so the "
                            "one at fault fails on its own (see the batch run's logs for the reason)")
        for k in keys:
            if kind == "video":
                rec = registry.video_by_key(k)
                if rec is not None and not rec.quarantined:  # a bad video is quarantined, not rerun
                    rk1 = batch_run_key("video", [k])
                    runs.append(batch_request(VIDEO_JOB, [k], rk1, {
                        "sopilot/task": rec.task, "sopilot/role": rec.role, PRIORITY: "0"}, TRAINEE_ASSETS))
                    cur.track("video", rk1, [k], now)
            else:
                pair = registry.pair(k)
                if pair is not None:
                    runs.append(batch_request(PAIR_JOB, [k], batch_run_key("pair", [k], ekey or ""),
                                              {"sopilot/task": pair.task, PRIORITY: PAIR_PRIORITY}))
                    cur.pair_requested(k, now)
    return runs
