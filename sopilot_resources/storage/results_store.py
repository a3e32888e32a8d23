"""Results as Parquet files, read through DuckDB views.

Writers never touch the DuckDB file: each partition's rows go to their own Parquet file,
written to a temporary name and renamed into place (``results/<table>/<part>.parquet``), so a
rerun replaces the partition's rows (no duplicates) and a killed run leaves the old file or
none. ``sopilot.duckdb`` only holds views over ``results/<table>/*.parquet``; it is created
once (built under a temporary name, then renamed), so any number of runs can write while
people query it read-only: no DuckDB lock is ever taken by the pipeline after that.

Tables (columns in ``TABLES``): videos, ingest_events, scores, deviations, cycles, steps,
task_summary, trainee_summary, reviews, golden_set, profile_events, quarantine.
"""
from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..scoring.verdict import count_column_names
from .compaction import COMPACTABLE, GRACE_SEC, SRC, Compacted, compact_table, dedupe_sql
from .fsutil import atomic_write_bytes
from .keys import key_file_name

S, F, I, B, T = pa.string(), pa.float64(), pa.int64(), pa.bool_(), pa.timestamp("us", tz="UTC")

TABLES: dict[str, pa.Schema] = {
    "videos": pa.schema([
        ("video_key", S), ("task", S), ("role", S), ("file_name", S), ("sha256", S),
        ("raw_path", S), ("size_bytes", I), ("duration_sec", F), ("fps", F), ("width", I),
        ("height", I), ("codec", S), ("frame_count", I), ("gold_version", I),
        ("registered_at", T), ("probed_at", T),
    ]),
    "ingest_events": pa.schema([
        ("event_at", T), ("action", S), ("task", S), ("role", S), ("file_name", S),
        ("inbox_path", S), ("sha256", S), ("video_key", S), ("reason", S), ("message", S),
        ("stored_path", S),
    ]),
    "scores": pa.schema([
        ("pair_key", S), ("task", S), ("trainee_file", S), ("gold_file", S), ("score", F),
        ("verdict", S), ("scored_at", T), ("trainee_key", S), ("gold_key", S),
        ("gold_version", I), ("n_deviations", I), ("n_critical", I), ("penalty_total", F),
        ("embedder", S), ("profile_fingerprint", S), ("trainee_sha256", S), ("gold_sha256", S),
        ("run_id", S), ("n_cycles", I), ("n_cycles_passed", I), ("recording", S), ("profile_version", I),
        ("verdict_reason", S),
    ]),
    "deviations": pa.schema([
        ("pair_key", S), ("task", S), ("trainee_file", S), ("gold_file", S), ("idx", I),
        ("type", S), ("gold_step", I), ("gold_step_name", S), ("gold_start_sec", F),
        ("gold_end_sec", F), ("trainee_start_sec", F), ("trainee_end_sec", F), ("severity", S),
        ("confidence", F), ("penalty", F), ("message", S), ("scored_at", T), ("cycle", I),
    ]),
    "cycles": pa.schema([
        ("pair_key", S), ("task", S), ("trainee_file", S), ("gold_file", S), ("cycle", I),
        ("start_sec", F), ("end_sec", F), ("cycle_sec", F), ("gap_before_sec", F), ("partial", B),
        ("coverage", F), ("score", F), ("verdict", S), ("n_deviations", I), ("what_went_wrong", S),
        ("scored_at", T), ("recording", S),
    ]),
    "steps": pa.schema([
        ("task", S), ("video_key", S), ("pair_key", S), ("role", S), ("file_name", S),
        ("step_index", I), ("name", S), ("start_sec", F), ("end_sec", F), ("critical", B),
        ("source", S), ("written_at", T),
    ]),
    "task_summary": pa.schema([
        ("task", S), ("current_gold", S), ("gold_version", I), ("n_scored", I),
        ("mean_score", F), ("min_score", F), *((n, I) for n in count_column_names()),  # n_pass .. n_fail
        ("last_scored_at", T), ("n_cycles", I), ("n_cycles_passed", I), ("n_stale", I),
    ]),
    "trainee_summary": pa.schema([
        ("task", S), ("trainee_file", S), ("verdict", S), ("score", F), ("n_deviations", I),
        ("n_critical", I), ("what_went_wrong", S), ("gold_file", S), ("gold_version", I),
        ("scored_at", T), ("pair_key", S), ("trainee_key", S), ("trainee_sha256", S),
    ]),
    "reviews": pa.schema([
        ("review_id", S), ("task", S), ("trainee_file", S), ("trainee_key", S), ("trainee_sha256", S),
        ("verdict", S), ("deviations", S), ("note", S), ("reviewer", S), ("source", S), ("gold_file", S),
        ("gold_version", I), ("reviewed_at", T), ("supersedes", S),
    ]),
    "golden_set": pa.schema([
        ("task", S), ("n_reviewed", I), ("n_compared", I), ("n_reviewed_pass", I), ("verdict_agreement", F),
        ("pass_agreement", F), ("n_unsafe", I), ("unsafe", S), ("n_strict", I), ("strict", S), ("auc", F),
        ("deviations_found", I), ("deviations_missed", I), ("deviations_extra", I), ("version", S),
        ("computed_at", T),
    ]),
    "profile_events": pa.schema([
        ("event_at", T), ("task", S), ("event", S), ("from_version", I), ("to_version", I), ("actor", S),
        ("reason", S), ("changes", S), ("n_reviews", I), ("agreement_before", I), ("agreement_after", I),
        ("cv_before", I), ("cv_after", I), ("unsafe_after", S),
    ]),
    "quarantine": pa.schema([
        ("quarantined_at", T), ("file_name", S), ("task", S), ("role", S), ("inbox_path", S),
        ("reason", S), ("message", S), ("what_to_do", S), ("stored_path", S), ("sha256", S),
    ]),
}

