"""How each setting's text becomes a typed value.

Every parser takes the variable's text (stripped, never empty) and returns the value or raises
``ValueError`` saying what was expected; ``Settings.from_env`` turns that into one
``SettingsError`` line that names the variable. Times (durations, cron, zones): ``timing.py``.
Pure Python.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import SopilotError

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingsError(SopilotError, ValueError):
    """A setting (environment variable) SOPilot cannot use; the message names the variable."""

    reason = "bad_setting"


class DeprecatedSettingWarning(FutureWarning):
    """An old variable name was used (a FutureWarning, so it is shown by default)."""


def flag(text: str) -> bool:
    t = text.lower()
    if t in _TRUE or t in _FALSE:
        return t in _TRUE
    raise ValueError("expected 1/0, true/false, yes/no or on/off")


def schedule_on(text: str) -> bool:
    """A schedule's default state: on/running/1/true/yes, or off/stopped/0/false/no."""
    t = text.lower()
    if t in ("running", "stopped"):
        return t == "running"
    try:
        return flag(t)
    except ValueError:
        raise ValueError("expected on or off (also running/stopped, 1/0, true/false, yes/no)") from None


def number(kind: type = float, low: float | None = None, high: float | None = None,
           positive: bool = False) -> Callable[[str], float | int]:
    """A parser for an int or float in [low, high] (``positive``: > 0)."""
    what = "an integer" if kind is int else "a number"

    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise ValueError(f"expected {what}") from None
        if positive and v <= 0:
            raise ValueError(f"expected {what} > 0")
        if (low is not None and v < low) or (high is not None and v > high):
            raise ValueError(f"expected {what} " + (f"from {low} to {high}" if high is not None else f">= {low}"))
        return v

    return parse


def limit(kind: type = float) -> Callable[[str], float | int | None]:
    """An idle budget: a number >= 0 (a trailing % allowed), or none/off/no for no limit."""
    inner = number(kind, low=0)

    def parse(text: str):
        if text.lower() in ("none", "off", "no"):
            return None
        try:
            return inner(text.rstrip("%").strip())
        except ValueError as exc:
            raise ValueError(f"{exc} or 'none'") from None

    return parse


def size_mb(text: str) -> float | None:
    """Megabytes > 0, or none / 0 for no limit."""
    return None if text.lower() in ("none", "0") else number(float, positive=True)(text)


def choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return text.lower()

    return parse


def knobs(text: str) -> tuple[str, ...]:
    """The autopilot's detection settings to search: ``all``, ``off`` or names, comma-separated."""
    from ..scoring.autopilot_detect import KNOBS

    if text.lower() in ("all", "on", "1"):
        return tuple(KNOBS)
    if text.lower() in ("off", "none", "0", ""):
        return ()
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in names if n not in KNOBS]
    if bad:
        raise ValueError(f"unknown detection setting(s) {', '.join(bad)}; expected all, off or some of "
                         f"{', '.join(KNOBS)}")
    return names


def embedder_name(text: str) -> str:
    from ..embedders.registry import available_embedders

    return choice(*available_embedders())(text)


def path(text: str) -> Path:
    return Path(text).expanduser()


def existing_file(text: str) -> Path:
    p = path(text)
    if not p.is_file():
        raise ValueError("no such file")
    return p


def quiet_hours(text: str) -> str:
    from ..system_load import IdleConfigError, parse_quiet_hours

    try:
        parse_quiet_hours(text)
    except IdleConfigError as exc:
        raise ValueError(str(exc).split(": ", 1)[-1]) from None
    return text


def url(*schemes: str) -> Callable[[str], str]:
    """A URL whose scheme is one of ``schemes`` (``postgresql://user:pw@host:5432/db``); kept as written."""
    def parse(text: str) -> str:
        scheme, sep, rest = text.partition("://")
        if not sep or scheme.lower() not in schemes or not rest:
            raise ValueError(f"expected a URL such as {schemes[0]}://host:port/...")
        return text

    return parse


def label(text: str) -> str:
    """A Kubernetes node label ``key=value`` (the GPU node pool's node selector)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip() or " " in text:
        raise ValueError("expected a node label key=value, e.g. sopilot/pool=gpu")
    return text


def postgres_url(text: str) -> str:
    """``postgresql+psycopg2://user:password@host:5432/db``. The driver must be named: SQLAlchemy
    2.1 opens a bare ``postgresql://`` with psycopg 3, whose server-side parameters break
    Dagster's event log (``NOTIFY run_events, $1``); dagster-postgres brings psycopg2."""
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        raise ValueError("name the driver: write postgresql+psycopg2://" + text.split("://", 1)[1].split("@")[-1]
                         + " (with user:password@ before the host)")
    return url("postgresql+psycopg2")(text)
