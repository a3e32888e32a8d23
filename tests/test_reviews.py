"""Supervisor reviews (issue 15 item 1): `sopilot review` validates everything before it writes,
stores each review as a new row of the DuckDB table `reviews` (never overwritten), and a later
review of the same video supersedes the earlier one, both kept. A data root scored by the real
scoring path (synthetic clip embeddings, as in test_report_html)."""
import json

import pytest

from sopilot_assets.cli import main
from sopilot_resources.pair_scoring import score_stored_pair
from sopilot_resources.storage import PairRecord, Registry, ResultsStore, VideoStore, pair_key
from sopilot_resources.storage.registry import TaskRecord
from sopilot_resources.storage.reviews import ReviewError, current_reviews, make_review, record_review
from synthetic_embeddings import render
from test_report_html import EKEY, GOLD_PLAN, P, STEPS, _trainee_plan, _video


@pytest.fixture()
def root(tmp_path):
    """Gold v1 of task 'assembly', trainee2 scored (it skipped step 3), trainee3 not scored yet."""
    store = VideoStore.at(tmp_path / "data").ensure()
    reg = Registry(store.registry_dir)
    gold = _video(store, reg, 1, "gold", version=1)
    tr = _video(store, reg, 2, "trainee")
    _video(store, reg, 3, "trainee")
    for rec, plan, seed in ((gold, GOLD_PLAN, 1), (tr, _trainee_plan(drop=2), 2)):
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
    score_stored_pair(store, ResultsStore(store.results, store.duckdb_path), pair.key, EKEY, device="cpu")
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
