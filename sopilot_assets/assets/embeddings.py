"""Clip embeddings of one video (made in the same op as ``video``, see videos.py): computing
them (with the stills kept at ingest, from which the contact sheet's thumbnails come), and the checks ``embeddings_valid`` and
``gold_quality_gate``."""
import numpy as np

import dagster as dg

from sopilot_resources.storage.fsutil import atomic_write_json
from sopilot_resources.storage.gold_gate import gold_gate

ASSET = "clip_embeddings"

CHECK_SPECS = [
    dg.AssetCheckSpec("embeddings_valid", asset=ASSET, description="finite, no zero vectors, not all identical"),
    dg.AssetCheckSpec("gold_quality_gate", asset=ASSET,
                      description="a gold must be long enough and mostly well exposed, sharp and live; "
                                  "trainees pass trivially"),
]


def embeddings_problems(vectors: np.ndarray) -> list[str]:
    """Why a (N, D) embedding matrix is unusable (empty list: fine)."""
    out = []
    if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
        return [f"shape {vectors.shape} is not (clips > 0, dim > 0)"]
    if not np.isfinite(vectors).all():
        out.append(f"{int((~np.isfinite(vectors)).sum())} non-finite values")
    norms = np.linalg.norm(np.nan_to_num(vectors), axis=1)
    if (norms < 1e-8).any():
        out.append(f"{int((norms < 1e-8).sum())} all-zero clip vectors")
    if vectors.shape[0] > 1 and float(np.nan_to_num(vectors).std(axis=0).max()) < 1e-6:
        out.append("every clip has the same vector (degenerate)")
    return out


def embed(store, rec, resource, duration_sec: float, gate_min_sec: float, gate_max_bad: float):
    """Embeds the stored video; saves embeddings.npz and gate.json.
    Returns (ClipEmbeddings, path, gate, timings, thumbnails (frames, times))."""
    from sopilot_resources.errors import SopilotError, VideoError
    from sopilot_resources.ingest import ingest_video
    embedder = resource.get()
    key = embedder.key()
    timings: dict = {}
    try:
        emb = ingest_video(store.root / rec.raw_path, embedder, timings=timings)
    except VideoError as exc:
        raise bad_video(store, rec, exc) from None
    except SopilotError as exc:
        raise dg.Failure(f"{rec.file_name} cannot be embedded: {exc}", allow_retries=False) from None
    resource.remember(store, key)
    path = store.embeddings_path(rec.sha256, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    emb.save(path)
    gate = gold_gate(emb, gate_min_sec, gate_max_bad)
    gate["role"] = rec.role
    atomic_write_json(store.gate_path(rec.sha256, key), gate)
    return emb, path, gate, timings, thumbnails(emb.stills)


def bad_video(store, rec, exc) -> dg.Failure:
    """A video the run cannot embed (a VideoError: deterministic, a retry would fail the same
    way): reported for the inbox sensor to quarantine (storage/bad_videos.py); the run fails
    without retries."""
    from sopilot_resources.storage.bad_videos import report_bad_video

    text = str(exc)
    prefix = f"{getattr(exc, 'path', '')}: "
    text = text[len(prefix):] if text.startswith(prefix) else text
    report_bad_video(store, rec, exc.reason, text)
    return dg.Failure(f"{rec.file_name} cannot be embedded ({exc.reason}): {text}. The inbox sensor moves it "
                      f"to quarantine/ and closes its pairs; drop a good copy into inbox/{rec.task}/{rec.role}/",
                      allow_retries=False)


def thumbnails(stills, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """(n, H, W, 3) uint8 frames and (n,) times evenly spread over the video, from its stills;
    empty arrays when it has none."""
    if stills is None or len(stills) == 0:
        return np.zeros((0, 1, 1, 3), np.uint8), np.zeros(0)
    idx = np.unique(np.linspace(0, len(stills) - 1, min(n, len(stills))).round().astype(int))
    return stills.frames(idx), stills.times[idx]


def embedding_metadata(emb, path, gate, timings) -> dict:
    """The clip_embeddings materialization's metadata for one video."""
    duration = float(emb.ends[-1]) if len(emb) else 0.0
    wall = float(timings.get("wall_sec", 0.0)) or 1e-9
    return {
        "clips": len(emb), "dim": int(emb.vectors.shape[1]), "embedder": emb.embedder_key,
        "path": dg.MetadataValue.path(str(path)), "realtime_factor": round(duration / wall, 2),
        "decode_sec": round(float(timings.get("decode_sec", 0.0)), 3),
        "embed_sec": round(float(timings.get("embed_sec", 0.0)), 3),
        **{f"share_{k}": round(val, 3) for k, val in gate["fractions"].items()},
    }


def check_results(done: list[tuple]):
    """The two check results over the videos of one run; ``done``: (record, embeddings, gate).

    A run over a partition range evaluates each check once: it passes when every video of the
    run passes, and its metadata names the ones that do not."""
    bad_emb = {rec.file_name: "; ".join(p) for rec, emb, _ in done if (p := embeddings_problems(emb.vectors))}
    golds = [(rec, gate) for rec, _, gate in done if rec.role == "gold"]
    bad_gold = {rec.file_name: gate["message"] for rec, gate in golds if not gate["ok"]}
    one = done[0] if len(done) == 1 else None
    yield dg.AssetCheckResult(asset_key=ASSET, check_name="embeddings_valid", passed=not bad_emb, metadata={
        "videos": len(done), "clips": sum(len(e) for _, e, _ in done),
        "problems": "; ".join(f"{k}: {v}" for k, v in bad_emb.items()) or "none"})
    meta = {"videos": len(done), "golds": len(golds),
            "flags": ", ".join(sorted({f for _, g in golds for f in g["flags"]})) or "none"}
    if one:
        meta.update(duration_sec=round(one[2]["duration_sec"], 2), role=one[0].role)
    yield dg.AssetCheckResult(
        asset_key=ASSET, check_name="gold_quality_gate", passed=not bad_gold, metadata=meta,
        description=("; ".join(f"{k}: {v}" for k, v in bad_gold.items()) or
                     (golds[0][1]["message"] if len(golds) == 1 else "no gold video in this run")))
