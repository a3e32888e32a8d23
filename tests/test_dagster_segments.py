"""A shift recording dropped as segment files (a camera rolling a new file every few minutes
into inbox/<task>/trainee/<recording>/), run by the sensor as the daemon would: each segment
is its own video and pair, a segment's pair runs only once the segment before it is scored,
and every cycle - those crossing a file boundary too - is scored exactly once."""
import dagster as dg
from dagster_support import execute, tick, write_steps, write_video
from test_dagster_sensor import setup

from sopilot_resources.storage import Registry, ResultsStore

#: the shift of test_dagster_cycles (a partial cycle, three whole ones, a partial) cut into
#: three files: the first and the second cut cycles 1 and 3 in the middle
SEGMENTS = {"seg_9.avi": (2, 3, 0, 1), "seg_10.avi": (2, 3, 0, 1, 2, 3, 0), "seg_11.avi": (1, 2, 3, 0, 1)}


def test_segment_files_are_scored_in_order_and_each_cycle_once(tmp_path):
    res, defs = setup(tmp_path, stable_seconds=0)
    inbox = tmp_path / "inbox" / "line"
    write_steps(write_video(inbox / "gold" / "gold.avi", seed=1))
    for k, (name, order) in enumerate(SEGMENTS.items()):
        write_video(inbox / "trainee" / "station-3" / name, order=order, seed=10 + k)
    registry, rs = Registry(tmp_path / "registry"), ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb")
    with dg.instance_for_test() as inst:
        cursor, pair_runs = None, []
        for _ in range(10):
            r = tick(defs, inst, cursor, res)
            cursor = r.cursor
            pair_runs += [[registry.video(registry.pair(k).trainee_sha256).file_name for k in _keys(rr)]
                          for rr in r.run_requests if rr.job_name == "sopilot_pair_job"]
            assert all(out.success for out in execute(defs, inst, r.run_requests))
            if len(rs.query("SELECT * FROM scores")) == 3:
                break
        # natural order (seg_9 before seg_10), one segment per run, each after the one before
        assert pair_runs == [["station-3/seg_9.avi"], ["station-3/seg_10.avi"], ["station-3/seg_11.avi"]]
        task = registry.task("line")
        assert [s["file_name"] for s in task.recordings["station-3"]] == [
            "station-3/seg_9.avi", "station-3/seg_10.avi", "station-3/seg_11.avi"]
        assert all(v.recording == "station-3" for v in registry.videos() if v.role == "trainee")
    cycles = rs.query("SELECT trainee_file, cycle, start_sec, end_sec, partial, recording FROM cycles "
                      "ORDER BY cycle")
    whole = [c for c in cycles if not c["partial"]]
    assert [c["cycle"] for c in cycles] == list(range(len(cycles)))  # numbered on across the files
    assert len(whole) == 3 and all(c["recording"] == "station-3" for c in cycles)
    # the whole cycles in recording seconds: 6-18, 18-30, 30-42 (4 steps of 3 s, back to back)
    for c, (a, b) in zip(whole, [(6, 18), (18, 30), (30, 42)]):
        assert abs(c["start_sec"] - a) <= 1.5 and abs(c["end_sec"] - b) <= 1.5, c
    # the cycles cut by a file boundary are scored by the segment where they end
    assert [c["trainee_file"] for c in whole] == ["station-3/seg_10.avi"] * 2 + ["station-3/seg_11.avi"]
    scores = {r["trainee_file"]: r for r in rs.query("SELECT trainee_file, n_cycles, recording FROM scores")}
    assert [c["trainee_file"] for c in cycles if c["partial"]] == ["station-3/seg_9.avi"]  # the recording's start
    assert sum(r["n_cycles"] for r in scores.values()) == 3
    assert scores["station-3/seg_9.avi"]["n_cycles"] == 0 and scores["station-3/seg_9.avi"]["recording"] == "station-3"


def _keys(rr):
    if rr.partition_key:
        return [rr.partition_key]
    raise AssertionError(f"segments run one pair at a time, not as a range: {rr.tags}")
