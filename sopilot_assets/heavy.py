"""`heavy_backlog_job`: idle-time heavy work (rescoring after a gold/profile change, then
re-embedding with the heavy embedder), in batches, checking the idle gate between batches.

A rescored pair is scored by the same function as the ``pair_score`` asset and shows in the UI like
any other: its ``pairs`` partition is added and its pair_alignment / pair_score materializations are
recorded with the asset's metadata (``heavy_rescore.py``).

A busy machine stops the run cleanly (success, with ``stopped`` in its metadata); the
ledger (``<data root>/heavy/ledger.json``) remembers what is done, so the next idle window
resumes at the first unfinished item. Launched by ``heavy_idle_schedule`` (schedules.py); the
op's work is ``heavy_work.py``.
"""

from pathlib import Path
from typing import Optional

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource, gpu_present
from sopilot_resources.deploy import gpu_wanted, step_tags
from sopilot_resources.dagster_resources.env import plain
from sopilot_resources.dagster_resources.idle_gate import IdleGateResource, active_run_ids
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.heavy import WorkLedger
from sopilot_resources.heavy.reembed import known_key, model_fingerprint, reembed_items
from sopilot_resources.settings import Settings
from sopilot_resources.storage.video_store import VideoStore

from .assets.common import Versions

HEAVY_TAG = "sopilot/heavy"
HEAVY_JOB = "heavy_backlog_job"


def ledger_for(store: VideoStore) -> WorkLedger:
    return WorkLedger(store.root / "heavy" / "ledger.json")


def model_problem(model_dir: Path | None) -> str:
    if model_dir and not (model_dir / "config.json").is_file():
        return (f"heavy model dir {model_dir} has no config.json (point SOPILOT_MODEL_DIR at a "
                "save_pretrained directory)")
    return ""


def pending_counts(store: VideoStore, embedder_key: str | None, settings: Settings) -> dict:
    """What the heavy backlog holds right now, without loading any model (for ticks).
    ``embedder_key``: the main pipeline's embedder (rescoring reuses its embeddings); the heavy
    embedder and model dir: SOPILOT_HEAVY_EMBEDDER, SOPILOT_MODEL_DIR."""
    from sopilot_resources.heavy.rescore import rescore_items

    done = ledger_for(store).entries()
    name, model_dir = settings.heavy_embedder, settings.model_dir
    out = {"embedder": name, "model_dir": model_dir, "reembed": 0, "rescore": 0,
           "problem": model_problem(model_dir)}
    if model_dir and not out["problem"]:
        fp = model_fingerprint(name, model_dir)
        out["reembed"] = sum(1 for it in reembed_items(store, known_key(store, fp), fp)
                             if it.key not in done)
    out["rescore"] = sum(1 for it in rescore_items(store, embedder_key, plain(settings, "profile"))
                         if it.key not in done)
    return out


class HeavyConfig(dg.Config):
    batch_size: Optional[int] = None  # None: the SOPILOT_HEAVY_BATCH setting
    max_items: int = 0  # 0 = as many as the idle window allows
    device: Optional[str] = None  # None: the SOPILOT_DEVICE setting


def build_heavy_job(settings: Settings, versions: Versions) -> dg.JobDefinition:
    """``heavy_backlog_job`` under ``settings`` (heavy embedder, model dir, batch, profile);
    rescored pairs are recorded with the pair assets' code version from ``versions``."""
    from .assets.scores import pair_code_version

    code_version = pair_code_version(versions)
    gpu = gpu_wanted(settings, "heavy", gpu_present)  # the same decision as the pipeline's GPU steps

    @dg.op(pool="gpu", name="heavy_backlog", tags=step_tags(settings, gpu))
    def heavy_backlog(context: dg.OpExecutionContext, config: HeavyConfig,
                      idle_gate: IdleGateResource, video_store: VideoStoreResource,
                      embedder: EmbedderResource) -> dg.Output[dict]:
        from .heavy_work import work_backlog

        return work_backlog(context, config, settings, code_version, idle_gate, video_store, embedder)

    @dg.job(name=HEAVY_JOB, tags={HEAVY_TAG: "1"},
            description="Idle-time heavy work: rescoring after gold/profile changes, re-embedding "
                        "with the heavy embedder; pauses when the machine gets busy.")
    def heavy_backlog_job():
        heavy_backlog()

    return heavy_backlog_job


def heavy_runs_in_flight(instance: dg.DagsterInstance) -> list[str]:
    from sopilot_resources.dagster_resources.idle_gate import ACTIVE_STATUSES

    recs = instance.get_run_records(filters=dg.RunsFilter(
        statuses=ACTIVE_STATUSES, tags={HEAVY_TAG: "1"}), limit=10)
    return [r.dagster_run.run_id for r in recs]


__all__ = ["build_heavy_job", "pending_counts", "heavy_runs_in_flight", "active_run_ids", "HEAVY_TAG",
           "HEAVY_JOB"]
