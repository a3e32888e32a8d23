"""Score one gold/trainee pair with the PUBLISHED SOPilot code (github.com/maruyamakoju/sopilot),
as one whole process, for benchmarks/bench_score.py.

    .venv/bin/python benchmarks/published_peer.py --src /tmp/published_sopilot/src GOLD TRAINEE

``--src`` is the published repository's ``src`` folder (it holds the ``sopilot`` package); its code
is imported from there and is never copied into this repository. Exported for the recorded run
from commit c9ca052f3a4cc15f51f4296b0c18c735bb9fdff5 with
``git --git-dir=<mirror> archive HEAD src | tar -x -C /tmp/published_sopilot``.

What this runs is what the published service does for one pair, minus its storage layers
(SQLite rows, .npy/.json artefacts on disk, the vector index, the RQ/redis queue, FastAPI):

* ingest, per video, as ``IngestService._process_ingest_job`` does it: ``video.ClipWindowStream``
  with the ``config.get_settings()`` values (target_fps 4, clip_seconds 4.0, max_side 320,
  min_clip_coverage 0.6, privacy mask off), clips embedded in batches of
  ``ingest_embed_batch_size`` (8) through ``embedding_manager.EmbeddingManager.embed_batch``;
  clip metadata built the same way. Gold first, then trainee, in this one process (one worker).
* embedder: ``embeddings.build_embedder`` with ``embedder_backend="heuristic"``, i.e. its
  ``HeuristicClipEmbedder`` ("heuristic-v1": colour stats/histograms, motion, Canny edges, 16x9
  thumbnails; numpy + OpenCV, no torch). The published default backend is ``"auto"``: V-JEPA2
  through ``torch.hub`` with this same heuristic embedder as the fallback; with no model
  configured (and no network to fetch one) that is the embedder every clip ends up with, so we
  select it directly instead of timing a failing hub download. No feature adapter is loaded
  (``SOPILOT_DATA_DIR`` points at an empty temporary folder: a fresh install has none).
* score, as ``ScoringService.run_score_job`` does it: its ``min_scoring_clips`` check, then
  ``step_engine.evaluate_sop`` with exactly the keyword arguments it passes (threshold factor 1.0,
  min_step_clips 2, low-similarity threshold 0.75, weights 12/8/30/15/12, neural_mode off).
  ``use_gpu_dtw`` is not passed, as in the service, so ``SOPILOT_DTW_USE_GPU`` ("auto") applies:
  ``dtw_gpu`` is tried and, without CuPy, falls back to the CPU ``step_engine.dtw_align``.

Nothing had to be stubbed: the modules above import only numpy, OpenCV and the standard library.
Prints the ``evaluate_sop`` result as one JSON line, plus a ``"_peer"`` object (embedder name,
clip counts, in-process timings: decode = stream iteration minus embedding).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def ingest(path: Path, settings, embedding_mgr, ClipWindowStream, np) -> tuple:
    """One video, as IngestService._process_ingest_job (minus DB rows, files, index)."""
    t0 = time.perf_counter()
    embed_s = 0.0
    stream = ClipWindowStream(
        video_path=path,
        target_fps=settings.target_fps,
        clip_seconds=settings.clip_seconds,
        max_side=settings.max_side,
        min_clip_coverage=settings.min_clip_coverage,
        privacy_mask_enabled=settings.privacy_mask_enabled,
        privacy_mask_mode=settings.privacy_mask_mode,
        privacy_mask_rects=settings.privacy_mask_rects,
        privacy_face_blur=settings.privacy_face_blur,
    )
    clip_meta: list[dict] = []
    eff_chunks = []
    clip_batch: list = []
    ingest_batch = max(1, int(settings.ingest_embed_batch_size))
    for clip in stream:
        clip_meta.append({
            "clip_idx": int(clip.clip_idx),
            "start_sec": float(clip.start_sec),
            "end_sec": float(clip.end_sec),
            "quality_flags": ",".join(clip.quality_flags),
        })
        clip_batch.append(clip)
        if len(clip_batch) >= ingest_batch:
            te = time.perf_counter()
            _raw, effective = embedding_mgr.embed_batch(clip_batch)
            embed_s += time.perf_counter() - te
            eff_chunks.append(effective)
            clip_batch = []
    if clip_batch:
        te = time.perf_counter()
        _raw, effective = embedding_mgr.embed_batch(clip_batch)
        embed_s += time.perf_counter() - te
        eff_chunks.append(effective)
    if not clip_meta or not eff_chunks:
        raise ValueError("no decodable clip produced from video")
    emb = np.concatenate(eff_chunks, axis=0).astype(np.float32)
    total = time.perf_counter() - t0
    return emb, clip_meta, {"ingest_sec": round(total, 4), "embed_sec": round(embed_s, 4),
                            "decode_sec": round(total - embed_s, 4), "clips": len(clip_meta),
                            "stream_stats": stream.stats}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True, help="the published repository's src/ folder")
    ap.add_argument("gold")
    ap.add_argument("trainee")
    a = ap.parse_args()
    t_start = time.perf_counter()

    src = Path(a.src).resolve()
    if not (src / "sopilot" / "step_engine.py").is_file():
        ap.error(f"{src} does not hold the published sopilot package (sopilot/step_engine.py)")
    sys.path.insert(0, str(src))
    # A fresh install: no trained feature adapter under the data dir (models/current_adapter.json).
    data_dir = tempfile.TemporaryDirectory(prefix="published_sopilot_data_")  # removed at exit
    os.environ["SOPILOT_DATA_DIR"] = data_dir.name

    import numpy as np
    from sopilot.config import get_settings
    from sopilot.embedding_manager import EmbeddingManager
    from sopilot.embeddings import build_embedder
    from sopilot.step_engine import evaluate_sop
    from sopilot.video import ClipWindowStream

    imported = time.perf_counter()
    settings = dataclasses.replace(get_settings(), embedder_backend="heuristic")
    embedding_mgr = EmbeddingManager(settings, build_embedder(settings))

    gold_emb, gold_meta, gold_t = ingest(Path(a.gold), settings, embedding_mgr, ClipWindowStream, np)
    trainee_emb, trainee_meta, trainee_t = ingest(Path(a.trainee), settings, embedding_mgr, ClipWindowStream, np)

    # ScoringService.run_score_job
    t0 = time.perf_counter()
    min_clips = max(1, int(settings.min_scoring_clips))
    if int(gold_emb.shape[0]) < min_clips or int(trainee_emb.shape[0]) < min_clips:
        raise SystemExit(f"insufficient clip coverage for scoring: gold={gold_emb.shape[0]}, "
                         f"trainee={trainee_emb.shape[0]}, min={min_clips}")
    result = evaluate_sop(
        gold_embeddings=gold_emb,
        trainee_embeddings=trainee_emb,
        gold_meta=gold_meta,
        trainee_meta=trainee_meta,
        threshold_factor=settings.change_threshold_factor,
        min_step_clips=settings.min_step_clips,
        low_similarity_threshold=settings.low_similarity_threshold,
        w_miss=settings.w_miss,
        w_swap=settings.w_swap,
        w_dev=settings.w_dev,
        w_time=settings.w_time,
        w_warp=settings.w_warp,
        neural_mode=settings.neural_mode,
        neural_model_dir=settings.neural_model_dir if settings.neural_mode else None,
        neural_device=settings.neural_device,
        neural_soft_dtw_gamma=settings.neural_soft_dtw_gamma,
        neural_uncertainty_samples=settings.neural_uncertainty_samples,
        neural_calibration_enabled=settings.neural_calibration_enabled,
        neural_cuda_dtw=settings.neural_cuda_dtw,
        neural_ot_alignment=settings.neural_ot_alignment,
        neural_conformal_alpha=settings.neural_conformal_alpha,
    )
    score_s = time.perf_counter() - t0
    result["embedding_model"] = embedding_mgr.active_model_name()
    result["_peer"] = {
        "src": str(src),
        "gold": gold_t,
        "trainee": trainee_t,
        "timings": {
            "import_sec": round(imported - t_start, 4),
            "ingest_sec": round(gold_t["ingest_sec"] + trainee_t["ingest_sec"], 4),
            "decode_sec": round(gold_t["decode_sec"] + trainee_t["decode_sec"], 4),
            "embed_sec": round(gold_t["embed_sec"] + trainee_t["embed_sec"], 4),
            "score_sec": round(score_s, 4),
            "total_sec": round(time.perf_counter() - t_start, 4),
        },
    }
    print(json.dumps(result, ensure_ascii=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
