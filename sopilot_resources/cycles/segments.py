"""A shift recording that arrives as segment files (a camera rolling a new file every N
minutes), scored segment by segment, each cycle exactly once.

Segment k is scored on a *window*: the previous segment's clips from its ``carry_from_sec``
(where its last complete cycle ended) followed by segment k's own clips, all in recording
seconds (segment k starts where segment k-1 ended). The cycles found there are segment k's:

- a cycle cut by the window's end is not listed: it continues into the next segment, whose
  window starts at or before it (``pending_from_sec``) and scores it whole;
- a cycle cut by the window's start is listed as partial only in the first segment (the
  recording began mid-cycle); later, what sits before the carry point was already counted;
- the carry point moves to the end of the window's last complete cycle; with none, it stays
  (never more than ``MAX_CARRY_CYCLES`` gold cycles behind the window's end, so a break or a
  stretch of other work never grows the window without bound).

So a cycle crossing a segment boundary is scored once, in the segment where it ends, and each
window holds at most one segment plus a few cycles. Cycle indices run on over the segments.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..embeddings import ClipEmbeddings
from ..scoring.profile import Profile
from ..scoring.result import ScoreResult
from ..scoring.steps import Step
from ..stills import Stills
from .locate import locate_cycles
from .recording import one_cycle_inputs, recording_result
from .slicing import clip_range, stills_between

#: the carry point never lags the window's end by more than this many gold cycles
MAX_CARRY_CYCLES = 3.0


@dataclass(frozen=True)
class SegmentState:
    """What a scored segment hands to the next (its score's ``segment``). Seconds are recording
    seconds: ``offset_sec`` where this segment's file starts, ``end_sec`` where it ends."""

    recording: str
    index: int  # the segment's number in the recording, from 0
    file_name: str
    offset_sec: float
    end_sec: float
    carry_from_sec: float  # the next window starts here
    pending_from_sec: float | None  # a cycle cut by this segment's end starts here (scored next)
    cycles_before: int  # cycles listed by the earlier segments
    cycles_listed: int  # listed by this one

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SegmentState":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


def shifted(emb: ClipEmbeddings, dt: float) -> ClipEmbeddings:
    """``emb`` with every time (clips, stills) moved by ``dt`` seconds."""
    st = emb.stills
    if st is not None:
        st = Stills(st.times + dt, st.jpeg, st.offsets)
    return replace(emb, starts=emb.starts + dt, ends=emb.ends + dt, stills=st)


def joined(a: ClipEmbeddings | None, b: ClipEmbeddings) -> ClipEmbeddings:
    """The clips (and stills) of ``a`` then ``b``, times as they are; ``a`` None: ``b``."""
    if a is None or len(a) == 0:
        return b
    sa, sb = a.stills, b.stills
    stills = None
    if sa is not None and sb is not None:
        stills = Stills(np.concatenate([sa.times, sb.times]), np.concatenate([sa.jpeg, sb.jpeg]),
                        np.concatenate([sa.offsets[:-1], sb.offsets + sa.offsets[-1]]))
    cat = lambda f: np.concatenate([getattr(a, f), getattr(b, f)])  # noqa: E731
    return replace(b, vectors=cat("vectors"), starts=cat("starts"), ends=cat("ends"), quality=cat("quality"),
                   motion=cat("motion"), stills=stills)


def tail_from(emb: ClipEmbeddings, t0: float) -> ClipEmbeddings:
    """The clips of ``emb`` whose centre is at or after ``t0`` (and the stills from there)."""
    j0, _ = clip_range(emb, t0, float("inf"))
    st = emb.stills
    if st is not None:
        st = stills_between(st, float(emb.starts[j0]) if j0 < len(emb) else np.inf, np.inf)
    sl = slice(j0, len(emb))
    return replace(emb, vectors=emb.vectors[sl], starts=emb.starts[sl], ends=emb.ends[sl], quality=emb.quality[sl],
                   motion=emb.motion[sl], stills=st)


def segment_seconds(emb: ClipEmbeddings) -> float:
    """How long the segment's file runs (its probe), else its last clip's end."""
    return float((emb.video or {}).get("duration_sec") or emb.ends[-1])


def score_segment(gold: ClipEmbeddings, segment: ClipEmbeddings, recording: str, file_name: str,
                  before: SegmentState | None = None, previous: ClipEmbeddings | None = None,
                  steps: list[Step] | None = None, profile: Profile | None = None, device: str = "auto",
                  scene: bool = True) -> tuple[ScoreResult, SegmentState, ClipEmbeddings]:
    """Scores segment ``segment`` (its own seconds, from 0) of ``recording``. ``before``: the
    previous segment's state, ``previous``: its clips (its own seconds); both None for the
    first segment. Returns (the score, its ``cycles`` in recording seconds; the state for the
    next segment, also in ``result.metrics["segment"]``; the window scored, recording seconds:
    the alignment's trainee clips)."""
    profile = profile or Profile()
    gold.check_compatible(segment)
    offset = 0.0 if before is None else before.end_sec
    own = shifted(segment, offset)
    tail = None
    if before is not None and previous is not None:
        tail = tail_from(shifted(previous, before.offset_sec), before.carry_from_sec)
    window = joined(tail, own)
    gold1, steps, found, gold_cyc = one_cycle_inputs(gold, steps)
    cycles = locate_cycles(gold1, window, found)
    keep = []
    for c in cycles:
        if c.partial and c.first == 0 and c is cycles[-1]:
            continue  # cut by this segment's end: the next segment scores it whole
        if c.partial and before is not None:
            continue  # cut by the window's start: counted with the previous segment
        keep.append(c)
    index0 = 0 if before is None else before.cycles_before + before.cycles_listed
    # work after the last cycle is reported by the next segment, whose window starts before it
    res = recording_result(gold1, window, found, keep, profile, device, scene, gold_cyc, index0=index0,
                           trailing=False)
    end = offset + segment_seconds(segment)
    whole = [c for c in keep if not c.partial]
    cycle_sec = float(found[-1].end_sec - found[0].start_sec)
    carry = whole[-1].t1 if whole else float(window.starts[0]) if len(window) else offset
    carry = max(carry, end - MAX_CARRY_CYCLES * cycle_sec)
    pending = cycles[-1].t0 if cycles and cycles[-1].partial and cycles[-1].first == 0 else None
    if pending is not None:
        carry = min(carry, pending - 1.0)  # the next window holds the whole cut cycle
    state = SegmentState(recording, 0 if before is None else before.index + 1, file_name, round(offset, 3),
                         round(end, 3), round(carry, 3), None if pending is None else round(pending, 2),
                         index0, len(keep))
    res.metrics["segment"] = state.to_dict()
    return res, state, window
