"""``video``: a registered video - probed, archived in the raw store, with a contact sheet."""

import datetime as dt

import dagster as dg

from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.plots import contact_sheet, sample_frames

from ..partitions import videos_partitions
from .common import RETRY, Versions, md_image, video_record


def build_video_asset(v: Versions) -> dg.AssetsDefinition:
    @dg.asset(
        name="video", partitions_def=videos_partitions, group_name="videos", retry_policy=RETRY,
        code_version=v.code("video", 1), kinds={"video"},
        description="A video taken from the inbox: stored by content hash in raw/, probed "
                    "(duration, fps, resolution, codec), frame quality and a contact sheet.",
    )
    def video(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
              results_store: ResultsStoreResource) -> dg.MaterializeResult:
        from sopilot_resources.errors import VideoError
        from sopilot_resources.video import assess_frames, probe

        store = video_store.store()
        rec = video_record(video_store.registry(), context.partition_key)
        raw = store.root / rec.raw_path
        try:
            info = probe(raw)
        except VideoError as exc:
            raise dg.Failure(f"{rec.file_name}: {exc}", allow_retries=False) from None
        frames, times = sample_frames(raw, n=12)
        quality = assess_frames(frames) if len(frames) > 1 else {}
        flags = sorted(k for k, on in quality.items() if on)
        sheet = contact_sheet(frames, times, store.video_work(rec.sha256) / "contact_sheet.png",
                              title=f"{rec.task} / {rec.role} / {rec.file_name}")
        now = dt.datetime.now(dt.timezone.utc)
        results_store.store().write("videos", rec.key, [{
            "video_key": rec.key, "task": rec.task, "role": rec.role, "file_name": rec.file_name,
            "sha256": rec.sha256, "raw_path": rec.raw_path, "size_bytes": rec.size_bytes,
            "duration_sec": info.duration_sec, "fps": info.fps, "width": info.width,
            "height": info.height, "codec": info.codec, "frame_count": info.frame_count,
            "gold_version": rec.gold_version,
            "registered_at": dt.datetime.fromisoformat(rec.registered_at), "probed_at": now,
        }])
        context.log.info(f"{rec.file_name}: {info.duration_sec:.1f} s {info.width}x{info.height} "
                         f"{info.codec} @ {info.fps:.1f} fps; quality flags: {flags or 'none'}")
        return dg.MaterializeResult(metadata={
            "task": rec.task, "role": rec.role, "file_name": rec.file_name,
            "duration_sec": dg.MetadataValue.float(round(info.duration_sec, 2)),
            "fps": dg.MetadataValue.float(round(info.fps, 3)),
            "resolution": f"{info.width}x{info.height}", "codec": info.codec,
            "frame_count": info.frame_count, "size_mb": round(rec.size_bytes / 1e6, 2),
            "sha256": rec.sha256, "gold_version": rec.gold_version or 0,
            "quality_flags": ", ".join(flags) or "none",
            "raw_path": dg.MetadataValue.path(str(raw)),
            "contact_sheet": dg.MetadataValue.path(str(sheet)),
            "preview": dg.MetadataValue.md(md_image(sheet, "contact sheet")),
        })

    return video
