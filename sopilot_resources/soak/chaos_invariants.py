"""Issue 12's bar as checks over a chaos soak: every good file scored exactly once, every bad
one quarantined with a reason (FIFOs and directories reported once), no run left unfinished,
no half-written file anywhere, nothing lost, and the service back within a minute of each kill.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..video.types import VIDEO_EXTENSIONS
from .chaos_observe import ChaosObservation, fates_of
from .chaos_plan import KIND_BY_NAME
from .invariants import Check, _short
from .plan import Drop

UNFINISHED = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def _groups(drops: list[Drop]) -> dict[int, list[Drop]]:
    """Duplicate groups: the original's seq -> [original, its duplicates]."""
    by_seq = {d.seq: d for d in drops}
    out: dict[int, list[Drop]] = {}
    for d in drops:
        if d.dup_of >= 0:
            out.setdefault(d.dup_of, [by_seq[d.dup_of]]).append(d)
    return out


def fates_as_planned(drops: list[Drop], obs: ChaosObservation) -> Check:
    """Each drop has exactly its planned fate; a quarantine has a reason (for a looping link,
    one that says so). In a duplicate group any one copy may be the scored one."""
    wrong, in_group = [], {d.seq for g in _groups(drops).values() for d in g}
    q = obs.quarantined_rels()
    for d in drops:
        got = fates_of(d, obs)
        if d.seq not in in_group and got != [d.expected]:
            wrong.append(f"{d.kind} {d.rel!r}: expected {d.expected}, got {got or 'nothing'}")
        elif got == ["quarantined"]:
            doc = q[d.rel][0]
            reason = f"{doc.get('reason', '')} {doc.get('message', '')}".strip()
            need = KIND_BY_NAME[d.kind].reason_has if d.kind in KIND_BY_NAME else ""
            if not reason or (need and need not in reason.lower()):
                wrong.append(f"{d.kind} {d.rel!r}: quarantined with reason {reason!r}"
                             + (f" (must say {need!r})" if need else ""))
    for orig, group in _groups(drops).items():
        got = sorted(f for d in group for f in fates_of(d, obs))
        want = sorted(["scored"] + ["duplicate"] * (len(group) - 1))
        if got != want:
            wrong.append(f"duplicate group of s{orig:05d}: expected {want}, got {got}")
    return Check("each file got its planned fate", not wrong,
                 f"{len(drops)} drops" + (f"; {len(wrong)} wrong: {_short(wrong, 6)}" if wrong else ", all as planned"))


def scored_exactly_once(drops: list[Drop], obs: ChaosObservation) -> Check:
    """One score row per good trainee's bytes; none for bytes never dropped whole (a
    half-written copy ingested under its partial hash shows up here)."""
    want = {d.sha256 for d in drops if d.expected == "scored" or d.dup_of >= 0}
    dropped = {d.sha256 for d in drops if d.sha256}
    n = obs.score_count()
    missing = sorted(s[:12] for s in want if n.get(s, 0) == 0)
    twice = sorted(f"{s[:12]} x{n[s]}" for s in want if n.get(s, 0) > 1)
    strangers = sorted(f"{r.get('trainee_file')} ({(r.get('trainee_sha256') or '?')[:12]})"
                       for r in obs.scores if (r.get("trainee_sha256") or "") not in dropped)
    ok = not (missing or twice or strangers)
    return Check("every good file scored exactly once", ok,
                 f"{len(want)} good trainees, {len(want) - len(missing)} scored, {len(obs.scores)} rows"
                 + (f"; not scored: {_short(missing)}" if missing else "")
                 + (f"; scored more than once: {_short(twice)}" if twice else "")
                 + (f"; rows for bytes never dropped whole: {_short(strangers)}" if strangers else ""))


def ignored_reported_once(drops: list[Drop], obs: ChaosObservation) -> Check:
    items = [d for d in drops if d.expected == "ignored"]
    wrong = [f"{d.rel!r} reported {obs.reported.get(d.rel, 0)} times" for d in items
             if obs.reported.get(d.rel, 0) != 1]
    return Check("FIFOs and directories reported exactly once", not wrong,
                 f"{len(items)} left in the inbox" + (f"; {_short(wrong)}" if wrong else ", each reported once"))


def nothing_lost(drops: list[Drop], obs: ChaosObservation) -> Check:
    """Every drop is somewhere a person can find it: raw/, archive/, quarantine/, or (left
    alone) still in the inbox."""
    q = obs.quarantined_rels()
    lost = [d.rel for d in drops if not (
        (d.sha256 and d.sha256 in obs.raw_shas)
        or d.rel in q or f"{d.task}/{d.role}/{d.file_name}" in obs.archived
        or d.rel in obs.inbox_left)]
    return Check("nothing lost", not lost, f"{len(drops)} drops"
                 + (f"; nowhere to be found: {_short(lost)}" if lost else ", each in raw/, archive/, quarantine/ or the inbox"))


