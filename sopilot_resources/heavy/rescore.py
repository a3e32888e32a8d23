"""Rescoring backlog: trainees scored before their task's gold or profile changed.

A trainee belongs here when it has at least one score, but none against the task's
CURRENT gold (version) with the CURRENT profile fingerprint, and its pair is not already
pending in the normal pipeline. Item key: ``rescore/<pair key>/v<gold version>/<profile fp>``.
"""
from __future__ import annotations

from ..storage.readiness import pair_ready
from ..storage.registry import PairRecord, Registry, TaskRecord
from ..storage.results_store import ResultsStore
from ..storage.video_store import VideoStore
from .runner import WorkItem, rescore_item_key


def profile_path(store: VideoStore, task: TaskRecord, default_profile: str | None = None) -> str | None:
    """The task's own profile (dropped in its inbox) wins over ``default_profile`` (the
    SOPILOT_PROFILE setting)."""
    if task.profile and task.profile.get("path"):
        return str(store.root / task.profile["path"])
    return default_profile or None


def profile_fingerprint(store: VideoStore, task: TaskRecord, default_profile: str | None = None) -> str:
    from ..scoring.profile import load_profile

    return load_profile(profile_path(store, task, default_profile)).fingerprint()


def scored_rows(store: VideoStore) -> list[dict]:
    if not store.duckdb_path.exists() and not store.results.is_dir():
        return []
    rs = ResultsStore(store.results, store.duckdb_path)
    return rs.query("SELECT pair_key, task, trainee_sha256, gold_sha256, gold_version, "
                    "profile_fingerprint FROM scores")


def rescore_items(store: VideoStore, embedder_key: str | None = None,
                  default_profile: str | None = None) -> list[WorkItem]:
    """``embedder_key``: the main pipeline's embedder; trainees or golds without embeddings
    under it are left out (a changed embedder is the main pipeline's business). None (a
    model embedder whose key no run has learned yet): nothing to rescore yet.
    ``default_profile``: the profile of tasks without their own (SOPILOT_PROFILE)."""
    reg = Registry(store.registry_dir)
    if not store.registry_dir.is_dir() or not embedder_key:
        return []
    rows = scored_rows(store)
    if not rows:
        return []
    scored_trainees = {(r["task"], r["trainee_sha256"]) for r in rows}
    # by content, not by key: a pair keeps the key it was made with (see storage.keys)
    have = {(r["trainee_sha256"], r["gold_sha256"], r["profile_fingerprint"]) for r in rows}
    pending = set(reg.pending_pairs())
    videos = reg.videos()
    items = []
    for task in reg.tasks():
        gold = task.current_gold
        if gold is None:
            continue
        fp = profile_fingerprint(store, task, default_profile)
        for v in videos:
            if v.task != task.task or v.role != "trainee" or (v.task, v.sha256) not in scored_trainees:
                continue
            key = reg.pair_key_for(task.task, v.file_name, v.sha256, gold["file_name"], gold["sha256"],
                                   int(gold["version"]))
            if key in pending or (v.sha256, gold["sha256"], fp) in have:
                continue
            pair = PairRecord(key=key, task=task.task, gold_key=gold["key"], trainee_key=v.key,
                              gold_sha256=gold["sha256"], trainee_sha256=v.sha256,
                              gold_version=int(gold["version"]), created_at="")
            # the main pipeline's own readiness rule: embeddings there, gold through its
            # quality gate, gold steps built (a flagged gold is never scored against)
            if not (pair_ready(store, pair, embedder_key)[0]
                    and store.embeddings_path(gold["sha256"], embedder_key).is_file()):
                continue
            items.append(WorkItem("rescore", rescore_item_key(key, f"v{gold['version']}", fp), {
                "pair_key": key, "task": task.task, "trainee_key": v.key,
                "trainee_sha256": v.sha256, "gold_key": gold["key"], "gold_sha256": gold["sha256"],
                "gold_version": gold["version"], "profile_fingerprint": fp,
                "profile_sha256": (task.profile or {}).get("sha256")}))
    return items
