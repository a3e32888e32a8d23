"""Which executor runs the jobs' steps, by deployment profile (``sopilot_resources/deploy``).

    in_process  the single profile: every step in the run's own process (a small box)
    celery      the cluster profile: each step is a Celery task on a worker (``sopilot worker``),
                through the Redis broker; GPU steps on the ``gpu`` queue
    k8s         each step a Kubernetes job (dagster-k8s), GPU steps with their pod config

The integrations (dagster-celery, dagster-k8s: the ``cluster`` extra) are imported only when
chosen, so the default install needs neither.
"""
from __future__ import annotations

import dagster as dg

from sopilot_resources.deploy import celery_executor_config
from sopilot_resources.settings import Settings


def executor_for(settings: Settings) -> dg.ExecutorDefinition:
    kind = settings.run_executor
    if kind == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(celery_executor_config(settings), name="sopilot_celery")
    if kind == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return dg.in_process_executor  # ad hoc runs too: no process per step on a small box
