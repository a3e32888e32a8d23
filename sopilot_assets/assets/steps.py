"""``gold_steps``: the step segments of a gold video, from its sidecar or detected."""

import datetime as dt

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.storage.fsutil import atomic_write_json, read_json

from ..partitions import videos_partitions
from .common import BACKFILL, RETRY, BatchLog, Versions, for_each_partition, video_record

ASSET = "gold_steps"


def build_steps_asset(v: Versions) -> dg.AssetsDefinition:
    @dg.asset(
        name=ASSET, partitions_def=videos_partitions, group_name="videos", deps=["clip_embeddings"],
        retry_policy=RETRY, code_version=v.code(ASSET, 1, v.embedder_key), kinds={"json"},
        backfill_policy=BACKFILL,
        description="Gold step segments: from <gold>.steps.json when dropped with the gold, "
                    "else detected from the gold's embeddings. Gold partitions only.",
    )
    def gold_steps(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
                   embedder: EmbedderResource, results_store: ResultsStoreResource) -> dg.MaterializeResult:
        log = BatchLog(context, "golds")

        def one(key: str) -> None:
            context.add_asset_metadata(_steps_of(context, log, key, video_store, embedder, results_store),
                                       partition_key=key)

        for_each_partition(context, "golds", one, log)
        return dg.MaterializeResult()

    return gold_steps


def _steps_of(context, log, key: str, video_store, embedder, results_store) -> dict:
    """Writes the steps of gold partition ``key``; returns the materialization metadata."""
    from sopilot_resources.cycles.gold_cycle import one_cycle_gold
    from sopilot_resources.embeddings import ClipEmbeddings
    from sopilot_resources.errors import StepsFileError
    from sopilot_resources.scoring.steps import detect_steps, load_steps

    store = video_store.store()
    rec = video_record(video_store.registry(), key)
    if rec.role != "gold":
        raise dg.Failure(f"{rec.key} is a trainee video; gold_steps applies to gold partitions only",
                         allow_retries=False)
    ekey = embedder.identity_key(store)
    if ekey is None:
        raise dg.Failure(f"embedder {embedder.name} has not embedded any video yet; materialize "
                         "clip_embeddings first", allow_retries=False)
    gate = read_json(store.gate_path(rec.sha256, ekey))
    if gate is None:
        raise dg.Failure(f"no embeddings of {rec.file_name} for {ekey}; materialize clip_embeddings first",
                         allow_retries=False)
    if not gate["ok"]:
        raise dg.Failure(f"{rec.file_name}: {gate['message']}", allow_retries=False)
    source = "detected"
    steps = None
    if rec.sidecar_path:
        try:
            steps, source = load_steps(store.root / rec.sidecar_path), "sidecar"
        except StepsFileError as exc:
            context.log.warning(f"{exc}; detecting steps instead")
    cyc = None
    if steps is None:
        emb = ClipEmbeddings.load(store.embeddings_path(rec.sha256, ekey))
        emb, cyc = one_cycle_gold(emb, None)  # a gold of N cycles: the steps of one, not N copies
        steps = detect_steps(emb.vectors, emb.starts, emb.ends)
        if cyc is not None:
            log.info(f"{rec.file_name} holds the task {cyc.cycles} times (every {cyc.period_sec:.1f} s): "
                     f"steps detected in one cycle, {cyc.span[0]:.1f}-{cyc.span[1]:.1f} s")
    docs = [s.to_dict() for s in steps]
    path = atomic_write_json(store.steps_path(rec.sha256, ekey), {"source": source, "steps": docs})
    now = dt.datetime.now(dt.timezone.utc)
    results_store.store().write("steps", f"gold/{rec.key}", [
        {"task": rec.task, "video_key": rec.key, "pair_key": None, "role": "gold",
         "file_name": rec.file_name, "step_index": s["index"], "name": s["name"],
         "start_sec": s["start_sec"], "end_sec": s["end_sec"], "critical": bool(s["critical"]),
         "source": source, "written_at": now} for s in docs])
    log.info(f"{rec.file_name}: {len(docs)} steps ({source})")
    return {
        "steps": len(docs), "source": source, "path": dg.MetadataValue.path(str(path)),
        **({"gold_cycles": dg.MetadataValue.json(cyc.to_dict())} if cyc is not None else {}),
        "table": dg.MetadataValue.md(
            "| # | step | start | end | critical |\n|---|---|---|---|---|\n" + "\n".join(
                f"| {s['index'] + 1} | {s['name']} | {s['start_sec']:.1f} | {s['end_sec']:.1f} | "
                f"{'yes' if s['critical'] else ''} |" for s in docs)),
    }
