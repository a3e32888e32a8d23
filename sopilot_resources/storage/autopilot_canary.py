"""The autopilot's canary (issue 15 item 4; docs/reviews.md, "Autopilot"): a proposal that
passed the gate is not adopted at once. It waits as the task's *candidate* while new trainees
are scored and reviewed; when it only moves verdict thresholds and weights, its verdict on each
of them follows from the stored score, so both profiles judge every new trainee without a
second scoring; when it changes detection settings, both profiles rescore them (dry). Once ``target`` trainees scored after the candidate appeared have reviews, it is
promoted (a new profile version) when it agrees with those reviews at least as well as the
profile in force and passes none that the reviews call defective; otherwise it is dropped and
the bounds narrow."""
from __future__ import annotations

import datetime as dt

from ..scoring.autopilot import Proposal, agreement, slide, unsafe
from .autopilot_state import cases_for, current_thresholds, event, save_state
from .profiles import add_version, task_record
from .registry import Registry
from .video_store import VideoStore


def start(store: VideoStore, task: str, st: dict, p: Proposal, entry: dict, summary: str, by: str,
          version: int | None, target: int) -> tuple[str, Proposal, str]:
    """Makes the gate-passing proposal ``p`` (its profile stored as ``entry``) the candidate."""
    st["candidate"] = {**entry, "thresholds": p.proposed, "current": p.current, "summary": summary,
                       "since": dt.datetime.now(dt.timezone.utc).isoformat(), "target": int(target)}
    save_state(store, task, st)
    msg = (f"task {task}: proposal passes the gate ({summary}); canary started: it is judged against the "
           f"reviews of the next {target} trainees scored before it is adopted")
    event(store, task, "canary_started", p, by, msg, version)
    return "canary_started", p, msg


def _rescored(store: VideoStore, doc: dict, cand: dict, cases: list, device: str):
    """A candidate that changes detection settings: the canary's trainees rescored under the
    profile in force and under the candidate's (cases, cases under the candidate), or a reason."""
    import json

    from .autopilot_dry import rescored

    new_doc = json.loads((store.root / cand["path"]).read_text())
    out, why = rescored(store, {"now": doc, "new": new_doc}, cases, device=device)
    return (None, None, why) if out is None else (out["now"], out["new"], "")


def judge(store: VideoStore, task: str, st: dict, doc: dict, by: str, version: int | None,
          device: str = "auto") -> tuple[str, Proposal | None, str]:
    """The candidate's canary: still waiting, promoted or dropped. Thresholds and weights are
    judged from the stored scores; a change of detection settings rescores the canary's
    trainees under both profiles (``autopilot_dry.py``)."""
    cand = st["candidate"]
    cases = cases_for(store, task, since=dt.datetime.fromisoformat(cand["since"]))
    if len(cases) < cand["target"]:
        msg = (f"task {task}: canary of the proposal ({cand['summary']}): {len(cases)} of {cand['target']} "
               "new trainees scored and reviewed so far")
        event(store, task, "canary_waiting", None, by, msg, version)
        return "canary_waiting", None, msg
    current = current_thresholds(doc)
    th = {**current, **{k: float(v) for k, v in cand["thresholds"].items()}}  # thresholds, m:<type>, d:<setting>
    new_cases = cases
    if any(k.startswith("d:") for k in th):
        cases, new_cases, why = _rescored(store, doc, cand, cases, device)
        if cases is None:
            st.pop("candidate")
            save_state(store, task, st)
            msg = f"task {task}: proposal dropped: its canary's trainees cannot be rescored ({why})"
            event(store, task, "canary_failed", None, by, msg, version)
            return "canary_failed", None, msg
    a_cur, a_new = agreement(current, cases), agreement(th, new_cases)
    newly = sorted(set(unsafe(th, new_cases)) - set(unsafe(current, cases)))
    p = Proposal(current, th, a_cur, a_new, a_cur, a_new, unsafe(current, cases), unsafe(th, new_cases), len(cases),
                 not newly and a_new >= a_cur)
    tally = f"canary: {a_new} vs {a_cur} of {len(cases)} new reviewed trainees agree"
    st.pop("candidate")
    if p.gate_ok:
        reg = Registry(store.registry_dir)
        entry = {k: cand[k] for k in ("sha256", "path", "file_name", "fingerprint")}
        added = add_version(reg, task_record(reg, task), entry, "autopilot", f"{cand['summary']}; {tally}")
        st["bounds"] = slide(st.get("bounds") or {}, adopted=True)
        save_state(store, task, st)
        msg = f"task {task}: profile v{added['version']} adopted after its canary ({tally})"
        event(store, task, "adopted", p, by, msg, version, added["version"])
        return "adopted", p, msg
    st["bounds"] = slide(st.get("bounds") or {}, adopted=False)
    save_state(store, task, st)
    why = f"it would pass {', '.join(newly)}" if newly else "it agrees less"
    msg = f"task {task}: proposal dropped after its canary ({tally}; {why}); bounds narrowed"
    event(store, task, "canary_failed", p, by, msg, version)
    return "canary_failed", p, msg
