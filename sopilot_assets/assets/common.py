"""Shared bits of the asset modules: retry policy, code versions, record lookup, markdown images."""

import base64
import contextlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from sopilot_resources.settings import Settings

#: transient failures (a busy disk, a killed worker) get two more tries with backoff
RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)
GPU_POOL = "gpu"
# backfill_policy is marked beta in dagster 1.13; the pinned release is what the tests exercise
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
#: backfills from the UI go in runs of up to this many partitions (the sensor's default batch)
BACKFILL = dg.BackfillPolicy.multi_run(max_partitions_per_run=Settings.default("max_batch"))


@dataclass(frozen=True)
class Versions:
    """What the assets' code versions carry, so changing it shows them stale in the UI."""

    embedder_key: str  # e.g. color-motion-v1-3f2a9c1d
    profile_fingerprint: str  # default scoring profile
    gpu_embed: bool = False
    gpu_align: bool = False

    def code(self, asset: str, rev: int, *parts: str) -> str:
        return "-".join([f"{asset}.v{rev}", *parts])


@contextlib.contextmanager
def shared_machine(nice: int, blas_threads: int):
    """How a decoding or scoring run behaves on a machine it shares with other runs.

    - Lowers this run process's CPU priority to ``nice`` (SOPILOT_RUN_NICE; 0 keeps it; only
      ever raised), so the control plane (daemon, sensor ticks, code server, UI) still
      notices finished runs and starts the next ones promptly during a large drop.
    - Caps the BLAS thread pool at ``blas_threads`` (SOPILOT_RUN_BLAS_THREADS) while the body
      runs. Up to three runs share the cores, and OpenBLAS's idle workers spin while they
      wait for work: a 50-pair batch took 14-16 s in the pipeline with two BLAS threads
      and 5.3-5.6 s with one (docs/bench/orchestration.md). A pair's matrices are small
      (hundreds of clips), so one thread loses nothing there."""
    from threadpoolctl import threadpool_limits

    with contextlib.suppress(OSError):  # not permitted here: the run keeps its current priority
        current = os.nice(0)
        if nice > current:
            os.nice(nice - current)
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        yield


class BatchLog:
    """Per-partition info lines: logged at once in a one-partition run; in a range run sent as
    one message (each log line is an event-log write, ~10 ms on SQLite, so 50 lines made a
    visible share of a pair batch) by ``for_each_partition`` when the range is done."""

    def __init__(self, context, what: str):
        self.context, self.what, self.lines = context, what, []
        self.batched = len(context.partition_keys) > 1

    def info(self, line: str) -> None:
        if self.batched:
            self.lines.append(line)
        else:
            self.context.log.info(line)

    def flush(self) -> None:
        if self.lines:
            self.context.log.info(f"{len(self.lines)} {self.what} done:\n" + "\n".join(f"- {x}" for x in self.lines))
            self.lines = []


def for_each_partition(context, what: str, work, log: BatchLog | None = None) -> list:
    """``work(key)`` for each partition of the run, in order; returns their results.

    A single-partition run fails as ``work`` does. In a range run a failed partition is
    logged and the others go on; then the run fails, naming each failed partition and why, so
    nothing of the range is recorded unless all of it is (the inbox sensor then reruns the
    range one partition per run). ``what``: the plural noun for messages, e.g. "videos";
    ``log``: its collected lines are sent once the loop ends, failed or not."""
    keys = context.partition_keys
    done, failed = [], {}
    try:
        for key in keys:
            try:
                done.append(work(key))
            except dg.Failure as exc:
                if len(keys) == 1:
                    raise
                context.log.error(f"{key}: {exc.description}")
                failed[key] = exc.description
    finally:
        if log is not None:
            log.flush()
    if failed:
        raise dg.Failure(f"{len(failed)} of {len(keys)} {what} failed: " + "; ".join(
            f"{k}: {m}" for k, m in failed.items()), allow_retries=False)
    return done


def column_schema(table: str) -> dg.TableSchema:
    """The DuckDB table's columns (from the Parquet schema), shown on the asset's page."""
    from sopilot_resources.storage.results_store import COLUMN_NOTES, TABLES

    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type), description=COLUMN_NOTES.get(f.name))
                                   for f in TABLES[table]])


def video_record(registry, key: str):
    rec = registry.video_by_key(key)
    if rec is None:
        raise dg.Failure(f"video partition {key!r} is not in the registry; it is created by the "
                         "inbox sensor - drop the file into inbox/<task>/<role>/", allow_retries=False)
    return rec


def md_image(path: Path, alt: str, max_bytes: int = 400_000) -> str:
    """Markdown that embeds a PNG or JPEG (data URI) so the UI shows it inline; a link when too big."""
    data = path.read_bytes()
    if len(data) > max_bytes:
        return f"[{alt}]({path.as_uri()})"
    mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return f"![{alt}](data:{mime};base64,{base64.b64encode(data).decode()})"
