"""``quarantine``: the files the inbox rejected, with reason and what to do.

Not computed by an asset run: the intake run (intake_job.py) records a materialization of it
whenever it quarantines something, with those files and the whole list, and keeps the DuckDB
table ``quarantine`` (one row per file now in ``quarantine/``)."""

import dagster as dg

from .common import column_schema

ASSET = "quarantine"
#: rows of the inline table of everything in quarantine (the DuckDB table has them all)
MAX_ROWS = 200

quarantine_spec = dg.AssetSpec(
    ASSET, group_name="inbox", kinds={"duckdb"},
    metadata={"dagster/column_schema": column_schema("quarantine")},
    description="Files the inbox sensor rejected (moved to quarantine/ beside <name>.reason.json): "
                "`rejected` lists the latest tick's, `in_quarantine` every file still there, each with "
                "its reason and what to do. DuckDB table quarantine. Recorded by the intake runs (sopilot_intake_job).")


def _table(rows: list[dict], cols: list[tuple[str, str]]) -> dg.MetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord({name: str(r.get(key) or "") for name, key in cols}) for r in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name, _ in cols]))


def quarantine_event(rejected, rows: list[dict], folder: str, text: str) -> dg.AssetMaterialization:
    """The materialization a tick records: ``rejected`` its quarantine ``Event``s, ``rows`` the
    table's rows (every file in quarantine), ``text`` the tick's summary line."""
    from sopilot_resources.storage.quarantine import remedy

    now = [{"file": e.inbox_path or e.file_name, "reason": e.reason, "what_to_do": remedy(e.reason, e.task),
            "message": e.message} for e in rejected]
    latest = rows[-MAX_ROWS:]
    return dg.AssetMaterialization(
        asset_key=ASSET, description=text,
        metadata={
            "rejected": _table(now, [("file", "file"), ("reason", "reason"), ("what to do", "what_to_do"),
                                     ("what happened", "message")]),
            "in_quarantine": _table(latest[::-1], [("file", "stored_path"), ("dropped as", "inbox_path"),
                                                   ("reason", "reason"), ("what to do", "what_to_do"),
                                                   ("at", "quarantined_at")]),
            "files_in_quarantine": len(rows), "rejected_now": len(now),
            "folder": dg.MetadataValue.path(folder)})
