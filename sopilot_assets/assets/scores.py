"""``pair_alignment`` + ``pair_score``: one step scores a trainee against its gold.

One op materializes both assets (the engine aligns once; a second alignment would double the
work). Inline checks: ``alignment_path_valid`` and ``score_explained`` (score in [0, 100],
verdict known, 100 - sum of penalties = score)."""

import datetime as dt

import numpy as np

import dagster as dg

from sopilot_resources.dagster_resources.engine import AlignerResource, EmbedderResource, ScoringProfileResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.storage.fsutil import atomic_write_json, read_json

from ..partitions import pairs_partitions
from .alignment import gold_step_bounds, path_problems, save_alignment
from .common import GPU_POOL, RETRY, Versions, column_schema, md_image

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
        from sopilot_resources.embeddings import ClipEmbeddings
        from sopilot_resources.errors import SopilotError
        from sopilot_resources.plots import alignment_picture, step_timeline
        from sopilot_resources.scoring.engine import score_embeddings
        from sopilot_resources.scoring.steps import parse_steps

        store, registry = video_store.store(), video_store.registry()
        pair = registry.pair(context.partition_key)
        if pair is None:
            raise dg.Failure(f"pair {context.partition_key!r} is not in the registry", allow_retries=False)
        gold, trainee = registry.video(pair.gold_sha256), registry.video(pair.trainee_sha256)
        key = embedder.identity_key(store)
        if key is None:
            raise dg.Failure(f"embedder {embedder.name} has not embedded any video yet; materialize "
                             "clip_embeddings first", allow_retries=False)
        missing = [r.key for r in (gold, trainee) if not store.embeddings_path(r.sha256, key).exists()]
        steps_doc = read_json(store.steps_path(gold.sha256, key))
        if missing or steps_doc is None:
            raise dg.Failure(f"not ready: embeddings ({key}) missing for {missing or 'none'}, gold steps "
                             f"{'missing' if steps_doc is None else 'ok'}; materialize clip_embeddings "
                             "(and gold_steps for the gold) of those video partitions first",
                             allow_retries=False)
        g = ClipEmbeddings.load(store.embeddings_path(gold.sha256, key))
        t = ClipEmbeddings.load(store.embeddings_path(trainee.sha256, key))
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
        write_score_rows(results_store, pair, gold, trainee, doc, key, profile.fingerprint(), context.run.run_id)
        context.log.info(f"{trainee.file_name} vs gold {gold.file_name} (v{pair.gold_version}): "
                         f"{res.score:.1f} -> {res.verdict}, {len(doc['deviations'])} deviations")
        n, m = res.alignment.shape
        yield dg.MaterializeResult(asset_key=ALIGN, metadata={
            "gold_clips": n, "trainee_clips": m, "backend": res.alignment.backend,
            "normalized_cost": round(float(res.alignment.normalized_cost), 4),
            "path": dg.MetadataValue.path(str(apath)),
            "alignment_png": dg.MetadataValue.path(str(apic)),
            "picture": dg.MetadataValue.md(md_image(apic, "cost matrix with DTW path")),
        })
        ptab = path_problems(res.alignment.path, n, m)
        yield dg.AssetCheckResult(asset_key=ALIGN, check_name="alignment_path_valid", passed=not ptab,
                                  metadata={"problems": "; ".join(ptab) or "none", "path_length": len(res.alignment.path)})
        yield dg.MaterializeResult(asset_key=SCORE, metadata={
            "score": dg.MetadataValue.float(float(res.score)), "verdict": res.verdict,
            "task": pair.task, "trainee_file": trainee.file_name, "gold_file": gold.file_name,
            "gold_version": pair.gold_version, "deviations": len(doc["deviations"]),
            "penalty_total": round(res.penalty_total, 2), "profile": profile.fingerprint(),
            "deviation_table": _deviation_table(doc["deviations"]),
            "alignment_png": dg.MetadataValue.path(str(apic)),
            "timeline_png": dg.MetadataValue.path(str(tpic)),
            "report": dg.MetadataValue.md(_report_md(doc, trainee, gold, apic, tpic)),
        })
        sprob = score_problems(doc)
        yield dg.AssetCheckResult(asset_key=SCORE, check_name="score_explained", passed=not sprob,
                                  metadata={"problems": "; ".join(sprob) or "none"})

    return score_pair


