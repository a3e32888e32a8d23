"""The autopilot's state and effects per task: its sliding bounds and pin (``registry/autopilot/
<task>.json``), the golden set as cases, adopting a proposal as a new profile version, and the
audit table ``profile_events`` (docs/reviews.md, "Autopilot")."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from ..scoring.autopilot import THRESHOLDS, TUNABLE_PENALTIES, Case, Proposal, profile_doc, propose, slide
from .fsutil import atomic_write_bytes, atomic_write_json, read_json
from .golden_set import LATEST_SQL
from .profiles import add_version, task_record
from .registry import Registry
from .results_store import ResultsStore
from .reviews import CURRENT_SQL
from .video_store import VideoStore

#: a task's profile is never changed with fewer current reviews than this
MIN_REVIEWS = 8


def _path(store: VideoStore, task: str):
    return store.registry_dir / "autopilot" / f"{task}.json"


def state(store: VideoStore, task: str) -> dict:
    return read_json(_path(store, task)) or {"bounds": {}, "pinned": False}


def save_state(store: VideoStore, task: str, st: dict) -> None:
    atomic_write_json(_path(store, task), st)


def cases_for(store: VideoStore, task: str, since: dt.datetime | None = None) -> list[Case]:
    """The task's golden set as Cases: current reviews joined with each video's latest score
    (only scores made after ``since`` when given: a canary's trainees)."""
    rs = ResultsStore(store.results, store.duckdb_path)
    latest = {r["trainee_sha256"]: r for r in rs.query(LATEST_SQL)
              if r["task"] == task and (since is None or r["scored_at"] > since)}
    pens: dict[str, dict[str, float]] = {}
    for d in rs.query("SELECT pair_key, type, penalty FROM deviations WHERE severity <> 'critical'"):
        per = pens.setdefault(d["pair_key"], {})
        per[d["type"]] = per.get(d["type"], 0.0) + float(d["penalty"] or 0.0)
    blocks = bool(current_profile_doc(store, task)[0].get("order_blocks_pass", True))
    out = []
    for r in rs.query(CURRENT_SQL):
        s = latest.get(r["trainee_sha256"]) if r["task"] == task else None
        if s is None:
            continue
        several = (s["n_cycles"] or 1) > 1  # a shift recording's score is a mean of cycles: kept as it is
        per = pens.get(s["pair_key"], {})
        out.append(Case(r["trainee_file"], r["verdict"], float(s["score"]), bool(s["n_critical"]),
                        () if several else tuple(sorted(per.items())), s["pair_key"], several,
                        blocks and per.get("order_swap", 0.0) > 0))
    return sorted(out, key=lambda c: c.name)


def current_thresholds(doc: dict) -> dict:
    """The verdict thresholds in force under profile JSON ``doc`` ({} : the defaults)."""
    from ..scoring.profile import Profile

    base = Profile()
    return {k: float(doc.get(k, getattr(base, k))) for k in THRESHOLDS}


def current_weights(doc: dict) -> dict:
    """The tunable penalty weights in force under profile JSON ``doc``."""
    from ..scoring.profile import DEFAULT_PENALTIES

    return {k: float({**DEFAULT_PENALTIES, **doc.get("penalties", {})}[k]) for k in TUNABLE_PENALTIES}


def current_profile_doc(store: VideoStore, task: str) -> tuple[dict, int | None]:
    """(the task's profile as a JSON object - {} for the default profile, its version)."""
    rec = task_record(Registry(store.registry_dir), task)
    if not rec.profile:
        return {}, None
    return json.loads((store.root / rec.profile["path"]).read_text()), rec.profile["version"]


def event(store: VideoStore, task: str, kind: str, p: Proposal | None, by: str, reason: str,
          from_version: int | None = None, to_version: int | None = None) -> dict:
    row = {"event_at": dt.datetime.now(dt.timezone.utc), "task": task, "event": kind,
           "from_version": from_version, "to_version": to_version, "actor": by, "reason": reason,
           "changes": json.dumps({k: list(v) for k, v in (p.changes if p else {}).items()}),
           "n_reviews": p.n if p else None, "agreement_before": p.agreement_before if p else None,
           "agreement_after": p.agreement_after if p else None, "cv_before": p.cv_before if p else None,
           "cv_after": p.cv_after if p else None, "unsafe_after": ", ".join(p.unsafe_after) if p else None}
    ResultsStore(store.results, store.duckdb_path).append("profile_events", [row], prefix=task)
    return row


def _change(k: str, a: float, b: float, weights: dict) -> str:
    if k.startswith("d:"):
        return f"{k[2:]} {a:g} -> {b:g}"
    if k.startswith("m:"):
        w = weights[k[2:]]
        return f"{k[2:]} penalty {w:g} -> {round(w * b * 2) / 2:g}"
    return f"{k} {a:g} -> {b:g}"


def write_profile(store: VideoStore, task: str, doc: dict) -> dict:
    """Stores profile ``doc`` content-addressed (``raw/profiles/<task>/<sha>.json``); returns
    the version entry's content fields."""
    from ..scoring.profile import load_profile

    blob = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    sha = hashlib.sha256(blob).hexdigest()
    path = store.profile_path(task, sha)
    atomic_write_bytes(path, blob)
    return {"sha256": sha, "path": path.relative_to(store.root).as_posix(), "file_name": "autopilot.json",
            "fingerprint": load_profile(path).fingerprint()}


def detection_variants(store: VideoStore, doc: dict, bounds: dict, cases: list[Case],
                       knobs: tuple[str, ...], device: str = "auto") -> tuple[dict | None, str]:
    """The golden set rescored under every detection variant within the bounds
    (``scoring/autopilot_detect.py``, ``autopilot_dry.py``); (None, a note) when none is searched."""
    if not knobs:
        return None, ""
    from ..scoring.autopilot_detect import apply, variants
    from .autopilot_dry import rescored

    out, why = rescored(store, {v: apply(doc, v) for v in variants(doc, bounds, knobs)}, cases, device=device)
    return out, "" if out is not None else f"; detection settings not searched: {why}"


def run(store: VideoStore, task: str, adopt: bool = False, min_reviews: int = MIN_REVIEWS,
        by: str = "autopilot", canary: int = 0, detection: tuple[str, ...] = (),
        device: str = "auto") -> tuple[str, Proposal | None, str]:
    """One autopilot pass over ``task``: (event, the proposal or None, a sentence for people).
    Every pass is a ``profile_events`` row. With ``canary`` > 0 an adopted proposal first
    watches that many new reviewed trainees (``autopilot_canary.py``). ``detection``: the
    detection settings searched too (each candidate rescores the golden set; () : none)."""
    st = state(store, task)
    doc, version = current_profile_doc(store, task)
    if st.get("pinned"):
        msg = f"task {task}: profile pinned by {st.get('pinned_by') or 'someone'}; autopilot off for it"
        event(store, task, "skipped", None, by, msg, version)
        return "skipped", None, msg
    if st.get("candidate"):
        from .autopilot_canary import judge

        return judge(store, task, st, doc, by, version, device)
    cases = cases_for(store, task)
    if len(cases) < min_reviews:
        msg = f"task {task}: {len(cases)} reviewed and scored video(s), at least {min_reviews} needed"
        event(store, task, "skipped", None, by, msg, version)
        return "skipped", None, msg
    from ..scoring.autopilot_detect import settings_of

    current, weights, bounds = current_thresholds(doc), current_weights(doc), st.get("bounds") or {}
    variants, note = detection_variants(store, doc, bounds, cases, detection, device)
    p = propose(cases, current, bounds, variants=variants, detection_now=settings_of(doc))
    summary = (f"agreement {p.agreement_before} -> {p.agreement_after} of {p.n}, held-out {p.cv_before} -> "
               f"{p.cv_after}; " + ", ".join(_change(k, a, b, weights) for k, (a, b) in p.changes.items()) + note)
    if not p.gate_ok:
        msg = f"task {task}: no change: " + "; ".join(p.reasons)
        event(store, task, "rejected", p, by, msg, version)
        return "rejected", p, msg
    if not adopt:
        msg = f"task {task}: proposal passes the gate ({summary}); --adopt makes it a new version"
        event(store, task, "proposed", p, by, msg, version)
        return "proposed", p, msg
    entry = write_profile(store, task, profile_doc(doc, p.proposed, weights))
    if canary > 0:
        from .autopilot_canary import start

        return start(store, task, st, p, entry, summary, by, version, canary)
    reg = Registry(store.registry_dir)
    added = add_version(reg, task_record(reg, task), entry, by, summary)
    st["bounds"] = slide(st.get("bounds") or {}, adopted=True)
    save_state(store, task, st)
    msg = f"task {task}: profile v{added['version']} adopted ({summary})"
    event(store, task, "adopted", p, by, msg, version, added["version"])
    return "adopted", p, msg


def note_rollback(store: VideoStore, task: str, undone: dict, new_version: int, by: str) -> None:
    """After a rollback that undid an autopilot version: its bounds narrow."""
    if undone.get("proposed_by") != "autopilot":
        return
    st = state(store, task)
    st["bounds"] = slide(st.get("bounds") or {}, adopted=False)
    save_state(store, task, st)
    event(store, task, "rolled_back", None, by, f"v{undone['version']} (autopilot) rolled back; bounds "
          f"narrowed to {st['bounds']}", undone["version"], new_version)


def pin(store: VideoStore, task: str, pinned: bool, by: str) -> None:
    task_record(Registry(store.registry_dir), task)  # an unknown task is an error
    st = state(store, task)
    st.update(pinned=pinned, pinned_by=by if pinned else None)
    save_state(store, task, st)
    event(store, task, "pinned" if pinned else "unpinned", None, by, f"autopilot {'off' if pinned else 'on'}")
