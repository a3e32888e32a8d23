"""`sopilot results`: every scored trainee, read from the results DuckDB; `sopilot results
compact`: merge the small files of the append-only tables (storage/compaction.py).

Reads `<data root>/sopilot.duckdb` read-only (its views over `results/<table>/*.parquet`), so it
works while `sopilot serve` is running and writing: the pipeline never holds that file open.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sopilot_resources.errors import SopilotError

FORMATS = ("table", "csv", "json")
COLUMNS = ("task", "trainee", "gold", "score", "verdict", "deviations", "scored_at")

# trainee: the file name, or the name without its extension
SQL = """
SELECT task, trainee_file AS trainee, gold_file AS gold, score, verdict,
       n_deviations AS deviations, scored_at
FROM scores
WHERE ($task IS NULL OR task = $task)
  AND ($trainee IS NULL OR trainee_file = $trainee OR regexp_replace(trainee_file, '\\.[^.]*$', '') = $trainee)
ORDER BY task, trainee_file, gold_file
"""


def results_frame(data_root: str | os.PathLike, task: str | None = None, trainee: str | None = None):
    """The scored trainees as a pandas DataFrame (columns ``COLUMNS``; ``scored_at`` in UTC)."""
    from sopilot_resources.storage import ResultsStore, VideoStore

    root = VideoStore.at(data_root)
    if not root.duckdb_path.is_file():
        raise SopilotError(f"no results at {root.duckdb_path}: `sopilot serve` creates it "
                           "(use --data-dir or SOPILOT_DATA_DIR for another data root)")
    con = ResultsStore(root.results, root.duckdb_path).connect()  # read-only
    try:
        return con.execute(SQL, {"task": task, "trainee": trainee}).df()
    finally:
        con.close()


def render(df, fmt: str) -> str:
    """``df`` as an aligned table, CSV or a JSON array (one object per scored trainee)."""
    import pandas as pd

    out = df.copy()
    out["scored_at"] = out["scored_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["score"] = out["score"].round(1)
    if fmt == "csv":
        return out.to_csv(index=False)
    if fmt == "json":
        return json.dumps(out.to_dict(orient="records"), indent=2) + "\n"
    cells = {c: [c, *out[c].map(str)] for c in out.columns}  # header first
    width = {c: max(map(len, v)) for c, v in cells.items()}
    numeric = {c for c in out.columns if pd.api.types.is_numeric_dtype(out[c])}
    rows = zip(*(([v.rjust(width[c]) if c in numeric else v.ljust(width[c]) for v in cells[c]])
                 for c in out.columns))
    return "".join("  ".join(row).rstrip() + "\n" for row in rows)


def run_results(data_root: Path, task: str | None, trainee: str | None, fmt: str) -> int:
    df = results_frame(data_root, task=task, trainee=trainee)
    if df.empty and fmt == "table":
        which = " ".join(f"{k} {v!r}" for k, v in (("task", task), ("trainee", trainee)) if v)
        print(f"no scored trainees{' for ' + which if which else ''} in {data_root}", file=sys.stderr)
        return 0
    sys.stdout.write(render(df, fmt))
    return 0


def run_compact(data_root: Path) -> int:
    """`sopilot results compact`: merges the append-only tables' small files (safe while serve runs)."""
    from sopilot_resources.storage import ResultsStore
    from sopilot_resources.storage.compaction import GRACE_SEC

    root = Path(data_root)
    if not (root / "results").is_dir():
        raise SopilotError(f"no results under {root} (is it the data root? --data-dir or SOPILOT_DATA_DIR)")
    done = ResultsStore(root / "results", root / "sopilot.duckdb").compact()
    for c in done:
        print(f"{c.table}: " + (f"{c.merged} files merged into {c.into.name} ({c.rows} rows)" if c.merged
                                else "nothing to merge"))
    if any(c.merged for c in done):
        print(f"the merged files stay (hidden by the views) and are removed by a compaction at least "
              f"{GRACE_SEC / 60:.0f} min from now, so that no query running now loses them")
    return 0
