"""One Verdict type: its order, and what the CLI, the roll-ups and the store build from it."""
import duckdb

from sopilot_assets.assets.rollups import SUMMARY_SQL, trainee_table
from sopilot_assets.score_cli import exit_status
from sopilot_resources.scoring.profile import Profile
from sopilot_resources.scoring.verdict import VERDICTS, Verdict, count_column_names, worst_first
from sopilot_resources.storage.results_store import TABLES


def test_order_best_first_and_helpers():
    assert VERDICTS == ("pass", "needs_review", "retrain", "fail")
    assert Verdict.RETRAIN.worse_than("needs_review") and not Verdict.PASS.worse_than(Verdict.FAIL)
    assert Verdict.NEEDS_REVIEW == "needs_review" and Verdict.NEEDS_REVIEW.label == "NEEDS REVIEW"
    assert sorted(["pass", "fail", "unknown", "retrain", "needs_review"], key=worst_first)[-3:] == [
        "retrain", "needs_review", "pass"]
    assert isinstance(Profile().verdict(90, False), Verdict)


def test_fail_below_gate():
    assert exit_status("retrain", "needs_review") == 3
    assert exit_status("needs_review", "needs_review") == 0 and exit_status("fail", None) == 0


def test_rollup_counts_and_store_columns_follow_the_type():
    con = duckdb.connect()
    con.execute("CREATE TABLE scores (task TEXT, score DOUBLE, verdict TEXT, scored_at TIMESTAMP, "
                "n_cycles BIGINT, n_cycles_passed BIGINT)")
    con.execute("INSERT INTO scores VALUES ('t', 90, 'pass', now(), 1, 1), ('t', 60, 'retrain', now(), 12, 9),"
                " ('t', 10, 'fail', now(), NULL, NULL), ('t', 20, 'fail', now(), 1, 0)")
    row = dict(zip([d[0] for d in con.execute(SUMMARY_SQL).description], con.execute(SUMMARY_SQL).fetchone()))
    assert {k: row[k] for k in count_column_names()} == {"n_pass": 1, "n_needs_review": 0, "n_retrain": 1, "n_fail": 2}
    # performances: a shift recording counts its cycles, a row older than shift scoring counts 1
    assert (row["n_cycles"], row["n_cycles_passed"]) == (15, 10)
    assert [n for n in TABLES["task_summary"].names if n.startswith("n_") and n not in (
        "n_scored", "n_cycles", "n_cycles_passed", "n_stale")] == count_column_names()
    rows = [{"task": "t", "trainee_file": f, "verdict": v, "score": s, "what_went_wrong": "", "gold_file": "g",
             "gold_version": 1, "scored_at": "", "pair_key": f} for f, v, s in
            (("a", "pass", 95.0), ("b", "fail", 5.0), ("c", "needs_review", 75.0))]
    records = trainee_table(rows).value.records  # worst verdict first
    assert [r.data["verdict"] for r in records] == ["fail", "needs_review", "pass"]


def test_every_verdict_says_why_in_the_terms_of_its_rule():
    """Profile.verdict_reason follows Profile.verdict's branches: it names the verdict the rule
    gives and the threshold or deviation that decided it."""
    p = Profile()
    for score in (100.0, 85.0, 84.9, 70.0, 69.9, 50.0, 49.9, 0.0):
        for critical in ([], ["step 3 'bolt cover' missing step"]):
            for order in (False, True):
                assert p.verdict_reason(score, critical, order).startswith(p.verdict(score, bool(critical), order).label + ":")
    assert p.verdict_reason(40.0, ["step 3 'bolt cover' missing step"]) == (
        "FAIL: a critical step is not done as the SOP requires (step 3 'bolt cover' missing step), whatever the score")
    assert p.verdict_reason(92.0, [], out_of_order=True).startswith("NEEDS REVIEW: score 92.0 reaches 85 to pass, but")
    assert p.verdict_reason(92.0, []) == "PASS: score 92.0 reaches 85 and no critical step deviates"
    assert p.verdict_reason(77.5, []) == "NEEDS REVIEW: score 77.5 is between 70 and 85"
    assert p.verdict_reason(61.6, [], out_of_order=True) == "RETRAIN: score 61.6 is between 50 and 70"
    assert p.verdict_reason(12.0, []) == "FAIL: score 12.0 is below 50, the lowest score to retrain"
    assert Profile(pass_min=90).verdict_reason(88.0, []) == "NEEDS REVIEW: score 88.0 is between 70 and 90"
    assert p.verdict_reason(88.0, [], what="mean cycle score") == (
        "PASS: mean cycle score 88.0 reaches 85 and no critical step deviates")
