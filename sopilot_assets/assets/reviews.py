"""``reviews`` and ``golden_set``: what supervisors said the trainee videos really were, and how
well the engine agrees with them per task (docs/reviews.md).

``reviews`` is not computed by a run: the inbox sensor records a materialization of it when it
stores review files, and ``sopilot review`` when the data root's Dagster instance exists.
``golden_set`` is refreshed automatically after new reviews or new scores; its data version is a
content hash of the reviews and engine results it compared, so it changes exactly when they do."""

import datetime as dt

import dagster as dg

from sopilot_resources.dagster_resources.storage import ResultsStoreResource
from sopilot_resources.storage.golden_set import compute_golden_sets

from .common import RETRY, column_schema
from .rollups import ROLLUP_CONDITION

REVIEWS = "reviews"
PROFILES = "task_profiles"

reviews_spec = dg.AssetSpec(
    REVIEWS, group_name="reviews", kinds={"duckdb"},
    metadata={"dagster/column_schema": column_schema("reviews")},
    description="Supervisor reviews: a trainee video's true verdict and deviations (`sopilot review`, or "
                "files in inbox/<task>/reviews/). DuckDB table reviews, never rewritten; a later review of a "
                "video supersedes the earlier one. Recorded by sopilot_inbox_sensor and `sopilot review`.")


profiles_spec = dg.AssetSpec(
    PROFILES, group_name="reviews",
    description="Every task's scoring profile versions (content hash, parent, who or what proposed it, why, "
                "when; `sopilot profile history`). Not computed by a run: recorded when a version is made (a "
                "profile.json dropped in the inbox, `sopilot profile rollback`, the autopilot); its data version "
                "is the tasks' profiles in force. Autopilot steps: DuckDB table profile_events.")


def profiles_event(registry, text: str) -> dg.AssetMaterialization:
    """The materialization recorded after a profile version is made: every task's versions."""
    import hashlib

    rows, current = [], []
    for t in registry.tasks():
        for p in t.profiles:
            rows.append(dg.TableRecord({
                "task": t.task, "version": f"v{p['version']}" + (" (in force)" if t.profile and
                                                                  p["version"] == t.profile["version"] else ""),
                "fingerprint": p.get("fingerprint") or "", "parent": f"v{p['parent']}" if p.get("parent") else "-",
                "proposed by": p.get("proposed_by") or "-", "why": p.get("why") or "-",
                "when": str(p.get("registered_at") or "")[:19]}))
        if t.profile:
            current.append(f"{t.task}:{t.profile['sha256']}")
    cols = ("task", "version", "fingerprint", "parent", "proposed by", "why", "when")
    version = hashlib.sha256("\n".join(sorted(current)).encode()).hexdigest()[:12] if current else "defaults"
    return dg.AssetMaterialization(
        asset_key=PROFILES, description=text, tags={"dagster/data_version": version},
        metadata={"versions": dg.MetadataValue.table(
            records=rows, schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in cols])),
            "tasks_with_own_profile": len(current)})


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def reviews_event(n: int, text: str) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(asset_key=REVIEWS, description=text, metadata={"stored_now": n})


@dg.asset(group_name="reviews", deps=["pair_score", REVIEWS], automation_condition=ROLLUP_CONDITION,
          retry_policy=RETRY, code_version="golden_set.v1", kinds={"duckdb"},
          metadata={"dagster/column_schema": column_schema("golden_set")},
          description="Per task, its reviewed videos against the engine's latest results: verdict and pass/not-pass "
                      "agreement, unsafe (a reviewed defective the engine passes) and strict cases, AUC, "
                      "deviations found / missed / extra (DuckDB table golden_set).")
def golden_set(context: dg.AssetExecutionContext, results_store: ResultsStoreResource) -> dg.MaterializeResult:
    rs = results_store.store()
    rows = compute_golden_sets(rs)
    now = dt.datetime.now(dt.timezone.utc)
    for r in rows:
        r["computed_at"] = now
    rs.write("golden_set", "current", rows)
    pct = lambda x: "-" if x is None else f"{100 * x:.0f} %"  # noqa: E731
    md = ("| task | reviewed (compared) | verdict agreement | pass agreement | unsafe | strict | AUC | "
          "deviations found / missed / extra | version |\n|---|---|---|---|---|---|---|---|---|\n")
    md += "\n".join(f"| {r['task']} | {r['n_reviewed']} ({r['n_compared']}) | {pct(r['verdict_agreement'])} | "
                    f"{pct(r['pass_agreement'])} | {r['n_unsafe']}{': ' + r['unsafe'] if r['unsafe'] else ''} | "
                    f"{r['n_strict']} | {_num(r['auc'])} | "
                    f"{r['deviations_found']} / {r['deviations_missed']} / {r['deviations_extra']} | "
                    f"{r['version']} |" for r in rows)
    version = "-".join(f"{r['task']}:{r['version']}" for r in rows) or "empty"
    return dg.MaterializeResult(
        metadata={"golden_sets": dg.MetadataValue.md(md or "no reviews yet"), "tasks": len(rows),
                  "reviewed": sum(r["n_reviewed"] for r in rows), "unsafe": sum(r["n_unsafe"] for r in rows),
                  "autopilot": autopilot_table(rs)},
        data_version=dg.DataVersion(version))


#: autopilot steps shown on golden_set's page (DuckDB table profile_events has them all)
MAX_EVENTS = 50


def autopilot_table(rs) -> dg.MetadataValue:
    """The latest autopilot steps, newest first (an empty table before the first one)."""
    cols = ("at", "task", "event", "versions", "agreement", "held-out", "what happened")
    rows = rs.query(f"SELECT * FROM profile_events ORDER BY event_at DESC LIMIT {MAX_EVENTS}")
    recs = [dg.TableRecord({
        "at": str(r["event_at"])[:19], "task": r["task"], "event": r["event"],
        "versions": f"v{r['from_version'] or '-'} -> v{r['to_version']}" if r["to_version"] else
                    (f"v{r['from_version']}" if r["from_version"] else "default"),
        "agreement": "-" if r["agreement_before"] is None else f"{r['agreement_before']} -> {r['agreement_after']} of "
                                                                 f"{r['n_reviews']}",
        "held-out": "-" if r["cv_before"] is None else f"{r['cv_before']} -> {r['cv_after']}",
        "what happened": r["reason"] or ""}) for r in rows]
    return dg.MetadataValue.table(records=recs, schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in cols]))
