"""Plain data of an inbox tick: its configuration, the events it reports, its outcome."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from .stability import StabilityRules

#: tries of a file whose handling raised an unexpected error before it is quarantined
MAX_FAILURES = 3


@dataclass(frozen=True)
class IntakeConfig:
    stable_seconds: float = 5.0
    max_files_per_tick: int = 200
    tick_budget_sec: float = 20.0
    max_bytes: int | None = None
    max_duration_sec: float | None = None
    #: a steps file with no gold video of that name is quarantined after this long
    orphan_sidecar_sec: float = 600.0
    #: a file seen growing whose format cannot tell whether it is complete waits this long unchanged
    stalled_seconds: float = 60.0
    #: a video whose container is incomplete is quarantined as truncated after this long unchanged
    truncated_after_sec: float = 600.0

    @property
    def rules(self) -> StabilityRules:
        return StabilityRules(self.stable_seconds, self.stalled_seconds, self.truncated_after_sec)


@dataclass
class Event:
    action: str  # ingested | duplicate | quarantined | ignored | waiting | paired | profile | sidecar | recovered
    #             | retry (a not-embedded video dropped again) | pair_closed (its video was quarantined)
    message: str
    task: str = ""
    role: str = ""
    file_name: str = ""
    inbox_path: str = ""
    sha256: str = ""
    video_key: str = ""
    reason: str = ""
    stored_path: str = ""
    level: str = "info"
    event_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def row(self) -> dict:
        d = asdict(self)
        d.pop("level")
        return d


@dataclass
class Notice:
    """What the sensor's cheap pass found: events (ignored, waiting), the stability state, the
    stable entries to take (``InboxEntry``, in order) and how many more wait for the next pass."""

    events: list[Event]
    tracker_state: dict
    take: list
    left: int
    failures: dict = field(default_factory=dict)


@dataclass
class TickOutcome:
    events: list[Event]
    tracker_state: dict
    processed: int
    left_for_next_tick: int
    #: golds whose steps file changed: their gold_steps must be rebuilt
    regold: list[str] = field(default_factory=list)
    failures: dict = field(default_factory=dict)
