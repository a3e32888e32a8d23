"""The chaos soak's invariants on hand-built data roots: real files in raw/, quarantine/ and
archive/, real parquet rows read through the DuckDB views, a real registry; each invariant
passing on the good tree and failing on the fault it is there to catch."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from sopilot_resources.soak import chaos_invariants as ci
from sopilot_resources.soak.chaos_faults import FaultClock, free_bytes
from sopilot_resources.soak.chaos_observe import observe_chaos
from sopilot_resources.soak.plan import Drop
from sopilot_resources.storage.registry import Registry, TaskRecord
from sopilot_resources.storage.results_store import ResultsStore


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _drops() -> list[Drop]:
    def d(seq, kind, rel, expected, data=b"", dup_of=-1):
        task, *rest = rel.split("/")
        role = rest[0] if len(rest) == 2 else ""
        return Drop(seq=seq, task=task, role=role, kind=kind, file_name=rel.split("/")[-1], src="",
                    sha256=_sha(data) if data else "", size_bytes=len(data), dropped_at=1.0,
                    expected=expected, rel=rel, dup_of=dup_of)

    return [d(0, "good", "t1/gold/g.mp4", "gold", b"gold"),
            d(1, "good", "t1/trainee/a.mp4", "scored", b"aaaa"),
            d(2, "long_name", "t1/trainee/" + "長" * 80 + ".mp4", "scored", b"bbbb"),
            d(3, "zero_byte", "t1/trainee/z.mp4", "quarantined"),
            d(4, "symlink_loop", "t1/trainee/loop.mp4", "quarantined"),
            d(5, "fifo", "t1/trainee/f.mp4", "ignored"),
            d(6, "bad_task_profile", "bad task/profile.json", "quarantined", b"{}"),
            d(7, "duplicate", "t1/trainee/dup.mp4", "duplicate", b"aaaa", dup_of=1)]


def build(root: Path, drops: list[Drop], *, score_twice=False, half_written=False, loop_reason="symlink_loop",
          reported=1, lose=False, tmp_file=False) -> Path:
    """A data root as the pipeline leaves it after a good chaos soak, with one fault optional."""
    rs = ResultsStore(root / "results", root / "sopilot.duckdb")
    by = {d.seq: d for d in drops}
    for d, data in ((by[0], b"gold"), (by[1], b"aaaa"), (by[2], b"bbbb")):
        p = root / "raw" / d.sha256[:2] / f"{d.sha256}.mp4"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data + (b"more" if half_written and d.seq == 2 else b""))
    rows = [{"pair_key": f"t1/p{d.seq}/gold-v1", "task": "t1", "trainee_file": d.file_name, "gold_file": "g.mp4",
             "score": 80.0, "trainee_sha256": d.sha256} for d in (by[1], by[2])]
    if score_twice:
        rows.append({**rows[0], "pair_key": "t1/a-again/gold-v1"})
    if half_written:
        rows.append({**rows[1], "trainee_sha256": _sha(b"bb"), "pair_key": "t1/half/gold-v1"})
    for r in rows:
        rs.write("scores", r["pair_key"], [r])
    rs.append("ingest_events", [{"action": "ignored", "inbox_path": by[5].rel, "reason": "not_a_file"}] * reported, "tick")
    rs.ensure_views()
    q = root / "quarantine"
    q.mkdir(parents=True, exist_ok=True)
    for d, reason in ((by[3], "empty_file"), (by[4], loop_reason), (by[6], "bad_task_name")):
        if lose and d.seq == 3:
            continue
        stored = q / f"{d.seq}-{d.file_name[:20]}"
        stored.write_bytes(b"")
        (q / f"{stored.name}.reason.json").write_text(json.dumps(
            {"file": d.file_name, "inbox_path": d.rel, "reason": reason, "message": f"{reason} here"}))
    dup = root / "archive" / "duplicates" / "t1" / "trainee" / "dup.mp4"
    dup.parent.mkdir(parents=True)
    dup.write_bytes(b"aaaa")
    fifo = root / "inbox" / by[5].rel
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    reg = Registry(root / "registry")
    reg.put_task(TaskRecord(task="t1", golds=[{"version": 1, "key": "k", "sha256": by[0].sha256, "file_name": "g.mp4"}]))
    (root / "work" / "videos").mkdir(parents=True)
    if tmp_file:
        (root / "work" / "videos" / ".embeddings.npz.1a2b3c4d.tmp").write_bytes(b"")
    return root


@pytest.fixture
def drops():
    return _drops()


def _checks(root: Path, drops):
    obs = observe_chaos(root)
    return {c.name: c for c in (ci.scored_exactly_once(drops, obs), ci.fates_as_planned(drops, obs),
                                 ci.ignored_reported_once(drops, obs), ci.nothing_lost(drops, obs),
                                 ci.no_half_written(root))}


def test_a_clean_tree_passes(tmp_path, drops):
    checks = _checks(build(tmp_path, drops), drops)
    assert all(c.ok for c in checks.values()), [c.detail for c in checks.values() if not c.ok]


@pytest.mark.parametrize("fault, failing", [
    ({"score_twice": True}, {"every good file scored exactly once"}),
    ({"half_written": True}, {"every good file scored exactly once", "no half-written file"}),
    ({"loop_reason": "symlink_outside_inbox"}, {"each file got its planned fate"}),
    ({"reported": 0}, {"FIFOs and directories reported exactly once", "each file got its planned fate"}),
    ({"reported": 3}, {"FIFOs and directories reported exactly once"}),
    ({"lose": True}, {"nothing lost", "each file got its planned fate"}),
    ({"tmp_file": True}, {"no half-written file"}),
])
def test_each_fault_fails_its_invariant(tmp_path, drops, fault, failing):
    checks = _checks(build(tmp_path, drops, **fault), drops)
    assert {n for n, c in checks.items() if not c.ok} == failing, {n: c.detail for n, c in checks.items()}


def test_a_duplicate_scored_instead_of_archived_fails(tmp_path, drops):
    root = build(tmp_path, drops)
    (root / "archive" / "duplicates" / "t1" / "trainee" / "dup.mp4").unlink()
    checks = _checks(root, drops)
    assert not checks["each file got its planned fate"].ok
    assert "duplicate group" in checks["each file got its planned fate"].detail


def test_runs_and_recovery_checks():
    assert ci.no_runs_left({"SUCCESS": 5, "FAILURE": 1}).ok
    assert not ci.no_runs_left({"SUCCESS": 5, "STARTED": 2}).ok
    assert ci.service_recovered([{"back_sec": 12.0}, {"back_sec": 40.0}], planned=2).ok
    assert not ci.service_recovered([{"back_sec": 12.0}, {"back_sec": None}], planned=2).ok
    assert not ci.service_recovered([{"back_sec": 75.0}], planned=1).ok
    assert not ci.service_recovered([{"back_sec": 5.0}], planned=2).ok  # a kill that never happened
    assert not ci.disk_fault_done(None, planned=True).ok and ci.disk_fault_done(None, planned=False).ok
    kills, disk = [{"at": 100.0}, {"at": 400.0}], {"full_at": 250.0}
    assert ci.faults_while_draining(kills, disk, last_final_at=700.0, t0=0.0).ok
    late = ci.faults_while_draining(kills, disk, last_final_at=300.0, t0=0.0)
    assert not late.ok and "kill at 400 s" in late.detail
    assert not ci.faults_while_draining(kills, disk, last_final_at=None, t0=0.0).ok  # never drained


def test_fault_clock_kills_then_waits_for_the_service_and_fills_a_real_disk(tmp_path):
    """The clock with an injected kill and readiness, and a real fill of an 8 MB tmpfs (needs
    root, as the chaos soak does; skipped where mount is refused)."""
    import subprocess
    import time

    from sopilot_resources.soak.chaos_faults import mount_tmpfs, unmount

    mnt = tmp_path / "mnt"
    try:
        mount_tmpfs(mnt, 8)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        state = {"killed": 0.0}
        clock = FaultClock(t0=time.time(), kill_at=[0.0], kill=lambda: state.__setitem__("killed", time.time()) or 4242,
                           is_back=lambda since: time.time() - since > 1.0, fill_at=0.1, fill_dir=mnt,
                           hold_sec=1.0, gap_sec=0.5, log=lambda s: None)
        clock.poll(time.time())
        assert not clock.done() and len(clock.threads) == 1  # one fault at a time
        deadline = time.time() + 20
        while not clock.done() and time.time() < deadline:
            clock.poll(time.time())
            time.sleep(0.2)
        assert clock.done() and clock.kills[0]["pid"] == 4242 and 1.0 <= clock.kills[0]["back_sec"] < 5
        assert clock.disk["free_bytes_full"] < 1 << 20 and clock.disk["filler_mb"] > 6
        assert free_bytes(mnt) > 7 << 20 and not (mnt / "chaos-filler.bin").exists()
        assert ci.disk_fault_done(clock.disk, planned=True).ok
        events = [r["event"] for r in clock.timeline()]
        assert events == ["kill -9 daemon", "disk full", "disk freed"]  # the fill waited for "back"
        assert clock.disk["full_at"] >= clock.kills[0]["at"] + clock.kills[0]["back_sec"] + 0.5
    finally:
        unmount(mnt)
    assert subprocess.run(["mountpoint", "-q", str(mnt)]).returncode != 0