def _deviation_table(devs: list[dict]) -> dg.MetadataValue:
    def span(x):
        return f"{x['start_sec']:.1f}-{x['end_sec']:.1f}" if x else ""

    return dg.MetadataValue.table(
        records=[dg.TableRecord({"type": d["type"], "gold_step": "" if d["gold_step"] is None else str(d["gold_step"] + 1),
                                 "step_name": d["gold_step_name"] or "", "gold_time": span(d["gold_time"]),
                                 "trainee_time": span(d["trainee_time"]), "severity": d["severity"],
                                 "penalty": float(d["penalty"]), "message": d["message"]}) for d in devs],
        schema=dg.TableSchema(columns=[
            dg.TableColumn("type", "string"), dg.TableColumn("gold_step", "string"),
            dg.TableColumn("step_name", "string"), dg.TableColumn("gold_time", "string"),
            dg.TableColumn("trainee_time", "string"), dg.TableColumn("severity", "string"),
            dg.TableColumn("penalty", "float"), dg.TableColumn("message", "string")]))


def _report_md(doc: dict, trainee, gold, apic, tpic) -> str:
    lines = [f"## {trainee.file_name}: {doc['score']:.1f} - **{doc['verdict']}**",
             f"against gold `{gold.file_name}`", ""]
    for d in doc["deviations"]:
        lines.append(f"- **{d['type']}** ({d['severity']}, -{d['penalty']:.1f}): {d['message']}")
    if not doc["deviations"]:
        lines.append("- no deviations")
    lines += ["", "### Step timeline", md_image(tpic, "step timeline"), "", "### Alignment", md_image(apic, "alignment")]
    return "\n".join(lines)


def write_score_rows(results_store, pair, gold, trainee, doc, ekey, pfp, run_id) -> None:
    """Replaces the pair's rows in deviations, steps and (last) scores; ``doc`` is
    ``ScoreResult.to_dict()``. Also used by the idle-time rescoring."""
    rs = results_store.store()
    now = dt.datetime.now(dt.timezone.utc)
    base = {"pair_key": pair.key, "task": pair.task, "trainee_file": trainee.file_name, "gold_file": gold.file_name}
    devs = doc["deviations"]

    def t(x, k):
        return None if not x else x[k]

    rs.write("deviations", pair.key, [{
        **base, "idx": i, "type": d["type"], "gold_step": d["gold_step"], "gold_step_name": d["gold_step_name"],
        "gold_start_sec": t(d["gold_time"], "start_sec"), "gold_end_sec": t(d["gold_time"], "end_sec"),
        "trainee_start_sec": t(d["trainee_time"], "start_sec"), "trainee_end_sec": t(d["trainee_time"], "end_sec"),
        "severity": d["severity"], "confidence": d["confidence"], "penalty": d["penalty"],
        "message": d["message"], "scored_at": now} for i, d in enumerate(devs)])
    rs.write("steps", f"pair/{pair.key}", [{
        "task": pair.task, "video_key": trainee.key, "pair_key": pair.key, "role": "trainee",
        "file_name": trainee.file_name, "step_index": s["index"], "name": s["name"],
        "start_sec": s["start_sec"], "end_sec": s["end_sec"], "critical": None,
        "source": "located" if s.get("found", True) else "not_found", "written_at": now}
        for s in doc["steps"]["trainee"]])
    # the score row last: its file's presence means the pair is complete
    rs.write("scores", pair.key, [{
        **base, "score": float(doc["score"]), "verdict": doc["verdict"], "scored_at": now,
        "trainee_key": trainee.key, "gold_key": gold.key, "gold_version": pair.gold_version,
        "n_deviations": len(devs), "n_critical": sum(d["severity"] == "critical" for d in devs),
        "penalty_total": float(sum(d["penalty"] for d in devs)), "embedder": ekey,
        "profile_fingerprint": pfp, "trainee_sha256": trainee.sha256, "gold_sha256": gold.sha256,
        "run_id": run_id}])


_write_rows = write_score_rows  # the name heavy_rescore.py imports
