"""``results_compaction_job``: merges the small Parquet files of the append-only results tables
(ingest_events, reviews, profile_events) into one each (storage/compaction.py; also ``sopilot
results compact``). Its schedule, ``results_compaction_schedule`` (SOPILOT_COMPACT_CRON, hourly by
default), starts it only when the idle gate says idle (schedules.py). Safe while runs append and
people query: the views show every row once at every moment, and a run killed half-way loses
nothing (the next one finishes the job)."""
import dagster as dg

from sopilot_resources.dagster_resources.storage import ResultsStoreResource

TAG = "sopilot/compaction"


@dg.op(description="Merge each append-only results table's small files into one.")
def compact_results(context: dg.OpExecutionContext, results_store: ResultsStoreResource) -> dg.Output:
    done = results_store.store().compact()
    for c in done:
        context.log.info(f"{c.table}: " + (f"{c.merged} small files merged into {c.into.name} ({c.rows} rows)"
                                           if c.merged else "nothing to merge"))
    return dg.Output(None, metadata={"files_merged": sum(c.merged for c in done),
                                     "tables": dg.MetadataValue.md("\n".join(
                                         f"- {c.table}: {c.merged} files, {c.rows} rows" for c in done))})


@dg.job(name="results_compaction_job", tags={TAG: "1"}, executor_def=dg.in_process_executor,
        description="Merges the small files of ingest_events, reviews and profile_events (idle time).")
def results_compaction_job():
    compact_results()
