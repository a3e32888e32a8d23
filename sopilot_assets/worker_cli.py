"""``sopilot worker``: a Celery worker of the cluster profile (docs/operations.md, "Scaling out").

Runs ``celery -A dagster_celery.app worker`` with the executor's own broker, backend and task
settings (``sopilot_resources/deploy/celery_conf.py``), written as the ``dagster_celery_config``
module dagster-celery reads, in a private temporary folder. The worker then *is* that Celery
process (``exec``): a service manager, or ``kill``, reaches it directly.

A CPU host serves the ``dagster`` queue (the default); a GPU host serves ``gpu`` (``--queue gpu``,
and ``--queue dagster`` too if it should take CPU steps when idle). A worker reconstructs each
step's job from ``sopilot_assets.definitions``, so it needs the same SOPILOT_* settings as the
server and the data root mounted at the same path.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

from sopilot_resources.deploy import CPU_QUEUE
from sopilot_resources.deploy.celery_conf import celery_executor_config, worker_config_module
from sopilot_resources.errors import SopilotError
from sopilot_resources.settings import Settings


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
    config_dir = Path(tempfile.mkdtemp(prefix="sopilot-worker-"))
    argv, env = worker_command(settings, queues, concurrency, name, config_dir)
    print(f"sopilot worker: queues {argv[argv.index('-Q') + 1]}, {concurrency} at a time, broker "
          f"{_safe(settings.celery_broker)}, data root {settings.data_dir}", file=sys.stderr, flush=True)
    os.execve(argv[0], argv, env)
    return 0  # not reached


def _safe(url: str) -> str:
    """The broker URL without its password, for a log line."""
    scheme, _, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}://{creds.split(':')[0] + '@' if at else ''}{host}"
