"""Supervisor reviews (issue 15 item 1): `sopilot review` validates everything before it writes,
stores each review as a new row of the DuckDB table `reviews` (never overwritten), and a later
review of the same video supersedes the earlier one, both kept. A data root scored by the real
scoring path (synthetic clip embeddings, tests/scored_root.py)."""
import json

import pytest

from scored_root import EKEY, STEPS, put_video, scored_root
from sopilot_assets.cli import main
from sopilot_resources.storage import Registry, ResultsStore
from sopilot_resources.storage.reviews import ReviewError, current_reviews, make_review, record_review


@pytest.fixture()
def root(tmp_path):
    """Gold v1 of task 'assembly', trainee2 scored (it skipped step 3), trainee3 not scored yet."""
    store, _ = scored_root(tmp_path)
    put_video(store, Registry(store.registry_dir), 3, "trainee")
    return store


def _cli(capsys, store, *args):
    rc = main([*args, "--data-dir", str(store.root)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_review_is_stored_with_its_steps_and_read_back_in_duckdb(root, capsys):
    rc, out, err = _cli(capsys, root, "review", "trainee2", "--verdict", "retrain", "--deviation", "missing_step:3",
                        "--deviation", f"wrong_step:{STEPS[0].name.upper()}", "--deviation", "extra_action",
                        "--note", "left the seal out", "--by", "maria")
    assert rc == 0, err
    assert "reviewed trainee2.mp4 (task assembly): retrain, missing_step at step 3" in out
    rows = ResultsStore(root.results, root.duckdb_path).query("SELECT * FROM reviews")
    assert len(rows) == 1
    r = rows[0]
    assert (r["task"], r["trainee_file"], r["verdict"], r["reviewer"], r["note"]) == (
        "assembly", "trainee2.mp4", "retrain", "maria", "left the seal out")
    assert (r["gold_file"], r["gold_version"], r["supersedes"], r["source"]) == ("gold1.mp4", 1, None, "cli")
    assert json.loads(r["deviations"]) == [
        {"type": "missing_step", "gold_step": 2, "gold_step_name": STEPS[2].name},
        {"type": "wrong_step", "gold_step": 0, "gold_step_name": STEPS[0].name},
        {"type": "extra_action", "gold_step": None, "gold_step_name": None}]


def test_a_later_review_supersedes_and_both_are_kept(root, capsys):
    first = record_review(root, make_review(root, "trainee2", "pass", reviewer="a"))
    second = record_review(root, make_review(root, "trainee2.mp4", "fail", ["missing_step:3"], reviewer="b"))
    assert first.supersedes is None and second.supersedes == first.review_id
    rs = ResultsStore(root.results, root.duckdb_path)
    assert len(rs.query("SELECT * FROM reviews")) == 2  # nothing overwritten
    cur = current_reviews(root)
    assert [(r["trainee_file"], r["verdict"], r["reviewer"]) for r in cur] == [("trainee2.mp4", "fail", "b")]
    rc, out, _ = _cli(capsys, root, "reviews", "--format", "json")
    assert rc == 0 and [r["review_id"] for r in json.loads(out)] == [second.review_id]
    rc, out, _ = _cli(capsys, root, "reviews")
    assert out.startswith("assembly  trainee2.mp4  fail  missing_step:3")


@pytest.mark.parametrize("args, says", [
    (["nobody", "--verdict", "pass"], "no trainee video named 'nobody'"),
    (["trainee2", "--verdict", "pass", "--task", "welding"], "unknown task 'welding'"),
    (["trainee2", "--verdict", "great"], "unknown verdict 'great'"),
    (["trainee2", "--verdict", "fail", "--deviation", "forgot:2"], "unknown deviation type 'forgot'"),
    (["trainee2", "--verdict", "fail", "--deviation", "missing_step:9"], "step 9 does not exist; the gold has steps 1-4"),
    (["trainee2", "--verdict", "fail", "--deviation", "missing_step:polish"], "no step named 'polish'"),
    (["trainee3", "--verdict", "fail", "--deviation", "missing_step:2"], "has no score yet"),
])
def test_a_bad_review_is_a_clear_error_and_writes_nothing(root, capsys, args, says):
    rc, out, err = _cli(capsys, root, "review", *args)
    assert rc == 2 and says in err and out == ""
    assert not (root.results / "reviews").exists() or not [
        p for p in (root.results / "reviews").glob("*.parquet") if not p.name.startswith("_")]


def test_an_unscored_trainee_can_have_its_verdict_reviewed(root):
    r = record_review(root, make_review(root, "trainee3", "Needs review", ["extra_action"]))
    assert (r.verdict, r.gold_file, r.gold_version) == ("needs_review", None, None)
    with pytest.raises(ReviewError):
        make_review(root, "trainee3", "pass", ["slow_step:1"])


def _ticks(store, *times, config=None):
    from sopilot_resources.storage.intake import Intake
    from sopilot_resources.storage.intake_types import IntakeConfig

    intake = Intake(store, config or IntakeConfig(stable_seconds=1, orphan_sidecar_sec=60))
    out, events = None, []
    for t in times:
        out = intake.tick(out.tracker_state if out else None, now=t, failures=out.failures if out else None)
        events += out.events
    return events


def test_a_review_file_in_the_inbox_is_stored_and_archived(root):
    d = root.inbox / "assembly" / "reviews"
    d.mkdir(parents=True)
    (d / "monday.json").write_text(json.dumps({"reviews": [
        {"trainee": "trainee2", "verdict": "retrain", "deviations": ["missing_step:3"], "reviewer": "maria"},
        {"trainee": "trainee3.mp4", "verdict": "pass"}]}))
    (d / "tuesday.csv").write_text("trainee,verdict,deviations,note\ntrainee2,fail,missing_step:3;extra_action,again\n")
    events = _ticks(root, 1000.0, 1002.0)
    stored = [e for e in events if e.action == "review"]
    assert len(stored) == 2 and "2 review(s) stored" in stored[0].message, [e.message for e in events]
    assert not list(d.iterdir())  # nothing left in the inbox, nothing deleted:
    assert sorted(p.name for p in (root.archive / "reviews" / "assembly").iterdir()) == ["monday.json", "tuesday.csv"]
    cur = {r["trainee_file"]: r for r in current_reviews(root)}
    assert cur["trainee2.mp4"]["verdict"] == "fail" and cur["trainee2.mp4"]["note"] == "again"
    assert cur["trainee2.mp4"]["source"] == "inbox:assembly/reviews/tuesday.csv"
    assert cur["trainee3.mp4"]["verdict"] == "pass"


def test_a_bad_review_file_is_quarantined_whole_with_its_reason(root):
    d = root.inbox / "assembly" / "reviews"
    d.mkdir(parents=True)
    (d / "mixed.json").write_text(json.dumps([{"trainee": "trainee2", "verdict": "pass"},
                                              {"trainee": "trainee2", "verdict": "fail", "deviations": ["missing_step:9"]}]))
    (d / "broken.json").write_text("{not json")
    (d / "notes.txt").write_text("hello")
    events = _ticks(root, 1000.0, 1002.0)
    q = {e.file_name: e for e in events if e.action == "quarantined"}
    assert q["mixed.json"].reason == "bad_review" and "step 9 does not exist" in q["mixed.json"].message
    assert "nothing from this file was stored" in q["mixed.json"].message
    assert q["broken.json"].reason == "bad_review" and "not valid JSON" in q["broken.json"].message
    assert q["notes.txt"].reason == "unsupported_review_format"
    assert current_reviews(root) == []  # not even the good first review of mixed.json
    kept = {p.name for p in root.quarantine_dir.rglob("*") if p.is_file()}
    assert {"broken.json", "mixed.json", "notes.txt"} <= kept and not list(d.iterdir())  # kept, with reasons


def test_a_review_of_a_video_not_there_yet_waits_then_is_quarantined(root):
    d = root.inbox / "assembly" / "reviews"
    d.mkdir(parents=True)
    (d / "early.json").write_text(json.dumps({"trainee": "trainee9", "verdict": "pass"}))
    events = _ticks(root, 1000.0, 1002.0, 1030.0)
    assert not [e for e in events if e.action in ("quarantined", "review")] and (d / "early.json").exists()
    events = _ticks(root, 1000.0, 1002.0, 1070.0)
    assert [e.reason for e in events if e.action == "quarantined"] == ["bad_review"]


def test_golden_set_agreement_counts_unsafe_and_deviations():
    from sopilot_resources.storage.golden_set import auc, golden_sets

    def rev(name, verdict, devs=(), task="t"):
        return {"task": task, "trainee_sha256": name, "trainee_file": f"{name}.mp4", "verdict": verdict,
                "review_id": f"r-{name}", "deviations": json.dumps([{"type": t, "gold_step": s} for t, s in devs])}

    reviews = [rev("a", "pass"), rev("b", "fail", [("missing_step", 2), ("extra_action", None)]),
               rev("c", "retrain", [("wrong_step", 1)]), rev("d", "pass"), rev("e", "fail", task="u")]
    latest = [{"task": "t", "trainee_sha256": k, "pair_key": f"p{k}", "verdict": v, "score": s, "scored_at": "x"}
              for k, v, s in (("a", "pass", 95.0), ("b", "fail", 30.0), ("c", "pass", 90.0), ("d", "retrain", 70.0))]
    devs = [{"pair_key": "pb", "type": "missing_step", "gold_step": 2}, {"pair_key": "pb", "type": "slow_step",
                                                                       "gold_step": 0},
            {"pair_key": "pd", "type": "long_idle", "gold_step": None}]
    t, u = golden_sets(reviews, latest, devs)
    assert (t["task"], t["n_reviewed"], t["n_compared"], t["n_reviewed_pass"]) == ("t", 4, 4, 2)
    assert t["verdict_agreement"] == 0.5 and t["pass_agreement"] == 0.5  # c let through, d held back
    assert (t["n_unsafe"], t["unsafe"], t["n_strict"], t["strict"]) == (1, "c.mp4", 1, "d.mp4")
    assert t["auc"] == auc([95.0, 70.0], [30.0, 90.0]) == 0.75  # 3 of the 4 pass-vs-not pairs ordered right
    # b: missing_step:3 found, extra_action missed, slow_step extra; c: wrong_step missed; d: no reviewed deviations
    assert (t["deviations_found"], t["deviations_missed"], t["deviations_extra"]) == (1, 2, 1)
    assert (u["n_reviewed"], u["n_compared"], u["verdict_agreement"], u["auc"]) == (1, 0, None, None)
    again = golden_sets(reviews, [dict(x, scored_at="y") if x["trainee_sha256"] == "a" else x for x in latest], devs)
    assert again[0]["version"] != t["version"] and again[1]["version"] == u["version"]


def test_golden_set_asset_materializes_from_stored_reviews(root):
    import dagster as dg

    from dagster_support import resources
    from sopilot_assets.assets.reviews import golden_set

    record_review(root, make_review(root, "trainee2", "retrain", ["missing_step:3"]))
    record_review(root, make_review(root, "trainee3", "pass"))  # not scored: counted, not compared
    with dg.instance_for_test() as instance:
        res = dg.materialize([golden_set], resources=resources(root.root), instance=instance)
    assert res.success
    row = ResultsStore(root.results, root.duckdb_path).query("SELECT * FROM golden_set")[0]
    assert (row["task"], row["n_reviewed"], row["n_compared"], row["deviations_found"]) == ("assembly", 2, 1, 1)
    mat = res.asset_materializations_for_node("golden_set")[0]
    assert mat.metadata["reviewed"].value == 2 and "assembly" in mat.metadata["golden_sets"].value
    assert mat.tags["dagster/data_version"] == f"assembly:{row['version']}"
    assert mat.metadata["autopilot"].value.records == []  # no autopilot step yet
    from sopilot_resources.storage import autopilot_state as ap

    ap.run(root, "assembly")  # 1 reviewed and scored video: skipped, and said so
    with dg.instance_for_test() as instance:
        res = dg.materialize([golden_set], resources=resources(root.root), instance=instance)
    rec = res.asset_materializations_for_node("golden_set")[0].metadata["autopilot"].value.records[0].data
    assert (rec["task"], rec["event"]) == ("assembly", "skipped") and "at least 8 needed" in rec["what happened"]


def test_the_inbox_sensor_records_stored_reviews_for_the_golden_set(root):
    import dagster as dg

    from dagster_support import resources, tick
    from sopilot_assets.assets.common import Versions
    from sopilot_assets.definitions import build_definitions
    from sopilot_resources.dagster_resources.storage import TestVideoStoreResource

    res = resources(root.root)
    res["video_store"] = TestVideoStoreResource(data_dir=str(root.root))
    defs = build_definitions(resources=res, versions=Versions(embedder_key=EKEY, profile_fingerprint="p0"))
    d = root.inbox / "assembly" / "reviews"
    d.mkdir(parents=True)
    (d / "r.json").write_text(json.dumps({"trainee": "trainee2", "verdict": "retrain", "deviations": ["missing_step:3"]}))
    with dg.instance_for_test() as instance:
        out = tick(defs, instance, None, res)
    mats = [e for e in out.asset_events if e.asset_key == dg.AssetKey("reviews")]
    assert len(mats) == 1 and "1 review(s) stored" in mats[0].description
    assert [r["verdict"] for r in current_reviews(root)] == ["retrain"]
    golden = defs.resolve_asset_graph().get(dg.AssetKey("golden_set"))
    assert dg.AssetKey("reviews") in golden.parent_keys and golden.automation_condition is not None


def test_sopilot_review_tells_the_data_roots_dagster_instance(root, capsys):
    import dagster as dg

    home = root.root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    rc, out, err = _cli(capsys, root, "review", "trainee2", "--verdict", "pass")
    assert rc == 0 and "note:" not in err, err
    with dg.DagsterInstance.from_config(str(home)) as instance:
        ev = instance.get_latest_materialization_event(dg.AssetKey("reviews"))
    assert ev is not None and "trainee2.mp4: pass" in ev.asset_materialization.description


def test_profile_versions_history_rollback_and_the_version_each_score_used(root, capsys):
    from sopilot_resources.storage.intake import Intake
    from sopilot_resources.storage.intake_types import IntakeConfig

    intake = Intake(root, IntakeConfig(stable_seconds=0))
    for k, pass_min in enumerate((80, 90)):
        (root.inbox / "assembly").mkdir(parents=True, exist_ok=True)
        (root.inbox / "assembly" / "profile.json").write_text(json.dumps({"pass_min": pass_min}))
        out = intake.tick(None, now=1000.0 + k)
        assert [e.action for e in out.events] == ["profile"], [e.message for e in out.events]
    rc, text, _ = _cli(capsys, root, "profile", "history", "assembly")
    lines = text.splitlines()
    assert rc == 0 and len(lines) == 2 and lines[1].startswith("* v2") and "parent v1" in lines[1]
    assert "by inbox: dropped as assembly/profile.json" in lines[0]
    v1, v2 = json.loads(_cli(capsys, root, "profile", "history", "assembly", "--format", "json")[1])
    assert v1["fingerprint"] != v2["fingerprint"]
    rc, text, _ = _cli(capsys, root, "profile", "rollback", "assembly", "1", "--by", "maria", "--why", "too strict")
    assert rc == 0 and "profile v3 is now in force (the content of v1" in text
    hist = json.loads(_cli(capsys, root, "profile", "history", "assembly", "--format", "json")[1])
    assert [(h["version"], h["parent"], h["current"], h["proposed_by"], h["why"]) for h in hist][2] == (
        3, 2, True, "maria", "too strict")
    assert hist[2]["sha256"] == v1["sha256"] and hist[2]["fingerprint"] == v1["fingerprint"]
    rc, _, err = _cli(capsys, root, "profile", "rollback", "assembly", "1")
    assert rc == 2 and "is the profile in force already" in err
    rc, _, err = _cli(capsys, root, "profile", "rollback", "assembly", "7")
    assert rc == 2 and "no profile version 7; versions: v1, v2, v3" in err
    rc, _, err = _cli(capsys, root, "profile", "history", "welding")
    assert rc == 2 and "unknown task 'welding'" in err
    # a pair scored with the task's profile records the version in force (the newest with that content)
    from sopilot_resources.pair_scoring import score_stored_pair

    reg = Registry(root.registry_dir)
    pair = reg.pairs()[0]
    pair.profile_sha256 = v1["sha256"]
    reg.put_pair(pair)
    score_stored_pair(root, ResultsStore(root.results, root.duckdb_path), pair.key, EKEY, device="cpu")
    row = ResultsStore(root.results, root.duckdb_path).query("SELECT profile_version FROM scores")[0]
    assert row["profile_version"] == 3


def test_task_summary_counts_trainees_scored_with_an_older_profile_as_stale(root):
    import dagster as dg

    from dagster_support import resources
    from sopilot_assets.assets.rollups import task_summary
    from sopilot_resources.storage.intake import Intake
    from sopilot_resources.storage.intake_types import IntakeConfig

    def stale():
        with dg.instance_for_test() as instance:
            res = dg.materialize([task_summary], resources=resources(root.root), instance=instance)
        assert res.success
        return ResultsStore(root.results, root.duckdb_path).query("SELECT n_stale FROM task_summary")[0]["n_stale"]

    assert stale() == 0  # scored with the default profile, which still applies
    (root.inbox / "assembly").mkdir(parents=True, exist_ok=True)
    (root.inbox / "assembly" / "profile.json").write_text(json.dumps({"pass_min": 95}))
    Intake(root, IntakeConfig(stable_seconds=0)).tick(None, now=1000.0)
    assert stale() == 1  # the task's own profile now: the idle-time rescoring will update it


def test_a_rollback_brings_back_exactly_the_prior_scores_through_the_idle_rescoring(root, capsys):
    from sopilot_assets.heavy_rescore import rescore_pair
    from sopilot_resources.heavy.rescore import rescore_items
    from sopilot_resources.storage.intake import Intake
    from sopilot_resources.storage.intake_types import IntakeConfig

    rs = ResultsStore(root.results, root.duckdb_path)
    gold = next(v for v in Registry(root.registry_dir).videos() if v.role == "gold")
    root.gate_path(gold.sha256, EKEY).write_text(json.dumps({"ok": True}))  # through the gold's quality gate

    def drop_profile(doc, now):
        (root.inbox / "assembly").mkdir(parents=True, exist_ok=True)
        (root.inbox / "assembly" / "profile.json").write_text(json.dumps(doc))
        assert [e.action for e in Intake(root, IntakeConfig(stable_seconds=0)).tick(None, now=now).events] == ["profile"]

    def rescore():
        items = rescore_items(root, EKEY)
        assert len(items) == 1  # the one scored trainee is stale
        rescore_pair(root, items[0], EKEY, device="cpu")
        assert rescore_items(root, EKEY) == []  # up to date
        return rs.query("SELECT score, verdict, n_deviations, penalty_total, profile_fingerprint, profile_version "
                        "FROM scores")[0]

    drop_profile({"penalties": {"missing_step": 10.0}}, 1000.0)
    first = rescore()
    drop_profile({"penalties": {"missing_step": 60.0}}, 1001.0)
    second = rescore()
    assert second["score"] != first["score"] and second["profile_version"] == 2
    assert _cli(capsys, root, "profile", "rollback", "assembly", "1")[0] == 0
    third = rescore()
    assert {k: v for k, v in third.items() if k != "profile_version"} == \
        {k: v for k, v in first.items() if k != "profile_version"}
    assert (first["profile_version"], third["profile_version"]) == (1, 3)


def test_profile_versions_show_in_dagster_as_asset_task_profiles(root, capsys):
    import dagster as dg

    from dagster_support import resources, tick
    from sopilot_assets.assets.common import Versions
    from sopilot_assets.definitions import build_definitions
    from sopilot_resources.dagster_resources.storage import TestVideoStoreResource

    res = resources(root.root)
    res["video_store"] = TestVideoStoreResource(data_dir=str(root.root))
    defs = build_definitions(resources=res, versions=Versions(embedder_key=EKEY, profile_fingerprint="p0"))
    (root.inbox / "assembly").mkdir(parents=True, exist_ok=True)
    (root.inbox / "assembly" / "profile.json").write_text(json.dumps({"pass_min": 80}))
    with dg.instance_for_test() as instance:
        out = tick(defs, instance, None, res)
    mat = next(e for e in out.asset_events if e.asset_key == dg.AssetKey("task_profiles"))
    rows = mat.metadata["versions"].value.records
    assert [(r.data["task"], r.data["version"], r.data["proposed by"]) for r in rows] == [("assembly", "v1 (in force)", "inbox")]
    home = root.root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (root.inbox / "assembly" / "profile.json").write_text(json.dumps({"pass_min": 90}))
    from sopilot_resources.storage.intake import Intake
    from sopilot_resources.storage.intake_types import IntakeConfig

    Intake(root, IntakeConfig(stable_seconds=0)).tick(None, now=1000.0)
    assert _cli(capsys, root, "profile", "rollback", "assembly", "1")[0] == 0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        ev = instance.get_latest_materialization_event(dg.AssetKey("task_profiles"))
    assert "v3 (rollback to v1)" in ev.asset_materialization.description
    # the data version is the content in force: back to v1's after rolling back to v1
    assert ev.asset_materialization.tags["dagster/data_version"] == mat.tags["dagster/data_version"]
