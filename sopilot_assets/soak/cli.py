"""``sopilot soak --duration 10m [--rate 6] [--data-dir D]``: prints progress and the
report path; exit status 0 when every invariant holds, 1 otherwise."""
from __future__ import annotations

from sopilot_resources.settings import DurationError, Settings, parse_duration

__all__ = ["DurationError", "parse_duration", "run_soak_cli"]


def run_soak_cli(duration: str, rate_per_min: float, settings: Settings) -> int:
    """``settings``: the data root (``--data-dir`` applied) and the soak's bounds."""
    from .run import run_soak, soak_passed

    if rate_per_min <= 0:
        raise DurationError(f"rate {rate_per_min}: files per minute must be positive")
    report = run_soak(parse_duration(duration), rate_per_min, settings,
                      progress=lambda line: print(line, flush=True))
    print(f"report: {report}", flush=True)
    return 0 if soak_passed(report) else 1
