"""Moving a single-box install to the cluster profile without rescoring (docs/operations.md,
"Scaling out"): the data root scored on one box under SQLite is taken over by a fresh Dagster
instance in a real Postgres with no run history and a fresh sensor cursor. The sensor re-announces
the registry's log; no trainee is embedded again, no pair is scored again, and only each gold's
video run is asked for once more (its steps are kept)."""
import dagster as dg

from dagster_support import execute, tick, write_steps, write_video
from sopilot_assets.intake_job import INTAKE_JOB
from sopilot_resources.storage import ResultsStore
from test_dagster_sensor import drop, setup


def _run_until_quiet(defs, inst, res, cursor=None, ticks: int = 8) -> tuple[str, list]:
    """Ticks, executing every run asked for, until a tick asks for none; (cursor, every request)."""
    asked = []
    for _ in range(ticks):
        r = tick(defs, inst, cursor, res)
        cursor = r.cursor
        runs = [rr for rr in r.run_requests or [] if rr.job_name != INTAKE_JOB]
        if not runs:
            return cursor, asked
        asked += runs
        assert all(x.success for x in execute(defs, inst, runs))
    raise AssertionError(f"the sensor still asks for runs after {ticks} ticks: {asked[-3:]}")


def _scores(root) -> dict:
    rows = ResultsStore(root / "results", root / "sopilot.duckdb").query(
        "SELECT pair_key, score, scored_at FROM scores ORDER BY pair_key")
    return {r["pair_key"]: (r["score"], str(r["scored_at"])) for r in rows}


def test_a_scored_data_root_moves_to_a_fresh_postgres_instance_without_rescoring(tmp_path, postgres):
    d = tmp_path / "clips"
    gold = write_video(d / "gold.avi", seed=1, step_sec=1.5)
    write_steps(gold, step_sec=1.5)
    trainees = [write_video(d / f"t{i}.avi", seed=2 + i, step_sec=1.5) for i in range(2)]
    root = tmp_path / "data"
    res, defs = setup(root)
    drop(root, gold, "task", "gold")
    drop(root, d / "gold.steps.json", "task", "gold")
    for t in trainees:
        drop(root, t, "task", "trainee")
    with dg.instance_for_test() as box:  # the single box: SQLite under its own DAGSTER_HOME
        _, asked = _run_until_quiet(defs, box, res)
        assert {rr.job_name for rr in asked} >= {"sopilot_pair_job"}
    before = _scores(root)
    assert len(before) == 2

    url = postgres.create_db("t_move_to_cluster")
    with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": url}}}) as cluster:
        assert not cluster.get_runs()  # no run history came along
        _, asked = _run_until_quiet(defs, cluster, res)
        assert not [rr for rr in asked if rr.job_name == "sopilot_pair_job"], "a pair was scored again"
        video_runs = [rr for rr in asked if rr.job_name == "sopilot_video_job"]
        assert [rr.partition_key.split("/")[1] for rr in video_runs] == ["gold"], video_runs
        assert set(cluster.get_dynamic_partitions("pairs")) == set(before)
    assert _scores(root) == before  # the same rows, not rewritten
