"""`<DAGSTER_HOME>/sopilot-serve.json`: what a running `sopilot serve` started, for people and tools.

Rewritten atomically on every (re)start and state change::

    {"serve_pid": 123, "started_at": "2026-12-04T04:10:00+00:00", "state": "running",
     "url": "http://127.0.0.1:3000", "updated_at": "...",
     "processes": {"code_server": 124, "webserver": 130, "daemon": 131},
     "restarts": [{"what": "daemon", "at": "...", "why": "killed by SIGKILL"}, ...]}

`state` is "running", "stopping", "stopped" (clean exit; `processes` then empty) or "gave_up".
The chaos soak reads it to kill the daemon and to time the way back to service.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger("sopilot.serve")

STATE_FILE = "sopilot-serve.json"
MAX_RESTARTS_KEPT = 100


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_state(home: Path) -> dict | None:
    try:
        return json.loads((Path(home) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class ServeState:
    """The in-memory record behind the file; every change is written at once."""

    def __init__(self, home: Path, url: str):
        self.path = Path(home) / STATE_FILE
        self._failed: str | None = None
        self.data = {"serve_pid": os.getpid(), "started_at": now_iso(), "state": "running",
                     "url": url, "processes": {}, "restarts": []}

    def started(self, what: str, pid: int) -> None:
        self.data["processes"][what] = pid
        self.write()

    def restarted(self, what: str, why: str) -> None:
        self.data["restarts"] = [*self.data["restarts"], {"what": what, "at": now_iso(), "why": why}][-MAX_RESTARTS_KEPT:]
        self.write()

    def finished(self, state: str, **extra) -> None:
        self.data.update(state=state, **extra)
        if state in ("stopped", "gave_up"):
            self.data["processes"] = {}
        self.write()

    def write(self) -> None:
        """Write the file; a failed write (disk full) is logged once per error and never stops serve."""
        self.data["updated_at"] = now_iso()
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            tmp.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
            self._failed = None
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            if self._failed != str(exc):
                log.warning("could not write %s (%s); serve keeps running, the file is written again at "
                            "the next change", self.path, exc)
            self._failed = str(exc)
