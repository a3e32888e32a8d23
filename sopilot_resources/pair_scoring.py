"""Score a stored pair: the one place that turns a registered (trainee, gold) pair into a score.

Used by the ``pair_score`` asset and by the idle-time rescoring alike: load both videos'
clip embeddings and the gold's steps from the work store, resolve the scoring profile, run the
engine (``cycles.recording.score_recording``: a shift recording cycle by cycle), and write
what a scored pair leaves behind - ``alignment.npz`` and ``score.json`` in
the pair's work folder, its rows in the results tables. Pictures and Dagster metadata are the
caller's business. No Dagster import."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embeddings import ClipEmbeddings
from .scoring.profile import Profile, load_profile
from .storage.fsutil import atomic_write_bytes, atomic_write_json, read_json
from .storage.registry import PairRecord, Registry, VideoRecord
from .storage.results_store import ResultsStore
from .storage.score_rows import write_score_rows
from .storage.video_store import VideoStore, utc_now


class PairNotReadyError(RuntimeError):
    """An input of the pair is missing (not in the registry, not embedded, no gold steps yet).
    Not a ``SopilotError``: it goes away once the inputs are built."""


@dataclass
class StoredPairScore:
    pair: PairRecord
    gold: VideoRecord
    trainee: VideoRecord
    result: "object"  # scoring.engine.ScoreResult
    doc: dict  # what score.json holds: ScoreResult.to_dict() + pair, files, video_seconds, run_id, scored_at
    gold_emb: ClipEmbeddings
    trainee_emb: ClipEmbeddings
    profile: Profile
    embedder_key: str
    work: Path  # the pair's work folder
    alignment_path: Path


def profile_path_for(store: VideoStore, registry: Registry, pair: PairRecord,
                     default: str | None = None) -> str | None:
    """The task profile the pair was created (or last rescored) with, else ``default``."""
    if pair.profile_sha256:
        entry = next((p for p in registry.task(pair.task).profiles if p["sha256"] == pair.profile_sha256), None)
        if entry:
            return str(store.root / entry["path"])
    return default


def save_alignment(path_out: Path, alignment) -> Path:
    buf = io.BytesIO()
    np.savez_compressed(buf, path=alignment.path, total_cost=alignment.total_cost,
                        normalized_cost=alignment.normalized_cost, shape=np.asarray(alignment.shape),
                        backend=np.array(alignment.backend))
    return atomic_write_bytes(path_out, buf.getvalue())


def _inputs(store: VideoStore, registry: Registry, pair: PairRecord, embedder_key: str | None):
    gold, trainee = registry.video(pair.gold_sha256), registry.video(pair.trainee_sha256)
    if gold is None or trainee is None:
        raise PairNotReadyError(f"pair {pair.key}: its {'gold' if gold is None else 'trainee'} video is not "
                                "in the registry")
    if not embedder_key:
        raise PairNotReadyError("the embedder has not embedded any video yet; materialize clip_embeddings first")
    missing = [r.key for r in (gold, trainee) if not store.embeddings_path(r.sha256, embedder_key).exists()]
    steps_doc = read_json(store.steps_path(gold.sha256, embedder_key))
    if missing or steps_doc is None:
        raise PairNotReadyError(
            f"not ready: embeddings ({embedder_key}) missing for {missing or 'none'}, gold steps "
            f"{'missing' if steps_doc is None else 'ok'}; materialize clip_embeddings (and gold_steps "
            "for the gold) of those video partitions first")
    return gold, trainee, steps_doc


def load_pair(store: VideoStore, registry: Registry, pair: PairRecord, embedder_key: str | None,
              golds: dict | None = None):
    """(gold embeddings, trainee embeddings, gold steps, gold record, trainee record) of a stored pair;
    ``golds``: gold embeddings already loaded, by path (shared, never changed). Raises
    ``PairNotReadyError`` for missing inputs."""
    from .scoring.steps import parse_steps

    gold, trainee, steps_doc = _inputs(store, registry, pair, embedder_key)
    golds = {} if golds is None else golds
    gpath = store.embeddings_path(gold.sha256, embedder_key)
    if gpath not in golds:
        golds[gpath] = ClipEmbeddings.load(gpath)
        golds[gpath].vectors.setflags(write=False)
        if golds[gpath].stills is not None:  # its step changes kept beside it, for the next run
            from .scene.gold_store import GoldStore

            golds[gpath].stills.store = GoldStore(gpath.parent, "gold")
    t = ClipEmbeddings.load(store.embeddings_path(trainee.sha256, embedder_key))
    return golds[gpath], t, parse_steps(steps_doc["steps"]), gold, trainee


def _score_segment(store: VideoStore, registry: Registry, pair: PairRecord, trainee: VideoRecord,
                   g: ClipEmbeddings, t: ClipEmbeddings, steps, profile: Profile, device: str, embedder_key: str):
    """(the score, the window scored) of a segment file: the previous segment's state from its
    score.json and its clips from the store (``cycles.segments.score_segment``)."""
    from .cycles.segments import SegmentState, score_segment
    from .storage.segments import previous_segment_pair, split_name

    before = previous = None
    prev = previous_segment_pair(registry, pair)
    if prev is not None:
        state = ((read_json(store.pair_work(prev.key) / "score.json") or {}).get("metrics") or {}).get("segment")
        if state is None:
            raise PairNotReadyError(f"{trainee.file_name} is scored after the segment before it (pair {prev.key}), "
                                    "which is not scored yet")
        before = SegmentState.from_dict(state)
        previous = ClipEmbeddings.load(store.embeddings_path(prev.trainee_sha256, embedder_key))
    recording, seg_file = split_name(trainee.file_name)
    res, _, window = score_segment(g, t, recording, seg_file, before, previous, steps, profile, device=device)
    return res, window


def score_stored_pair(store: VideoStore, results: ResultsStore, pair: PairRecord | str, embedder_key: str | None,
                      *, default_profile: str | None = None, device: str = "auto", run_id: str = "",
                      golds: dict | None = None, note: dict | None = None) -> StoredPairScore:
    """Scores ``pair`` (a record, or a key looked up in the registry) from stored embeddings
    and writes ``alignment.npz``, ``score.json`` and its result rows. ``default_profile``: the
    profile file when the pair has no task profile of its own. ``golds``: gold embeddings already
    loaded in this run, by path (a batch shares a few golds; they are never changed).
    ``note``: extra keys for score.json (e.g. who rescored it). Raises ``PairNotReadyError``
    for missing inputs and ``SopilotError`` for bad ones (a bad profile, incompatible
    embeddings)."""
    from .cycles.recording import score_recording

    registry = Registry(store.registry_dir)
    if isinstance(pair, str):
        rec = registry.pair(pair)
        if rec is None:
            raise PairNotReadyError(f"pair {pair!r} is not in the registry")
        pair = rec
    g, t, steps, gold, trainee = load_pair(store, registry, pair, embedder_key, golds)
    profile = load_profile(profile_path_for(store, registry, pair, default_profile))
    if trainee.recording:  # one segment file of a shift recording, from where the one before left off
        res, t = _score_segment(store, registry, pair, trainee, g, t, steps, profile, device, embedder_key)
    else:  # a shift recording is scored cycle by cycle; one performance exactly as score_embeddings
        res = score_recording(g, t, steps=steps, profile=profile, device=device)
    doc = {**res.to_dict(), "pair": pair.to_dict(), "files": {"gold": gold.file_name, "trainee": trainee.file_name},
           "video_seconds": {"gold": float(g.ends[-1]), "trainee": float(t.ends[-1])}, "run_id": run_id,
           "scored_at": utc_now(), **(note or {})}
    work = store.pair_work(pair.key)
    apath = save_alignment(work / "alignment.npz", res.alignment)
    atomic_write_json(work / "score.json", doc)
    from .storage.profiles import version_of

    write_score_rows(results, pair, gold, trainee, doc, embedder_key, profile.fingerprint(), run_id,
                     version_of(registry.task(pair.task), pair.profile_sha256))
    return StoredPairScore(pair, gold, trainee, res, doc, g, t, profile, embedder_key, work, apath)
