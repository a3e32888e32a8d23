"""Idle-time compaction of the append-only results tables: many small Parquet files (one per
sensor tick, intake run, review, profile event) merged into one.

Every row of a compacted file carries ``_src``, the name of the small file it was first written
to. The views read each table once (one directory listing) and keep, for each ``_src`` (a small
file's own name for its rows), the rows of one file only (``results_store.view_sql``). So a
reader never sees a row twice or misses one, whatever moment it lists the folder:

1. the merged rows are written under a temporary name (``.*.tmp``, outside the views' glob);
2. renamed into place as ``compacted-<time>-<random>.parquet``: from now on a listing holds the
   rows twice (small files and merged file), and the views keep one copy;
3. the merged files' names are written to ``.merged-<time>-<random>.json`` beside them, and a
   later compaction removes them once that list is ``GRACE_SEC`` old: a query that listed the
   folder before the merged file appeared has long finished reading them. (Removing them at
   once lost rows: DuckDB can skip a file that vanishes mid-query without an error, and a
   reader racing a compaction then counted 0 rows, tests/test_results_compaction.py.)

Killed at any point, nothing is lost: before 2 the small files are all there (a temporary file
left behind is never read); after 2 every row is in the merged file and the leftovers are
duplicates the views drop: files not yet listed in a ``.merged-*`` file are merged again by the
next compaction (dropping the copies), listed ones are removed when their list expires.
A file appended while a compaction runs is not in its list: neither merged nor removed. Two
compactions at once (two hosts) make two merged files with the same rows: the views still
keep one copy, and the next compaction folds them into one.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import time
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
#: a merged file is removed this long after the merged file holding its rows is in place
GRACE_SEC = 600.0
MERGED = ".merged-"
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


def merged_lists(table_dir: Path) -> list[Path]:
    return sorted(table_dir.glob(MERGED + "*.json"))


def expire(table_dir: Path, grace_sec: float) -> int:
    """Removes the files of every ``.merged-*`` list at least ``grace_sec`` old, then the list
    (step 3); returns how many files went."""
    gone, now = 0, time.time()
    for lst in merged_lists(table_dir):
        try:
            if now - lst.stat().st_mtime < grace_sec:
                continue
            names = json.loads(lst.read_text())
        except (FileNotFoundError, ValueError):  # removed by another compaction, or half-written
            continue
        for name in names:
            p = table_dir / name
            if p.exists():
                p.unlink(missing_ok=True)
                gone += 1
        lst.unlink(missing_ok=True)
    return gone


def compact_table(table_dir: Path, schema: pa.Schema, empty_name: str, min_files: int = 2,
                  max_mb: float = 64.0, grace_sec: float = GRACE_SEC) -> Compacted:
    """Merges the small files of one append-only table (steps 1-3 above); files already merged
    and waiting for their removal are not merged again."""
    import duckdb

    expire(table_dir, grace_sec)
    waiting = set()
    for lst in merged_lists(table_dir):
        with contextlib.suppress(FileNotFoundError, ValueError):
            waiting.update(json.loads(lst.read_text()))
    files = [p for p in small_files(table_dir, empty_name, max_mb) if p.name not in waiting]
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
    tag = f"{stamp}-{uuid.uuid4().hex[:8]}"
    into = atomic_write_bytes(table_dir / f"{PREFIX}{tag}.parquet", buf.getvalue())
    atomic_write_bytes(table_dir / f"{MERGED}{tag}.json", json.dumps([p.name for p in files]).encode())
    if grace_sec <= 0:
        expire(table_dir, 0.0)
    return Compacted(table_dir.name, len(files), out.num_rows, into)
