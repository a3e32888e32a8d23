"""The chaos soak's outside view of a data root, keyed by what identifies each drop: score rows
by the trainee's sha256, quarantined, archived and ignored files by their inbox path (names
repeat across task folders, and long names may be shortened in ``quarantine/``).

Read-only; safe while the pipeline runs.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .invariants import Observation
from .plan import Drop

#: ingest_events actions that report a file left in the inbox
REPORT_ACTIONS = ("ignored",)


@dataclass
class ChaosObservation(Observation):
    quarantine_docs: list[dict] = field(default_factory=list)  # reason files, with "stored"
    archived: set[str] = field(default_factory=set)  # "<task>/<role>/<name>" under archive/duplicates
    reported: Counter = field(default_factory=Counter)  # inbox path -> times reported ignored
    gold_rels: set[str] = field(default_factory=set)  # "<task>/gold/<name>" registered
    raw_shas: set[str] = field(default_factory=set)  # sha256 of every video in raw/
    inbox_left: set[str] = field(default_factory=set)  # inbox paths still there (lexists)

    def quarantined_rels(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for doc in self.quarantine_docs:
            out.setdefault(doc.get("inbox_path") or doc.get("file") or "", []).append(doc)
        return out

    def score_count(self) -> Counter:
        return Counter(r.get("trainee_sha256") or "" for r in self.scores)


def observe_chaos(data_dir: str | Path) -> ChaosObservation:
    from .observe import observe

    base = observe(data_dir)
    obs = ChaosObservation(**base.__dict__)
    root = Path(data_dir)
    q = root / "quarantine"
    for reason_file in q.rglob("*.reason.json") if q.is_dir() else []:
        try:
            doc = json.loads(reason_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        doc["stored"] = str(reason_file)[: -len(".reason.json")]
        obs.quarantine_docs.append(doc)
    dup = root / "archive" / "duplicates"
    for dirpath, _dirs, files in os.walk(dup):
        for f in files:
            obs.archived.add(Path(dirpath, f).relative_to(dup).as_posix())
    obs.reported = Counter(_reported(root))
    obs.gold_rels = _gold_rels(root)
    raw = root / "raw"
    for dirpath, _dirs, files in os.walk(raw):
        obs.raw_shas |= {f.split(".")[0] for f in files if len(f.split(".")[0]) == 64}
    inbox = root / "inbox"
    for dirpath, dirs, files in os.walk(inbox):
        for name in files + dirs:
            obs.inbox_left.add(Path(dirpath, name).relative_to(inbox).as_posix())
    return obs


def _reported(root: Path) -> list[str]:
    from ..storage.results_store import ResultsStore

    if not (root / "results" / "ingest_events").is_dir():
        return []
    rs = ResultsStore(root / "results", root / "sopilot.duckdb")
    marks = ",".join("?" * len(REPORT_ACTIONS))
    rows = rs.query(f"SELECT inbox_path FROM ingest_events WHERE action IN ({marks})",
                    list(REPORT_ACTIONS))
    return [r["inbox_path"] for r in rows]


def _gold_rels(root: Path) -> set[str]:
    from ..storage.registry import Registry

    reg_dir = root / "registry"
    if not reg_dir.is_dir():
        return set()
    return {f"{t.task}/gold/{g['file_name']}" for t in Registry(reg_dir).tasks() for g in t.golds}


def fates_of(d: Drop, obs: ChaosObservation) -> list[str]:
    """Every fate the pipeline gave drop ``d`` (exactly one expected)."""
    out = []
    q = obs.quarantined_rels()
    if d.rel in q:
        out += ["quarantined"] * len(q[d.rel])
    if f"{d.task}/{d.role}/{d.file_name}" in obs.archived:
        out.append("duplicate")
    elif d.role == "trainee" and d.sha256 and obs.score_count().get(d.sha256):
        out.append("scored")
    if d.rel in obs.gold_rels:
        out.append("gold")
    if obs.reported.get(d.rel):
        out.append("ignored")
    return out


def record_chaos_fates(log, obs: ChaosObservation, now: float) -> None:
    """The driver's ``record_fn``: fates keyed by ``Drop.ident`` (the inbox path)."""
    for d in log.drops:
        if not d.dropped_at:
            continue
        fates = fates_of(d, obs)
        if not fates:
            continue
        fate = {"fate": fates[0]}
        if fates[0] == "quarantined":
            doc = obs.quarantined_rels()[d.rel][0]
            fate["reason"] = f"{doc.get('reason', '')}: {doc.get('message', '')}".strip(": ")
        if fates[0] == "scored":
            rows = [r for r in obs.scores if r.get("trainee_sha256") == d.sha256]
            fate["score"] = float(rows[0]["score"])
        prev = log.fates.get(d.ident, {})
        if prev.get("fate") != fate["fate"]:
            log.fates[d.ident] = {**fate, "at": now}
