"""The chaos soak's pipeline: the real `sopilot serve` (webserver + daemon + code server, and
whatever supervision serve does) on a sandboxed data root and DAGSTER_HOME, so a ``kill -9`` of
its daemon tests what a plant runs.

The daemon's pid comes from ``<DAGSTER_HOME>/sopilot-serve.json`` (``{"processes": {"daemon":
pid, ...}}``, written by serve), else from serve's process tree (a cmdline with
``dagster-daemon`` or ``dagster._daemon``). "Back" means the UI answers ``/server_info`` and a
sensor tick (else a daemon heartbeat) newer than the kill is in the instance.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import psutil

from .pipeline import IsolatedPipeline, _own_group_die_with_parent

SERVE_STATE = "sopilot-serve.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedPipeline(IsolatedPipeline):
    """``IsolatedPipeline`` (paths, RSS, disk) run by `sopilot serve` instead of a bare daemon;
    its output goes to ``log_path`` (keep it off the sandbox: the sandbox's disk gets full)."""

    def __init__(self, root: str | Path, log_path: str | Path, port: int | None = None):
        super().__init__(root)
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self._tree: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sopilot_assets.cli", "serve", "--data-dir", str(self.data_dir),
             "--port", str(self.port)],
            env=self.env(), cwd=str(Path(__file__).resolve().parents[2]), stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_own_group_die_with_parent)
        log.close()

    def ui_up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout_sec: float = 240.0) -> bool:
        deadline = time.time() + timeout_sec
        while time.time() < deadline and self.alive():
            if self.ui_up() and self.daemon_pid():
                return True
            time.sleep(1.0)
        return False

    def processes(self) -> list[psutil.Process]:
        procs = super().processes()
        self._tree |= {p.pid for p in procs}
        return procs

    def daemon_pid(self) -> int | None:
        try:
            doc = json.loads((self.home / SERVE_STATE).read_text(encoding="utf-8"))
            pid = int((doc.get("processes") or {}).get("daemon") or 0)
            if pid and psutil.pid_exists(pid):
                return pid
        except (OSError, ValueError, TypeError):
            pass
        for p in self.processes():
            try:
                cmd = " ".join(p.cmdline())
            except psutil.Error:
                continue
            if ("dagster-daemon" in cmd or "dagster._daemon" in cmd) and " run" in cmd:
                return p.pid
        return None

    def kill_daemon(self) -> int | None:
        pid = self.daemon_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        return pid

    def last_sensor_activity(self) -> float:
        """Newest sensor tick on the instance (epoch s); a SENSOR daemon heartbeat if no tick."""
        import dagster as dg
        from dagster._core.definitions.run_request import InstigatorType

        with dg.DagsterInstance.from_config(str(self.home)) as inst:
            newest = 0.0
            for st in inst.all_instigator_state(instigator_type=InstigatorType.SENSOR):
                ticks = inst.get_ticks(st.instigator_origin_id, st.selector_id, limit=1)
                if ticks:
                    newest = max(newest, ticks[0].timestamp)
            if not newest:
                hb = inst.get_daemon_heartbeats().get("SENSOR")
                newest = hb.timestamp if hb else 0.0
            return newest

    def is_back(self, since: float) -> bool:
        try:
            return self.alive() and self.ui_up() and self.last_sensor_activity() > since
        except Exception:  # noqa: BLE001 - the instance mid-write: ask again
            return False

    def run_statuses(self) -> Counter:
        import dagster as dg

        with dg.DagsterInstance.from_config(str(self.home)) as inst:
            return Counter(r.status.value for r in inst.get_runs())

    def stop(self, grace_sec: float = 120.0) -> None:
        """SIGTERM to serve (it stops its children), then SIGKILL whatever of its tree is left."""
        if self.proc is None:
            return
        self.processes()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_sec)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self._tree - {os.getpid()}:
            try:
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE and _still_ours(p):
                    p.kill()
            except psutil.Error:
                continue


def _still_ours(p: psutil.Process) -> bool:
    """Only kill leftovers that are still ours (a pid may have been reused)."""
    try:
        cmd = " ".join(p.cmdline())
    except psutil.Error:
        return False
    return "dagster" in cmd or "sopilot" in cmd or "multiprocessing" in cmd
