"""Rescore one trainee against its task's current gold with the current profile.

Same engine and the same result rows as the ``pair_score`` asset (``score_rows.write_score_rows``), from
the embeddings and gold steps the main pipeline already stored, so a rescore costs one
alignment, no decoding. A new gold gives a new pair key (the old score stays as it was); a
new profile replaces the pair's rows, exactly as rerunning the stale asset would.
"""
import datetime as dt

from sopilot_resources.heavy.runner import WorkItem
from sopilot_resources.storage.fsutil import atomic_write_json, read_json
from sopilot_resources.storage.registry import PairRecord, Registry
from sopilot_resources.storage.video_store import VideoStore


def rescore_pair(store: VideoStore, item: WorkItem, embedder_key: str, device: str = "auto",
                 run_id: str = "") -> dict:
    from sopilot_resources.dagster_resources.storage import ResultsStoreResource
    from sopilot_resources.embeddings import ClipEmbeddings
    from sopilot_resources.scoring.engine import score_embeddings
    from sopilot_resources.scoring.profile import load_profile
    from sopilot_resources.scoring.steps import parse_steps

    from .assets.score_rows import write_score_rows

    p = item.payload
    reg = Registry(store.registry_dir)
    gold, trainee = reg.video(p["gold_sha256"]), reg.video(p["trainee_sha256"])
    steps_doc = read_json(store.steps_path(gold.sha256, embedder_key))
    if steps_doc is None:
        raise RuntimeError(f"gold {gold.file_name}: no steps under {embedder_key} yet; "
                           "materialize its gold_steps first")
    g = ClipEmbeddings.load(store.embeddings_path(gold.sha256, embedder_key))
    t = ClipEmbeddings.load(store.embeddings_path(trainee.sha256, embedder_key))
    profile = load_profile(p["profile_path"])
    res = score_embeddings(g, t, steps=parse_steps(steps_doc["steps"]), profile=profile,
                           device=device)
    doc = res.to_dict()
    pair = PairRecord(key=p["pair_key"], task=p["task"], gold_key=gold.key,
                      trainee_key=trainee.key, gold_sha256=gold.sha256,
                      trainee_sha256=trainee.sha256, gold_version=int(p["gold_version"]),
                      created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    atomic_write_json(store.pair_work(pair.key) / "score.json",
                      {**doc, "pair": pair.to_dict(), "rescored_by": run_id})
    write_score_rows(ResultsStoreResource(data_dir=str(store.root)), pair, gold, trainee, doc,
                     embedder_key, profile.fingerprint(), run_id)
    return {"score": float(res.score), "verdict": res.verdict, "pair_key": pair.key}
