"""Idle-time compaction of the append-only results tables: many small Parquet files (one per
sensor tick, intake run, review, profile event) merged into one.

Every row of a compacted file carries ``_src``, the name of the small file it was first written
to. The views read each table once (one directory listing) and keep, for each ``_src`` (a small
file's own name for its rows), the rows of one file only (``results_store.view_sql``). So a
reader never sees a row twice or misses one, whatever moment it lists the folder:

1. the merged rows are written under a temporary name (``.*.tmp``, outside the views' glob);
2. renamed into place as ``compacted-<time>-<random>.parquet``: from now on a listing holds the
   rows twice (small files and merged file), and the views keep one copy;
3. the merged small files are removed, one by one.

Killed at any point, nothing is lost: before 2 the small files are all there (a temporary file
left behind is never read); after 2 every row is in the merged file and the leftovers are
duplicates the views drop, and the next compaction merges them away (dropping the copies).
A file appended while a compaction runs is not in its list: neither merged nor removed. Two
compactions at once (two hosts) make two merged files with the same rows: the views still
keep one copy, and the next compaction folds them into one.
"""
from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .fsutil import atomic_write_bytes

#: tables only ever appended to (``ResultsStore.append``), which compaction may merge
COMPACTABLE = ("ingest_events", "reviews", "profile_events")
SRC = "_src"
PREFIX = "compacted-"
#: the file name of a row's file, as DuckDB reports it with ``filename = true``
BASENAME = "regexp_extract(filename, '[^/\\\\]*$')"


def dedupe_sql(source: str, columns: list[str] | None = None) -> str:
    """Rows of ``source`` (a ``read_parquet(..., filename = true)``) with each small file's rows
    once: per origin (``_src``, or the file's own name), those of the first file holding it."""
    cols = "* EXCLUDE (filename, _src)" if columns is None else ", ".join(f'"{c}"' for c in columns) + \
        f", coalesce({SRC}, {BASENAME}) AS {SRC}"
    return (f"SELECT {cols} FROM {source} QUALIFY filename = "
            f"min(filename) OVER (PARTITION BY coalesce({SRC}, {BASENAME}))")


@dataclass
class Compacted:
    table: str
    merged: int  # files merged (0: nothing to do)
    rows: int
    into: Path | None = None


def small_files(table_dir: Path, empty_name: str, max_mb: float) -> list[Path]:
    """Files of a table to merge: every file but the zero-row one, under ``max_mb`` each."""
    out = []
    for p in sorted(table_dir.glob("*.parquet")):
        try:
            if p.name != empty_name and p.stat().st_size <= max_mb * 1e6:
                out.append(p)
        except FileNotFoundError:  # removed meanwhile (another compaction)
            continue
    return out


def compact_table(table_dir: Path, schema: pa.Schema, empty_name: str, min_files: int = 2,
                  max_mb: float = 64.0) -> Compacted:
    """Merges the small files of one append-only table (steps 1-3 above)."""
    import duckdb

    files = small_files(table_dir, empty_name, max_mb)
    if len(files) < min_files:
        return Compacted(table_dir.name, 0, 0)
    listing = ", ".join("'" + p.as_posix().replace("'", "''") + "'" for p in files)
    con = duckdb.connect()
    try:
        src = f"read_parquet([{listing}], union_by_name = true, filename = true)"
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        if SRC not in have:  # no compacted file among them yet
            src = f"(SELECT *, NULL::VARCHAR AS {SRC} FROM {src})"
        cols = [c for c in schema.names if c in have]
        tbl = con.sql(dedupe_sql(src, cols)).to_arrow_table()
    finally:
        con.close()
    out = pa.table({n: (tbl[n] if n in tbl.column_names else pa.nulls(tbl.num_rows)).cast(t)
                    for n, t in zip(schema.names, schema.types)} | {SRC: tbl[SRC].cast(pa.string())})
    buf = io.BytesIO()
    pq.write_table(out, buf)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    into = atomic_write_bytes(table_dir / f"{PREFIX}{stamp}-{uuid.uuid4().hex[:8]}.parquet", buf.getvalue())
    for p in files:
        p.unlink(missing_ok=True)
    return Compacted(table_dir.name, len(files), out.num_rows, into)
