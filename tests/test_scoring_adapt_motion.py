"""Per-pair feature reweighting (scoring/adapt.py) and the motion / pause helpers (scoring/motion.py)."""
import numpy as np

from sopilot_resources.embedders.color_motion import BLOCKS, DEFAULT_WEIGHTS, MOTION_FLOOR, ColorMotionEmbedder
from sopilot_resources.embeddings import ClipEmbeddings
from sopilot_resources.scoring.adapt import consistency_weights, reweight
from sopilot_resources.scoring.evidence import Span
from sopilot_resources.scoring.motion import block_level, clip_motion, close_gaps, mid_step
from sopilot_resources.scoring.steps import Step
from sopilot_resources.scoring.timeline import Timeline
from sopilot_resources.video.types import QUALITY_FLAGS


def test_consistency_weights_keep_step_dimensions_and_drop_performer_ones():
    rng = np.random.default_rng(0)
    steps = rng.normal(size=(6, 4))  # 4 dimensions that follow the steps
    ranges = [(10 * k, 10 * k + 10) for k in range(6)]

    def video(seed):
        r = np.random.default_rng(seed)
        x = np.repeat(steps, 10, axis=0) + 0.1 * r.normal(size=(60, 4))
        look = np.repeat(r.normal(size=(6, 4)), 10, axis=0)  # 4 that vary with something else
        return np.hstack([x, look]).astype(np.float32)

    w = consistency_weights(video(1), video(2), ranges, ranges)
    assert w.shape == (8,) and np.all(w[:4] > 0.9) and np.mean(w[4:]) < 0.6
    y = reweight(video(1), w)
    assert np.allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-5)
    # too few located steps, or empty ranges: no reweighting
    assert consistency_weights(video(1), video(2), ranges[:3], ranges[:3]) is None
    assert consistency_weights(video(1), video(2), ranges[:4], [(0, 0)] * 4) is None


def test_motion_level_is_read_back_from_color_motion_vectors():
    emb = ColorMotionEmbedder()
    rng = np.random.default_rng(1)
    pooled = np.abs(rng.normal(size=(5, emb.dim))).astype(np.float32)
    raw = np.array([0.01, 0.1, 0.5, 1.0, 3.0])
    sl = BLOCKS["energy"]
    pooled[:, sl] *= (raw / np.linalg.norm(pooled[:, sl], axis=1))[:, None]
    vectors = emb.finish(pooled)
    level = block_level(vectors, "energy", BLOCKS, DEFAULT_WEIGHTS, MOTION_FLOOR)
    assert np.allclose(level, raw, rtol=1e-3)
    n = len(vectors)
    clips = ClipEmbeddings(vectors=vectors, starts=np.arange(n) * 0.5, ends=np.arange(n) * 0.5 + 2.0,
                           quality=np.zeros((n, len(QUALITY_FLAGS)), bool), motion=np.zeros(n, np.float32),
                           embedder=emb.identity())
    assert np.all(np.diff(clip_motion(clips)[[0, 1, 2, 3]]) > 0)
    other = ClipEmbeddings(vectors=vectors, starts=clips.starts, ends=clips.ends, quality=clips.quality,
                           motion=np.arange(n, dtype=np.float32), embedder={"name": "synthetic", "version": 1})
    assert np.array_equal(clip_motion(other), other.motion)  # other embedders: the ingest meter


def test_close_gaps_and_pauses_inside_a_step():
    m = np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 1], bool)
    assert close_gaps(m, 1).tolist() == [0, 1, 1, 1, 1, 1, 0, 0, 0, 1]
    assert close_gaps(m, 3).tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]

    class S:  # the fields of StepStatus that mid_step reads
        def __init__(self, a, b):
            self.found, self.where, self.step = True, Span(a, b, 0.0), Step(0, "s", 0.0, 4.0)

    tl = Timeline(np.arange(40) * 0.5 + 0.25, 0.5)
    idle = np.zeros(40, bool)
    idle[10:20] = True  # 5 s still, with 2.5 s of the step's work before and after
    assert mid_step(idle, [S(5, 25)], tl)[10:20].all()
    assert not mid_step(idle, [S(8, 25)], tl).any()  # 1 s of work before: a pause, not the step
