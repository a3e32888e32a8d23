"""`IdleGateResource`: the idle gate (sopilot_resources.system_load) as a Dagster resource.

Budgets come from environment variables (``IdleGateResource.from_env()``); "none" or an
empty value means no limit:

    SOPILOT_IDLE_MAX_CPU_PERCENT       50    all cores, sampled over SOPILOT_IDLE_CPU_SAMPLE_SEC
    SOPILOT_IDLE_MAX_RAM_PERCENT       50
    SOPILOT_IDLE_MAX_GPU_UTIL_PERCENT  none  (the GPU may be saturated)
    SOPILOT_IDLE_MAX_GPU_MEM_PERCENT   none
    SOPILOT_IDLE_MAX_ACTIVE_RUNS       0     other Dagster runs queued/starting/running
    SOPILOT_IDLE_QUIET_HOURS           ""    e.g. 22:00-06:00 (local time): idle only inside
    SOPILOT_IDLE_CPU_SAMPLE_SEC        0.5
"""
from __future__ import annotations

import os
from typing import Optional

import dagster as dg

from sopilot_resources.system_load import (
    IdleBudget, IdleConfigError, IdleGate, IdleVerdict, measure_system)

ACTIVE_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                   dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                   dg.DagsterRunStatus.CANCELING]


def _env_limit(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    if raw is None:
        return default
    raw = raw.strip().lower()
    if raw in ("", "none", "off", "no"):
        return None
    try:
        return float(raw.rstrip("%"))
    except ValueError:
        raise IdleConfigError(f"{name}={raw!r}: expected a number or 'none'") from None


def active_run_ids(instance: dg.DagsterInstance, exclude: set[str] = frozenset()) -> list[str]:
    runs = instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE_STATUSES), limit=1000)
    return [r.dagster_run.run_id for r in runs if r.dagster_run.run_id not in exclude]


class IdleGateResource(dg.ConfigurableResource):
    """Is the machine idle enough for heavy work? See module doc for the env variables."""

    max_cpu_percent: Optional[float] = 50.0
    max_ram_percent: Optional[float] = 50.0
    max_gpu_util_percent: Optional[float] = None
    max_gpu_mem_percent: Optional[float] = None
    max_active_runs: Optional[int] = 0
    quiet_hours: Optional[str] = None
    cpu_sample_sec: float = 0.5

    @classmethod
    def from_env(cls) -> "IdleGateResource":
        runs = _env_limit("SOPILOT_IDLE_MAX_ACTIVE_RUNS", 0)
        return cls(
            max_cpu_percent=_env_limit("SOPILOT_IDLE_MAX_CPU_PERCENT", 50.0),
            max_ram_percent=_env_limit("SOPILOT_IDLE_MAX_RAM_PERCENT", 50.0),
            max_gpu_util_percent=_env_limit("SOPILOT_IDLE_MAX_GPU_UTIL_PERCENT", None),
            max_gpu_mem_percent=_env_limit("SOPILOT_IDLE_MAX_GPU_MEM_PERCENT", None),
            max_active_runs=None if runs is None else int(runs),
            quiet_hours=os.environ.get("SOPILOT_IDLE_QUIET_HOURS") or None,
            cpu_sample_sec=_env_limit("SOPILOT_IDLE_CPU_SAMPLE_SEC", 0.5) or 0.5,
        )

    def budget(self) -> IdleBudget:
        return IdleBudget(self.max_cpu_percent, self.max_ram_percent, self.max_gpu_util_percent,
                          self.max_gpu_mem_percent, self.max_active_runs, self.quiet_hours)

    def sample(self) -> dict:
        """The readings source; a subclass may override it (tests simulate load here)."""
        return measure_system(self.cpu_sample_sec)

    def gate(self) -> IdleGate:
        return IdleGate(self.budget(), sampler=self.sample)

    def check(self, instance: dg.DagsterInstance | None = None,
              exclude_run_ids: set[str] = frozenset()) -> IdleVerdict:
        """Measure now. Active runs are counted on ``instance`` (none given: 0), leaving out
        ``exclude_run_ids`` (a heavy run does not count itself)."""
        n = len(active_run_ids(instance, set(exclude_run_ids))) if instance is not None else 0
        return self.gate().check(active_runs=n)
