"""The soak loop: drop files on a clock, watch their fates, sample memory and disk.

Everything that touches the running pipeline is injected, so this module knows nothing of
Dagster: ``observe() -> Observation`` reads DuckDB and the data root, ``rss_mb() -> float``
measures the pipeline's processes, ``disk_bytes() -> int`` the folders it writes.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .invariants import Observation
from .plan import Drop, materialize

FINAL = {"scored", "quarantined", "gold", "duplicate"}


@dataclass
class SoakLog:
    drops: list[Drop]
    fates: dict[str, dict] = field(default_factory=dict)  # file name -> fate, at, score...
    samples: list[dict] = field(default_factory=list)
    last: Observation = field(default_factory=Observation)
    t0: float = 0.0
    drained: bool = False

    def drop_rows(self) -> list[dict]:
        rows = []
        for d in self.drops:
            f = self.fates.get(d.ident, {})
            at = f.get("at")
            rows.append({**d.to_dict(), "fate": f.get("fate"), "accounted_at": at,
                         "latency_sec": (at - d.dropped_at) if at and d.dropped_at else None,
                         "score": f.get("score"), "reason": f.get("reason")})
        return rows


def _record_fates(log: SoakLog, obs: Observation, now: float) -> None:
    scores = {r["trainee_file"]: r for r in obs.scores}
    for d in log.drops:
        if not d.dropped_at:
            continue
        name, prev = d.file_name, log.fates.get(d.file_name, {})
        if name in scores:
            fate = {"fate": "scored", "score": float(scores[name]["score"])}
        elif name in obs.quarantined:
            fate = {"fate": "quarantined", "reason": obs.quarantined[name]}
        elif name in obs.golds:
            fate = {"fate": "gold"}
        elif name in obs.duplicates:
            fate = {"fate": "duplicate"}
        elif name in obs.waiting:
            fate = {"fate": "waiting"}
        else:
            continue
        if prev.get("fate") != fate["fate"]:
            log.fates[name] = {**fate, "at": now}


def settle(log: SoakLog, observe: Callable[[], Observation],
           record_fn: Callable | None = None) -> None:
    """One last look after the pipeline went quiet: files that reached their fate after the
    drain deadline are accounted (with their real, late time), not lost."""
    log.last = observe()
    (record_fn or _record_fates)(log, log.last, time.time())


def drive(drops: list[Drop], inbox: Path, staging: Path, interval_sec: float,
          drain_sec: float, observe: Callable[[], Observation],
          rss_mb: Callable[[], tuple[float, float]], disk_bytes: Callable[[], int],
          progress: Callable[[str], None] = print, poll_sec: float = 2.0,
          sample_sec: float = 2.0, seed: int = 0,
          alive: Callable[[], bool] | None = None,
          drop_fn: Callable | None = None, record_fn: Callable | None = None,
          final: frozenset | set = frozenset(FINAL),
          on_poll: Callable[[float], None] | None = None,
          hold: Callable[[], bool] | None = None) -> SoakLog:
    """Drop ``drops[i]`` at ``t0 + i * interval_sec``; keep polling (every ``poll_sec``) until
    every drop has a final fate or ``drain_sec`` passed after the last drop. Memory/disk
    samples are kept every ``sample_sec`` (a 24 h soak needs no 2 s resolution).

    The chaos soak swaps in its own ``drop_fn(drop, inbox, staging, rng)`` (hostile writers),
    ``record_fn(log, obs, now)`` (fates keyed by ``Drop.ident``), ``final`` fates, and
    ``on_poll(now)`` (its fault clock) and ``hold() -> bool`` (faults or writers still to
    come: not done yet, whatever the fates say)."""
    drop_fn = drop_fn or materialize
    record_fn = record_fn or _record_fates
    rng = random.Random(seed)
    log = SoakLog(drops=drops, t0=time.time())
    next_i, last_print, last_sample, deadline = 0, 0.0, -1e9, None
    while True:
        now = time.time()
        while next_i < len(drops) and now >= log.t0 + next_i * interval_sec:
            drop_fn(drops[next_i], inbox, staging, rng)
            next_i += 1
        try:
            obs = observe()
        except Exception as exc:  # a read racing a writer: try again next poll
            progress(f"soak: observe failed ({type(exc).__name__}: {exc}); retrying")
            obs = log.last
        log.last = obs
        record_fn(log, obs, time.time())
        if on_poll is not None:
            on_poll(time.time())
        n_final = sum(1 for f in log.fates.values() if f["fate"] in final)
        done = next_i == len(drops) and n_final == len(drops) and not (hold and hold())
        if now - last_sample >= sample_sec or done:
            last_sample = now
            total, base = rss_mb()
            log.samples.append({
                "t_sec": now - log.t0, "rss_mb": total, "rss_base_mb": base,
                "disk_mb": disk_bytes() / 2**20,
                "dropped": next_i, "accounted": len(log.fates),
                "scored": sum(1 for f in log.fates.values() if f["fate"] == "scored")})
        if log.samples and (now - last_print >= 15 or done):
            s = log.samples[-1]
            progress(f"soak {s['t_sec'] / 60:5.1f} min: dropped {next_i}/{len(drops)}, "
                     f"accounted {s['accounted']}, scored {s['scored']}, final {n_final}, "
                     f"RSS {s['rss_mb']:.0f} MB, disk {s['disk_mb']:.0f} MB")
            last_print = now
        if alive is not None and not alive():
            progress("soak: the pipeline's daemon exited; stopping early")
            return log
        if next_i == len(drops):
            deadline = deadline or now + drain_sec
            if done:
                log.drained = True
                return log
            if now >= deadline:
                progress(f"soak: drain timed out with {len(drops) - n_final} files not final")
                return log
        time.sleep(poll_sec)
