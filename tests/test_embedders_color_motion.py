"""The default color-motion embedder: shape, identity, invariances and step discrimination."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from embedder_scenes import N_STEPS, NUISANCES, make_clip

from sopilot_resources.embedders import get_embedder
from sopilot_resources.embedders.color_motion import ColorMotionEmbedder
from sopilot_resources.errors import EmbedderError
from sopilot_resources.video.types import Clip


@pytest.fixture(scope="module")
def emb():
    return get_embedder("color-motion")


def _each(emb, clips) -> np.ndarray:
    """One call per clip: the clips come from different takes (their frame indices overlap)."""
    return np.concatenate([emb.embed_clips([c]) for c in clips])


def _embed_steps(emb, **kw) -> np.ndarray:
    return _each(emb, [make_clip(s, **kw) for s in range(N_STEPS)])


def test_shape_dtype_and_unit_norm(emb):
    v = emb.embed_clips([make_clip(0), make_clip(1, first_index=8)])
    assert v.shape == (2, emb.dim) and v.dtype == np.float32
    assert 512 <= emb.dim <= 1500
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert emb.embed_clips([]).shape == (0, emb.dim)


def test_identity_and_parameters():
    a, b = ColorMotionEmbedder(), ColorMotionEmbedder(weights={"flow": 0.0})
    assert a.identity()["name"] == "color-motion" and a.identity()["version"] == 1
    assert a.key() == ColorMotionEmbedder().key() != b.key()
    with pytest.raises(EmbedderError, match="unknown color-motion weight"):
        ColorMotionEmbedder(weights={"colour": 1.0})


@pytest.mark.parametrize("moving", [False, True], ids=["fixed_wide_view", "moving_camera"])
@pytest.mark.parametrize("nuisance", sorted(NUISANCES))
def test_same_step_beats_every_other_step(emb, moving, nuisance):
    """Each step under a nuisance is closer to the same step of the reference take than
    to any other step, with a clear margin."""
    ref = _embed_steps(emb, moving=moving)
    other = _embed_steps(emb, moving=moving, **NUISANCES[nuisance])
    sim = other @ ref.T
    same = np.diag(sim)
    best_other = np.where(np.eye(N_STEPS, dtype=bool), -np.inf, sim).max(axis=1)
    assert (same - best_other).min() > 0.1, (same, best_other)


def test_how_motion_happens_matters(emb):
    """Same spot and look, only the direction of the hand's motion differs."""
    v = _each(emb, [make_clip(1, motion="h"), make_clip(1, motion="h", noise=6, seed=4),
                    make_clip(1, motion="v"), make_clip(1, motion="circle")])
    assert float(v[0] @ v[1]) > max(float(v[0] @ v[2]), float(v[0] @ v[3])) + 0.02


def test_overlapping_clips_reuse_frames_exactly(emb):
    """Embedding a stream of overlapping clips in one call equals one call per clip."""
    base = make_clip(2, T=16)
    clips = [Clip(index=i, start_sec=i / 2, end_sec=i / 2 + 2, frames=base.frames[2 * i:2 * i + 8],
                  frame_indices=base.frame_indices[2 * i:2 * i + 8], times=base.times[2 * i:2 * i + 8])
             for i in range(5)]
    together = emb.embed_clips(iter(clips))
    alone = np.concatenate([emb.embed_clips([c]) for c in clips])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_thread_safe_shared_instance(emb):
    clips = [make_clip(s, first_index=8 * s) for s in range(N_STEPS)]
    expected = emb.embed_clips(clips)
    results = [None] * 4

    def work(i):
        results[i] = emb.embed_clips(clips)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_other_shapes_and_single_frame(emb):
    """4:3 and odd-sized frames and one-frame clips embed without error."""
    c = make_clip(1)
    odd = Clip(0, 0.0, 2.0, np.ascontiguousarray(c.frames[:, :171, :247]), c.frame_indices, c.times)
    one = Clip(1, 2.0, 2.25, c.frames[:1], c.frame_indices[:1] + 8, c.times[:1] + 2)
    v = emb.embed_clips([odd, one])
    assert np.isfinite(v).all() and v.shape == (2, emb.dim)


def test_still_clip_is_judged_by_appearance(emb):
    """A clip with no motion (idle) is still closest to its own scene, not NaN or noise."""
    still = make_clip(3, pace=0.0, seed=2)
    moving = make_clip(3)
    v = _each(emb, [still, moving, make_clip(0, pace=0.0, seed=2)])
    assert np.isfinite(v).all()
    assert float(v[0] @ v[1]) > float(v[2] @ v[1])
