"""``pair_alignment`` + ``pair_score``: one step scores a trainee against its gold (or each pair
of a partition range, one after the other, with per-partition metadata).

One op materializes both assets (the engine aligns once; a second alignment would double the
work). Inline checks: ``alignment_path_valid`` and ``score_explained`` (score in [0, 100],
verdict known, 100 - sum of penalties = score)."""

import numpy as np

import dagster as dg

from sopilot_resources.dagster_resources.engine import AlignerResource, EmbedderResource, ScoringProfileResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.storage.fsutil import atomic_write_json, read_json

from ..partitions import pairs_partitions
from .alignment import gold_step_bounds, path_problems, save_alignment
from .common import BACKFILL, GPU_POOL, BatchLog, RETRY, Versions, column_schema, for_each_partition, md_image, shared_machine
from .score_rows import deviation_table, report_md, write_score_rows

ALIGN, SCORE = "pair_alignment", "pair_score"
VERDICTS = ("pass", "needs_review", "retrain", "fail")
# pairs and videos are different dynamic partition sets: the sensor starts a pair's run only
# once both videos' embeddings exist, so no partition-level mapping is needed (or wanted: an
# all-partitions mapping would make every pair depend on every video).
NO_PARTITIONS = dg.SpecificPartitionsPartitionMapping([])


def score_problems(result: dict) -> list[str]:
    out = []
    s = result["score"]
    if not (0.0 <= s <= 100.0):
        out.append(f"score {s} outside [0, 100]")
    if result["verdict"] not in VERDICTS:
        out.append(f"verdict {result['verdict']!r} unknown")
    expected = max(0.0, 100.0 - sum(d["penalty"] for d in result["deviations"]))
    if abs(expected - s) > 0.05:
        out.append(f"score {s} but 100 - penalties = {expected:.2f}")
    return out


def build_score_assets(v: Versions) -> dg.AssetsDefinition:
    code = v.code("pair", 1, v.embedder_key, v.profile_fingerprint)

    @dg.multi_asset(
        name="score_pair", partitions_def=pairs_partitions, group_name="pairs", retry_policy=RETRY,
        backfill_policy=BACKFILL,
        pool=GPU_POOL if v.gpu_align else None,
        specs=[
            dg.AssetSpec(ALIGN, code_version=code, kinds={"numpy"},
                         deps=[dg.AssetDep("clip_embeddings", partition_mapping=NO_PARTITIONS)],
                         description="DTW alignment of the trainee's clips to its gold's clips."),
            dg.AssetSpec(SCORE, code_version=code, kinds={"duckdb"},
                         metadata={"dagster/column_schema": column_schema("scores")},
                         deps=[ALIGN, dg.AssetDep("gold_steps", partition_mapping=NO_PARTITIONS)],
                         description="Score 0-100, verdict and deviations of the trainee vs its gold; "
                                     "rows in DuckDB tables scores, deviations, steps."),
        ],
        check_specs=[
            dg.AssetCheckSpec("alignment_path_valid", asset=ALIGN,
                              description="monotone path from (0,0) to (N-1,M-1) with unit moves"),
            dg.AssetCheckSpec("score_explained", asset=SCORE,
                              description="score in [0,100], known verdict, 100 - penalties = score"),
        ],
    )
    def score_pair(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
                   embedder: EmbedderResource, aligner: AlignerResource,
                   scoring_profile: ScoringProfileResource, results_store: ResultsStoreResource):
        log, golds = BatchLog(context, "pairs"), {}

        def one(key: str):
            path_len, path_bad, score_bad, ameta, smeta = _score_one(
                context, log, golds, key, video_store, embedder, aligner, scoring_profile, results_store)
            context.add_asset_metadata(ameta, asset_key=ALIGN, partition_key=key)
            context.add_asset_metadata(smeta, asset_key=SCORE, partition_key=key)
            return key, path_len, path_bad, score_bad

        with shared_machine():
            done = for_each_partition(context, "pairs", one, log)
        yield dg.MaterializeResult(asset_key=ALIGN)
        pbad = [f"{k}: {'; '.join(b)}" for k, _, b, _ in done if b]
        yield dg.AssetCheckResult(asset_key=ALIGN, check_name="alignment_path_valid", passed=not pbad, metadata={
            "pairs": len(done), "problems": " | ".join(pbad) or "none",
            "path_length": sum(n for _, n, _, _ in done)})
        yield dg.MaterializeResult(asset_key=SCORE)
        sbad = [f"{k}: {'; '.join(b)}" for k, _, _, b in done if b]
        yield dg.AssetCheckResult(asset_key=SCORE, check_name="score_explained", passed=not sbad,
                                  metadata={"pairs": len(done), "problems": " | ".join(sbad) or "none"})

    return score_pair


