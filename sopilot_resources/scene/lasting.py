"""Does a gold step's change last? The check that keeps, of a fixed camera's step region, the
pixels that are a result and not the performer resting in a window (:func:`lasting`), with
its per-pixel counts (:func:`closer`, :func:`looks_like`, compiled in :mod:`.lasting_numba`).

:func:`.regions.gold_changes` runs it on one timeline of the gold (a still a second, read at
every step's candidate pixels at once, :func:`.pictures.flat_at`).
"""
from __future__ import annotations

import numpy as np

from .pixel_ops import channels_sum

#: a fixed camera's step result lasts: its region keeps the pixels that look like the step's
#: "after" scene in at least PERSIST of the gold's stills after the step (one every
#: PERSIST_STRIDE s), and like its "before" scene in PERSIST of those before it (the
#: performer's arm, resting in a window, is elsewhere most of the time)
PERSIST, PERSIST_STRIDE = 0.5, 1.0
#: ... judged only on a side of the step with at least this many of those stills
PERSIST_MIN = 3
#: ... and a result never looks as it did on the step's other side: in at most BACK of the
#: stills after the step like its "before" look, of those before it like its "after" look (an
#: arm that rests after the step, and on the same pixels after later steps, passes PERSIST; it
#: is gone, so the scene there looks as before, in a fair share of the others: on seed 7's
#: valve, 'tighten screw' had 1,142 px, most of them the forearm, around its screw head)
BACK = 0.2
#: ... at most BACK_NEAR for a pixel whose second estimate came from the moment right after the
#: step (:func:`.regions.second_estimate`): that estimate shares the first one's window, so it
#: does not tell a forearm resting there from a result; the gold's stills must (seed 9's terminals: 128
#: px of forearm joined `tighten T4`, 3 of them under 0.05; the valve's lamps, 395 of 405)
BACK_NEAR = 0.05


def lasting(before: np.ndarray, after: np.ndarray, span: tuple[float, float],
            line: tuple[np.ndarray, np.ndarray], back: float | np.ndarray = BACK,
            at: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """((...) bool, both): the pixels of a step's change (``before`` -> ``after``, flattened
    settled scenes (..., 3): a picture (H, W, 3), or some of its pixels (N, 3)) that are a
    lasting result, not the performer resting in a window: the gold video (``line``: (K,)
    seconds and its stills then, one every PERSIST_STRIDE s, flattened, (K, ..., 3) at the
    same pixels: :func:`.pictures.flat_at`; with ``at`` (N,), (K, M, 3) at M pixels of which
    ``at`` are the step's, read in place) shows the ``after``
    look there in at least PERSIST of its stills after the step at ``span`` s and the
    ``before`` look in PERSIST of those before it, looks like the other side's in at most
    ``back`` (BACK, or per pixel (...)) of them (:func:`looks_like`), and its first still looks
    more like ``before`` there, its last more like ``after`` (an arm resting through one step's
    windows, and the step before, is elsewhere at the start and at the end). ``both``: each side had
    PERSIST_MIN stills to check (a step at the very start or end of the video has one side only)."""
    times, flat = line
    first, last = (flat[0], flat[-1]) if at is None else (flat[0][at], flat[-1][at])
    ok, both = np.ones(before.shape[:-1], bool), True
    # the stills after the step, then those before it (``times`` ascending: a slice each)
    after_from, before_to = np.searchsorted(times, span[1], "left"), np.searchsorted(times, span[0], "right")
    for sel, own, other, edge in ((slice(after_from, None), after, before, last),
                                  (slice(0, before_to), before, after, first)):
        ok &= channels_sum(np.abs(edge - own)) < channels_sum(np.abs(edge - other))
        part = flat[sel]
        if len(part) < PERSIST_MIN:  # too few stills to tell (a step at the very start or end)
            both = False
            continue
        ok &= closer(part, own, other, at) / len(part) >= PERSIST
        ok &= looks_like(part, other, own, at) / len(part) <= back  # never back to the other side's look
    return ok, both


def _pixels(flat: np.ndarray, ref: np.ndarray, at: np.ndarray | None) -> tuple:
    """(stills (K, M, c), at (N,) int64) as the kernels read them: ``flat`` itself and ``at``
    when given, else ``flat`` as (K, N, c) and every one of its N pixels."""
    c = ref.shape[-1]
    if at is None:  # every pixel of ``flat``, in order
        x = np.ascontiguousarray(flat).reshape(len(flat), ref.size // c, c)
        at = np.arange(x.shape[1], dtype=np.int64)
    else:
        x = np.ascontiguousarray(flat)
        at = np.ascontiguousarray(at, np.int64)
    return x, at


def looks_like(flat: np.ndarray, ref: np.ndarray, other: np.ndarray, at: np.ndarray | None = None) -> np.ndarray:
    """(...) int: in how many of the pictures ``flat`` (K, ..., 3) each pixel looks like
    ``ref``: within a third of the change from ``other`` to ``ref`` (both (..., 3)) of it,
    ``(np.abs(flat - ref).sum(-1) < np.abs(ref - other).sum(-1) / 3).sum(0)``, in one pass
    (:mod:`.lasting_numba`). ``at``: as :func:`lasting` (``flat`` (K, M, 3), read in place)."""
    from .lasting_numba import like_count

    shape, c = ref.shape[:-1], ref.shape[-1]
    x, at = _pixels(flat, ref, at)
    ref, other = (np.ascontiguousarray(v).reshape(-1, c) for v in (ref, other))
    return like_count(x, at, ref, other).reshape(shape)


def closer(flat: np.ndarray, own: np.ndarray, other: np.ndarray, at: np.ndarray | None = None) -> np.ndarray:
    """(...) int: in how many of the pictures ``flat`` (K, ..., 3) each pixel is closer to
    ``own`` than to ``other`` (both (..., 3)): ``(np.abs(flat - own).sum(-1) < np.abs(flat -
    other).sum(-1)).sum(0)``, in one pass (:mod:`.lasting_numba`). ``at``: as :func:`lasting`."""
    from .lasting_numba import closer_count  # numba: only the lasting check needs it

    shape, c = own.shape[:-1], own.shape[-1]
    x, at = _pixels(flat, own, at)
    own, other = (np.ascontiguousarray(v).reshape(-1, c) for v in (own, other))
    return closer_count(x, at, own, other).reshape(shape)
