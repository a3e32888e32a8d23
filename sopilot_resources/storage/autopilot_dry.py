"""Dry rescoring for the autopilot (docs/reviews.md, "Autopilot"): a task's reviewed trainees
scored again under candidate profiles, nothing written. Each pair's evidence (alignment,
step likelihood, the scene comparison) is built once from the stored embeddings; the
detectors then run once per profile (``scoring.engine.rejudge``), so a search over a few
dozen detection settings costs little more than one scoring per reviewed video.

A shift recording (several cycles) or a segment file keeps its stored score under every
profile: detection settings are then judged on the other videos only."""
from __future__ import annotations

import datetime as dt

from ..errors import SopilotError
from ..pair_scoring import PairNotReadyError, load_pair
from ..scoring.autopilot import Case
from ..scoring.autopilot_detect import case_of
from ..scoring.profile import parse_profile
from .golden_set import LATEST_SQL
from .registry import Registry
from .results_store import ResultsStore
from .reviews import CURRENT_SQL
from .video_store import VideoStore


def _embedders(rs: ResultsStore) -> dict[str, str]:
    try:
        return {r["pair_key"]: r["embedder"] for r in rs.query("SELECT pair_key, embedder FROM scores")}
    except Exception:  # noqa: BLE001 - a results table without the column: nothing recorded
        return {}


def rescored(store: VideoStore, task: str, docs: dict, stored: list[Case],
             since: dt.datetime | None = None, device: str = "auto") -> tuple[dict | None, str]:
    """({key: the reviewed trainees as Cases under profile JSON ``docs[key]``}, "") for the
    videos of ``stored`` (the golden set, or a canary's trainees scored after ``since``), in
    its order; (None, why) when a video cannot be rescored (its embeddings or pair are gone)."""
    from ..scoring.build_pair import build_evidence
    from ..scoring.engine import rejudge

    rs = ResultsStore(store.results, store.duckdb_path)
    latest = {r["trainee_sha256"]: r for r in rs.query(LATEST_SQL)
              if r["task"] == task and (since is None or r["scored_at"] > since)}
    reviews = {r["trainee_file"]: r for r in rs.query(CURRENT_SQL) if r["task"] == task}
    embedders, registry = _embedders(rs), Registry(store.registry_dir)
    profiles = {k: parse_profile(d, f"candidate profile {k}") for k, d in docs.items()}
    out: dict = {k: [] for k in docs}
    golds: dict = {}
    for c in stored:
        row = latest.get((reviews.get(c.name) or {}).get("trainee_sha256"))
        pair = registry.pair(row["pair_key"]) if row else None
        if pair is None:
            return None, f"{c.name}: its scored pair is not in the registry"
        if (row["n_cycles"] or 1) > 1 or registry.video(pair.trainee_sha256).recording:
            for k in docs:
                out[k].append(c)  # a shift recording or a segment: its stored score
            continue
        try:
            g, t, steps, _ = load_pair(store, registry, pair, embedders.get(pair.key), golds)
            pe, _ = build_evidence(g, t, steps, profiles[next(iter(docs))], device=device)
        except (PairNotReadyError, SopilotError, OSError) as exc:
            return None, f"{c.name}: cannot be rescored ({exc})"
        for k, prof in profiles.items():
            out[k].append(case_of(c.name, c.reviewed, rejudge(pe, prof)))
    return out, ""
