"""``sopilot worker``: a Celery worker of the cluster profile (docs/operations.md, "Scaling out").

Runs ``celery -A dagster_celery.app worker`` with the executor's own broker, backend and task
settings (``sopilot_resources/deploy/celery_conf.py``), written as the ``dagster_celery_config``
module dagster-celery reads, in a private temporary folder, and runs Celery as its child: a
service manager's SIGTERM (or ``kill``, Ctrl-C) is passed on to Celery, which finishes or hands back
its task, and the folder is removed when Celery exits. A worker killed with ``kill -9`` cannot
clean up; the next ``sopilot worker`` on that host removes what it left.

A CPU host serves the ``dagster`` queue (the default); a GPU host serves ``gpu`` (``--queue gpu``,
and ``--queue dagster`` too if it should take CPU steps when idle). A worker reconstructs each
step's job from ``sopilot_assets.definitions``, so it needs the same SOPILOT_* settings as the
server and the data root mounted at the same path.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sopilot_resources.deploy import CPU_QUEUE
from sopilot_resources.deploy.celery_conf import celery_executor_config, worker_config_module
from sopilot_resources.errors import SopilotError
from sopilot_resources.settings import Settings

PREFIX = "sopilot-worker-"
#: a config folder without a pid file is a worker still starting (``mkdtemp``, then the pid)
#: for this many seconds; older, a worker that died before writing it
STARTING_SEC = 60.0
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def worker_command(settings: Settings, queues: list[str], concurrency: int, name: str | None,
                   config_dir: Path) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of the Celery worker for ``settings``; writes its config module into ``config_dir``."""
    if settings.run_executor != "celery" or not settings.celery_broker:
        raise SopilotError("`sopilot worker` serves the cluster profile's Celery executor: set "
                           "SOPILOT_DEPLOYMENT=cluster, SOPILOT_POSTGRES_URL and SOPILOT_CELERY_BROKER "
                           "as on the server (docs/operations.md, \"Scaling out\")")
    (config_dir / "dagster_celery_config.py").write_text(
        worker_config_module(celery_executor_config(settings)), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(config_dir), env.get("PYTHONPATH", "")) if p)
    env["SOPILOT_DATA_DIR"] = str(settings.data_dir)
    qs = list(dict.fromkeys(queues or [CPU_QUEUE]))
    argv = [sys.executable, "-m", "celery", "-A", "dagster_celery.app", "worker", "--loglevel", "INFO",
            "--prefetch-multiplier=1", f"--concurrency={concurrency}", "-Q", ",".join(qs),
            "-n", f"{name or 'sopilot-' + '-'.join(qs)}@{socket.gethostname()}"]
    return argv, env


def run_worker(settings: Settings, queues: list[str], concurrency: int, name: str | None) -> int:
    """Runs the Celery worker as a child process until it exits; SIGTERM, SIGHUP and SIGQUIT are
    passed on to it (Celery's warm / cold shutdown; Ctrl-C reaches it through the terminal). Its config folder is removed on
    the way out, and folders a killed (``kill -9``) worker left are removed at the next start."""
    sweep_config_dirs()
    config_dir = Path(tempfile.mkdtemp(prefix=PREFIX))
    (config_dir / "pid").write_text(str(os.getpid()), encoding="ascii")
    try:
        argv, env = worker_command(settings, queues, concurrency, name, config_dir)
        print(f"sopilot worker: queues {argv[argv.index('-Q') + 1]}, {concurrency} at a time, broker "
              f"{_safe(settings.celery_broker)}, data root {settings.data_dir}", file=sys.stderr, flush=True)
        child = subprocess.Popen(argv, env=env)  # same process group: Ctrl-C and kill -9 of the group reach it
        passed = {sig: signal.signal(sig, lambda n, _f: child.send_signal(n)) for sig in FORWARDED}
        passed[signal.SIGINT] = signal.signal(signal.SIGINT, lambda n, _f: None)  # Ctrl-C: Celery has it already
        try:
            return child.wait()
        finally:
            for sig, old in passed.items():
                signal.signal(sig, old)
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)


def sweep_config_dirs(tmp: str | None = None) -> list[Path]:
    """Removes config folders of workers that are gone (their pid not alive on this host)."""
    gone = []
    for d in Path(tmp or tempfile.gettempdir()).glob(PREFIX + "*"):
        if not _alive(d) and d.is_dir() and d.owner() == _me():
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    return gone


def _alive(d: Path) -> bool:
    """The worker that made config folder ``d`` still runs (or is not ours to signal), or is
    still starting (no pid file yet, the folder younger than STARTING_SEC: two workers started
    together must not sweep each other's folder between its ``mkdtemp`` and its pid file);
    False when no such process exists, or the pid file is unreadable or missing in an older folder."""
    try:
        os.kill(int((d / "pid").read_text(encoding="ascii")), 0)
    except PermissionError:
        return True
    except FileNotFoundError:
        try:
            return time.time() - d.stat().st_mtime < STARTING_SEC
        except OSError:
            return False
    except (OSError, ValueError):
        return False
    return True


def _me() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _safe(url: str) -> str:
    """The broker URL without its password, for a log line."""
    scheme, _, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}://{creds.split(':')[0] + '@' if at else ''}{host}"