def _score_one(context, log, golds: dict, key: str, video_store, embedder, aligner, scoring_profile,
               results_store):
    """Aligns and scores pair ``key``, writes its files and rows (``golds``: gold embeddings
    already loaded in this run, by path; a batch shares a few golds). Returns (path length, path
    problems, score problems, pair_alignment metadata, pair_score metadata)."""
    from sopilot_resources.embeddings import ClipEmbeddings
    from sopilot_resources.errors import SopilotError
    from sopilot_resources.plots import alignment_picture, step_timeline
    from sopilot_resources.scoring.engine import score_embeddings
    from sopilot_resources.scoring.steps import parse_steps

    store, registry = video_store.store(), video_store.registry()
    pair = registry.pair(key)
    if pair is None:
        raise dg.Failure(f"pair {key!r} is not in the registry", allow_retries=False)
    gold, trainee = registry.video(pair.gold_sha256), registry.video(pair.trainee_sha256)
    ekey = embedder.identity_key(store)
    if ekey is None:
        raise dg.Failure(f"embedder {embedder.name} has not embedded any video yet; materialize "
                         "clip_embeddings first", allow_retries=False)
    missing = [r.key for r in (gold, trainee) if not store.embeddings_path(r.sha256, ekey).exists()]
    steps_doc = read_json(store.steps_path(gold.sha256, ekey))
    if missing or steps_doc is None:
        raise dg.Failure(f"not ready: embeddings ({ekey}) missing for {missing or 'none'}, gold steps "
                         f"{'missing' if steps_doc is None else 'ok'}; materialize clip_embeddings "
                         "(and gold_steps for the gold) of those video partitions first",
                         allow_retries=False)
    gpath = store.embeddings_path(gold.sha256, ekey)
    if gpath not in golds:
        golds[gpath] = ClipEmbeddings.load(gpath)
        golds[gpath].vectors.setflags(write=False)  # shared by the batch's pairs: never changed
    g = golds[gpath]
    t = ClipEmbeddings.load(store.embeddings_path(trainee.sha256, ekey))
    task = registry.task(pair.task)
    prof_entry = next((p for p in task.profiles if p["sha256"] == pair.profile_sha256), None)
    try:
        profile = scoring_profile.load(str(store.root / prof_entry["path"]) if prof_entry else None)
        res = score_embeddings(g, t, steps=parse_steps(steps_doc["steps"]), profile=profile,
                               device=aligner.resolved())
    except SopilotError as exc:
        raise dg.Failure(f"pair {pair.key}: {exc}", allow_retries=False) from None
    doc = res.to_dict()
    work = store.pair_work(pair.key)
    apath = save_alignment(work / "alignment.npz", res.alignment)
    atomic_write_json(work / "score.json", {**doc, "pair": pair.to_dict()})
    bounds = gold_step_bounds(doc["steps"]["gold"], g.starts)
    hop_g = float(np.median(np.diff(g.starts))) if len(g) > 1 else 0.5
    hop_t = float(np.median(np.diff(t.starts))) if len(t) > 1 else 0.5
    apic = alignment_picture(g.vectors, t.vectors, res.alignment.path, bounds, work / "alignment.png", hop_g, hop_t)
    tpic = step_timeline(doc["steps"]["gold"], doc["steps"]["trainee"], doc["deviations"],
                         work / "timeline.png", float(g.ends[-1]), float(t.ends[-1]))
    write_score_rows(results_store, pair, gold, trainee, doc, ekey, profile.fingerprint(), context.run.run_id)
    log.info(f"{trainee.file_name} vs gold {gold.file_name} (v{pair.gold_version}): "
             f"{res.score:.1f} -> {res.verdict}, {len(doc['deviations'])} deviations")
    n, m = res.alignment.shape
    ameta = {
        "gold_clips": n, "trainee_clips": m, "backend": res.alignment.backend,
        "normalized_cost": round(float(res.alignment.normalized_cost), 4),
        "path": dg.MetadataValue.path(str(apath)),
        "alignment_png": dg.MetadataValue.path(str(apic)),
        "picture": dg.MetadataValue.md(md_image(apic.with_suffix(".jpg"), "cost matrix with DTW path")),
    }
    smeta = {
        "score": dg.MetadataValue.float(float(res.score)), "verdict": res.verdict,
        "task": pair.task, "trainee_file": trainee.file_name, "gold_file": gold.file_name,
        "gold_version": pair.gold_version, "deviations": len(doc["deviations"]),
        "penalty_total": round(res.penalty_total, 2), "profile": profile.fingerprint(),
        "deviation_table": deviation_table(doc["deviations"]),
        "alignment_png": dg.MetadataValue.path(str(apic)),
        "timeline_png": dg.MetadataValue.path(str(tpic)),
        "report": dg.MetadataValue.md(report_md(doc, trainee, gold, apic, tpic)),
    }
    return (len(res.alignment.path), path_problems(res.alignment.path, n, m), score_problems(doc), ameta, smeta)

