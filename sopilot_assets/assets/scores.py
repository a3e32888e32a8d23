"""``pair_alignment`` + ``pair_score``: one step scores a trainee against its gold (or each pair
of a partition range, one after the other, with per-partition metadata).

One op materializes both assets (the engine aligns once; a second alignment would double the
work). Inline checks: ``alignment_path_valid`` and ``score_explained`` (score in [0, 100],
verdict known, 100 - sum of penalties = score)."""

import dagster as dg

from sopilot_resources.dagster_resources.engine import AlignerResource, EmbedderResource, ScoringProfileResource
from sopilot_resources.deploy import step_tags
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.scoring.verdict import VERDICTS
from sopilot_resources.settings import Settings

from ..partitions import pairs_partitions
from .alignment import path_problems, recording_path_problems
from .common import BACKFILL, GPU_POOL, BatchLog, RETRY, Versions, column_schema, for_each_partition, shared_machine
from .pair_metadata import pair_metadata

ALIGN, SCORE = "pair_alignment", "pair_score"
# pairs and videos are different dynamic partition sets: the sensor starts a pair's run only
# once both videos' embeddings exist, so no partition-level mapping is needed (or wanted: an
# all-partitions mapping would make every pair depend on every video).
NO_PARTITIONS = dg.SpecificPartitionsPartitionMapping([])


def _penalty_problem(what: str, score: float, deviations: list[dict]) -> list[str]:
    expected = max(0.0, 100.0 - sum(d["penalty"] for d in deviations))
    return [f"{what}score {score} but 100 - penalties = {expected:.2f}"] if abs(expected - score) > 0.05 else []


def score_problems(result: dict) -> list[str]:
    """A recording of several cycles: each scored cycle is 100 - its penalties, the recording's
    score the mean of its cycles'; one performance: 100 - penalties."""
    out = []
    s = result["score"]
    if not (0.0 <= s <= 100.0):
        out.append(f"score {s} outside [0, 100]")
    if result["verdict"] not in VERDICTS:
        out.append(f"verdict {result['verdict']!r} unknown")
    cycles = [c for c in result.get("cycles") or [] if c["score"] is not None]
    if not cycles:
        return out + _penalty_problem("", s, result["deviations"])
    for c in cycles:
        out += _penalty_problem(f"cycle {c['index'] + 1}: ", c["score"], c["deviations"])
    mean = sum(c["score"] for c in cycles) / len(cycles)
    if abs(mean - s) > 0.05:
        out.append(f"score {s} but the mean of its {len(cycles)} cycles' scores is {mean:.2f}")
    return out


def pair_code_version(v: Versions) -> str:
    """Code version of pair_alignment and pair_score (also recorded by the idle-time rescoring)."""
    return v.code("pair", 1, v.embedder_key, v.profile_fingerprint)


def build_score_assets(v: Versions, settings: Settings) -> dg.AssetsDefinition:
    """``settings``: the run limits (SOPILOT_RUN_NICE, SOPILOT_RUN_BLAS_THREADS) its runs work under."""
    code = pair_code_version(v)

    @dg.multi_asset(
        name="score_pair", partitions_def=pairs_partitions, group_name="pairs", retry_policy=RETRY,
        backfill_policy=BACKFILL,
        pool=GPU_POOL if v.gpu_align else None, op_tags=step_tags(settings, v.gpu_align),
        specs=[
            dg.AssetSpec(ALIGN, code_version=code, kinds={"numpy"},
                         deps=[dg.AssetDep("clip_embeddings", partition_mapping=NO_PARTITIONS)],
                         description="DTW alignment of the trainee's clips to its gold's clips."),
            dg.AssetSpec(SCORE, code_version=code, kinds={"duckdb"},
                         metadata={"dagster/column_schema": column_schema("scores")},
                         deps=[ALIGN, dg.AssetDep("gold_steps", partition_mapping=NO_PARTITIONS)],
                         description="Score 0-100, verdict and deviations of a trainee vs its gold. Pick the "
                                     "partition `<task>/<trainee>-<hash>/gold-v<n>` (Partitions tab): `summary` "
                                     "shows the verdict and what went wrong, `deviation_table` each deviation "
                                     "(step # from 1), `report` the step timeline picture, `report_html` a "
                                     "self-contained HTML file (also `sopilot report TRAINEE`). Every trainee's "
                                     "latest verdict: asset task_summary. Rows in DuckDB tables scores, "
                                     "deviations, steps."),
        ],
        check_specs=[
            dg.AssetCheckSpec("alignment_path_valid", asset=ALIGN,
                              description="monotone path from (0,0) to (N-1,M-1) with unit moves"),
            dg.AssetCheckSpec("score_explained", asset=SCORE,
                              description="score in [0,100], known verdict, 100 - penalties = score (a shift "
                                          "recording: per cycle, and its score the mean of its cycles')"),
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

        with shared_machine(settings.run_nice, settings.run_blas_threads):
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
    """Scores pair ``key`` (``sopilot_resources.pair_scoring``: files and rows), then draws its
    pictures and metadata. ``golds``: gold embeddings already loaded in this run, by path.
    Returns (path length, path problems, score problems, pair_alignment metadata, pair_score metadata)."""
    from sopilot_resources.errors import SopilotError
    from sopilot_resources.pair_scoring import PairNotReadyError, score_stored_pair

    store = video_store.store()
    try:
        s = score_stored_pair(store, results_store.store(), key, embedder.identity_key(store),
                              default_profile=scoring_profile.profile_path, device=aligner.resolved(),
                              run_id=context.run.run_id, golds=golds)
    except PairNotReadyError as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    except SopilotError as exc:
        raise dg.Failure(f"pair {key}: {exc}", allow_retries=False) from None
    log.info(f"{s.trainee.file_name} vs gold {s.gold.file_name} (v{s.pair.gold_version}): "
             f"{s.result.score:.1f} -> {s.result.verdict}, {len(s.doc['deviations'])} deviations")
    ameta, smeta = pair_metadata(s)
    n, m = s.result.alignment.shape
    path = s.result.alignment.path
    cycles = sum(c["score"] is not None for c in s.doc.get("cycles") or [])
    bad = recording_path_problems(path, n, m, cycles) if "cycles" in s.doc else path_problems(path, n, m)
    return len(path), bad, score_problems(s.doc), ameta, smeta
