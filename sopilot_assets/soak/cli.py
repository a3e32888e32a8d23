"""``sopilot soak --duration 10m [--rate 6] [--data-dir D]``: prints progress and the
report path; exit status 0 when every invariant holds, 1 otherwise."""
from __future__ import annotations

import re

from sopilot_resources.errors import SopilotError

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class DurationError(SopilotError):
    reason = "bad_duration"


def parse_duration(text: str | float | int) -> float:
    """"90s", "10m", "24h", "1h30m", "600" (seconds) -> seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(sec|min|s|m|h|d)", s)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*(sec|min|s|m|h|d)", "", s).strip():
        raise DurationError(f"duration {text!r}: use e.g. 90s, 10m, 24h or 1h30m")
    total = sum(float(n) * _UNITS[u] for n, u in parts)
    if total <= 0:
        raise DurationError(f"duration {text!r} must be positive")
    return total


def run_soak_cli(duration: str, rate_per_min: float = 6.0, data_dir: str | None = None) -> int:
    from .run import run_soak, soak_passed

    if rate_per_min <= 0:
        raise DurationError(f"rate {rate_per_min}: files per minute must be positive")
    report = run_soak(parse_duration(duration), rate_per_min=rate_per_min, data_dir=data_dir,
                      progress=lambda line: print(line, flush=True))
    print(f"report: {report}", flush=True)
    return 0 if soak_passed(report) else 1
