"""`sopilot serve`'s supervision without starting Dagster: the restart policy as plain functions,
exits described from real processes, the port check against a real socket, the state file, and the
dead-worker sweep on a real temporary instance."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData

from sopilot_assets.instance import prepare_dagster_home
from sopilot_assets.supervisor import RestartPolicy, describe_exit, judge_death, recent, restart_delay
from sopilot_assets.supervisor_loop import WORST_STOP_S, port_taken
from sopilot_assets.supervisor_state import ServeState, read_state
from sopilot_assets.run_sweep import worker_alive
from sopilot_assets.supervisor_sweep import FAILED_RETRY_MESSAGE, retry_lost_retries, sweep_dead_workers
from sopilot_resources.settings import Settings

POLICY = RestartPolicy()


def _play(policy: RestartPolicy, lifetimes: list[float]):
    """Feed deaths after the given lifetimes through the policy; the Death of each."""
    streak, out = 0, []
    for lived in lifetimes:
        death = judge_death(policy, streak, lived)
        streak = death.streak
        out.append(death)
    return out


def test_fast_deaths_back_off_then_give_up_at_the_fifth():
    deaths = _play(POLICY, [3.0] * 5)
    assert [d.delay_s for d in deaths[:4]] == [2.0, 4.0, 8.0, 16.0]
    assert [d.give_up for d in deaths] == [False, False, False, False, True]
    assert [d.streak for d in deaths] == [1, 2, 3, 4, 5]


def test_a_healthy_run_starts_a_fresh_streak():
    deaths = _play(POLICY, [3.0, 3.0, 3.0, 3.0, 600.0, 3.0, 3.0])
    assert not any(d.give_up for d in deaths), "a long healthy run in between: never give up"
    assert deaths[4].streak == 0 and deaths[4].delay_s == 2.0
    assert [d.delay_s for d in deaths[5:]] == [2.0, 4.0]


def test_killed_every_few_minutes_is_restarted_forever():
    assert not any(d.give_up for d in _play(POLICY, [POLICY.healthy_after_s + 1] * 50))


def test_delay_caps_at_the_last_value_and_policy_is_checked():
    assert restart_delay(POLICY, 40) == POLICY.backoff_s[-1]
    assert judge_death(RestartPolicy(give_up_after=1), 0, 0.5).give_up
    with pytest.raises(ValueError):
        RestartPolicy(backoff_s=())
    with pytest.raises(ValueError):
        RestartPolicy(give_up_after=0)


def test_restarts_counted_in_the_window():
    assert recent([0.0, 100.0, 650.0, 700.0], now=700.0, window_s=600.0) == 3


def test_exits_described_for_people():
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    killed.send_signal(signal.SIGKILL)
    assert describe_exit(killed.wait()) == "killed by SIGKILL"
    failed = subprocess.run([sys.executable, "-c", "raise SystemExit(4)"])
    assert describe_exit(failed.returncode) == "exited with code 4"
    assert describe_exit(0) == "exited normally (code 0)"


def test_port_taken_only_while_another_socket_listens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.listen()
        assert port_taken("127.0.0.1", port)
    assert not port_taken("127.0.0.1", port)


def test_state_file_is_rewritten_on_each_change(tmp_path):
    state = ServeState(tmp_path, "http://127.0.0.1:3000")
    state.started("daemon", 111)
    state.restarted("daemon", "killed by SIGKILL")
    state.started("daemon", 222)
    data = read_state(tmp_path)
    assert data["serve_pid"] == os.getpid() and data["processes"] == {"daemon": 222}
    assert [(r["what"], r["why"]) for r in data["restarts"]] == [("daemon", "killed by SIGKILL")]
    state.finished("stopped")
    assert read_state(tmp_path)["state"] == "stopped" and read_state(tmp_path)["processes"] == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sopilot-serve.json"], "no temp file left"


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (we run as root, as CI does); skipped where mounting is not allowed."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_state_file_on_a_full_disk_never_stops_serve(tiny_disk, caplog):
    state = ServeState(tiny_disk, "http://127.0.0.1:3000")
    state.started("daemon", 111)
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as f, pytest.raises(OSError):
        while True:
            f.write(b"x" * 4096)
    with caplog.at_level("WARNING", logger="sopilot.serve"):
        state.restarted("daemon", "killed by SIGKILL")  # must not raise
        state.started("daemon", 222)
    assert sum("could not write" in r.getMessage() for r in caplog.records) == 1, "said once, not per write"
    assert read_state(tiny_disk)["processes"] == {"daemon": 111}, "the last good file stays readable"
    filler.unlink()
    state.started("daemon", 333)
    assert read_state(tiny_disk)["processes"] == {"daemon": 333}
    assert [r["why"] for r in read_state(tiny_disk)["restarts"]] == ["killed by SIGKILL"]


@dg.op
def _noop():
    return None


@dg.job
def _one_op():
    _noop()


def _started_run(instance, pid: int):
    """A run marked STARTED whose worker announced `pid`, as a real run worker does."""
    run = instance.create_run_for_job(_one_op)
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
    instance.report_dagster_event(DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name),
                                  run_id=run.run_id)
    return run.run_id


def test_sweep_fails_only_runs_whose_worker_is_gone(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home, _ = prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with dg.DagsterInstance.from_config(str(home)) as inst:
        dead_run = _started_run(inst, gone.pid)
        live_run = _started_run(inst, os.getpid())  # this test process: alive and older than the event
    assert sweep_dead_workers(home, "test") == [dead_run]
    assert sweep_dead_workers(home, "test") == [], "a failed run is not failed twice"
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert inst.get_run_by_id(dead_run).status == dg.DagsterRunStatus.FAILURE
        assert inst.get_run_by_id(live_run).status == dg.DagsterRunStatus.STARTED


def _failed_run(instance, retry_failed: bool):
    """A failed run Dagster decided not to retry; `retry_failed`: because launching its retry failed."""
    from dagster._core.storage.tags import WILL_RETRY_TAG

    run = instance.create_run_for_job(_one_op)
    instance.report_run_failed(run, "worker died")
    if retry_failed:
        instance.report_engine_event(FAILED_RETRY_MESSAGE, run)
    instance.add_run_tags(run.run_id, {WILL_RETRY_TAG: "false"})
    return run.run_id


def test_retries_lost_while_the_code_server_was_down_are_rearmed(tmp_path, monkeypatch):
    from dagster._core.storage.tags import WILL_RETRY_TAG

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home, _ = prepare_dagster_home(Settings(data_dir=tmp_path / "data"))
    since = time.time() - 1
    with dg.DagsterInstance.from_config(str(home)) as inst:
        lost = _failed_run(inst, retry_failed=True)
        given_up = _failed_run(inst, retry_failed=False)  # e.g. out of retries: left alone
    assert retry_lost_retries(home, since) == [lost]
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert inst.get_run_by_id(lost).tags[WILL_RETRY_TAG] == "true"
        assert inst.get_run_by_id(given_up).tags[WILL_RETRY_TAG] == "false"
        failures = inst.all_logs(lost, of_type=DagsterEventType.RUN_FAILURE)
        assert len(failures) == 2, "the failure is reported once more, so the retry daemon sees it"
        inst.add_run_tags(lost, {WILL_RETRY_TAG: "false"})  # e.g. the daemon tried again: still failing
    assert retry_lost_retries(home, time.time() + 5) == [], "only retries lost since the outage began"


def test_a_reused_pid_does_not_keep_a_run_alive():
    younger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not worker_alive(younger.pid, time.time() - 60), "started after the event: not the worker"
        assert worker_alive(younger.pid, time.time())
    finally:
        younger.kill()
        younger.wait()
    assert not worker_alive(younger.pid, time.time())


def _systemd_unit_from_docs() -> str:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()
    section = doc[doc.index("## Running under systemd"):]
    return section[section.index("```ini\n") + 7:section.index("```", section.index("```ini\n") + 7)]


def test_systemd_unit_in_the_docs_is_valid_and_outwaits_serve(tmp_path):
    unit = _systemd_unit_from_docs()
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    assert settings["Restart"] == "on-failure" and settings["KillSignal"] in ("SIGINT", "SIGTERM")
    assert settings["KillMode"] == "mixed", "the stop signal goes to serve only; serve stops the rest in order"
    assert int(settings["TimeoutStopSec"]) > WORST_STOP_S, "systemd must not SIGKILL serve mid-stop"
    assert {"User", "WorkingDirectory", "ExecStart"} <= set(settings)
    assert "SOPILOT_DATA_DIR=" in unit and "DAGSTER_HOME=" in unit
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed: syntax not verified")
    local = re.sub(r"^ExecStart=.*$", f"ExecStart={sys.executable} -m sopilot_assets.cli serve", unit, flags=re.M)
    local = re.sub(r"^(User|Group)=.*$", r"\1=root", local, flags=re.M)
    local = re.sub(r"^WorkingDirectory=.*$", f"WorkingDirectory={tmp_path}", local, flags=re.M)
    (tmp_path / "sopilot.service").write_text(local)
    out = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "sopilot.service")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not (out.stdout + out.stderr).strip(), out.stdout + out.stderr
