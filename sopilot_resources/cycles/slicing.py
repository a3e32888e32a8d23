"""A stretch of a recording as ClipEmbeddings of its own (times stay the recording's)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..embeddings import ClipEmbeddings
from ..stills import Stills


def stills_between(stills: Stills | None, t0: float, t1: float) -> Stills | None:
    """The stills taken in [t0, t1] (their JPEG bytes copied), or None."""
    return None if stills is None else stills.subset(stills.between(t0, t1))


def clip_range(emb: ClipEmbeddings, t0: float, t1: float) -> tuple[int, int]:
    """[j0, j1) of the clips whose centre lies in [t0, t1]."""
    centres = (emb.starts + emb.ends) / 2.0
    j0 = int(np.searchsorted(centres, t0 - 1e-6, side="left"))
    j1 = int(np.searchsorted(centres, t1 + 1e-6, side="right"))
    return j0, max(j0, j1)


def time_slice(emb: ClipEmbeddings, t0: float, t1: float) -> tuple[ClipEmbeddings, int]:
    """(the clips whose centre lies in [t0, t1] and the stills between their edges, index of
    its first clip in ``emb``). Seconds stay the recording's, so whatever is scored on the
    slice reports recording times."""
    j0, j1 = clip_range(emb, t0, t1)
    sl = slice(j0, j1)
    stills = stills_between(emb.stills, float(emb.starts[j0]), float(emb.ends[j1 - 1])) if j1 > j0 else None
    return replace(emb, vectors=emb.vectors[sl], starts=emb.starts[sl], ends=emb.ends[sl], quality=emb.quality[sl],
                   motion=emb.motion[sl], stills=stills), j0
