"""Re-timing a performance's clip embeddings, as if it were done at another pace: how the
pace benchmark and the pace test probe the engine with paces the demo set does not hold."""
from __future__ import annotations

import numpy as np

from ..embeddings import ClipEmbeddings


def retime(clips: ClipEmbeddings, segments: list[dict], factors: list[float]) -> ClipEmbeddings:
    """Re-time a video's clip embeddings per segment, as if performed at another pace.

    clips: M clips at a fixed hop; segments: consecutive {start_sec, end_sec} covering the
    performance (a demo manifest's ``segments``: steps and pauses); factors: one stretch per
    segment (2.0: twice as long). Each segment's clips are resampled (nearest clip centre)
    to round(duration x factor / hop) clips; clips after the last segment are kept. Returns
    M' clips on the same hop, with quality and motion carried along."""
    hop = float(clips.starts[1] - clips.starts[0])
    centres = (clips.starts + clips.ends) / 2.0
    src = []
    for seg, f in zip(segments, factors):
        a, b = seg["start_sec"], seg["end_sec"]
        n = max(1, int(round((b - a) * f / hop)))
        src.append(a + (np.arange(n) + 0.5) / n * (b - a))
    src.append(centres[centres > segments[-1]["end_sec"]])
    idx = np.clip(np.searchsorted(centres, np.concatenate(src)), 0, len(centres) - 1)
    starts = np.arange(len(idx)) * hop
    return ClipEmbeddings(vectors=clips.vectors[idx], starts=starts, ends=starts + (clips.ends[0] - clips.starts[0]),
                          quality=clips.quality[idx], motion=clips.motion[idx], embedder=clips.embedder)


def pace_factors(segments: list[dict], pace) -> list[float]:
    """Stretch per manifest segment so that step k takes ``pace(k)`` x the gold's time for it
    (a demo trainee's step already runs at ``duration_ratio`` x gold) and pause k ``pace(k)``
    x its own."""
    return [pace(k) / seg.get("duration_ratio", 1.0) if seg["role"] == "step" else pace(k)
            for k, seg in enumerate(segments)]
