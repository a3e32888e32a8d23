"""`sopilot results`: the scored trainees from a real results store, in three formats, read-only."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import duckdb
import pytest

from sopilot_assets.cli import main
from sopilot_resources.storage import ResultsStore, VideoStore

T0 = dt.datetime(2026, 11, 22, 9, 30, 5, tzinfo=dt.timezone.utc)
ROWS = [  # (task, trainee, gold, score, verdict, deviations)
    ("t01_valve", "t01_missing_x.mkv", "t01_gold.mp4", 63.94, "retrain", 1),
    ("t01_valve", "t01_correct_fast.mp4", "t01_gold.mp4", 100.0, "pass", 0),
    ("t02_pump", "t02_swap_a_b.mov", "t02_gold.mp4", 71.25, "needs_review", 2),
]


def _store(root) -> ResultsStore:
    vs = VideoStore.at(root)
    return ResultsStore(vs.results, vs.duckdb_path)


def _score(store: ResultsStore, task, trainee, gold, score, verdict, n, minutes=0):
    key = f"{task}/{trainee}__vs__{gold}"
    store.write("scores", key, [{"pair_key": key, "task": task, "trainee_file": trainee, "gold_file": gold,
                                 "score": score, "verdict": verdict, "n_deviations": n,
                                 "scored_at": T0 + dt.timedelta(minutes=minutes)}])


@pytest.fixture
def data_root(tmp_path):
    store = _store(tmp_path)
    for i, row in enumerate(ROWS):
        _score(store, *row, minutes=i)
    store.ensure_views()
    return tmp_path


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(["results", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_every_scored_trainee_sorted(data_root, capsys):
    code, out, err = _run(capsys, "--data-dir", str(data_root))
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["task", "trainee", "gold", "score", "verdict", "deviations", "scored_at"]
    assert [ln.split()[:6] for ln in lines[1:]] == [
        ["t01_valve", "t01_correct_fast.mp4", "t01_gold.mp4", "100.0", "pass", "0"],
        ["t01_valve", "t01_missing_x.mkv", "t01_gold.mp4", "63.9", "retrain", "1"],
        ["t02_pump", "t02_swap_a_b.mov", "t02_gold.mp4", "71.2", "needs_review", "2"]]
    assert lines[2].split()[6] == "2026-11-22T09:30:05Z"


def test_csv_and_json_with_filters(data_root, capsys):
    code, out, _ = _run(capsys, "--data-dir", str(data_root), "--format", "csv", "--task", "t01_valve")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["trainee"] for r in rows] == ["t01_correct_fast.mp4", "t01_missing_x.mkv"]
    assert rows[1] == {"task": "t01_valve", "trainee": "t01_missing_x.mkv", "gold": "t01_gold.mp4", "score": "63.9",
                       "verdict": "retrain", "deviations": "1", "scored_at": "2026-11-22T09:30:05Z"}
    for name in ("t02_swap_a_b.mov", "t02_swap_a_b"):  # with or without the extension
        code, out, _ = _run(capsys, "--data-dir", str(data_root), "--format", "json", "--trainee", name)
        assert code == 0 and json.loads(out) == [{
            "task": "t02_pump", "trainee": "t02_swap_a_b.mov", "gold": "t02_gold.mp4", "score": 71.2,
            "verdict": "needs_review", "deviations": 2, "scored_at": "2026-11-22T09:32:05Z"}]


def test_no_match_and_no_store(data_root, tmp_path, capsys):
    code, out, err = _run(capsys, "--data-dir", str(data_root), "--task", "nope")
    assert code == 0 and out == "" and err == f"no scored trainees for task 'nope' in {data_root}\n"
    code, out, _ = _run(capsys, "--data-dir", str(data_root), "--task", "nope", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, err = _run(capsys, "--data-dir", str(tmp_path / "elsewhere"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "no results at" in err
    assert not (tmp_path / "elsewhere").exists()  # a typo creates nothing


def test_data_root_from_environment(data_root, capsys, monkeypatch):
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(data_root))
    code, out, _ = _run(capsys, "--format", "csv")
    assert code == 0 and len(out.splitlines()) == 1 + len(ROWS)


def test_reads_while_the_pipeline_writes_and_someone_holds_the_file(data_root, capsys):
    """New score files show up at once; a person's read-write DuckDB shell does not block it."""
    _score(_store(data_root), "t02_pump", "t02_late.mp4", "t02_gold.mp4", 90.0, "pass", 0, minutes=9)
    holder = duckdb.connect(str(data_root / "sopilot.duckdb"))  # read-write, like `duckdb data/sopilot.duckdb`
    try:
        code, out, _ = _run(capsys, "--data-dir", str(data_root), "--format", "json")
    finally:
        holder.close()
    assert code == 0 and "t02_late.mp4" in [r["trainee"] for r in json.loads(out)]


def test_pandas_is_installed_for_notebooks(data_root):
    """docs/operations.md: `duckdb.connect(path, read_only=True).sql("from scores").df()`."""
    con = duckdb.connect(str(data_root / "sopilot.duckdb"), read_only=True)
    try:
        df = con.sql("from scores").df()
    finally:
        con.close()
    assert sorted(df["trainee_file"]) == sorted(r[1] for r in ROWS)
