"""The Celery executor's config (``dagster_celery.celery_executor``) and its workers' config.

Both sides must agree (the same broker, backend and task settings): the executor in the run
process submits one task per step; ``sopilot worker`` starts workers with the same values.

A worker that dies holding a step (``kill -9``, a lost host) must not lose it: tasks are
acknowledged only once they finished (``task_acks_late``) and requeued when their worker is lost
(``task_reject_on_worker_lost``); Redis hands an unacknowledged task to another worker after
SOPILOT_CELERY_VISIBILITY_TIMEOUT seconds (default an hour: longer than any one step, or a
step still running would be handed out twice). Each worker takes one task at a time (prefetch 1), so a busy
worker never sits on queued steps another could run.
"""
from __future__ import annotations


def celery_executor_config(settings) -> dict:
    """The ``celery_executor`` config block for ``settings`` (cluster profile)."""
    broker, visibility_timeout = settings.celery_broker, settings.celery_visibility_timeout
    return {
        "broker": broker,
        "backend": settings.celery_backend or broker,
        "config_source": {
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            # Redis looks for such tasks every 10th tick of this many seconds (kombu's default: 10)
            "broker_transport_options": {"visibility_timeout": visibility_timeout,
                                         "unacked_restore_interval": max(1, min(10, visibility_timeout // 5))},
            "result_backend_transport_options": {"visibility_timeout": visibility_timeout},
            "broker_connection_retry_on_startup": True,
        },
    }


def worker_config_module(config: dict) -> str:
    """The text of the ``dagster_celery_config`` module a worker imports (dagster-celery reads
    it when its app starts): the same broker, backend and task settings as the executor."""
    lines = [f"broker_url = {config['broker']!r}", f"result_backend = {config['backend']!r}"]
    lines += [f"{k} = {v!r}" for k, v in config.get("config_source", {}).items()]
    return "\n".join(lines) + "\n"
