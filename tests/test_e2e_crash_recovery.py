"""A run process killed mid-materialization: the work still completes, exactly once.

1. SIGKILL the run worker while its embedding/score step runs, server left up: the code server
   fails the run, instance run retries re-execute it, every trainee ends with one scores row.
2. SIGKILL the whole server (webserver, daemon, code server, run workers) mid-step, start it
   again on the same data root: the restart fails the orphaned run, retries finish the work.
3. SIGKILL the code server together with its run workers (its whole process group, as an OOM kill
   of the group would), server left up: serve restarts the code server alone, fails the run whose
   worker is gone (nobody else reports it), and the retry finishes the work.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import dagster as dg
import psutil
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import PARENT_RUN_ID_TAG

from _serve_harness import Server, artifacts_dir, demo_subset, score_rows, wait_until

pytestmark = pytest.mark.e2e

HEAVY_STEPS = ("ingest_video", "clip_embeddings", "score_pair")  # embedding (video + clip_embeddings) or scoring


def _step_in_flight(home) -> tuple[str, str, int] | None:
    """(run id, step key, pid) of a heavy step that has started and not finished, if any."""
    with dg.DagsterInstance.from_config(str(home)) as inst:
        for run in inst.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED])):
            done, started = set(), {}
            for e in inst.all_logs(run.run_id, of_type={DagsterEventType.STEP_START,
                                                         DagsterEventType.STEP_SUCCESS,
                                                         DagsterEventType.STEP_FAILURE}):
                ev = e.dagster_event
                if ev.event_type == DagsterEventType.STEP_START:
                    started[ev.step_key] = ev.pid
                else:
                    done.add(ev.step_key)
            for step, pid in started.items():
                if step in HEAVY_STEPS and step not in done and pid:
                    return run.run_id, step, pid
    return None


def _exactly_once(srv: Server, expected):
    rows = score_rows(srv.data_root)
    counts = Counter((r["task"], r["trainee_file"]) for r in rows)
    return rows if set(counts) >= set(expected) else None


def _assert_rows(rows, expected):
    counts = Counter((r["task"], r["trainee_file"]) for r in rows)
    assert sorted(counts) == expected, "no missing and no extra trainee"
    assert all(n == 1 for n in counts.values()), f"duplicate score rows: {counts}"
    assert len({r["pair_key"] for r in rows}) == len(rows)


def _started_runs(home) -> list[str]:
    with dg.DagsterInstance.from_config(str(home)) as inst:
        return [r.run_id for r in inst.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))]


def _retry_of(home, run_id):
    with dg.DagsterInstance.from_config(str(home)) as inst:
        killed = inst.get_run_by_id(run_id)
        retries = [r for r in inst.get_runs() if r.tags.get(PARENT_RUN_ID_TAG) == run_id]
        return killed, retries


def _kill_when_heavy_step_runs(srv: Server, timeout: float = 400.0) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hit = _step_in_flight(srv.dagster_home)
        if hit:
            run_id, step, pid = hit
            srv.remember_tree()
            assert pid in srv.tree, "only a process of this server is ever killed"
            psutil.Process(pid).send_signal(signal.SIGKILL)
            return run_id, step
        time.sleep(0.3)
    raise TimeoutError("no embedding/score step was seen running")


def test_killed_run_worker_is_retried_and_rows_are_exact(tmp_path):
    art = artifacts_dir("e2e_kill_worker")
    src, expected = demo_subset(tmp_path / "drop", n_trainees=2)
    srv = Server(tmp_path / "data", art / "serve.log").start()
    try:
        srv.wait_ready()
        srv.drop(src)
        run_id, step = _kill_when_heavy_step_runs(srv)
        rows = wait_until(lambda: _exactly_once(srv, expected), 600, 3, "all score rows after the kill")
        _assert_rows(rows, expected)
        killed, retries = wait_until(lambda: (lambda k, r: (k, r) if r else None)(*_retry_of(srv.dagster_home, run_id)),
                                     120, 2, "the retry run")
        assert killed.status == DagsterRunStatus.FAILURE, f"killed run ({step}) must be failed"
        assert any(r.status == DagsterRunStatus.SUCCESS for r in retries)
        time.sleep(5)  # nothing more arrives later either
        _assert_rows(score_rows(srv.data_root), expected)
    finally:
        code = srv.stop()
        srv.kill_everything()
        print(srv.log_tail(20))
    assert code == 0


def test_whole_server_killed_mid_step_finishes_after_restart(tmp_path):
    art = artifacts_dir("e2e_crash_restart")
    src, expected = demo_subset(tmp_path / "drop", n_trainees=2)
    srv = Server(tmp_path / "data", art / "serve-1.log").start()
    try:
        srv.wait_ready()
        srv.drop(src)
        run_id, step = _kill_when_heavy_step_runs_by_crash(srv)
    finally:
        srv.kill_everything()
    assert not srv.survivors()
    with dg.DagsterInstance.from_config(str(srv.dagster_home)) as inst:
        assert inst.get_run_by_id(run_id).status == DagsterRunStatus.STARTED  # orphaned by the crash

    again = Server(srv.data_root, art / "serve-2.log").start()
    try:
        again.wait_ready()
        rows = wait_until(lambda: _exactly_once(again, expected), 600, 3, "all score rows after restart")
        _assert_rows(rows, expected)
        killed, retries = _retry_of(again.dagster_home, run_id)
        assert killed.status == DagsterRunStatus.FAILURE, f"orphaned run ({step}) failed at restart"
        assert retries, "the orphaned run was re-executed"
    finally:
        code = again.stop()
        again.kill_everything()
        print(again.log_tail(20))
    assert code == 0


def _kill_when_heavy_step_runs_by_crash(srv: Server) -> tuple[str, str]:
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        hit = _step_in_flight(srv.dagster_home)
        if hit:
            srv.crash()
            return hit[0], hit[1]
        time.sleep(0.3)
    raise TimeoutError("no embedding/score step was seen running")


def _freeze_group_with_step_in_flight(srv: Server, group: int, timeout: float = 400.0):
    """SIGSTOP the code server's process group while a heavy step of one of its workers runs.

    Returns (step key, ids of the runs STARTED while frozen). Looking at the runs only once the
    group is stopped closes the race where the step seen ends between the look and the kill.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hit = _step_in_flight(srv.dagster_home)
        if hit and os.getpgid(hit[2]) == group:
            os.killpg(group, signal.SIGSTOP)
            try:
                again = _step_in_flight(srv.dagster_home)
                if again and os.getpgid(again[2]) == group:
                    return again[1], _started_runs(srv.dagster_home)
            except Exception:  # noqa: BLE001 - a frozen writer may hold the database: look again
                pass
            os.killpg(group, signal.SIGCONT)
        elif hit:
            raise AssertionError("run workers live in the code server's process group")
        time.sleep(0.3)
    raise TimeoutError("no embedding/score step was seen running")


