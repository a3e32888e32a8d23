"""``clip_embeddings``: one vector per clip of a video, made by the configured embedder.

Inline checks: ``embeddings_valid`` (finite, non-degenerate) and ``gold_quality_gate`` (a
gold that is too short or mostly dark / over-exposed / blurry / frozen is flagged, and its
trainees are not scored against it)."""

import numpy as np

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.storage.fsutil import atomic_write_json
from sopilot_resources.storage.gold_gate import gold_gate

from ..partitions import videos_partitions
from .common import GPU_POOL, RETRY, Versions, video_record

ASSET = "clip_embeddings"


def embeddings_problems(vectors: np.ndarray) -> list[str]:
    """Why a (N, D) embedding matrix is unusable (empty list: fine)."""
    out = []
    if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
        return [f"shape {vectors.shape} is not (clips > 0, dim > 0)"]
    if not np.isfinite(vectors).all():
        out.append(f"{int((~np.isfinite(vectors)).sum())} non-finite values")
    norms = np.linalg.norm(np.nan_to_num(vectors), axis=1)
    if (norms < 1e-8).any():
        out.append(f"{int((norms < 1e-8).sum())} all-zero clip vectors")
    if vectors.shape[0] > 1 and float(np.nan_to_num(vectors).std(axis=0).max()) < 1e-6:
        out.append("every clip has the same vector (degenerate)")
    return out


def build_embeddings_asset(v: Versions) -> dg.AssetsDefinition:
    @dg.asset(
        name=ASSET, partitions_def=videos_partitions, group_name="videos", deps=["video"],
        retry_policy=RETRY, code_version=v.code(ASSET, 1, v.embedder_key), kinds={"numpy"},
        pool=GPU_POOL if v.gpu_embed else None,
        check_specs=[dg.AssetCheckSpec("embeddings_valid", asset=ASSET,
                                       description="finite, no zero vectors, not all identical"),
                     dg.AssetCheckSpec("gold_quality_gate", asset=ASSET,
                                       description="a gold must be long enough and mostly well "
                                       "exposed, sharp and live; trainees pass trivially")],
        description=f"Clip embeddings (embedder {v.embedder_key}) saved as .npz in work/videos/<sha>/<embedder>/.",
    )
    def clip_embeddings(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
                        embedder: EmbedderResource):
        from sopilot_resources.errors import SopilotError
        from sopilot_resources.ingest import ingest_video

        store = video_store.store()
        rec = video_record(video_store.registry(), context.partition_key)
        emb_impl = embedder.get()
        key = emb_impl.key()
        timings: dict = {}
        try:
            emb = ingest_video(store.root / rec.raw_path, emb_impl, timings=timings)
        except SopilotError as exc:
            raise dg.Failure(f"{rec.file_name} cannot be embedded: {exc}. Replace the video "
                             f"(drop a good copy into inbox/{rec.task}/{rec.role}/)",
                             allow_retries=False) from None
        path = emb.save(_mkdir(store.embeddings_path(rec.sha256, key)))
        gate = gold_gate(emb, video_store.gold_min_sec, video_store.gold_max_bad_fraction)
        gate["role"] = rec.role
        atomic_write_json(store.gate_path(rec.sha256, key), gate)
        problems = embeddings_problems(emb.vectors)
        duration = float(emb.ends[-1]) if len(emb) else 0.0
        wall = float(timings.get("wall_sec", 0.0)) or 1e-9
        context.log.info(f"{rec.file_name}: {len(emb)} clips x {emb.vectors.shape[1]} dims with "
                         f"{key} in {wall:.1f} s ({duration / wall:.1f}x realtime)")
        if rec.role == "gold" and not gate["ok"]:
            context.log.warning(f"{rec.file_name}: {gate['message']}")
        yield dg.MaterializeResult(asset_key=ASSET, metadata={
            "clips": len(emb), "dim": int(emb.vectors.shape[1]), "embedder": key,
            "path": dg.MetadataValue.path(str(path)),
            "realtime_factor": round(duration / wall, 2),
            "decode_sec": round(float(timings.get("decode_sec", 0.0)), 3),
            "embed_sec": round(float(timings.get("embed_sec", 0.0)), 3),
            **{f"share_{k}": round(val, 3) for k, val in gate["fractions"].items()},
        })
        yield dg.AssetCheckResult(
            asset_key=ASSET, check_name="embeddings_valid", passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"problems": "; ".join(problems) or "none", "clips": len(emb)})
        is_gold = rec.role == "gold"
        yield dg.AssetCheckResult(
            asset_key=ASSET, check_name="gold_quality_gate", passed=bool(gate["ok"] or not is_gold),
            severity=dg.AssetCheckSeverity.ERROR,
            description=gate["message"] if is_gold else "not a gold video",
            metadata={"flags": ", ".join(gate["flags"]) or "none",
                      "duration_sec": round(gate["duration_sec"], 2), "role": rec.role})

    return clip_embeddings


def _mkdir(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
