"""Settings that are times: durations, cron expressions, time zones (see ``values.py``)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

from ..errors import SopilotError

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_PART = r"(\d+(?:\.\d+)?)\s*(sec|min|s|m|h|d)"
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?]+$")


class DurationError(SopilotError, ValueError):
    reason = "bad_duration"


def parse_duration(text: str | float | int) -> float:
    """"90s", "10m", "24h", "1h30m", "600" (seconds) -> seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    parts = re.findall(_PART, s)
    if not parts or re.sub(_PART, "", s).strip():
        raise DurationError(f"duration {text!r}: use e.g. 90s, 10m, 24h or 1h30m")
    total = sum(float(n) * _UNITS[u] for n, u in parts)
    if total <= 0:
        raise DurationError(f"duration {text!r} must be positive")
    return total


def duration(text: str) -> float:
    return parse_duration(text)  # DurationError is a ValueError


def cron(text: str) -> str:
    fields = text.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError("expected a cron expression of 5 fields, e.g. '*/5 * * * *'")
    return " ".join(fields)


def timezone(text: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(text)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError("expected an IANA time zone such as Europe/Berlin") from None
    return text


def local_timezone_name(environ: Mapping[str, str]) -> str:
    """IANA name of this machine's zone ($TZ, /etc/timezone, /etc/localtime), else UTC."""
    tz = (environ.get("TZ") or "").strip(": ")
    if tz:
        return tz
    try:
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    except OSError:
        pass
    target = os.path.realpath("/etc/localtime")
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"
