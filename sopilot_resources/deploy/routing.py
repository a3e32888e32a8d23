"""GPU routing: which steps want a GPU, and the tags that send them to one.

A step that wants a GPU (a model embedder, torch DTW, the heavy backlog) goes, when GPU workers
are configured (SOPILOT_GPU_WORKERS), to the Celery queue ``gpu``, which only workers on GPU hosts
serve (``sopilot worker --queue gpu``), and carries the ``dagster-k8s/config`` a Kubernetes step
pod needs: one ``nvidia.com/gpu``, the GPU node pool's node selector
(SOPILOT_K8S_GPU_NODE_SELECTOR) and a toleration of the pool's taint. Every other step goes to the
``dagster`` queue, which CPU workers serve, so a CPU-only worker never takes GPU work. With no GPU
worker configured GPU steps stay on the ``dagster`` queue and run on the CPU, as on one box.

Decided from the settings every process reads alike, never from whether the process that loads the
code (a code server on a CPU host) happens to see a GPU. Only the single profile asks the local
machine (``local_gpu``), because there the machine that loads the code is the one that runs it.
"""
from __future__ import annotations

from typing import Callable

GPU_QUEUE = "gpu"
CPU_QUEUE = "dagster"  # dagster-celery's default queue
QUEUE_TAG = "dagster-celery/queue"  # read by dagster-celery's executor, per step
K8S_TAG = "dagster-k8s/config"  # read by dagster-k8s's executor and run launcher
GPU_RESOURCE = "nvidia.com/gpu"


def gpu_wanted(settings, kind: str, local_gpu: Callable[[], bool]) -> bool:
    """Whether steps of ``kind`` ("embed", "align", "heavy") want a GPU under ``settings``.

    embed: only a model embedder (color-motion is plain numpy); align and heavy: any. Never with
    SOPILOT_DEVICE=cpu; with ``cuda`` always; with ``auto``: in the cluster profile when GPU
    workers are configured, in the single profile when this machine has one (``local_gpu()``)."""
    if kind == "embed" and settings.embedder == "color-motion":
        return False
    if settings.device == "cpu":
        return False
    if settings.device == "cuda":
        return True
    return settings.gpu_workers if settings.deployment == "cluster" else bool(local_gpu())


def k8s_gpu_config(settings) -> dict:
    """``dagster-k8s/config`` for a GPU step pod: one GPU, the GPU pool's nodes, their taint tolerated."""
    key, value = settings.k8s_gpu_node_selector.split("=", 1)
    return {
        "container_config": {"resources": {"limits": {GPU_RESOURCE: "1"}, "requests": {GPU_RESOURCE: "1"}}},
        "pod_spec_config": {
            "node_selector": {key: value},
            "tolerations": [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}],
        },
    }


def step_tags(settings, wants_gpu: bool) -> dict:
    """The op tags of a step: its Celery queue (Celery executor) and, for a GPU step with GPU
    workers configured, the Kubernetes pod config. Empty in the single profile's in-process runs."""
    executor = settings.run_executor
    if executor == "in_process":
        return {}
    gpu = wants_gpu and settings.gpu_workers
    tags: dict = {}
    if executor == "celery":
        tags[QUEUE_TAG] = GPU_QUEUE if gpu else CPU_QUEUE
    if gpu:
        tags[K8S_TAG] = k8s_gpu_config(settings)
    return tags