def test_code_server_killed_with_its_workers_is_restarted_and_run_retried(tmp_path):
    art = artifacts_dir("e2e_kill_code_server")
    src, expected = demo_subset(tmp_path / "drop", n_trainees=2)
    srv = Server(tmp_path / "data", art / "serve.log").start()
    try:
        srv.wait_ready()
        srv.drop(src)
        group = srv.state()["processes"]["code_server"]
        step, live = _freeze_group_with_step_in_flight(srv, group)
        srv.remember_tree()
        os.killpg(group, signal.SIGKILL)  # still frozen: none of the live runs can end before this lands
        rows = wait_until(lambda: _exactly_once(srv, expected), 600, 3, "all score rows after the kill")
        _assert_rows(rows, expected)
        cut = []
        for rid in live:
            killed, retries = _retry_of(srv.dagster_home, rid)
            assert killed.status == DagsterRunStatus.FAILURE, f"run {rid[:8]} (live at the kill) is failed"
            assert retries, f"and re-executed (run {rid[:8]})"
            with dg.DagsterInstance.from_config(str(srv.dagster_home)) as inst:
                why = [e.message for e in inst.all_logs(rid, of_type=DagsterEventType.RUN_FAILURE)]
            # failed by serve right after the restart, or by the sensor's sweep if its tick came first
            assert any("is gone" in (m or "") for m in why), why
            cut.append(rid)
        assert cut, f"the kill cut no run (seen in {step})"
        assert srv.proc.poll() is None and srv.state()["restarts"][0]["what"] == "code_server"
    finally:
        code = srv.stop()
        srv.kill_everything()
        print(srv.log_tail(20))
    assert code == 0
