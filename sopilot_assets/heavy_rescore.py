"""Rescore one trainee against its task's current gold with the current profile, and make the
result visible where people look.

Scoring is ``sopilot_resources.pair_scoring.score_stored_pair``, the same function the
``pair_score`` asset runs, from the embeddings and gold steps the pipeline already stored (one
alignment, no decoding). A new gold gives a new pair (the old score stays as it was); a new
profile replaces the pair's rows, exactly as rerunning the stale asset would. The pair is then
registered (its record carries the profile it was scored with, so a rerun from the UI gives the
same score), added as a ``pairs`` partition, and ``pair_alignment`` / ``pair_score`` materializations
with the asset's own metadata are recorded for it: the rescored pair shows in the UI like any other.
"""
import datetime as dt

import dagster as dg

from sopilot_resources.heavy.runner import WorkItem
from sopilot_resources.pair_scoring import StoredPairScore, score_stored_pair
from sopilot_resources.pair_report import summary_md
from sopilot_resources.pair_report.text import Header
from sopilot_resources.storage import PairRecord, Registry, ResultsStore, VideoStore

from .assets.pair_metadata import pair_metadata
from .partitions import PAIRS

ALIGN, SCORE = "pair_alignment", "pair_score"


def rescore_pair(store: VideoStore, item: WorkItem, embedder_key: str, device: str = "auto",
                 run_id: str = "", default_profile: str | None = None) -> StoredPairScore:
    """``default_profile``: the profile of a task without its own (the SOPILOT_PROFILE setting)."""
    p = item.payload
    reg = Registry(store.registry_dir)
    pair = reg.pair(p["pair_key"]) or PairRecord(
        key=p["pair_key"], task=p["task"], gold_key=p["gold_key"], trainee_key=p["trainee_key"],
        gold_sha256=p["gold_sha256"], trainee_sha256=p["trainee_sha256"], gold_version=int(p["gold_version"]),
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    pair.profile_sha256 = p.get("profile_sha256")  # the task's profile now (None: the default)
    reg.put_pair(pair)
    return score_stored_pair(store, ResultsStore(store.results, store.duckdb_path), pair, embedder_key,
                             default_profile=default_profile, device=device,
                             run_id=run_id, note={"rescored_by": run_id})


def record_rescore(context: dg.OpExecutionContext, s: StoredPairScore, code_version: str) -> dict:
    """Adds the pair's partition (if new) and records its two asset materializations with the
    same metadata as a ``score_pair`` run; returns the ledger entry. ``code_version``: the pair
    assets' code version in this code location, so the UI does not show the partition stale."""
    key = s.pair.key
    if not context.instance.has_dynamic_partition(PAIRS, key):
        context.instance.add_dynamic_partitions(PAIRS, [key])
    ameta, smeta = pair_metadata(s)
    tags = {"dagster/code_version": code_version, "sopilot/rescored": context.run.run_id}
    for asset, meta in ((ALIGN, ameta), (SCORE, smeta)):
        context.log_event(dg.AssetMaterialization(
            asset_key=asset, partition=key, metadata=meta, tags=tags,
            description=summary_md(s.doc, Header.from_doc(s.doc)) if asset == SCORE else None))
    context.log.info(f"rescored {s.trainee.file_name} vs gold {s.gold.file_name} (v{s.pair.gold_version}): "
                     f"{s.result.score:.1f} -> {s.result.verdict}, partition {key}")
    return {"score": float(s.result.score), "verdict": s.result.verdict, "pair_key": key}

