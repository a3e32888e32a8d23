"""`IdleGateResource`: the idle gate (sopilot_resources.system_load) as a Dagster resource.

Budgets come from ``Settings`` (``IdleGateResource.from_settings``; the SOPILOT_IDLE_*
variables in docs/operations.md); ``None`` means no limit.
"""
from __future__ import annotations

from typing import Optional

import dagster as dg

from sopilot_resources.settings import Settings
from sopilot_resources.system_load import IdleBudget, IdleGate, IdleVerdict, measure_system

ACTIVE_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                   dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                   dg.DagsterRunStatus.CANCELING]
_D = Settings.default


def active_run_ids(instance: dg.DagsterInstance, exclude: set[str] = frozenset()) -> list[str]:
    runs = instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE_STATUSES), limit=1000)
    return [r.dagster_run.run_id for r in runs if r.dagster_run.run_id not in exclude]


class IdleGateResource(dg.ConfigurableResource):
    """Is the machine idle enough for heavy work? Budgets: see the module doc."""

    max_cpu_percent: Optional[float] = _D("idle_max_cpu_percent")
    max_ram_percent: Optional[float] = _D("idle_max_ram_percent")
    max_gpu_util_percent: Optional[float] = _D("idle_max_gpu_util_percent")
    max_gpu_mem_percent: Optional[float] = _D("idle_max_gpu_mem_percent")
    max_active_runs: Optional[int] = _D("idle_max_active_runs")
    quiet_hours: Optional[str] = _D("idle_quiet_hours")
    cpu_sample_sec: float = _D("idle_cpu_sample_sec")

    @classmethod
    def from_settings(cls, s: Settings) -> "IdleGateResource":
        return cls(max_cpu_percent=s.idle_max_cpu_percent, max_ram_percent=s.idle_max_ram_percent,
                   max_gpu_util_percent=s.idle_max_gpu_util_percent,
                   max_gpu_mem_percent=s.idle_max_gpu_mem_percent, max_active_runs=s.idle_max_active_runs,
                   quiet_hours=s.idle_quiet_hours, cpu_sample_sec=s.idle_cpu_sample_sec)

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