#: what a column's numbers mean where the name alone does not say (shown in the UI's column schema)
COLUMN_NOTES = {
    "gold_step": "gold step index, 0-based: messages and UI tables say step gold_step + 1",
    "step_index": "step index, 0-based: messages and UI tables say step step_index + 1",
    "gold_version": "the task's gold version, from 1 (v1 = first gold dropped)",
    "idx": "position of the deviation in the pair's score, 0-based",
    "cycle": "cycle of a shift recording, 0-based (cycle # in messages and UI tables = cycle + 1); "
             "NULL for a video of one performance",
    "recording": "a shift recording dropped as segment files (inbox/<task>/trainee/<recording>/): its "
                 "folder name, the same for all its segments; NULL otherwise",
    "deviations": "reviews: JSON list of {type, gold_step (0-based, null: no step), gold_step_name}",
    "supersedes": "reviews: the review_id of the earlier review of the same video this one replaces (both kept)",
    "profile_version": "the task's profile version the pair was scored with (sopilot profile history); "
                       "NULL: the default profile",
    "n_stale": "trainees whose latest score is not against the task's current gold and profile: the idle-time "
               "rescoring brings them up to date",
    "n_cycles": "performances scored: the complete cycles of a shift recording, 1 for a video of one "
                "performance (NULL in rows written before shift recordings were scored: read as 1)",
}

EMPTY_FILE = "_schema.parquet"  # zero rows: keeps each glob non-empty so views always resolve


def stored_schema(table: str) -> pa.Schema:
    """The zero-row file's columns: an append-only table's also has compaction's ``_src``."""
    return TABLES[table].append(pa.field(SRC, pa.string())) if table in COMPACTABLE else TABLES[table]


