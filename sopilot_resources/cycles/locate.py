"""Where the gold's cycle occurs in a recording: the engine's prepared vectors of both, the
gold's template (its clips from the first step's start to the last step's end) and
:func:`.find.find_cycles`. The recording is prepared a window at a time
(:class:`.stream_prepare.StreamPrepared`), so memory follows the window, not the recording."""
from __future__ import annotations

from ..embeddings import ClipEmbeddings
from ..scoring.evidence import block_layout, prepare
from ..scoring.steps import Step
from ..scoring.timeline import Timeline
from .find import Cycle, CycleParams, find_cycles, template_range
from .stream_prepare import StreamPrepared


def locate_cycles(gold: ClipEmbeddings, recording: ClipEmbeddings, steps: list[Step],
                  params: CycleParams = CycleParams()) -> list[Cycle]:
    """The cycles of the task in ``recording`` (one-cycle ``gold``, its ``steps``), in order."""
    gtl, rtl = Timeline.from_clips(gold.starts, gold.ends), Timeline.from_clips(recording.starts, recording.ends)
    blocks = block_layout(gold.embedder)
    g = prepare(gold.vectors, gtl.hop, blocks=blocks)
    i0, i1 = template_range(gtl.centres, steps[0].start_sec, steps[-1].end_sec)
    r = StreamPrepared(recording.vectors, rtl.hop, blocks=blocks, chunk=params.window)
    return find_cycles(g[i0:i1], r, rtl.centres, params)
