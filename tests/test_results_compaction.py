"""Compaction of the append-only results tables (storage/compaction.py): the same rows before and
after, none lost or doubled when the process dies between its steps, and appends made while it
runs (another process) are kept; readers never see a row twice."""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import subprocess
import sys
from pathlib import Path

import pytest

from sopilot_resources.storage import ResultsStore, compaction

Q = "SELECT * FROM ingest_events ORDER BY message"


def _store(root: Path) -> ResultsStore:
    return ResultsStore(root / "results", root / "sopilot.duckdb")


def _rows(n: int, tag: str) -> list[dict]:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return [{"event_at": at, "action": "ingested", "task": "t", "message": f"{tag}-{k:04d}"} for k in range(n)]


def _parquets(rs: ResultsStore, table: str = "ingest_events") -> list[str]:
    return sorted(p.name for p in rs.table_dir(table).glob("*.parquet"))


def test_compaction_keeps_every_row_once_and_leaves_one_file(tmp_path):
    rs = _store(tmp_path)
    for k in range(12):
        rs.append("ingest_events", _rows(3, f"a{k:02d}"), prefix=f"2026010{k % 9}T000000")
    rs.append("reviews", [{"review_id": "r1", "task": "t", "verdict": "pass"}], prefix="t-x")
    rs.append("reviews", [{"review_id": "r2", "task": "t", "verdict": "fail"}], prefix="t-y")
    before, reviews = rs.query(Q), rs.query("SELECT * FROM reviews ORDER BY review_id")
    assert len(before) == 36 and "_src" not in before[0] and "filename" not in before[0]
    done = {c.table: c for c in rs.compact(grace_sec=0)}  # no reader: merged files removed at once
    assert done["ingest_events"].merged == 12 and done["ingest_events"].rows == 36
    assert done["reviews"].merged == 2 and done["profile_events"].merged == 0
    assert rs.query(Q) == before and rs.query("SELECT * FROM reviews ORDER BY review_id") == reviews
    [merged] = [n for n in _parquets(rs) if n.startswith("compacted-")]
    assert _parquets(rs) == sorted(["_schema.parquet", merged])
    # more appends, compacted again with the first merged file: still every row once
    rs.append("ingest_events", _rows(2, "b"), prefix="20260102T000000")
    rs.compact(grace_sec=0)
    assert len(rs.query(Q)) == 38 and len([n for n in _parquets(rs) if n.startswith("compacted-")]) == 1
    with pytest.raises(KeyError):
        rs.compact(["scores"])  # a partition table is rewritten by reruns: never merged


def test_killed_at_any_step_loses_nothing_and_shows_nothing_twice(tmp_path, monkeypatch):
    rs = _store(tmp_path)
    for k in range(6):
        rs.append("ingest_events", _rows(4, f"c{k}"), prefix="20260103T000000")
    before, files = rs.query(Q), _parquets(rs)

    def die(*a, **kw):
        raise KeyboardInterrupt("killed")

    # killed while writing the merged file (step 1): nothing changed
    monkeypatch.setattr(compaction, "atomic_write_bytes", die)
    with pytest.raises(KeyboardInterrupt):
        rs.compact(["ingest_events"])
    monkeypatch.undo()
    assert _parquets(rs) == files and rs.query(Q) == before

    # killed after the merged file is in place, with two small files removed (step 3, at once here)
    removed = []
    real_unlink = Path.unlink

    def unlink_two(self, missing_ok=False):
        if len(removed) == 2:
            raise KeyboardInterrupt("killed")
        removed.append(self.name)
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink_two)
    with pytest.raises(KeyboardInterrupt):
        rs.compact(["ingest_events"], grace_sec=0)
    monkeypatch.undo()
    left = _parquets(rs)
    assert len(left) == len(files) - 2 + 1  # the merged file beside 4 leftovers (their rows are in it too)
    assert rs.query(Q) == before  # the views keep one copy of each
    # the next compaction folds the leftovers away, without doubling their rows
    rs.compact(["ingest_events"], grace_sec=0)
    assert rs.query(Q) == before and len(_parquets(rs)) == 2


def _append_many(root: str, n: int, tag: str) -> None:
    rs = _store(Path(root))
    for k in range(n):
        rs.append("ingest_events", _rows(2, f"{tag}{k:03d}"), prefix="20260104T000000")


