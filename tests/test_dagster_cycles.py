"""A shift recording (the task done several times in one video) through the Dagster graph: the
pair is scored cycle by cycle, its page shows the cycles (table, cycle-time chart, HTML report
with one section per defective cycle), DuckDB has one row per cycle, task_summary counts cycles."""
import pytest

import dagster as dg
from dagster_support import resources, tick, write_steps, write_video

from sopilot_assets.assets.rollups import task_summary
from sopilot_assets.assets.scores import build_score_assets
from sopilot_assets.assets.steps import build_steps_asset
from sopilot_assets.assets.videos import build_video_assets
from sopilot_assets.definitions import build_definitions, versions_from_settings
from sopilot_resources.settings import Settings
from sopilot_resources.storage import Registry, ResultsStore

S = Settings()
#: a recording started mid-cycle (steps 3-4), three whole cycles, stopped mid-cycle (steps 1-2)
SHIFT = (2, 3) + (0, 1, 2, 3) * 3 + (0, 1)


@pytest.fixture(scope="module")
def shift(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    inbox = root / "inbox"
    write_steps(write_video(inbox / "line/gold/gold.avi", seed=1))
    write_video(inbox / "line/trainee/shift.avi", order=SHIFT, seed=7)
    write_video(inbox / "line/trainee/once.avi", seed=2)
    res = resources(root)
    v = versions_from_settings(S)
    defs = build_definitions(S, resources=res, versions=v)
    with dg.instance_for_test() as inst:
        tick(defs, inst, None, res)
        reg = Registry(root / "registry")
        key = {r.file_name: r.key for r in reg.videos()}
        assets = [build_video_assets(v, S), build_steps_asset(v)]
        for name in key:
            sel = None if name == "gold.avi" else ["video", "clip_embeddings"]
            assert dg.materialize(assets, partition_key=key[name], instance=inst, resources=res, selection=sel).success
        pairs = {next(n for n, k in key.items() if k == p.trainee_key): p.key for p in reg.pairs()}
        score = build_score_assets(v, S)
        out = {n: dg.materialize([score], partition_key=k, instance=inst, resources=res, raise_on_error=False)
               for n, k in pairs.items()}
        summary = dg.materialize([task_summary], instance=inst, resources=res)
        yield {"root": root, "scored": out, "summary": summary, "pairs": pairs,
               "rs": ResultsStore(root / "results", root / "sopilot.duckdb")}


def score_meta(res):
    return next(m.metadata for m in res.asset_materializations_for_node("score_pair")
                if m.asset_key.path[-1] == "pair_score")


def test_the_recording_is_scored_cycle_by_cycle_with_its_checks(shift):
    res = shift["scored"]["shift.avi"]
    assert res.success
    assert {e.check_name: e.passed for e in res.get_asset_check_evaluations()} == {
        "alignment_path_valid": True, "score_explained": True}
    md = score_meta(res)
    assert md["cycles_found"].value == 5 and md["cycles_complete"].value == 3
    table = md["cycles"].value
    assert [c.name for c in table.schema.columns][:3] == ["cycle #", "trainee time", "cycle time (s)"]
    rows = [r.data for r in table.records]
    assert [r["cycle #"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["verdict"].startswith("partial") and rows[-1]["verdict"].startswith("partial")
    assert all(10.0 <= r["cycle time (s)"] <= 13.0 for r in rows[1:4])
    assert md["cycle_times"].value.startswith("![cycle times") and "data:image/png;base64," in md["cycle_times"].value
    assert "shift recording: 5 cycles (3 complete, 2 partial)" in md["summary"].value
    html = open(md["report_html"].value).read()
    assert "<h2>Cycles</h2>" in html and html.count("<tr") >= 6 and "http" not in html


def test_one_row_per_cycle_in_duckdb_and_the_score_row_counts_them(shift):
    rs, key = shift["rs"], shift["pairs"]["shift.avi"]
    rows = rs.query("SELECT cycle, start_sec, end_sec, cycle_sec, gap_before_sec, partial, score, verdict "
                    "FROM cycles WHERE pair_key = ? ORDER BY cycle", [key])
    assert [r["cycle"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["partial"] for r in rows] == [True, False, False, False, True]
    assert rows[0]["score"] is None and all(r["score"] is not None for r in rows[1:4])
    assert rows[0]["gap_before_sec"] is None and all(r["gap_before_sec"] >= 0 for r in rows[1:])
    assert all(r["cycle_sec"] == pytest.approx(r["end_sec"] - r["start_sec"], abs=0.01) for r in rows)
    sc = rs.query("SELECT trainee_file, n_cycles, n_cycles_passed FROM scores ORDER BY trainee_file")
    assert [(r["trainee_file"], r["n_cycles"]) for r in sc] == [("once.avi", 1), ("shift.avi", 3)]
    assert sc[1]["n_cycles_passed"] == sum(r["verdict"] == "pass" for r in rows)
    once = rs.query("SELECT count(*) AS n FROM cycles WHERE trainee_file = 'once.avi'")[0]["n"]
    assert once == 0  # one performance: no cycle rows, as before


def test_task_summary_counts_cycles_as_well_as_videos(shift):
    row = shift["rs"].query("SELECT n_scored, n_cycles, n_cycles_passed FROM task_summary")[0]
    passed = shift["rs"].query("SELECT sum(n_cycles_passed) AS n FROM scores")[0]["n"]
    assert row["n_scored"] == 2 and row["n_cycles"] == 4 and row["n_cycles_passed"] == passed
    md = shift["summary"].asset_materializations_for_node("task_summary")[0].metadata["summary"].value
    assert "cycles (passed)" in md and f"| 4 ({passed}) |" in md


def test_a_video_of_one_performance_shows_no_cycles(shift):
    md = score_meta(shift["scored"]["once.avi"])
    assert "cycles" not in md and "cycle_times" not in md and "shift recording" not in md["summary"].value


def test_a_data_root_from_before_cycles_gets_the_new_columns(tmp_path):
    """Score files written before shift scoring lack n_cycles / recording (and before the
    verdict's reason, verdict_reason): the zero-row schema file is rewritten, so the views know
    every column and task_summary counts old rows as 1."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sopilot_assets.assets.rollups import SUMMARY_SQL
    from sopilot_resources.storage.results_store import EMPTY_FILE, TABLES

    rs = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb")
    old = pa.schema([f for f in TABLES["scores"]
                     if f.name not in ("n_cycles", "n_cycles_passed", "recording", "verdict_reason")])
    d = rs.table_dir("scores")
    d.mkdir(parents=True)
    pq.write_table(old.empty_table(), d / EMPTY_FILE)
    row = {n: None for n in old.names} | {"task": "t", "score": 91.0, "verdict": "pass", "pair_key": "p"}
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([row], schema=old), buf)
    (d / "p.parquet").write_bytes(buf.getvalue())
    got = rs.query(SUMMARY_SQL)[0]
    assert (got["n_scored"], got["n_cycles"], got["n_cycles_passed"]) == (1, 1, 1)
    assert rs.query("SELECT verdict_reason FROM scores") == [{"verdict_reason": None}]  # a row from before it
    assert pq.read_schema(d / EMPTY_FILE).names == TABLES["scores"].names
