"""Idle gate: budgets against injected readings, quiet hours, NVML absence, and one test
under REAL CPU load (busy subprocesses on every core)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest

from sopilot_resources.system_load import (
    IdleBudget,
    IdleConfigError,
    IdleGate,
    evaluate,
    in_window,
    measure_gpus,
    measure_system,
    parse_quiet_hours,
)

NIGHT = dt.datetime(2026, 1, 5, 2, 30)
NOON = dt.datetime(2026, 1, 5, 12, 0)


def readings(cpu=10.0, ram=20.0, gpus=(), runs=0):
    return {"cpu_percent": cpu, "ram_percent": ram, "gpus": list(gpus),
            "gpu_status": "ok" if gpus else "unavailable: test", "active_runs": runs}


def test_idle_under_budget():
    v = evaluate(IdleBudget(), readings(cpu=49.0, ram=50.0))
    assert v.idle and v.reasons == []
    assert v.summary().startswith("idle")


def test_cpu_over_budget_names_the_numbers():
    v = evaluate(IdleBudget(), readings(cpu=71.2, ram=20.0))
    assert not v.idle
    assert v.reasons == ["CPU 71 % > 50 % budget"]
    assert "CPU 71 %" in v.summary() and v.summary().startswith("busy")


def test_every_limit_reports_its_own_reason():
    gpu = {"index": 0, "util_percent": 99.0, "mem_percent": 95.0}
    budget = IdleBudget(max_cpu_percent=20, max_ram_percent=30, max_gpu_util_percent=80,
                        max_gpu_mem_percent=90, max_active_runs=1)
    v = evaluate(budget, readings(cpu=25, ram=31, gpus=[gpu], runs=3))
    assert v.reasons == [
        "CPU 25 % > 20 % budget",
        "RAM 31 % > 30 % budget",
        "GPU0 util 99 % > 80 % budget",
        "GPU0 memory 95 % > 90 % budget",
        "3 active Dagster runs > 1 allowed",
    ]


def test_saturated_gpu_is_fine_by_default():
    gpu = {"index": 0, "util_percent": 100.0, "mem_percent": 100.0}
    assert evaluate(IdleBudget(), readings(gpus=[gpu])).idle


def test_active_runs_default_zero_allowed():
    assert not evaluate(IdleBudget(), readings(runs=1)).idle
    assert evaluate(IdleBudget(max_active_runs=None), readings(runs=50)).idle


@pytest.mark.parametrize("window,t,inside", [
    ("22:00-06:00", dt.time(23, 0), True),
    ("22:00-06:00", dt.time(2, 0), True),
    ("22:00-06:00", dt.time(6, 0), False),
    ("22:00-06:00", dt.time(12, 0), False),
    ("01:00-05:30", dt.time(5, 29), True),
    ("01:00-05:30", dt.time(0, 59), False),
    ("00:00-00:00", dt.time(13, 0), True),
])
def test_quiet_hours_window(window, t, inside):
    assert in_window(t, parse_quiet_hours(window)) is inside


def test_quiet_hours_gate():
    budget = IdleBudget(quiet_hours="22:00-06:00")
    assert evaluate(budget, readings(), now=NIGHT).idle
    v = evaluate(budget, readings(), now=NOON)
    assert v.reasons == ["local time 12:00 outside quiet hours 22:00-06:00"]


@pytest.mark.parametrize("bad", ["22-06", "25:00-06:00", "10:61-11:00", "night"])
def test_malformed_quiet_hours_rejected(bad):
    with pytest.raises(IdleConfigError, match="quiet hours"):
        IdleBudget(quiet_hours=bad)


def test_resource_from_settings():
    from sopilot_resources.dagster_resources.idle_gate import IdleGateResource
    from sopilot_resources.settings import Settings, SettingsError

    s = Settings.from_env({"SOPILOT_IDLE_MAX_CPU_PERCENT": "70%", "SOPILOT_IDLE_MAX_RAM_PERCENT": "none",
                           "SOPILOT_IDLE_MAX_GPU_UTIL_PERCENT": "90", "SOPILOT_IDLE_MAX_ACTIVE_RUNS": "2",
                           "SOPILOT_IDLE_QUIET_HOURS": "22:00-06:00"})
    b = IdleGateResource.from_settings(s).budget()
    assert (b.max_cpu_percent, b.max_ram_percent, b.max_gpu_util_percent, b.max_gpu_mem_percent,
            b.max_active_runs, b.quiet_hours) == (70.0, None, 90.0, None, 2, "22:00-06:00")
    with pytest.raises(SettingsError, match="SOPILOT_IDLE_MAX_CPU_PERCENT='half'"):
        Settings.from_env({"SOPILOT_IDLE_MAX_CPU_PERCENT": "half"})


def test_gate_uses_injected_sampler_and_clock():
    load = iter([readings(cpu=90), readings(cpu=5)])
    gate = IdleGate(IdleBudget(), sampler=lambda: next(load), clock=lambda: NIGHT)
    first, second = gate.check(active_runs=0), gate.check(active_runs=2)
    assert not first.idle and "CPU 90 % > 50 % budget" in first.reasons
    assert second.reasons == ["2 active Dagster runs > 0 allowed"]
    assert second.readings["active_runs"] == 2


def test_gpu_absent_is_unavailable_not_error():
    gpus, status = measure_gpus()
    if gpus:  # a machine with a real GPU: readings are sane
        assert status == "ok" and all(0 <= g["util_percent"] <= 100 for g in gpus)
    else:
        assert status.startswith("unavailable")


def test_real_measurement_shape():
    r = measure_system(cpu_interval=0.2)
    assert 0.0 <= r["cpu_percent"] <= 100.0 and 0.0 < r["ram_percent"] <= 100.0
    assert isinstance(r["gpus"], list) and r["gpu_status"]


def test_real_cpu_load_makes_gate_busy():
    """Spin one busy process per core for a few seconds; the real sampler must see it."""
    n = os.cpu_count() or 2
    spin = "import time\nend = time.time() + 6\nwhile time.time() < end: pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(n)]
    try:
        time.sleep(1.0)  # let them reach full speed
        gate = IdleGate(IdleBudget(), sampler=lambda: measure_system(cpu_interval=1.5))
        v = gate.check()
        assert not v.idle, v.summary()
        assert any(r.startswith("CPU ") and "> 50 % budget" in r for r in v.reasons)
        assert v.readings["cpu_percent"] > 80
    finally:
        for p in procs:
            p.kill()
            p.wait()