def no_runs_left(statuses: dict[str, int]) -> Check:
    left = {s: n for s, n in statuses.items() if s in UNFINISHED and n}
    return Check("no run left unfinished", not left,
                 f"{sum(statuses.values())} runs: " + ", ".join(f"{s} {n}" for s, n in sorted(statuses.items())))


def no_half_written(data_root: str | Path) -> Check:
    """No temporary file anywhere under the data root, every stored video's sha256 is its
    name, no empty file in raw/ or work/ (embeddings, gates, steps)."""
    root = Path(data_root)
    tmp, empty, bad_hash = [], [], []
    for dirpath, _dirs, files in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        top = rel_dir.parts[0] if rel_dir.parts else ""
        for f in files:
            p = Path(dirpath, f)
            if top != "inbox" and (".tmp" in f or f.endswith((".part", ".partial"))):
                tmp.append(str(rel_dir / f))
            if top in ("raw", "work"):
                try:
                    if p.stat().st_size == 0:
                        empty.append(str(rel_dir / f))
                except OSError:
                    continue
            if top == "raw" and p.suffix.lower() in VIDEO_EXTENSIONS and _sha(p) != f[: -len(p.suffix)]:
                bad_hash.append(str(rel_dir / f))
    ok = not (tmp or empty or bad_hash)
    return Check("no half-written file", ok, "no temporary, empty or mis-hashed file" if ok else
                 "; ".join(x for x in (
                     f"temporary files: {_short(tmp)}" if tmp else "",
                     f"empty files: {_short(empty)}" if empty else "",
                     f"raw videos whose sha256 is not their name: {_short(bad_hash)}" if bad_hash else "")
                           if x))


def service_recovered(kills: list[dict], planned: int, limit_sec: float = 60.0) -> Check:
    """``kills``: {"at", "pid", "back_sec" (None: never back)} per ``kill -9`` of the daemon."""
    slow = [f"kill {i + 1}: " + (f"back after {k['back_sec']:.0f} s" if k.get("back_sec") is not None
                                 else k.get("note") or "never back")
            for i, k in enumerate(kills) if k.get("back_sec") is None or k["back_sec"] > limit_sec]
    ok = not slow and len(kills) == planned
    if not planned and not kills:
        return Check(f"service back within {limit_sec:.0f} s of each daemon kill", True, "no kill planned (--kills 0)")
    return Check(f"service back within {limit_sec:.0f} s of each daemon kill", ok,
                 f"{len(kills)}/{planned} kills; back after "
                 + ", ".join("-" if k.get("back_sec") is None else f"{k['back_sec']:.0f} s" for k in kills)
                 + (f"; {_short(slow)}" if slow else ""))


def faults_while_draining(kills: list[dict], disk: dict | None, last_final_at: float | None,
                          t0: float) -> Check:
    """Each fault struck while drops were still in flight (before the last one reached its
    fate): a fault after the pipeline went quiet proves nothing about the burst."""
    faults = [("kill", k["at"]) for k in kills] + ([("disk full", disk["full_at"])] if disk else [])
    late = [f"{what} at {at - t0:.0f} s" for what, at in faults if not last_final_at or at >= last_final_at]
    end = f"{last_final_at - t0:.0f} s" if last_final_at else "never"
    return Check("faults struck while the burst drained", not late,
                 f"{len(faults)} faults, last drop final at {end}"
                 + (f"; after it: {_short(late)} (lower --files' pace estimate)" if late else ""))


def disk_fault_done(fill: dict | None, planned: bool) -> Check:
    """The disk fault really happened: the filler left (almost) no room, then was removed."""
    if not planned:
        return Check("disk filled and freed", True, "not planned (--no-disk-fault)")
    ok = bool(fill) and fill.get("free_bytes_full", 1 << 40) < 1 << 20 and fill.get("freed_at")
    return Check("disk filled and freed", bool(ok),
                 f"free {fill.get('free_bytes_full', 0) / 2**20:.1f} MB for {fill.get('held_sec', 0):.0f} s, then freed"
                 if fill else "the disk was never filled")


def _sha(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["UNFINISHED", "disk_fault_done", "faults_while_draining", "fates_as_planned", "ignored_reported_once",
           "no_half_written", "no_runs_left", "nothing_lost", "scored_exactly_once", "service_recovered"]