def test_appends_and_reads_during_compactions_are_neither_lost_nor_doubled(tmp_path):
    rs = _store(tmp_path)
    rs.append("ingest_events", _rows(5, "seed"), prefix="20260104T000000")
    ctx = mp.get_context("spawn")
    writers = [ctx.Process(target=_append_many, args=(str(tmp_path), 60, f"w{i}-")) for i in range(2)]
    for w in writers:
        w.start()
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys; sys.path.insert(0, 'tests'); from test_results_compaction import _reads; "
        f"_reads({str(tmp_path)!r})")], cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE, text=True)
    rounds = 0
    while any(w.is_alive() for w in writers) or rounds < 3:
        rs.compact(["ingest_events"])  # merged files stay GRACE_SEC: a racing reader still reads them
        rounds += 1
    for w in writers:
        w.join(60)
        assert w.exitcode == 0
    (tmp_path / "stop").touch()
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0, out
    rows = rs.query("SELECT message FROM ingest_events")
    assert len(rows) == 5 + 2 * 60 * 2 == len({r["message"] for r in rows})
    seen = [int(x) for x in out.split()]
    assert seen and all(a <= b for a, b in zip(seen, seen[1:]))  # never a row twice, never one gone again
    rs.compact(["ingest_events"], grace_sec=0)
    assert len(rs.query("SELECT message FROM ingest_events")) == 245 and len(_parquets(rs)) == 2


def _reads(root: str) -> None:
    """Run in a reader process: counts rows (and checks none is doubled) until told to stop."""
    rs = _store(Path(root))
    stop = Path(root) / "stop"
    while not stop.exists():
        [r] = rs.query("SELECT count(*) AS n, count(DISTINCT message) AS d FROM ingest_events")
        assert r["n"] == r["d"], r
        print(r["n"], flush=True)


def test_the_idle_schedule_starts_the_compaction_job_which_merges_the_files(tmp_path):
    import dagster as dg

    from sopilot_assets.compaction_job import results_compaction_job
    from sopilot_assets.schedules import compaction_schedule
    from sopilot_resources.dagster_resources.storage import ResultsStoreResource
    from sopilot_resources.settings import Settings
    from test_idle_schedules import SimulatedLoad

    s = Settings.from_env({"SOPILOT_DATA_DIR": str(tmp_path), "SOPILOT_COMPACT_CRON": "*/30 * * * *"})
    sched = compaction_schedule(s)
    assert sched.cron_schedule == "*/30 * * * *" and sched.default_status == dg.DefaultScheduleStatus.RUNNING
    assert compaction_schedule(Settings.from_env({"SOPILOT_DATA_DIR": str(tmp_path), "SOPILOT_COMPACT_SCHEDULE": "off"})
                               ).default_status == dg.DefaultScheduleStatus.STOPPED
    rs = _store(tmp_path)
    for k in range(5):
        rs.append("ingest_events", _rows(2, f"s{k}"), prefix="20260105T000000")
    before = rs.query(Q)
    with dg.instance_for_test() as inst:
        busy = sched(dg.build_schedule_context(instance=inst, resources={"idle_gate": SimulatedLoad(cpu=90)}))
        assert isinstance(busy, dg.SkipReason) and "CPU 90 %" in busy.skip_message
        req = sched(dg.build_schedule_context(instance=inst, resources={"idle_gate": SimulatedLoad()}))
        assert isinstance(req, dg.RunRequest)
        res = results_compaction_job.execute_in_process(
            instance=inst, tags=req.tags, resources={"results_store": ResultsStoreResource(data_dir=str(tmp_path))})
        assert res.success
    assert rs.query(Q) == before
    _removed_once_their_list_is_old(rs, 5)


def _removed_once_their_list_is_old(rs: ResultsStore, n: int) -> None:
    """The n merged small files are listed for removal, stay until the list is GRACE_SEC old
    (a racing reader may still read them), and the next compaction then removes them."""
    import json
    import os
    import time

    d = rs.table_dir("ingest_events")
    [lst] = d.glob(compaction.MERGED + "*.json")
    assert len(json.loads(lst.read_text())) == n and len(_parquets(rs)) == 2 + n
    rs.compact(["ingest_events"])  # too young: nothing removed
    assert len(_parquets(rs)) == 2 + n
    old = time.time() - compaction.GRACE_SEC - 1
    os.utime(lst, (old, old))
    before = rs.query(Q)
    rs.compact(["ingest_events"])
    assert rs.query(Q) == before and len(_parquets(rs)) == 2 and not list(d.glob(compaction.MERGED + "*"))


def test_sopilot_results_compact(tmp_path, capsys):
    from sopilot_assets.cli import main

    rs = _store(tmp_path)
    for k in range(3):
        rs.append("ingest_events", _rows(1, f"cli{k}"), prefix="20260106T000000")
    before = rs.query(Q)
    assert main(["results", "compact", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ingest_events: 3 files merged into compacted-" in out and "reviews: nothing to merge" in out
    assert "removed by a compaction" in out
    assert rs.query(Q) == before
    _removed_once_their_list_is_old(rs, 3)
    assert main(["results", "--data-dir", str(tmp_path)]) == 0  # listing still the default action
