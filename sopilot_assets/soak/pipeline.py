"""The real pipeline in an isolated sandbox: own data root, own DAGSTER_HOME, own daemon.

The daemon is ``dagster-daemon run -w <home>/sopilot_workspace.yaml`` on an instance written
with the same ``dagster.yaml`` and workspace as ``sopilot serve`` (sopilot_assets.instance),
so the soak exercises exactly what production runs: inbox sensor -> runs -> DuckDB. Nothing
of the soak touches the production data root or instance.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from sopilot_assets.instance import configure_instance, instance_template, workspace_text
from sopilot_assets.serve import group_alive

#: set in the sandbox daemon's environment: schedules that would recurse (nightly soak)
#: or compete (idle-time heavy work) stay quiet there
SOAK_CHILD_ENV = "SOPILOT_SOAK_CHILD"
#: the sandbox's wait before an incomplete copy (the soak's video cut to a third) is
#: quarantined as truncated: well inside the soak's drain time (production default 10 min)
SOAK_TRUNCATED_AFTER = "60s"


class IsolatedPipeline:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.data_dir = self.root / "data"
        self.home = self.root / "dagster_home"
        self.workspace = self.home / "sopilot_workspace.yaml"
        self.proc: subprocess.Popen | None = None

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DAGSTER_HOME=str(self.home), SOPILOT_DATA_DIR=str(self.data_dir),
                   PYTHONUNBUFFERED="1", SOPILOT_TRUNCATED_AFTER=SOAK_TRUNCATED_AFTER, **{SOAK_CHILD_ENV: "1"})
        return env

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "dagster.yaml").write_text(instance_template(), encoding="utf-8")
        self.workspace.write_text(workspace_text(), encoding="utf-8")
        configure_instance(self.home)
        # as `sopilot serve` does: the results views exist from the start
        from sopilot_resources.storage import ResultsStore, VideoStore

        store = VideoStore.at(self.data_dir)
        ResultsStore(store.results, store.duckdb_path).ensure_views()
        daemon = Path(sys.executable).with_name("dagster-daemon")
        cmd = ([str(daemon)] if daemon.exists() else [sys.executable, "-m", "dagster._daemon"])
        log = open(self.root / "daemon.log", "ab")
        self.proc = subprocess.Popen(cmd + ["run", "-w", str(self.workspace)], env=self.env(),
                                     cwd=str(Path(__file__).resolve().parents[2]),
                                     stdout=log, stderr=subprocess.STDOUT,
                                     preexec_fn=_own_group_die_with_parent)
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def processes(self) -> list[psutil.Process]:
        if not self.alive():
            return []
        try:
            top = psutil.Process(self.proc.pid)
            return [top] + top.children(recursive=True)
        except psutil.Error:
            return []

    def rss_mb(self) -> tuple[float, float]:
        """(all processes, long-lived ones) in MB. Long-lived: the daemon and its code
        server; run workers (multiprocessing children of the code server) come and go, so a
        leak shows in the long-lived sum, and the total bounds the peak."""
        total = base = 0
        for p in self.processes():
            try:
                rss = p.memory_info().rss
                transient = any("spawn_main" in a for a in p.cmdline())
            except psutil.Error:
                continue
            total += rss
            base += 0 if transient else rss
        return total / 2**20, base / 2**20

    def disk_bytes(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for f in files:
                try:
                    total += os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    pass
        return total

    def run_stats(self) -> tuple[int, list[str], int]:
        """(runs, failed run descriptions, runs still in progress) on the sandbox instance."""
        import dagster as dg

        DagsterRunStatus = dg.DagsterRunStatus
        with dg.DagsterInstance.from_config(str(self.home)) as inst:
            runs = inst.get_runs()
            failed = [f"{r.job_name} {r.run_id[:8]} {dict(r.tags).get('dagster/partition', '')}"
                      for r in runs if r.status == DagsterRunStatus.FAILURE]
            busy = sum(1 for r in runs if not r.is_finished)
            return len(runs), failed, busy

    def stop(self, grace_sec: float = 60.0) -> None:
        """SIGTERM the daemon's process group (daemon, code server, run workers), then KILL."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        for sig, wait in ((signal.SIGTERM, grace_sec), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and group_alive(pgid):
                time.sleep(0.3)
                self.proc.poll()
            if not group_alive(pgid):
                break
        self.proc.poll()


def _own_group_die_with_parent() -> None:
    """In the child before exec: its own process group (so stop() reaches the code server and
    run workers too), and SIGTERM when the soak process dies (Linux PR_SET_PDEATHSIG)."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass
