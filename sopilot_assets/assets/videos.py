"""``video`` + ``clip_embeddings``: one op registers a video and embeds it (or each video of a
partition range, one after the other, with per-partition metadata).

One op, two assets: the frames the embedder decodes also feed the contact sheet and the
quality flags, so a video is decoded once (a separate contact-sheet pass would cost about
as much as the ingest itself)."""
import datetime as dt

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.deploy import step_tags
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.settings import Settings

from ..partitions import videos_partitions
from .common import (BACKFILL, BatchLog, GPU_POOL, RETRY, Versions, column_schema, for_each_partition, md_image,
                     video_record, shared_machine)
from .embeddings import ASSET as EMB, CHECK_SPECS, bad_video, check_results, embed, embedding_metadata

VIDEO = "video"
#: a quality flag is listed for the video when at least this share of its clips carry it
FLAG_SHARE = 0.2


def build_video_assets(v: Versions, settings: Settings) -> dg.AssetsDefinition:
    """``settings``: the run limits (SOPILOT_RUN_NICE, SOPILOT_RUN_BLAS_THREADS) its runs work under."""
    @dg.multi_asset(
        name="ingest_video", partitions_def=videos_partitions, retry_policy=RETRY, backfill_policy=BACKFILL,
        pool=GPU_POOL if v.gpu_embed else None, op_tags=step_tags(settings, v.gpu_embed), check_specs=CHECK_SPECS,
        specs=[
            dg.AssetSpec(VIDEO, group_name="videos", code_version=v.code(VIDEO, 1), kinds={"video"},
                         metadata={"dagster/column_schema": column_schema("videos")},
                         description="A video taken from the inbox: stored by content hash in raw/, "
                                     "probed (duration, fps, resolution, codec), quality flags, contact sheet."),
            dg.AssetSpec(EMB, group_name="videos", deps=[VIDEO], kinds={"numpy"},
                         code_version=v.code(EMB, 1, v.embedder_key),
                         description=f"Clip embeddings ({v.embedder_key}), .npz in work/videos/<sha>/<embedder>/."),
        ],
    )
    def ingest_video(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
                     embedder: EmbedderResource, results_store: ResultsStoreResource):
        log = BatchLog(context, "videos")

        def one(key: str):
            rec, emb, gate, vmeta, emeta = _ingest_one(context, log, key, video_store, embedder, results_store)
            context.add_asset_metadata(vmeta, asset_key=VIDEO, partition_key=key)
            context.add_asset_metadata(emeta, asset_key=EMB, partition_key=key)
            return rec, emb, gate

        with shared_machine(settings.run_nice, settings.run_blas_threads):
            done = for_each_partition(context, "videos", one, log)
        yield dg.MaterializeResult(asset_key=VIDEO)
        yield dg.MaterializeResult(asset_key=EMB)
        yield from check_results(done)

    return ingest_video


def _ingest_one(context, log, key: str, video_store, embedder, results_store):
    """Probe, embed, contact sheet and the ``videos`` row of one video partition.
    Returns (record, embeddings, gate, video metadata, embeddings metadata)."""
    from sopilot_resources.errors import VideoError
    from sopilot_resources.plots import contact_sheet
    from sopilot_resources.video import probe

    store = video_store.store()
    rec = video_record(video_store.registry(), key)
    raw = store.root / rec.raw_path
    try:
        info = probe(raw)
    except VideoError as exc:
        raise bad_video(store, rec, exc) from None
    emb, path, gate, timings, (frames, times) = embed(
        store, rec, embedder, info.duration_sec, video_store.gold_min_sec, video_store.gold_max_bad_fraction)
    flags = sorted(k for k, share in gate["fractions"].items() if share >= FLAG_SHARE)
    sheet = contact_sheet(frames, times, store.video_work(rec.sha256) / "contact_sheet.png",
                          title=f"{rec.task} / {rec.role} / {rec.file_name}")
    results_store.store().write("videos", rec.key, [{
        "video_key": rec.key, "task": rec.task, "role": rec.role, "file_name": rec.file_name,
        "sha256": rec.sha256, "raw_path": rec.raw_path, "size_bytes": rec.size_bytes,
        "duration_sec": info.duration_sec, "fps": info.fps, "width": info.width,
        "height": info.height, "codec": info.codec, "frame_count": info.frame_count,
        "gold_version": rec.gold_version, "registered_at": dt.datetime.fromisoformat(rec.registered_at),
        "probed_at": dt.datetime.now(dt.timezone.utc),
    }])
    wall = float(timings.get("wall_sec", 0.0)) or 1e-9
    log.info(f"{rec.file_name}: {info.duration_sec:.1f} s {info.width}x{info.height} {info.codec} "
             f"@ {info.fps:.1f} fps, quality flags: {', '.join(flags) or 'none'}; {len(emb)} clips "
             f"with {emb.embedder_key} in {wall:.1f} s")
    if rec.role == "gold" and not gate["ok"]:
        context.log.warning(f"{rec.file_name}: {gate['message']}")
    vmeta = {
        "task": rec.task, "role": rec.role, "file_name": rec.file_name,
        "duration_sec": dg.MetadataValue.float(round(info.duration_sec, 2)),
        "fps": dg.MetadataValue.float(round(info.fps, 3)), "resolution": f"{info.width}x{info.height}",
        "codec": info.codec, "frame_count": info.frame_count, "size_mb": round(rec.size_bytes / 1e6, 2),
        "sha256": rec.sha256, "gold_version": rec.gold_version or 0,
        "quality_flags": ", ".join(flags) or "none",
        "raw_path": dg.MetadataValue.path(str(raw)),
        "contact_sheet": dg.MetadataValue.path(str(sheet)),
        "preview": dg.MetadataValue.md(md_image(sheet.with_suffix(".jpg"), "contact sheet")),
    }
    return rec, emb, gate, vmeta, embedding_metadata(emb, path, gate, timings)
