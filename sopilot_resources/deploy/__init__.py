"""The deployment profile (docs/operations.md, "Scaling out"): where runs' steps go and what a
GPU step asks for, from ``Settings`` alone. Pure Python: the Dagster side is
``sopilot_assets/executors.py`` and ``sopilot_assets/instance/``.

    single   SQLite instance under DAGSTER_HOME, steps in the run's own process (the default)
    cluster  Postgres instance (SOPILOT_POSTGRES_URL), steps on Celery workers through Redis
             (SOPILOT_CELERY_BROKER), or as Kubernetes jobs (SOPILOT_EXECUTOR=k8s); the data
             root is a share every host mounts at the same path
"""
from .celery_conf import celery_executor_config
from .routing import CPU_QUEUE, GPU_QUEUE, K8S_TAG, QUEUE_TAG, gpu_wanted, step_tags

__all__ = ["celery_executor_config", "CPU_QUEUE", "GPU_QUEUE", "K8S_TAG", "QUEUE_TAG", "gpu_wanted", "step_tags"]
