"""The cluster profile on this machine for tests: settings, environment, a Dagster instance on
the test Postgres, and `sopilot worker` processes (each in its own process group, so a test can
`kill -9` one whole worker; all stopped after)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from sopilot_assets.instance import prepare_dagster_home
from sopilot_resources.settings import Settings

TESTS = Path(__file__).resolve().parent


def cluster_env(tmp_path: Path, db_url: str, broker: str, **extra: str) -> dict[str, str]:
    """The SOPILOT_* variables of a cluster deployment whose data root and DAGSTER_HOME are under ``tmp_path``."""
    return {"SOPILOT_DEPLOYMENT": "cluster", "SOPILOT_POSTGRES_URL": db_url, "SOPILOT_CELERY_BROKER": broker,
            "SOPILOT_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home"), **extra}


@contextmanager
def cluster_instance(env: dict[str, str]):
    """The instance `sopilot serve --deployment cluster` would write and open (dagster.yaml from the template)."""
    settings = Settings.from_env(env)
    home, _ = prepare_dagster_home(settings)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


class Workers:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir, self.procs = env, log_dir, {}

    def start(self, name: str, *queues: str) -> subprocess.Popen:
        env = {**os.environ, **self.env, "SOPILOT_TEST_WORKER": name,
               "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
        args = [sys.executable, "-m", "sopilot_assets.cli", "worker", "--name", name]
        for q in queues:
            args += ["--queue", q]
        log = open(self.log_dir / f"worker-{name}.log", "wb")
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def wait_ready(self, timeout: float = 90) -> None:
        """Until every worker logs that it is ready (Celery's "ready." line)."""
        end = time.monotonic() + timeout
        for name, proc in self.procs.items():
            log = self.log_dir / f"worker-{name}.log"
            while b" ready." not in log.read_bytes():
                if proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError(f"worker {name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)

    def kill9(self, name: str) -> None:
        """``kill -9`` the worker's whole process group: its Celery parent and the child running the step."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
