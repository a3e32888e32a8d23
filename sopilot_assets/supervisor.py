"""Restart policy of `sopilot serve`: when to restart a dead process, after how long, when to give up.

Plain values and functions, no processes: `sopilot_assets/supervisor_procs.py` starts and stops
processes, `serve.py` runs the loop. A death is *fast* when the process lived less than
``healthy_after_s``; a process that ran longer starts a fresh streak. Restarts wait
``backoff_s[streak - 1]`` (the last value once the streak is longer); the streak-th fast death in a
row with ``streak == give_up_after`` makes serve give up (stop everything, exit non-zero).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RestartPolicy:
    """How `sopilot serve` restarts what it started (docs/operations.md, "What serve supervises")."""

    backoff_s: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 30.0)
    healthy_after_s: float = 60.0  # a process that ran this long was healthy: its death is not "fast"
    give_up_after: int = 5  # fast deaths in a row of one process
    window_s: float = 600.0  # "restart N in the last 10 min" in the log

    def __post_init__(self):
        if not self.backoff_s or min(self.backoff_s) < 0 or self.give_up_after < 1:
            raise ValueError(f"bad restart policy: {self}")


@dataclass(frozen=True)
class Death:
    """One unexpected exit of a supervised process and what the policy makes of it."""

    lived_s: float
    streak: int  # fast deaths in a row, this one included (0: it had been healthy)
    delay_s: float  # wait this long before starting it again
    give_up: bool


def next_streak(policy: RestartPolicy, streak: int, lived_s: float) -> int:
    """The fast-death streak after a death of a process that lived ``lived_s``."""
    return streak + 1 if lived_s < policy.healthy_after_s else 0


def restart_delay(policy: RestartPolicy, streak: int) -> float:
    """Seconds to wait before a restart: the first value after a healthy run, doubling after that."""
    return policy.backoff_s[min(max(streak - 1, 0), len(policy.backoff_s) - 1)]


def judge_death(policy: RestartPolicy, streak: int, lived_s: float) -> Death:
    """What to do after a death, given the streak before it."""
    new = next_streak(policy, streak, lived_s)
    return Death(lived_s=lived_s, streak=new, delay_s=restart_delay(policy, new),
                 give_up=new >= policy.give_up_after)


def recent(times: list[float], now: float, window_s: float) -> int:
    """How many of ``times`` (monotonic seconds) fall in the last ``window_s``."""
    return sum(1 for t in times if now - t <= window_s)


def describe_exit(returncode: int | None) -> str:
    """'killed by SIGKILL' / 'exited with code 1' / 'exited normally' for a Popen returncode."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return "exited normally (code 0)" if returncode == 0 else f"exited with code {returncode}"


def window_words(window_s: float) -> str:
    return f"{window_s / 60:.0f} min" if window_s >= 60 else f"{window_s:.0f} s"


@dataclass
class UnitRecord:
    """Book-keeping of one supervised process across its restarts (mutable, owned by the loop)."""

    name: str  # key in sopilot-serve.json: "code_server", "webserver", "daemon"
    label: str  # for people: "dagster-daemon"
    started_at: float = 0.0  # monotonic
    streak: int = 0
    restart_times: list[float] = field(default_factory=list)
    restart_due: float | None = None  # monotonic time of the scheduled restart
