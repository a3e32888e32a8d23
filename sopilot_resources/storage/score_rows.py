"""A scored pair's rows in the results tables: its deviations, its cycles (a shift recording),
its located trainee steps and (last) its score. Written by ``pair_scoring.score_stored_pair`` for the ``pair_score`` asset and
the idle-time rescoring alike."""
from __future__ import annotations

import datetime as dt

from ..scoring.verdict import Verdict
from .registry import PairRecord, VideoRecord
from .results_store import ResultsStore

PASS = Verdict.PASS.value


def _t(span: dict | None, key: str):
    return None if not span else span[key]


def write_score_rows(rs: ResultsStore, pair: PairRecord, gold: VideoRecord, trainee: VideoRecord,
                     doc: dict, embedder_key: str, profile_fingerprint: str, run_id: str,
                     profile_version: int | None = None) -> None:
    """Replaces the pair's rows in deviations, steps and (last) scores; ``doc`` is
    ``ScoreResult.to_dict()``. ``gold_step`` / ``step_index`` stay 0-based, as in the JSON.
    ``profile_version``: the task's profile version scored with (None: the default profile)."""
    now = dt.datetime.now(dt.timezone.utc)
    base = {"pair_key": pair.key, "task": pair.task, "trainee_file": trainee.file_name, "gold_file": gold.file_name}
    devs = doc["deviations"]
    rs.write("deviations", pair.key, [{
        **base, "idx": i, "type": d["type"], "gold_step": d["gold_step"], "gold_step_name": d["gold_step_name"],
        "gold_start_sec": _t(d["gold_time"], "start_sec"), "gold_end_sec": _t(d["gold_time"], "end_sec"),
        "trainee_start_sec": _t(d["trainee_time"], "start_sec"), "trainee_end_sec": _t(d["trainee_time"], "end_sec"),
        "severity": d["severity"], "confidence": d["confidence"], "penalty": d["penalty"],
        "message": d["message"], "scored_at": now, "cycle": d.get("cycle")} for i, d in enumerate(devs)])
    cycles, several = doc.get("cycles") or [], "cycles" in doc  # a segment may hold none
    rs.write("cycles", pair.key, cycle_rows({**base, "recording": trainee.recording}, cycles, now))
    rs.write("steps", f"pair/{pair.key}", [{
        "task": pair.task, "video_key": trainee.key, "pair_key": pair.key, "role": "trainee",
        "file_name": trainee.file_name, "step_index": s["index"], "name": s["name"],
        "start_sec": s["start_sec"], "end_sec": s["end_sec"], "critical": None,
        "source": "located" if s.get("found", True) else "not_found", "written_at": now}
        for s in doc["steps"]["trainee"]])
    # the score row last: its file's presence means the pair is complete
    rs.write("scores", pair.key, [{
        **base, "score": float(doc["score"]), "verdict": doc["verdict"], "scored_at": now,
        "trainee_key": trainee.key, "gold_key": gold.key, "gold_version": pair.gold_version,
        "n_deviations": len(devs), "n_critical": sum(d["severity"] == "critical" for d in devs),
        "penalty_total": float(sum(d["penalty"] for d in devs)), "embedder": embedder_key,
        "profile_fingerprint": profile_fingerprint, "trainee_sha256": trainee.sha256,
        "gold_sha256": gold.sha256, "run_id": run_id,
        "n_cycles": sum(c["score"] is not None for c in cycles) if several else 1,
        "n_cycles_passed": (sum(c["verdict"] == PASS for c in cycles) if several else int(doc["verdict"] == PASS)),
        "recording": trainee.recording, "profile_version": profile_version,
        "verdict_reason": doc.get("verdict_reason")}])


def cycle_rows(base: dict, cycles: list[dict], now) -> list[dict]:
    """One row per cycle of a shift recording (none for a video of one performance)."""
    out = []
    for k, c in enumerate(cycles):
        t = c["trainee_time"]
        prev = cycles[k - 1]["trainee_time"]["end_sec"] if k else None
        devs = c["deviations"]
        out.append({**base, "cycle": c["index"], "start_sec": t["start_sec"], "end_sec": t["end_sec"],
                    "cycle_sec": round(t["end_sec"] - t["start_sec"], 2),
                    "gap_before_sec": None if prev is None else round(t["start_sec"] - prev, 2),
                    "partial": bool(c["partial"]), "coverage": c.get("coverage"), "score": c["score"],
                    "verdict": c["verdict"], "n_deviations": len(devs),
                    "what_went_wrong": "; ".join(d["type"].replace("_", " ") + (
                        "" if d["gold_step"] is None else f" step {d['gold_step'] + 1}") for d in devs),
                    "scored_at": now})
    return out
