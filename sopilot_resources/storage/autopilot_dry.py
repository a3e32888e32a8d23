"""Dry rescoring for the autopilot (docs/reviews.md, "Autopilot"): a task's reviewed trainees
scored again under candidate profiles, nothing written. Each pair's evidence (alignment,
step likelihood, the scene comparison) is built once from the stored embeddings; the
detectors then run once per profile (``scoring.engine.rejudge``), so a search over a few
dozen detection settings costs little more than one scoring per reviewed video.

A shift recording (several cycles) or a segment file keeps its stored score under every
profile: detection settings are then judged on the other videos only."""
from __future__ import annotations

import duckdb

from ..errors import SopilotError
from ..pair_scoring import PairNotReadyError, load_pair
from ..scoring.autopilot import Case
from ..scoring.autopilot_detect import case_of
from ..scoring.profile import parse_profile
from .registry import Registry
from .results_store import ResultsStore
from .video_store import VideoStore


def _embedders(rs: ResultsStore) -> dict[str, str]:
    """Each scored pair's embedder key (none recorded: {})."""
    try:
        return {r["pair_key"]: r["embedder"] for r in rs.query("SELECT pair_key, embedder FROM scores")}
    except duckdb.Error:  # a results table without the column
        return {}


def rescored(store: VideoStore, docs: dict, stored: list[Case], device: str = "auto") -> tuple[dict | None, str]:
    """({key: the Cases of ``stored`` rescored under profile JSON ``docs[key]``}, "") in the
    order of ``stored`` (the golden set, or a canary's trainees, from
    ``autopilot_state.cases_for``: each with its pair); (None, why) when a video cannot be
    rescored (its pair or embeddings are gone)."""
    from ..scoring.build_pair import build_evidence
    from ..scoring.engine import rejudge

    embedders, registry = _embedders(ResultsStore(store.results, store.duckdb_path)), Registry(store.registry_dir)
    profiles = {k: parse_profile(d, f"candidate profile {k}") for k, d in docs.items()}
    out: dict = {k: [] for k in docs}
    golds: dict = {}
    for c in stored:
        pair = registry.pair(c.pair_key) if c.pair_key else None
        if pair is None:
            return None, f"{c.name}: its scored pair is not in the registry"
        trainee = registry.video(pair.trainee_sha256)
        if c.kept or (trainee is not None and trainee.recording):
            for k in docs:
                out[k].append(c)  # a shift recording or a segment: its stored score
            continue
        try:
            g, t, steps, _, _ = load_pair(store, registry, pair, embedders.get(pair.key), golds)
            pe, _ = build_evidence(g, t, steps, profiles[next(iter(docs))], device=device)
        except (PairNotReadyError, SopilotError, OSError) as exc:
            return None, f"{c.name}: cannot be rescored ({exc})"
        for k, prof in profiles.items():
            out[k].append(case_of(c.name, c.reviewed, rejudge(pe, prof), c.pair_key))
    return out, ""
