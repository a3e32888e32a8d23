"""Several partitions per run: the inbox sensor groups new trainee videos, and pairs ready to
score, into partition-range runs (one process start and one set of imports for many videos).

A run over a range covers every partition stored between its two ends, so a batch is cut
only from keys that sit next to each other in the partitions' stored (insertion) order; each
such stretch is split into runs of at most ``max_batch`` keys (SOPILOT_MAX_BATCH; 1 gives one
run per partition); trainee videos also into at
least ``parallel`` runs when there are enough, so that both run slots decode. Pairs are not
spread that way: scoring a pair takes milliseconds, starting a run process seconds.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import dagster as dg

from .sensor_cursor import InboxCursor

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def contiguous_batches(order: Sequence[str], members: Iterable[str], max_batch: int,
                       parallel: int = 2) -> list[list[str]]:
    """Split ``members`` into lists of keys adjacent in ``order`` (the partitions' stored order).

    Members missing from ``order`` become batches of one. Each adjacent stretch of ``n`` keys
    is cut into ``max(ceil(n / max_batch), min(parallel, n))`` near-equal parts."""
    want = set(members)
    pos = {k: i for i, k in enumerate(order) if k in want}
    batches: list[list[str]] = [[k] for k in dict.fromkeys(members) if k not in pos]
    stretch: list[str] = []
    last = -2
    for k in sorted(pos, key=pos.__getitem__):
        if pos[k] != last + 1 and stretch:
            batches += _cut(stretch, max_batch, parallel)
            stretch = []
        stretch.append(k)
        last = pos[k]
    if stretch:
        batches += _cut(stretch, max_batch, parallel)
    return batches


def _cut(keys: list[str], max_batch: int, parallel: int) -> list[list[str]]:
    parts = max(math.ceil(len(keys) / max(1, max_batch)), min(max(1, parallel), len(keys)))
    size = math.ceil(len(keys) / parts)
    return [keys[i:i + size] for i in range(0, len(keys), size)]


def batch_run_key(prefix: str, keys: Sequence[str], suffix: str = "") -> str:
    """``video:<key>`` for one key (the key single-partition runs always had), else
    ``videos:<first>..<last>(<n>)``; ``suffix`` (e.g. the embedder) is appended after ``:``."""
    base = f"{prefix}:{keys[0]}" if len(keys) == 1 else f"{prefix}s:{keys[0]}..{keys[-1]}({len(keys)})"
    return f"{base}:{suffix}" if suffix else base


def batch_request(job_name: str, keys: Sequence[str], run_key: str, tags: dict | None = None,
                  asset_selection: Sequence[str] | None = None) -> dg.RunRequest:
    """A run over ``keys`` (adjacent in stored order): one partition, or a partition range."""
    sel = [dg.AssetKey(a) for a in asset_selection] if asset_selection else None
    tags = dict(tags or {})
    if len(keys) == 1:
        return dg.RunRequest(run_key=run_key, job_name=job_name, partition_key=keys[0], tags=tags,
                             asset_selection=sel)
    tags.update({RANGE_START: keys[0], RANGE_END: keys[-1], "sopilot/batch_size": str(len(keys))})
    return dg.RunRequest(run_key=run_key, job_name=job_name, tags=tags, asset_selection=sel)


def stored_order(instance, name: str, adds: Sequence[str] = ()) -> list[str]:
    """The dynamic partitions' keys in stored order, with ``adds`` (requested in this tick,
    appended by Dagster after the tick) at the end when not stored yet."""
    keys = list(instance.get_dynamic_partitions(name))
    have = set(keys)
    return keys + [k for k in dict.fromkeys(adds) if k not in have]


#: a tracked run that Dagster never created (e.g. its run key had been used) is forgotten after this
NEVER_CREATED_SEC = 300


def failed_batches(instance, cur: InboxCursor, now: float) -> list[tuple[str, str, list[str]]]:
    """(kind, run key, keys) of tracked multi-key runs whose every run (retries included)
    failed or was canceled; those and the ended ones are forgotten, the rest kept."""
    out = []
    for rk, b in list(cur.batches.items()):
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": rk}), limit=10)
        # ended for good: finished and not about to be retried by the instance
        states = [(r.is_finished and not r.is_complete_and_waiting_to_retry, r.is_success) for r in runs]
        if cur.settle_batch(rk, states, now, NEVER_CREATED_SEC):
            out.append((b.kind, rk, b.keys))
    return out
