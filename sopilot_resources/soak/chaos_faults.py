"""The chaos soak's faults, on a clock: a tmpfs of fixed size under the sandbox (so the disk
can really fill), a filler file that takes every free byte for a while, and ``kill -9`` of the
daemon with the time until the service is back.

``FaultClock.poll(now)`` is called by the soak loop; each fault runs in a thread of its own so
the loop keeps observing. The process and readiness parts are injected (``kill() -> pid``,
``is_back(since) -> bool``), so this module knows nothing of Dagster.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import SopilotError


class SoakSetupError(SopilotError):
    """The chaos soak cannot set up a fault (e.g. no right to mount a tmpfs)."""


def mount_tmpfs(path: Path, size_mb: int) -> None:
    """A tmpfs of ``size_mb`` at ``path`` (root only). Raises SoakSetupError with what to do."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SoakSetupError(
            f"cannot mount a {size_mb} MB tmpfs at {path} ({(r.stderr or r.stdout).strip()}): the "
            "chaos soak's disk fault needs root (or CAP_SYS_ADMIN); run it as root, or pass "
            "--no-disk-fault to skip the full-disk part")


def unmount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path: Path, chunk: int = 8 << 20) -> int:
    """Writes ``path`` until the file system is full; returns the bytes written."""
    written = 0
    buf = b"\0" * chunk
    with open(path, "wb", buffering=0) as fh:
        while True:
            try:
                written += fh.write(buf if free_bytes(path.parent) >= chunk else buf[:4096])
            except OSError:  # ENOSPC: full
                break
    return written


@dataclass
class FaultClock:
    """Faults at seconds after ``t0``: ``kill_at`` (kill -9 the daemon, then wait for the service),
    ``fill_at`` (fill ``fill_dir`` for ``hold_sec``, then free it). One at a time: a fault starts
    at its time, but never before the previous one is over (service back, disk freed) plus
    ``gap_sec``, so each recovery is measured alone."""

    t0: float
    kill_at: list[float]
    kill: Callable[[], int | None]
    is_back: Callable[[float], bool]
    fill_at: float | None = None
    fill_dir: Path | None = None
    hold_sec: float = 60.0
    back_timeout_sec: float = 180.0
    gap_sec: float = 10.0
    log: Callable[[str], None] = print
    kills: list[dict] = field(default_factory=list)
    disk: dict = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)
    _pending: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self):
        self._pending = sorted([(t, "kill") for t in self.kill_at]
                               + ([(self.fill_at, "fill")] if self.fill_at is not None else []))

    _last_done: float = 0.0

    def poll(self, now: float) -> None:
        busy = any(t.is_alive() for t in self.threads)
        if self._pending and not busy and now >= max(self.t0 + self._pending[0][0],
                                                     self._last_done + self.gap_sec):
            _, what = self._pending.pop(0)
            t = threading.Thread(target=self._kill if what == "kill" else self._fill, daemon=True,
                                 name=f"chaos-{what}")
            self.threads.append(t)
            t.start()

    def done(self) -> bool:
        return not self._pending and not any(t.is_alive() for t in self.threads)

    def timeline(self) -> list[dict]:
        rows = [{"at_sec": k["at"] - self.t0, "event": "kill -9 daemon",
                 "detail": (f"pid {k['pid']}; back after {k['back_sec']:.1f} s" if k.get("back_sec") is not None
                            else f"pid {k.get('pid')}; {k.get('note') or 'not back'}")} for k in self.kills]
        if self.disk:
            rows.append({"at_sec": self.disk["full_at"] - self.t0, "event": "disk full",
                         "detail": f"{self.disk['filler_mb']:.0f} MB filler, "
                                   f"{self.disk['free_bytes_full'] / 2**20:.1f} MB left"})
            if self.disk.get("freed_at"):
                rows.append({"at_sec": self.disk["freed_at"] - self.t0, "event": "disk freed",
                             "detail": f"after {self.disk['held_sec']:.0f} s"})
        return sorted(rows, key=lambda r: r["at_sec"])

    def _kill(self) -> None:
        at = time.time()
        rec: dict = {"at": at, "pid": None, "back_sec": None}
        self.kills.append(rec)
        try:
            rec["pid"] = self.kill()
        except Exception as exc:  # noqa: BLE001 - recorded in the report
            rec["note"] = f"kill failed: {type(exc).__name__}: {exc}"
        if rec["pid"] is None:
            rec.setdefault("note", "no daemon process found to kill")
            self.log(f"chaos: {rec['note']}")
            self._last_done = time.time()
            return
        self.log(f"chaos: kill -9 of the daemon (pid {rec['pid']}) at {at - self.t0:.0f} s")
        while time.time() - at < self.back_timeout_sec:
            if self.is_back(at):
                rec["back_sec"] = time.time() - at
                self.log(f"chaos: service back {rec['back_sec']:.1f} s after the kill")
                self._last_done = time.time()
                return
            time.sleep(0.5)
        rec["note"] = f"not back {self.back_timeout_sec:.0f} s after the kill"
        self.log(f"chaos: {rec['note']}")
        self._last_done = time.time()

    def _fill(self) -> None:
        filler = self.fill_dir / "chaos-filler.bin"
        t = time.time()
        n = fill(filler)
        self.disk = {"full_at": time.time(), "filler_mb": n / 2**20,
                     "free_bytes_full": free_bytes(self.fill_dir), "fill_sec": time.time() - t}
        self.log(f"chaos: disk under {self.fill_dir} full ({n / 2**20:.0f} MB filler, "
                 f"{self.disk['free_bytes_full']} bytes free); holding {self.hold_sec:.0f} s")
        time.sleep(self.hold_sec)
        filler.unlink()
        self.disk["freed_at"] = time.time()
        self.disk["held_sec"] = self.disk["freed_at"] - self.disk["full_at"]
        self._last_done = time.time()
        self.log(f"chaos: disk freed ({free_bytes(self.fill_dir) / 2**20:.0f} MB free)")
