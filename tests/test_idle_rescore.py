"""Rescoring backlog after a new gold or profile: the trainee scored against gold v1 is
rescored against gold v2 by the heavy job (same engine, same rows as pair_score), v1's row
stays, a second pass has nothing left to do; a new task profile then rescores the v2 pair in
place; a flagged gold is never rescored against."""
from __future__ import annotations

import datetime as dt
import json
import os

import dagster as dg
import pytest

from sopilot_assets.heavy import ledger_for
from sopilot_resources.dagster_resources.engine import EmbedderResource
from sopilot_resources.dagster_resources.storage import VideoStoreResource
from sopilot_resources.embedders.registry import get_embedder
from sopilot_resources.ingest import ingest_video
from sopilot_resources.scoring.engine import score_embeddings
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.steps import detect_steps, parse_steps
from sopilot_resources.storage import PairRecord, Registry, ResultsStore, VideoRecord, VideoStore, pair_key
from sopilot_resources.storage.score_rows import write_score_rows
from sopilot_resources.storage.registry import TaskRecord
from tests.test_idle_schedules import SimulatedLoad, idle
from tests.video_synth import textured, write_video


def _video(store, reg, i, role, version=None):
    sha = f"{i:02d}" + "cd" * 31
    raw = store.raw_path(sha, ".mp4")
    raw.parent.mkdir(parents=True, exist_ok=True)
    write_video(raw, 56, fps=8, size=(96, 72), frame=textured(96, 72, seed=i % 2))
    rec = VideoRecord(key=f"task/{role}/{role}{i}-{sha[:8]}", sha256=sha, task="task", role=role,
                      file_name=f"{role}{i}.mp4", inbox_path=f"task/{role}/{role}{i}.mp4",
                      raw_path=str(raw.relative_to(store.root)), size_bytes=raw.stat().st_size,
                      registered_at="2026-01-01T00:00:00+00:00", seq=i, gold_version=version)
    reg.put_video(rec)
    return rec


def _setup(tmp_path, monkeypatch, gold2_ok=True):
    """gold v1, gold v2 (current), a trainee embedded (color-motion) and scored against v1."""
    root = tmp_path / "data"
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(root))
    for k in ("SOPILOT_VJEPA2_DIR", "SOPILOT_HEAVY_MODEL_DIR", "SOPILOT_PROFILE", "SOPILOT_SOAK_CHILD"):
        monkeypatch.delenv(k, raising=False)
    store = VideoStore.at(root).ensure()
    reg = Registry(store.registry_dir)
    emb = get_embedder("color-motion")
    key = emb.key()
    g1, g2, tr = _video(store, reg, 1, "gold", 1), _video(store, reg, 2, "gold", 2), _video(store, reg, 3, "trainee")
    embs = {}
    for rec in (g1, g2, tr):
        e = ingest_video(store.root / rec.raw_path, emb)
        store.embeddings_path(rec.sha256, key).parent.mkdir(parents=True, exist_ok=True)
        e.save(store.embeddings_path(rec.sha256, key))
        embs[rec.sha256] = e
    for g in (g1, g2):
        steps = detect_steps(embs[g.sha256].vectors, embs[g.sha256].starts, embs[g.sha256].ends)
        store.steps_path(g.sha256, key).write_text(json.dumps(
            {"source": "detected", "steps": [s.to_dict() for s in steps]}))
        ok = gold2_ok or g is g1
        store.gate_path(g.sha256, key).write_text(json.dumps({"ok": ok, "message": "too dark"}))
    # the trainee was scored against gold v1; then gold v2 became current
    golds = [{"version": g.gold_version, "key": g.key, "sha256": g.sha256, "file_name": g.file_name,
              "registered_at": g.registered_at} for g in (g1, g2)]
    reg.put_task(TaskRecord(task="task", golds=golds))
    pk1 = pair_key("task", tr.file_name, tr.sha256, 1)
    pair1 = PairRecord(key=pk1, task="task", gold_key=g1.key, trainee_key=tr.key, gold_sha256=g1.sha256,
                       trainee_sha256=tr.sha256, gold_version=1, created_at=dt.datetime.now().isoformat())
    reg.put_pair(pair1)
    steps1 = parse_steps(json.loads(store.steps_path(g1.sha256, key).read_text())["steps"])
    res1 = score_embeddings(embs[g1.sha256], embs[tr.sha256], steps=steps1, profile=Profile())
    rs = ResultsStore(store.results, store.duckdb_path)
    write_score_rows(rs, pair1, g1, tr, res1.to_dict(), key, Profile().fingerprint(), "seed-run")
    rs.ensure_views()
    return store, rs, key, embs, (g1, g2, tr), res1


