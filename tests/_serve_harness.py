"""Black-box harness for the e2e tests: run `sopilot serve` in a subprocess, drop files, read DuckDB.

Nothing here imports the Dagster graph: the server is started as a user would
(`python -m sopilot_assets.cli serve`), results are read from `<data root>/sopilot.duckdb`
read-only, run state and sensor ticks from the instance's own storage under DAGSTER_HOME, and the
pids of what serve supervises from `<DAGSTER_HOME>/sopilot-serve.json`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("SOPILOT_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))


def artifacts_dir(name: str) -> Path:
    """`build/test-artifacts/<name>/` (or under $SOPILOT_TEST_ARTIFACTS), emptied first."""
    d = ARTIFACTS / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 1.0, what: str = "condition"):
    """Poll `predicate()` until it returns a truthy value (returned) or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Server:
    """One `sopilot serve` process on a free port with its own data root (and DAGSTER_HOME)."""

    def __init__(self, data_root: Path, log_path: Path, port: int | None = None, env: dict | None = None,
                 args: tuple[str, ...] = ()):
        self.data_root = Path(data_root)
        self.args = tuple(args)  # more `sopilot serve` options, e.g. ("--demo",)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.env = dict(os.environ, SOPILOT_DATA_DIR=str(self.data_root), **(env or {}))
        self.env.pop("DAGSTER_HOME", None)
        self.proc: subprocess.Popen | None = None
        self.tree: set[int] = set()

    @property
    def dagster_home(self) -> Path:
        return self.data_root / "dagster_home"

    def start(self) -> "Server":
        self.data_root.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        cmd = [sys.executable, "-m", "sopilot_assets.cli", "serve", "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.data_root)
        return self

    def wait_ready(self, timeout: float = 240.0) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sopilot serve exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_until(ready, timeout, 1.0, "the Dagster webserver")
        self.remember_tree()

    def remember_tree(self) -> set[int]:
        """Record every process below `sopilot serve` (to prove later that none outlives it)."""
        with contextlib.suppress(psutil.NoSuchProcess):  # serve already gone: nothing below it
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.tree.add(child.pid)
        return self.tree

    def survivors(self) -> list[psutil.Process]:
        alive = []
        for pid in self.tree | ({self.proc.pid} if self.proc else set()):
            with contextlib.suppress(psutil.NoSuchProcess):  # gone: not a survivor
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
        return alive

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 200.0) -> int:
        """Send `sig` to `sopilot serve` and wait for it; returns its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.remember_tree()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def drop(self, src: Path) -> list[Path]:
        """Copy a demo tree into this server's inbox (hidden temp name, then rename)."""
        return drop_tree(src, self.data_root / "inbox")

    def crash(self) -> None:
        """SIGKILL `sopilot serve` and every process below it at once (a power cut, an OOM kill)."""
        procs = [psutil.Process(self.proc.pid)] + psutil.Process(self.proc.pid).children(recursive=True)
        self.tree.update(p.pid for p in procs)
        for sig in (signal.SIGSTOP, signal.SIGKILL):  # freeze all first: no handler gets to run
            for p in procs:
                with contextlib.suppress(psutil.NoSuchProcess):  # already dead
                    p.send_signal(sig)
        psutil.wait_procs(procs, timeout=30)
        self.proc.wait()
        self._log.close()

    def kill_everything(self) -> None:
        """Cleanup after a failed test: no process of ours may outlive it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.remember_tree()
        for p in self.survivors():
            with contextlib.suppress(psutil.NoSuchProcess):  # exited meanwhile
                p.kill()
        if self.proc.poll() is None:
            self.proc.wait(timeout=30)
        if not self._log.closed:
            self._log.close()

    def state(self) -> dict:
        """`<DAGSTER_HOME>/sopilot-serve.json` as serve last wrote it ({} before it exists)."""
        import json

        try:
            return json.loads((self.dagster_home / "sopilot-serve.json").read_text())
        except (OSError, ValueError):
            return {}

    def kill_part(self, what: str) -> int:
        """SIGKILL one process serve supervises ("daemon", "webserver", "code_server"); its pid."""
        pid = self.state()["processes"][what]
        self.remember_tree()
        assert pid in self.tree, f"{what} (pid {pid}) is not a process of this server"
        psutil.Process(pid).send_signal(signal.SIGKILL)
        return pid

    def responds(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def last_sensor_tick(home: Path) -> float:
    """Timestamp of the newest successful or skipped sensor tick on the instance at `home` (0: none)."""
    import dagster as dg
    from dagster._core.scheduler.instigation import InstigatorType, TickStatus

    newest = 0.0
    with dg.DagsterInstance.from_config(str(home)) as inst:
        for state in inst.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            for tick in inst.get_ticks(state.instigator_origin_id, state.selector_id, limit=5):
                if tick.status in (TickStatus.SUCCESS, TickStatus.SKIPPED):
                    newest = max(newest, tick.timestamp)
    return newest


def score_rows(data_root: Path) -> list[dict]:
    """Rows of the `scores` view in `<data root>/sopilot.duckdb`, read-only ([] before it exists)."""
    import duckdb

    db = Path(data_root) / "sopilot.duckdb"
    if not db.exists():
        return []
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException:
        return []  # being renamed into place right now
    try:
        cur = con.execute("SELECT * FROM scores ORDER BY task, trainee_file")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def drop_tree(src: Path, inbox: Path) -> list[Path]:
    """Copy a demo tree into the inbox the way a careful user does (hidden temp name, rename)."""
    from sopilot_assets.demo_inbox import copy_into_inbox

    return copy_into_inbox(src, inbox)


CACHE = REPO / "build" / "cache"


def quick_demo() -> Path:
    """The quick demo set (helper D's generator, seed 0), generated once into build/cache/."""
    out = CACHE / "demo_quick_seed0"
    if not (out / "manifest.json").exists():
        from sopilot_resources.demo.generate import generate_demo

        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        generate_demo(tmp, seed=0, quick=True)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    return out


def demo_subset(dest: Path, n_trainees: int = 3, task: str | None = None) -> tuple[Path, list[tuple[str, str]]]:
    """Copy one task's gold (+ steps sidecar) and its first `n_trainees` trainees to `dest`.

    Returns (dest, [(task, trainee file name), ...] sorted) - the rows DuckDB must end up with.
    """
    demo = quick_demo()
    task = task or sorted(p.name for p in demo.iterdir() if (p / "gold").is_dir())[0]
    trainees = sorted(p for p in (demo / task / "trainee").iterdir() if p.is_file())[:n_trainees]
    for f in [*(demo / task / "gold").iterdir(), *trainees]:
        target = Path(dest) / task / f.parent.name / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
    return Path(dest), sorted((task, f.name) for f in trainees)
