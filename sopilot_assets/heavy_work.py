"""The body of ``heavy_backlog_job``'s op (heavy.py): rescoring first, then re-embedding with
the heavy embedder, in batches, asking the idle gate between batches."""
import dagster as dg

from sopilot_resources.dagster_resources.env import plain
from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.idle_gate import IdleGateResource
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.heavy import BacklogResult, run_backlog
from sopilot_resources.heavy.reembed import embed_one, known_key, model_fingerprint, reembed_items, remember_key
from sopilot_resources.settings import Settings

from .heavy import HeavyConfig, ledger_for, model_problem


def _merge(total: BacklogResult, part: BacklogResult) -> BacklogResult:
    total.done += part.done
    total.recovered += part.recovered
    total.rejected.update(part.rejected)
    total.stopped = total.stopped or part.stopped
    total.remaining += part.remaining
    return total


def work_backlog(context, config: HeavyConfig, settings: Settings, code_version: str,
                 idle_gate: IdleGateResource, video_store: VideoStoreResource,
                 embedder: EmbedderResource) -> dg.Output[dict]:
    from sopilot_resources.heavy.rescore import rescore_items

    from .heavy_rescore import record_rescore, rescore_pair

    store = video_store.store()
    main_key = embedder.identity_key(store)
    ledger = ledger_for(store)
    me = {context.run.run_id}
    device = config.device or settings.device
    batch_size = config.batch_size or settings.heavy_batch
    profile = plain(settings, "profile")

    def gate():
        v = idle_gate.check(context.instance, exclude_run_ids=me)
        context.log.info(f"idle gate between batches: {v.summary()}")
        return v

    limit = config.max_items or None
    total = BacklogResult()
    total = _merge(total, run_backlog(
        rescore_items(store, main_key, profile), ledger,
        lambda it: record_rescore(context, rescore_pair(store, it, main_key, device, context.run.run_id, profile),
                                  code_version),
        gate=gate, batch_size=batch_size, max_items=limit))
    name, model_dir = settings.heavy_embedder, settings.model_dir
    if model_problem(model_dir):
        context.log.warning(f"{model_problem(model_dir)}: no re-embedding")
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

            heavy = get_embedder(name, device=device, model_dir=model_dir)
            remember_key(store, fp, heavy.key())
            total = _merge(total, run_backlog(
                reembed_items(store, heavy.key(), fp), ledger,
                lambda it: embed_one(store, heavy, it), gate=gate,
                batch_size=batch_size, max_items=left,
                output_present=lambda it: store.embeddings_path(
                    it.payload["sha256"], heavy.key()).is_file()))
    context.log.info(f"heavy backlog: {total.summary()}")
    folded = ledger.compact()  # idle time, one heavy run at a time (the gpu pool)
    if folded:
        context.log.info(f"heavy backlog: {folded} ledger entries folded into {ledger.path.name}")
    return dg.Output(
        {"done": total.done, "recovered": total.recovered, "rejected": total.rejected,
         "stopped": total.stopped, "remaining": total.remaining},
        metadata={"done": len(total.done), "recovered": len(total.recovered),
                  "rejected": len(total.rejected), "remaining": total.remaining,
                  "stopped": total.stopped or "", "ledger": str(ledger.path)})