def test_flagged_gold_is_not_rescored_against(tmp_path, monkeypatch):
    store, rs, *_ = _setup(tmp_path, monkeypatch, gold2_ok=False)
    resources = {"idle_gate": SimulatedLoad(), "embedder": EmbedderResource(),
                 "video_store": VideoStoreResource(data_dir=os.environ["SOPILOT_DATA_DIR"])}
    with dg.instance_for_test() as inst:
        res = idle()[1](dg.build_schedule_context(instance=inst, resources=resources))
    assert isinstance(res, dg.SkipReason) and "0 rescores pending" in res.skip_message


def test_new_gold_rescore(tmp_path, monkeypatch):
    store, rs, key, embs, (g1, g2, tr), res1 = _setup(tmp_path, monkeypatch)
    resources = {"idle_gate": SimulatedLoad(), "embedder": EmbedderResource(),
                 "video_store": VideoStoreResource(data_dir=os.environ["SOPILOT_DATA_DIR"])}
    heavy_backlog_job, heavy_idle_schedule, _ = idle()
    with dg.instance_for_test() as inst:
        req = heavy_idle_schedule(dg.build_schedule_context(instance=inst, resources=resources))
        assert isinstance(req, dg.RunRequest)
        r = heavy_backlog_job.execute_in_process(
            instance=inst, resources=resources,
            run_config={"ops": {"heavy_backlog": {"config": {"device": "cpu"}}}})
        out = r.output_for_node("heavy_backlog")
        assert r.success and len(out["done"]) == 1 and out["done"][0].startswith("rescore/")
        rows = rs.query("SELECT gold_file, gold_version, score, run_id FROM scores ORDER BY gold_version")
        assert [(x["gold_file"], x["gold_version"]) for x in rows] == [("gold1.mp4", 1), ("gold2.mp4", 2)]
        assert rows[0]["run_id"] == "seed-run" and rows[1]["run_id"] == r.run_id  # v1 kept
        assert abs(rows[0]["score"] - res1.score) < 1e-9
        # the same inputs through the engine directly give the same number
        steps2 = parse_steps(json.loads(store.steps_path(g2.sha256, key).read_text())["steps"])
        direct = score_embeddings(embs[g2.sha256], embs[tr.sha256], steps=steps2, profile=Profile())
        assert abs(rows[1]["score"] - direct.score) < 1e-6
        assert len(ledger_for(store).entries()) == 1
        again = heavy_idle_schedule(dg.build_schedule_context(instance=inst, resources=resources))
        assert isinstance(again, dg.SkipReason) and "0 rescores pending" in again.skip_message

        # then the task gets its own profile: the v2 pair is rescored with it, in place
        prof = {"pass_min": 97.0, "review_min": 90.0}
        ppath = store.raw / "profiles" / "task" / "p1.json"
        ppath.parent.mkdir(parents=True, exist_ok=True)
        ppath.write_text(json.dumps(prof))
        task = Registry(store.registry_dir).task("task")
        task.profile = {"sha256": "p1", "path": str(ppath.relative_to(store.root)),
                        "file_name": "profile.json", "registered_at": "", "version": 1}
        task.profiles = [task.profile]
        Registry(store.registry_dir).put_task(task)
        assert isinstance(heavy_idle_schedule(dg.build_schedule_context(instance=inst, resources=resources)),
                          dg.RunRequest)
        r3 = heavy_backlog_job.execute_in_process(
            instance=inst, resources=resources,
            run_config={"ops": {"heavy_backlog": {"config": {"device": "cpu"}}}})
        assert len(r3.output_for_node("heavy_backlog")["done"]) == 1
        rows = rs.query("SELECT gold_version, profile_fingerprint, run_id FROM scores ORDER BY gold_version")
        new_fp = Profile(**prof).fingerprint()
        assert [(x["gold_version"], x["profile_fingerprint"]) for x in rows] == [
            (1, Profile().fingerprint()), (2, new_fp)]  # one row per pair: v2's replaced
        assert rows[1]["run_id"] == r3.run_id


