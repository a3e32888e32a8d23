"""Is the machine idle enough for heavy work? Measure load, compare with a budget.

Pure Python (psutil, optional NVML); no Dagster. The measurement source is a plain
function returning a readings dict, so callers (and tests) can swap it:

    readings = {
        "cpu_percent": 12.5,          # all cores, averaged over the sampling interval
        "ram_percent": 41.0,          # psutil.virtual_memory().percent
        "gpus": [{"index": 0, "util_percent": 3.0, "mem_percent": 10.2}],  # [] = none
        "gpu_status": "ok" | "unavailable: <why>",
        "active_runs": 0,             # filled in by the caller (Dagster instance)
    }
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Callable

import psutil

from .errors import SopilotError

Readings = dict


class IdleConfigError(SopilotError, ValueError):
    """A malformed idle budget (quiet hours, a limit that is not a number)."""

    reason = "bad_idle_config"
Sampler = Callable[[], Readings]


def measure_cpu_ram(cpu_interval: float = 0.5) -> dict:
    """CPU % averaged over ``cpu_interval`` seconds (blocking; never the meaningless 0.0
    of a first instantaneous call) and RAM % in use."""
    cpu = psutil.cpu_percent(interval=max(0.05, float(cpu_interval)))
    return {"cpu_percent": float(cpu), "ram_percent": float(psutil.virtual_memory().percent)}


def measure_gpus() -> tuple[list[dict], str]:
    """Per-GPU utilisation and memory % via NVML (package ``nvidia-ml-py``, imported lazily).

    Returns (gpus, status). No package, no driver or no GPU -> ([], "unavailable: ...");
    never raises."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return [], "unavailable: nvidia-ml-py not installed"
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
        return [], f"unavailable: {exc}"
    try:
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            util = pynvml.nvmlDeviceGetUtilizationRates(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            gpus.append({
                "index": i,
                "util_percent": float(util.gpu),
                "mem_percent": 100.0 * float(mem.used) / float(mem.total or 1),
            })
        return gpus, ("ok" if gpus else "unavailable: no GPU")
    except Exception as exc:
        return [], f"unavailable: {exc}"
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


def measure_system(cpu_interval: float = 0.5) -> Readings:
    """The default sampler: CPU, RAM and GPUs of this machine (active_runs = 0)."""
    gpus, status = measure_gpus()
    return {**measure_cpu_ram(cpu_interval), "gpus": gpus, "gpu_status": status,
            "active_runs": 0}


_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_quiet_hours(text: str | None) -> tuple[_dt.time, _dt.time] | None:
    """"22:00-06:00" -> (22:00, 06:00); empty/None -> None. Raises IdleConfigError when malformed."""
    if text is None or not str(text).strip():
        return None
    m = _HHMM.match(str(text))
    if not m:
        raise IdleConfigError(f"quiet hours {text!r}: expected HH:MM-HH:MM, e.g. 22:00-06:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise IdleConfigError(f"quiet hours {text!r}: hours 0-23, minutes 0-59")
    return _dt.time(h1, m1), _dt.time(h2, m2)


def in_window(t: _dt.time, window: tuple[_dt.time, _dt.time]) -> bool:
    """Start inclusive, end exclusive; a window whose end is before its start wraps midnight.
    Equal start and end means the whole day."""
    start, end = window
    if start == end:
        return True
    if start < end:
        return start <= t < end
    return t >= start or t < end


@dataclass(frozen=True)
class IdleBudget:
    """The most load at which heavy work may still start. ``None`` = no limit.

    quiet_hours: optional local-time window ("22:00-06:00") OUTSIDE of which the machine is
    never considered idle (heavy work only runs at night, say). None = any time."""

    max_cpu_percent: float | None = 50.0
    max_ram_percent: float | None = 50.0
    max_gpu_util_percent: float | None = None  # the GPU may be saturated by default
    max_gpu_mem_percent: float | None = None
    max_active_runs: int | None = 0
    quiet_hours: str | None = None

    def __post_init__(self):
        parse_quiet_hours(self.quiet_hours)  # fail early on a malformed window


@dataclass(frozen=True)
class IdleVerdict:
    idle: bool
    reasons: list[str] = field(default_factory=list)
    readings: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line for logs and SkipReasons."""
        r = self.readings
        gpus = r.get("gpus") or []
        gpu = ", ".join(f"GPU{g['index']} {g['util_percent']:.0f} % util {g['mem_percent']:.0f} % mem"
                        for g in gpus) or f"GPU {r.get('gpu_status', 'unavailable')}"
        load = (f"CPU {r.get('cpu_percent', float('nan')):.0f} %, "
                f"RAM {r.get('ram_percent', float('nan')):.0f} %, {gpu}, "
                f"{r.get('active_runs', 0)} active runs")
        if self.idle:
            return f"idle ({load})"
        return "busy: " + "; ".join(self.reasons) + f" ({load})"


def _over(label: str, value: float | None, limit: float | None, unit: str = " %") -> str | None:
    if limit is None or value is None or value <= limit:
        return None
    return f"{label} {value:.0f}{unit} > {limit:.0f}{unit} budget"


def evaluate(budget: IdleBudget, readings: Readings, now: _dt.datetime | None = None) -> IdleVerdict:
    """Compare readings with the budget. ``now``: local wall time (quiet hours)."""
    reasons = [x for x in (
        _over("CPU", readings.get("cpu_percent"), budget.max_cpu_percent),
        _over("RAM", readings.get("ram_percent"), budget.max_ram_percent),
    ) if x]
    for g in readings.get("gpus") or []:
        for key, label, limit in (("util_percent", "util", budget.max_gpu_util_percent),
                                  ("mem_percent", "memory", budget.max_gpu_mem_percent)):
            msg = _over(f"GPU{g['index']} {label}", g.get(key), limit)
            if msg:
                reasons.append(msg)
    runs = int(readings.get("active_runs") or 0)
    if budget.max_active_runs is not None and runs > budget.max_active_runs:
        reasons.append(f"{runs} active Dagster run{'s' if runs != 1 else ''} "
                       f"> {budget.max_active_runs} allowed")
    window = parse_quiet_hours(budget.quiet_hours)
    if window is not None:
        now = now or _dt.datetime.now()
        if not in_window(now.time(), window):
            reasons.append(f"local time {now:%H:%M} outside quiet hours {budget.quiet_hours.strip()}")
    return IdleVerdict(idle=not reasons, reasons=reasons, readings=dict(readings))


class IdleGate:
    """budget + sampler + clock. ``check(active_runs)`` measures now and judges."""

    def __init__(self, budget: IdleBudget | None = None, sampler: Sampler | None = None,
                 clock: Callable[[], _dt.datetime] | None = None):
        self.budget = budget or IdleBudget()
        self.sampler = sampler or measure_system
        self.clock = clock or _dt.datetime.now

    def check(self, active_runs: int = 0) -> IdleVerdict:
        readings = dict(self.sampler())
        readings["active_runs"] = int(active_runs)
        return evaluate(self.budget, readings, self.clock())
