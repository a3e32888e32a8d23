"""Unpartitioned roll-ups over every pair's score, refreshed automatically after new scores.

``all_scores``: the latest score of every pair as a CSV people can open, plus a table in the
UI. ``task_summary``: each trainee's latest verdict and score (DuckDB view ``trainee_summary``,
a table on the asset's page) and per task how many were scored and how (view ``task_summary``)."""

import csv
import datetime as dt
import io

import dagster as dg

from sopilot_resources.dagster_resources.engine import ScoringProfileResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.scoring.verdict import count_columns_sql, worst_first
from sopilot_resources.storage.fsutil import atomic_write_bytes

from .common import RETRY, column_schema

# eager, but not blocked while some pair is still unscored (eager() waits for all parents)
ROLLUP_CONDITION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())

#: per task: pairs scored, mean / min score, one count per verdict (n_pass .. n_fail, from the Verdict type),
#: performances scored (a shift recording counts its complete cycles) and how many of them passed
SUMMARY_SQL = f"""
SELECT task, count(*) AS n_scored, avg(score) AS mean_score, min(score) AS min_score,
       {count_columns_sql()}, max(scored_at) AS last_scored_at,
       sum(coalesce(scores.n_cycles, 1)) AS n_cycles,
       sum(coalesce(scores.n_cycles_passed, CASE WHEN verdict = 'pass' THEN 1 ELSE 0 END)) AS n_cycles_passed
FROM scores GROUP BY task ORDER BY task
"""


#: each trainee's newest result: against its newest gold, latest scoring; deviations worst first,
#: step numbers 1-based as in the messages
TRAINEES_SQL = """
WITH latest AS (
  SELECT task, trainee_file, verdict, score, n_deviations, n_critical, gold_file, gold_version, scored_at,
         pair_key, trainee_key, trainee_sha256 FROM scores
  QUALIFY row_number() OVER (PARTITION BY task, trainee_sha256 ORDER BY gold_version DESC, scored_at DESC) = 1),
dev AS (
  SELECT pair_key, string_agg(replace(type, '_', ' ') || CASE WHEN gold_step IS NULL THEN ''
                               ELSE printf(' step %d "%s"', gold_step + 1, gold_step_name) END,
                              '; ' ORDER BY penalty DESC) AS what_went_wrong
  FROM deviations GROUP BY pair_key)
SELECT latest.*, coalesce(dev.what_went_wrong, '') AS what_went_wrong
FROM latest LEFT JOIN dev USING (pair_key) ORDER BY task, trainee_file
"""
#: rows of the inline table (the DuckDB table has them all)
MAX_TABLE_ROWS = 500


@dg.asset(group_name="rollups", deps=["pair_score"], automation_condition=ROLLUP_CONDITION,
          retry_policy=RETRY, code_version="all_scores.v1", kinds={"duckdb", "csv"},
          description="Every pair's score (exported to work/reports/all_scores.csv).")
def all_scores(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
               results_store: ResultsStoreResource) -> dg.MaterializeResult:
    rows = results_store.store().query(
        "SELECT task, trainee_file, gold_file, gold_version, score, verdict, n_deviations, scored_at, "
        "pair_key FROM scores ORDER BY scored_at DESC")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["task"])
    w.writeheader()
    w.writerows(rows)
    out = atomic_write_bytes(video_store.store().work / "reports" / "all_scores.csv", buf.getvalue().encode())
    latest = rows[:25]
    return dg.MaterializeResult(metadata={
        "pairs_scored": len(rows), "csv": dg.MetadataValue.path(str(out)),
        "latest": dg.MetadataValue.table(
            records=[dg.TableRecord({"task": r["task"], "trainee_file": r["trainee_file"],
                                     "gold_file": r["gold_file"], "score": float(r["score"]),
                                     "verdict": r["verdict"], "scored_at": str(r["scored_at"])}) for r in latest],
            schema=dg.TableSchema(columns=[dg.TableColumn(c, "float" if c == "score" else "string") for c in
                                           ("task", "trainee_file", "gold_file", "score", "verdict", "scored_at")])),
    })


@dg.asset(group_name="rollups", deps=["pair_score"], automation_condition=ROLLUP_CONDITION,
          retry_policy=RETRY, code_version="task_summary.v4", kinds={"duckdb"},
          metadata={"dagster/column_schema": column_schema("trainee_summary")},
          description="Every trainee's latest verdict and score (table `trainees` here, DuckDB table "
                      "trainee_summary), and per task: videos scored, mean / min score, verdict counts, "
                      "performances scored (a shift recording counts its cycles) and passed, current gold, "
                      "stale trainees (scored against an older gold or profile version; the idle-time rescoring "
                      "updates them) (DuckDB table task_summary).")
def task_summary(context: dg.AssetExecutionContext, video_store: VideoStoreResource,
                 results_store: ResultsStoreResource, scoring_profile: ScoringProfileResource) -> dg.MaterializeResult:
    from sopilot_resources.heavy.rescore import profile_fingerprint
    from sopilot_resources.storage.golden_set import LATEST_SQL

    rs = results_store.store()
    trainees = rs.query(TRAINEES_SQL)
    rs.write("trainee_summary", "summary", trainees)
    rows = rs.query(SUMMARY_SQL)
    registry, store = video_store.registry(), video_store.store()
    scored_with = rs.query(LATEST_SQL)  # what each trainee's newest score was made against
    for r in rows:
        task = registry.task(r["task"])
        gold = task.current_gold or {}
        r["current_gold"], r["gold_version"] = gold.get("file_name"), gold.get("version")
        fp = profile_fingerprint(store, task, scoring_profile.profile_path)
        r["n_stale"] = sum(1 for x in scored_with if x["task"] == r["task"] and (
            x["gold_version"] != gold.get("version") or x["profile_fingerprint"] != fp))
    rs.write("task_summary", "summary", rows)
    md = ("| task | videos | mean | pass | review | retrain | fail | cycles (passed) | gold | stale |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n")
    md += "\n".join(f"| {r['task']} | {r['n_scored']} | {r['mean_score']:.1f} | {r['n_pass']} | "
                    f"{r['n_needs_review']} | {r['n_retrain']} | {r['n_fail']} | "
                    f"{r['n_cycles']} ({r['n_cycles_passed']}) | "
                    f"{r['current_gold']} (v{r['gold_version']}) | {r['n_stale']} |" for r in rows)
    return dg.MaterializeResult(metadata={
        "trainees": trainee_table(trainees), "tasks": len(rows), "summary": dg.MetadataValue.md(md),
        "updated_at": dt.datetime.now(dt.timezone.utc).isoformat()})


def trainee_table(rows: list[dict]) -> dg.MetadataValue:
    """Each trainee's latest result, worst verdict first (shown inline on the asset's page)."""
    rows = sorted(rows, key=lambda r: (worst_first(r["verdict"]), r["task"], r["score"]))[:MAX_TABLE_ROWS]
    cols = [("task", "string"), ("trainee", "string"), ("verdict", "string"), ("score", "float"),
            ("what went wrong", "string"), ("gold", "string"), ("scored at", "string"), ("partition", "string")]
    return dg.MetadataValue.table(
        records=[dg.TableRecord({
            "task": r["task"], "trainee": r["trainee_file"], "verdict": r["verdict"],
            "score": round(float(r["score"]), 1), "what went wrong": r["what_went_wrong"] or "-",
            "gold": f"{r['gold_file']} (v{r['gold_version']})", "scored at": str(r["scored_at"])[:19],
            "partition": r["pair_key"]}) for r in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in cols]))