def test_a_rescored_pair_shows_in_the_ui_like_any_other(tmp_path, monkeypatch):
    """The pair against the new gold becomes a `pairs` partition with pair_alignment /
    pair_score materializations carrying the asset's own metadata and code version, and is
    registered, so a rerun from the UI scores it the same way."""
    from sopilot_assets.definitions import build_definitions
    from tests.dagster_support import resources as dagster_resources

    store, rs, key, embs, (g1, g2, tr), _ = _setup(tmp_path, monkeypatch)
    res = {**dagster_resources(store.root), "idle_gate": SimulatedLoad()}
    defs = build_definitions(resources=res, extra=[dg.Definitions(jobs=[idle()[0]])])
    pk2 = pair_key("task", tr.file_name, tr.sha256, 2)
    with dg.instance_for_test() as inst:
        r = defs.resolve_job_def("heavy_backlog_job").execute_in_process(
            instance=inst, run_config={"ops": {"heavy_backlog": {"config": {"device": "cpu"}}}})
        assert r.success and r.output_for_node("heavy_backlog")["done"] == [f"rescore/{pk2}/v2/{Profile().fingerprint()}"]
        assert inst.get_dynamic_partitions("pairs") == [pk2]
        graph = defs.resolve_asset_graph()
        for asset in ("pair_alignment", "pair_score"):
            ev = inst.fetch_materializations(dg.AssetKey(asset), limit=5).records
            assert [e.partition_key for e in ev] == [pk2] and ev[0].run_id == r.run_id
            mat = ev[0].asset_materialization
            assert mat.tags["dagster/code_version"] == graph.get(dg.AssetKey(asset)).code_version
        md = mat.metadata
        row = rs.query("SELECT score, verdict FROM scores WHERE pair_key = ?", [pk2])[0]
        assert md["verdict"].value == row["verdict"] and md["score"].value == pytest.approx(row["score"])
        assert "data:image/png;base64," in md["report"].value and len(md["summary"].value) < 1000
        assert row["verdict"].replace("_", " ").upper() in mat.description
        pair = Registry(store.registry_dir).pair(pk2)
        assert (pair.gold_sha256, pair.trainee_sha256, pair.gold_version) == (g2.sha256, tr.sha256, 2)
        doc = json.loads((store.pair_work(pk2) / "score.json").read_text())
        assert doc["rescored_by"] == r.run_id and doc["files"] == {"gold": "gold2.mp4", "trainee": "trainee3.mp4"}
        # a rerun from the UI (the asset on that partition) gives the same score
        ui = defs.resolve_job_def("sopilot_pair_job").execute_in_process(instance=inst, partition_key=pk2)
        assert ui.success
        again = rs.query("SELECT score, run_id FROM scores WHERE pair_key = ?", [pk2])[0]
        assert again["score"] == pytest.approx(row["score"]) and again["run_id"] == ui.run_id


def test_a_pair_scored_under_its_old_key_is_not_rescored(tmp_path, monkeypatch):
    """Data from before the short pair keys: the trainee's score against the current gold sits
    under the old key, so nothing is pending (the backlog compares content, not keys)."""
    from sopilot_resources.heavy.rescore import rescore_items
    from sopilot_resources.storage.keys import legacy_pair_key

    store, rs, key, embs, (g1, g2, tr), res1 = _setup(tmp_path, monkeypatch)
    assert [it.payload["pair_key"] for it in rescore_items(store, key)] == [pair_key("task", tr.file_name, tr.sha256, 2)]
    old = legacy_pair_key("task", tr.file_name, tr.sha256, g2.file_name, g2.sha256)
    pair = PairRecord(key=old, task="task", gold_key=g2.key, trainee_key=tr.key, gold_sha256=g2.sha256,
                      trainee_sha256=tr.sha256, gold_version=2, created_at="")
    Registry(store.registry_dir).put_pair(pair)
    write_score_rows(rs, pair, g2, tr, res1.to_dict(), key, Profile().fingerprint(), "old-run")
    assert rescore_items(store, key) == []
    # a new profile then rescores that pair under the key it has
    ppath = store.raw / "profiles" / "task" / "p1.json"
    ppath.parent.mkdir(parents=True, exist_ok=True)
    ppath.write_text(json.dumps({"pass_min": 97.0}))
    task = Registry(store.registry_dir).task("task")
    task.profile = {"sha256": "p1", "path": str(ppath.relative_to(store.root)), "file_name": "profile.json",
                    "registered_at": "", "version": 1}
    task.profiles = [task.profile]
    Registry(store.registry_dir).put_task(task)
    assert [(it.payload["pair_key"], it.payload["profile_sha256"]) for it in rescore_items(store, key)] == [(old, "p1")]


def test_the_default_profile_setting_applies_to_tasks_without_their_own(tmp_path, monkeypatch):
    """SOPILOT_PROFILE reaches the backlog through Settings: its fingerprint names the work."""
    from sopilot_resources.heavy.rescore import rescore_items

    store, rs, key, *_ = _setup(tmp_path, monkeypatch)
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"pass_min": 99.0}))
    assert [it.payload["profile_fingerprint"] for it in rescore_items(store, key)] == [Profile().fingerprint()]
    items = rescore_items(store, key, default_profile=str(strict))
    assert [it.payload["profile_fingerprint"] for it in items] == [Profile(pass_min=99.0).fingerprint()]
