"""`sopilot serve` stops cleanly: SIGTERM mid-run and Ctrl-C (SIGINT) leave no process behind,
exit 0, and no run stuck "in progress"; a second server on the same DAGSTER_HOME is refused;
with --demo the UI answers while the demo still renders, and Ctrl-C then stops the render too."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys

import dagster as dg
import psutil
import pytest
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

from _serve_harness import Server, artifacts_dir, demo_subset, free_port, wait_until

pytestmark = pytest.mark.e2e


def _runs(home, statuses):
    with dg.DagsterInstance.from_config(str(home)) as inst:
        return inst.get_runs(filters=RunsFilter(statuses=statuses))


def test_sigterm_mid_run_stops_everything(tmp_path):
    art = artifacts_dir("e2e_stop")
    src, _ = demo_subset(tmp_path / "drop", n_trainees=1)
    srv = Server(tmp_path / "data", art / "serve.log").start()
    try:
        srv.wait_ready()
        second = subprocess.run(
            [sys.executable, "-m", "sopilot_assets.cli", "serve", "--port", str(free_port())],
            env=srv.env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1 and "already uses DAGSTER_HOME" in second.stderr
        srv.drop(src)
        wait_until(lambda: _runs(srv.dagster_home, [DagsterRunStatus.STARTED]), 300, 0.5, "a started run")
        srv.remember_tree()
        assert len(srv.tree) >= 4  # code server (and its gRPC child), webserver, daemon, run worker...
        code = srv.stop(signal.SIGTERM)
        survivors = srv.survivors()
    finally:
        srv.kill_everything()
    assert code == 0
    assert not survivors, f"left running: {[p.cmdline()[:4] for p in survivors]}"
    running = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    assert not _runs(srv.dagster_home, running), "no run left 'in progress' (queued ones wait)"


def test_ctrl_c_stops_cleanly(tmp_path):
    art = artifacts_dir("e2e_ctrl_c")
    srv = Server(tmp_path / "data", art / "serve.log").start()
    try:
        srv.wait_ready()
        code = srv.stop(signal.SIGINT)
        survivors = srv.survivors()
    finally:
        srv.kill_everything()
    assert code == 0
    assert not survivors
    assert (srv.dagster_home / "dagster.yaml").exists() and (srv.data_root / "sopilot.duckdb").exists()


def _cmdlines(pids) -> list[str]:
    out = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):  # exited meanwhile
            out.append(" ".join(psutil.Process(pid).cmdline()))
    return out


def test_demo_renders_behind_the_ui_and_ctrl_c_stops_it(tmp_path):
    art = artifacts_dir("e2e_ctrl_c_demo")
    srv = Server(tmp_path / "data", art / "serve.log", args=("--demo",)).start()
    cache = srv.data_root / "demo_src" / "full"
    try:
        srv.wait_ready()
        rendering = any("sopilot_assets.demo_feed" in c for c in _cmdlines(srv.remember_tree()))
        assert rendering and not (cache / "manifest.json").exists()  # the UI did not wait for the demo
        code = srv.stop(signal.SIGINT)
        survivors = srv.survivors()
    finally:
        srv.kill_everything()
    assert code == 0
    assert not survivors, f"left running: {[p.cmdline()[:4] for p in survivors]}"
    assert not (cache / "manifest.json").exists()  # a half-rendered set is not kept as the cache
