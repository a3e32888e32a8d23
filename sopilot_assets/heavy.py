"""`heavy_backlog_job`: idle-time heavy work (rescoring after a gold/profile change, then
re-embedding with the heavy embedder), in batches, checking the idle gate between batches.

A rescored pair is scored by the same function as the ``pair_score`` asset and shows in the UI like
any other: its ``pairs`` partition is added and its pair_alignment / pair_score materializations are
recorded with the asset's metadata (``heavy_rescore.py``).

A busy machine stops the run cleanly (success, with ``stopped`` in its metadata); the
ledger (``<data root>/heavy/ledger.json``) remembers what is done, so the next idle window
resumes at the first unfinished item. Launched by ``heavy_idle_schedule`` (schedules.py).
"""

import os
from pathlib import Path

import dagster as dg

from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.idle_gate import IdleGateResource, active_run_ids
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.heavy import BacklogResult, WorkLedger, run_backlog
from sopilot_resources.heavy.reembed import (
    embed_one, heavy_config, known_key, model_fingerprint, reembed_items, remember_key)
from sopilot_resources.storage.video_store import VideoStore

HEAVY_TAG = "sopilot/heavy"


def ledger_for(store: VideoStore) -> WorkLedger:
    return WorkLedger(store.root / "heavy" / "ledger.json")


def pending_counts(store: VideoStore, embedder_key: str | None, env: dict | None = None) -> dict:
    """What the heavy backlog holds right now, without loading any model (for ticks).
    ``embedder_key``: the main pipeline's embedder (rescoring reuses its embeddings)."""
    from sopilot_resources.heavy.rescore import rescore_items

    ledger = ledger_for(store)
    done = ledger.entries()
    name, model_dir = heavy_config(env)
    out = {"embedder": name, "model_dir": model_dir, "reembed": 0, "rescore": 0, "problem": ""}
    if model_dir and not (Path(model_dir).expanduser() / "config.json").is_file():
        out["problem"] = (f"heavy model dir {model_dir} has no config.json (point "
                          "SOPILOT_VJEPA2_DIR at a save_pretrained directory)")
    elif model_dir:
        fp = model_fingerprint(name, model_dir)
        out["reembed"] = sum(1 for it in reembed_items(store, known_key(store, fp), fp)
                             if it.key not in done)
    out["rescore"] = sum(1 for it in rescore_items(store, embedder_key) if it.key not in done)
    return out


class HeavyConfig(dg.Config):
    batch_size: int = int(os.environ.get("SOPILOT_HEAVY_BATCH", "4"))
    max_items: int = 0  # 0 = as many as the idle window allows
    device: str = "auto"


def _merge(total: BacklogResult, part: BacklogResult) -> BacklogResult:
    total.done += part.done
    total.recovered += part.recovered
    total.rejected.update(part.rejected)
    total.stopped = total.stopped or part.stopped
    total.remaining += part.remaining
    return total


@dg.op(pool="gpu")
def heavy_backlog(context: dg.OpExecutionContext, config: HeavyConfig,
                  idle_gate: IdleGateResource, video_store: VideoStoreResource,
                  embedder: EmbedderResource) -> dg.Output[dict]:
    from sopilot_resources.heavy.rescore import rescore_items

    from .heavy_rescore import record_rescore, rescore_pair

    store = video_store.store()
    main_key = embedder.identity_key(store)
    ledger = ledger_for(store)
    me = {context.run.run_id}

    def gate():
        v = idle_gate.check(context.instance, exclude_run_ids=me)
        context.log.info(f"idle gate between batches: {v.summary()}")
        return v

    limit = config.max_items or None
    total = BacklogResult()
    total = _merge(total, run_backlog(
        rescore_items(store, main_key), ledger,
        lambda it: record_rescore(context, rescore_pair(store, it, main_key, config.device, context.run.run_id)),
        gate=gate,
        batch_size=config.batch_size, max_items=limit))
    name, model_dir = heavy_config()
    if model_dir and not (Path(model_dir).expanduser() / "config.json").is_file():
        context.log.warning(f"heavy model dir {model_dir} has no config.json: no re-embedding")
        model_dir = None
    if not total.stopped and model_dir:
        fp = model_fingerprint(name, model_dir)
        todo = [it for it in reembed_items(store, known_key(store, fp), fp)
                if not ledger.is_done(it.key)]
        left = None if limit is None else max(0, limit - len(total.done))
        if todo and total.done:  # rescoring took a batch: ask again before loading a model
            v = gate()
            total.stopped = None if v.idle else v.summary()
        if todo and (total.stopped or left == 0):
            total.remaining += len(todo)
        elif todo:
            from sopilot_resources.embedders.registry import get_embedder

            heavy = get_embedder(name, device=config.device, model_dir=model_dir)
            remember_key(store, fp, heavy.key())
            total = _merge(total, run_backlog(
                reembed_items(store, heavy.key(), fp), ledger,
                lambda it: embed_one(store, heavy, it), gate=gate,
                batch_size=config.batch_size, max_items=left,
                output_present=lambda it: store.embeddings_path(
                    it.payload["sha256"], heavy.key()).is_file()))
    context.log.info(f"heavy backlog: {total.summary()}")
    return dg.Output(
        {"done": total.done, "recovered": total.recovered, "rejected": total.rejected,
         "stopped": total.stopped, "remaining": total.remaining},
        metadata={"done": len(total.done), "recovered": len(total.recovered),
                  "rejected": len(total.rejected), "remaining": total.remaining,
                  "stopped": total.stopped or "", "ledger": str(ledger.path)})


@dg.job(tags={HEAVY_TAG: "1"},
        description="Idle-time heavy work: rescoring after gold/profile changes, re-embedding "
                    "with the heavy embedder; pauses when the machine gets busy.")
def heavy_backlog_job():
    heavy_backlog()


def heavy_runs_in_flight(instance: dg.DagsterInstance) -> list[str]:
    from sopilot_resources.dagster_resources.idle_gate import ACTIVE_STATUSES

    recs = instance.get_run_records(filters=dg.RunsFilter(
        statuses=ACTIVE_STATUSES, tags={HEAVY_TAG: "1"}), limit=10)
    return [r.dagster_run.run_id for r in recs]


__all__ = ["heavy_backlog_job", "heavy_backlog", "pending_counts", "heavy_runs_in_flight",
           "active_run_ids", "HEAVY_TAG"]
