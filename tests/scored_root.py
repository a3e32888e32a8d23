"""A data root with a gold and a trainee scored by the real scoring path (synthetic clip
embeddings, no video): shared by the report and the review tests."""
import json

from sopilot_resources.pair_scoring import score_stored_pair
from sopilot_resources.storage import PairRecord, Registry, ResultsStore, VideoRecord, VideoStore, pair_key
from sopilot_resources.storage.registry import TaskRecord
from synthetic_embeddings import gold_plan, protos, render

DURS = [3.0, 4.0, 2.5, 5.0]
P = protos(len(DURS), seed=3)
GOLD_PLAN, STEPS = gold_plan(DURS)
EKEY = "synthetic-v1"


def put_video(store, reg, n, role, task="assembly", name=None, version=None):
    sha = f"{n:02d}" + "ab" * 31
    name = name or f"{role}{n}.mp4"
    rec = VideoRecord(key=f"{task}/{role}/{name.split('.')[0]}-{sha[:8]}", sha256=sha, task=task, role=role,
                      file_name=name, inbox_path=f"{task}/{role}/{name}", raw_path="", size_bytes=1,
                      registered_at="", seq=n, gold_version=version)
    reg.put_video(rec)
    return rec


def trainee_plan(drop=None):
    plan = [(-1, 2.0)]
    for k, d in enumerate(DURS):
        if k != drop:
            plan += [(k, d), (-1, 1.0)]
    return plan


def scored_root(tmp_path, trainee_name: str | None = None):
    """(store, its StoredPairScore): gold v1 of task 'assembly' and trainee 2 (``trainee_name``,
    default trainee2.mp4), which skipped step 3, scored by score_stored_pair."""
    store = VideoStore.at(tmp_path / "data").ensure()
    reg = Registry(store.registry_dir)
    gold = put_video(store, reg, 1, "gold", version=1)
    tr = put_video(store, reg, 2, "trainee", name=trainee_name)
    for rec, plan, seed in ((gold, GOLD_PLAN, 1), (tr, trainee_plan(drop=2), 2)):
        path = store.embeddings_path(rec.sha256, EKEY)
        path.parent.mkdir(parents=True, exist_ok=True)
        render(plan, P, noise=0.3, seed=seed).save(path)
    store.steps_path(gold.sha256, EKEY).write_text(json.dumps({"steps": [s.to_dict() for s in STEPS]}))
    reg.put_task(TaskRecord(task="assembly", golds=[{"version": 1, "key": gold.key, "sha256": gold.sha256,
                                                     "file_name": gold.file_name, "registered_at": ""}]))
    pair = PairRecord(key=pair_key("assembly", tr.file_name, tr.sha256, 1), task="assembly", gold_key=gold.key,
                      trainee_key=tr.key, gold_sha256=gold.sha256, trainee_sha256=tr.sha256, gold_version=1,
                      created_at="")
    reg.put_pair(pair)
    s = score_stored_pair(store, ResultsStore(store.results, store.duckdb_path), pair.key, EKEY, device="cpu")
    return store, s