class ResultsStore:
    def __init__(self, results_dir: str | os.PathLike, duckdb_path: str | os.PathLike):
        self.dir = Path(results_dir)
        self.duckdb_path = Path(duckdb_path)
        self._schema_ok: set[str] = set()  # tables whose zero-row file was seen current

    # --- writing ----------------------------------------------------------------------------
    def table_dir(self, table: str) -> Path:
        if table not in TABLES:
            raise KeyError(f"unknown results table {table!r}; known: {sorted(TABLES)}")
        return self.dir / table

    def part_path(self, table: str, part: str) -> Path:
        return self.table_dir(table) / f"{key_file_name(part)}.parquet"

    def write(self, table: str, part: str, rows: list[dict]) -> Path:
        """Replaces partition ``part`` of ``table`` with ``rows`` (atomic; may be empty)."""
        schema = TABLES[table]
        cols = {name: [r.get(name) for r in rows] for name in schema.names}
        tbl = pa.Table.from_pydict(cols, schema=schema)
        buf = io.BytesIO()
        pq.write_table(tbl, buf)
        self.ensure_empty(table)
        return atomic_write_bytes(self.part_path(table, part), buf.getvalue())

    def append(self, table: str, rows: list[dict], prefix: str) -> Path | None:
        """Writes ``rows`` as a new file (for event logs): ``<prefix>-<random>.parquet``."""
        if not rows:
            return None
        return self.write(table, f"{prefix}-{uuid.uuid4().hex[:8]}", rows)

    def delete(self, table: str, part: str) -> None:
        self.part_path(table, part).unlink(missing_ok=True)

    def ensure_empty(self, table: str) -> None:
        """Writes the table's zero-row file, again when its columns are not the current ones
        (a data root made by an older version: the views then still know every column)."""
        if table in self._schema_ok:
            return
        p = self.table_dir(table) / EMPTY_FILE
        try:
            current = p.exists() and pq.read_schema(p).names == stored_schema(table).names
        except (OSError, pa.ArrowInvalid):
            current = False
        if not current:
            buf = io.BytesIO()
            pq.write_table(stored_schema(table).empty_table(), buf)
            atomic_write_bytes(p, buf.getvalue())
        self._schema_ok.add(table)

    # --- DuckDB views -----------------------------------------------------------------------
    def view_sql(self) -> list[str]:
        out = []
        for table in TABLES:
            glob = (self.table_dir(table) / "*.parquet").as_posix().replace("'", "''")
            if table in COMPACTABLE:  # each row once, also while a compaction runs (compaction.py)
                out.append(f"CREATE OR REPLACE VIEW {table} AS " + dedupe_sql(
                    f"read_parquet('{glob}', union_by_name = true, filename = true)"))
            else:
                out.append(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM "
                           f"read_parquet('{glob}', union_by_name = true)")
        return out

    def ensure_views(self) -> Path:
        """Creates ``sopilot.duckdb`` with the views if it is missing or points elsewhere.

        Built under a temporary name and renamed, so the pipeline never holds the real file
        open and a reader never sees it half-made. Safe to call from many processes."""
        import duckdb

        for table in TABLES:
            self.ensure_empty(table)
        if self.duckdb_path.exists() and self._views_current():
            return self.duckdb_path
        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.duckdb_path.with_name(f".{self.duckdb_path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            con = duckdb.connect(str(tmp))
            try:
                for sql in self.view_sql():
                    con.execute(sql)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            os.replace(tmp, self.duckdb_path)
        finally:
            for p in (tmp, Path(str(tmp) + ".wal")):
                p.unlink(missing_ok=True)
        return self.duckdb_path

    def _views_current(self) -> bool:
        import duckdb

        try:
            con = duckdb.connect(str(self.duckdb_path), read_only=True)
        except duckdb.Error:
            return True  # someone holds it read-write (a person's shell): leave it alone
        try:
            rows = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()
        finally:
            con.close()
        have = {name: sql for name, sql in rows}
        return all(t in have and str(self.table_dir(t)) in have[t] and (t not in COMPACTABLE or SRC in have[t])
                   for t in TABLES)

    def connect(self):
        """A read-only DuckDB connection with the views (for readers, tests, roll-ups).

        Uses an in-memory database with the same views when the file cannot be opened
        read-only (e.g. a person holds it read-write), so readers never fail on a lock."""
        import duckdb

        try:
            return duckdb.connect(str(self.ensure_views()), read_only=True)
        except duckdb.Error:
            con = duckdb.connect()
            for sql in self.view_sql():
                con.execute(sql)
            return con

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of ``sql``; asked again once if a file it listed was removed before it was read
        (a compaction finishing its step 3 meanwhile)."""
        import duckdb

        for attempt in (1, 2):
            con = self.connect()
            try:
                cur = con.execute(sql, params or [])
                names = [d[0] for d in cur.description]
                return [dict(zip(names, row)) for row in cur.fetchall()]
            except duckdb.IOException:
                if attempt == 2:
                    raise
            finally:
                con.close()

    # --- compaction (compaction.py) ---------------------------------------------------------
    def compact(self, tables=COMPACTABLE, min_files: int = 2, max_mb: float = 64.0,
                grace_sec: float = GRACE_SEC) -> list[Compacted]:
        """Merges each append-only table's small files into one (safe while others append and read);
        the merged files are removed by a compaction ``grace_sec`` later (0: at once, for when no
        one reads)."""
        out = []
        for table in tables:
            if table not in COMPACTABLE:
                raise KeyError(f"{table!r} is not append-only; compactable: {', '.join(COMPACTABLE)}")
            d = self.table_dir(table)
            if d.is_dir():
                self.ensure_empty(table)
                out.append(compact_table(d, TABLES[table], EMPTY_FILE, min_files, max_mb, grace_sec))
        return out
