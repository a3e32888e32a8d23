"""A shift recording that arrives as segment files: scored segment by segment, every cycle
exactly once, whatever the cut points (mid-cycle, mid-changeover, a segment with no cycle)."""
import json

import numpy as np
import pytest

from sopilot_resources.cycles.recording import score_recording
from sopilot_resources.cycles.segments import SegmentState, joined, score_segment, shifted, tail_from
from sopilot_resources.cycles.slicing import clip_range
from sopilot_resources.stills import Stills
from synthetic_embeddings import render
from synthetic_shifts import GOLD, P, STEPS, cycle, shift


def cut(rec, at: list[float]):
    """Segments of ``rec`` cut at the recording seconds ``at``, each with its own seconds from 0."""
    out, edges = [], [0.0, *at, float(rec.ends[-1])]
    for a, b in zip(edges, edges[1:]):
        j0, j1 = clip_range(rec, a + 1e-3, b - 1e-3)
        seg = tail_from(rec, a)
        seg = type(rec)(**{**seg.__dict__, "vectors": rec.vectors[j0:j1], "starts": rec.starts[j0:j1],
                           "ends": rec.ends[j0:j1], "quality": rec.quality[j0:j1], "motion": rec.motion[j0:j1],
                           "stills": None, "video": {"duration_sec": b - a}})
        out.append(shifted(seg, -a))
    return out


def score_all(segs):
    before, prev, docs = None, None, []
    for k, seg in enumerate(segs):
        res, before, _ = score_segment(GOLD, seg, "station", f"{k:03d}.mp4", before, prev, STEPS)
        docs.append(json.loads(json.dumps(res.to_dict())))
        prev = seg
    return docs


def spans(docs, partial=False):
    return [(c["index"], c["trainee_time"]["start_sec"], c["trainee_time"]["end_sec"])
            for d in docs for c in d["cycles"] if c["partial"] == partial]


@pytest.fixture(scope="module")
def recording():
    cycles = [cycle(), cycle(skip=(2,)), cycle(1.1), cycle(0.9), cycle(), cycle(1.2), cycle(), cycle(0.95)]
    plan, truth = shift(cycles, head=[4, 5], tail=[0, 1])
    rec = render(plan, P, noise=0.35, offset=0.3, seed=21)
    whole = json.loads(json.dumps(score_recording(GOLD, rec, STEPS).to_dict()))
    return rec, truth, whole


@pytest.mark.parametrize("where", ["mid_cycle", "changeover", "many_short"])
def test_every_cycle_is_scored_once_whatever_the_cut(recording, where):
    rec, truth, whole = recording
    mid = [(a + b) / 2 for a, b in truth]
    at = {"mid_cycle": [mid[2], mid[5]],
          "changeover": [truth[1][1] + 1.0, truth[4][1] + 1.0],
          "many_short": [mid[0], truth[2][0] - 0.5, mid[3], mid[4] + 3.0, mid[6]]}[where]
    docs = score_all(cut(rec, at))
    got = spans(docs)
    assert len(got) == len(truth) == len(spans([whole])), got
    assert [i for i, *_ in got] == sorted({i for i, *_ in got})  # indices run on, no repeat
    for (_, t0, t1), (a, b) in zip(got, truth):
        assert abs(t0 - a) < 1.5 and abs(t1 - b) < 1.5  # recording seconds, as the whole recording's
    missing = [c for d in docs for c in d["cycles"] if any(x["type"] == "missing_step" for x in c["deviations"])]
    assert [c["trainee_time"]["start_sec"] for c in missing] == pytest.approx([truth[1][0]], abs=1.5)
    assert spans(docs, partial=True)[0][0] == 0 and len(spans(docs, partial=True)) == 1  # the head only
    st = [SegmentState.from_dict(d["metrics"]["segment"]) for d in docs]
    assert [s.index for s in st] == list(range(len(docs)))
    assert all(b.offset_sec == pytest.approx(a.end_sec) for a, b in zip(st, st[1:]))


def test_a_segment_with_no_whole_cycle_scores_nothing_and_hands_on(recording):
    rec, truth, _ = recording
    a, b = truth[3]
    docs = score_all(cut(rec, [a + 1.0, a + 4.0, b + 2.0]))  # the middle segment: 3 s inside a cycle
    mid = docs[1]
    assert mid["cycles"] == [] and mid["score"] == 100.0 and mid["verdict"] == "pass"
    assert mid["metrics"]["cycles_complete"] == 0 and mid["metrics"]["segment"]["pending_from_sec"] is None
    assert len(spans(docs)) == len(truth)  # the cut cycle is scored whole by the third segment


def test_joined_and_tail_keep_stills_with_their_clips(recording):
    rec = recording[0]
    n = len(rec)
    jpeg = np.arange(3 * n, dtype=np.uint8)
    st = Stills(rec.starts.copy(), jpeg, np.arange(0, 3 * n + 1, 3, dtype=np.int64))
    r = type(rec)(**{**rec.__dict__, "stills": st})
    t = tail_from(r, 10.0)
    assert t.starts[0] >= 9.75 and len(t.stills) == len(t) and t.stills.times[0] == t.starts[0]
    j = joined(tail_from(r, 5.0), shifted(t, 100.0))
    assert len(j.stills) == len(j) and j.stills.offsets[-1] == len(j.stills.jpeg)
    k = len(tail_from(r, 5.0))
    assert bytes(j.stills.jpeg[j.stills.offsets[k]:j.stills.offsets[k + 1]]) == bytes(
        t.stills.jpeg[t.stills.offsets[0]:t.stills.offsets[1]])


def test_inbox_takes_segment_files_from_a_recording_folder_under_trainee(tmp_path):
    from sopilot_resources.storage.inbox import scan
    from sopilot_resources.storage.segments import natural_key, split_name

    inbox = tmp_path / "inbox"
    for rel in ("t/trainee/station-3/seg_10.mp4", "t/trainee/station-3/seg_9.mp4", "t/trainee/bad name/a.mp4",
                "t/trainee/station-3/notes.txt", "t/gold/station-3/g.mp4", "t/trainee/a/b/c.mp4"):
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_bytes(b"x")
    got = {e.rel: (e.kind, e.reason, e.recording) for e in scan(inbox)}
    assert got["t/trainee/station-3/seg_9.mp4"] == ("video", "", "station-3")
    assert got["t/trainee/bad name/a.mp4"][:2] == ("reject", "bad_recording_name")
    assert got["t/trainee/station-3/notes.txt"][:2] == ("reject", "unsupported_format")
    assert got["t/gold/station-3/g.mp4"][:2] == ("reject", "bad_location")  # a gold is one file
    assert got["t/trainee/a/b/c.mp4"][:2] == ("reject", "bad_location")  # one folder level only
    assert sorted(["seg_10.mp4", "seg_9.mp4", "seg_1.mp4"], key=natural_key) == ["seg_1.mp4", "seg_9.mp4", "seg_10.mp4"]
    assert split_name("station-3/seg_9.mp4") == ("station-3", "seg_9.mp4") and split_name("x.mp4") is None
