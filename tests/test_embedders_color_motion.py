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


@pytest.fixture(scope="module")
def reference(emb):
    takes: dict[bool, np.ndarray] = {}

    def get(moving: bool) -> np.ndarray:
        if moving not in takes:
            takes[moving] = _embed_steps(emb, moving=moving)
        return takes[moving]

    return get


def _take(emb, steps=range(N_STEPS), **kw) -> np.ndarray:
    """One take (one video, one embed_clips call): a clip of each step, one after the other."""
    return emb.embed_clips([make_clip(s, first_index=8 * k, **kw) for k, s in enumerate(steps)])


def _embed_steps(emb, **kw) -> np.ndarray:
    return _take(emb, **kw)


def test_shape_dtype_and_unit_norm(emb):
    v = emb.embed_clips([make_clip(0), make_clip(1, first_index=8)])
    assert v.shape == (2, emb.dim) and v.dtype == np.float32
    assert 512 <= emb.dim <= 1500
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert emb.embed_clips([]).shape == (0, emb.dim)


def test_identity_and_parameters():
    a, b = ColorMotionEmbedder(), ColorMotionEmbedder(weights={"flow": 0.0})
    assert a.identity()["name"] == "color-motion" and a.identity()["version"] == 1
    assert a.key() == ColorMotionEmbedder().key() != b.key() != ColorMotionEmbedder(center=False).key()
    with pytest.raises(EmbedderError, match="unknown color-motion weight"):
        ColorMotionEmbedder(weights={"colour": 1.0})


@pytest.mark.parametrize("moving", [False, True], ids=["fixed_wide_view", "moving_camera"])
@pytest.mark.parametrize("nuisance", sorted(NUISANCES))
def test_same_step_beats_every_other_step(emb, reference, moving, nuisance):
    """Each step under a nuisance is closer to the same step of the reference take than
    to any other step, with a clear margin."""
    ref = reference(moving)
    other = _embed_steps(emb, moving=moving, **NUISANCES[nuisance])
    sim = other @ ref.T
    same = np.diag(sim)
    best_other = np.where(np.eye(N_STEPS, dtype=bool), -np.inf, sim).max(axis=1)
    assert (same - best_other).min() > 0.2, (same, best_other)


def test_how_motion_happens_matters(emb):
    """Same spot and look, only the direction of the hand's motion differs."""
    kinds = [dict(motion="h"), dict(motion="h", noise=6, seed=4), dict(motion="v"), dict(motion="circle")]
    v = emb.embed_clips([make_clip(1, first_index=8 * k, **kw) for k, kw in enumerate(kinds)])
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1  # horizontal vs vertical
    assert float(v[0] @ v[1]) > float(v[0] @ v[3])  # a circle is partly horizontal


def test_overlapping_clips_reuse_frames_exactly():
    """Without centring, a stream of overlapping clips in one call equals one call per clip."""
    emb = ColorMotionEmbedder(center=False)
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
    clips = [make_clip(3, pace=0.0, seed=2), make_clip(3, first_index=8),
             make_clip(0, pace=0.0, seed=2, first_index=16), make_clip(1, first_index=24)]
    v = emb.embed_clips(clips)
    assert np.isfinite(v).all()
    assert float(v[0] @ v[1]) > float(v[2] @ v[1])


def test_centring_removes_what_never_changes_in_the_video():
    """A static change of the scene (a label stuck on the bench for the whole video) barely
    moves the centred vectors, and moves the uncentred ones clearly more."""
    def take_with_label(emb, label: bool):
        clips = [make_clip(s, first_index=8 * s) for s in range(N_STEPS)]
        if label:
            for c in clips:
                c.frames[:, 140:170, 10:60] = (230, 40, 40)
        return emb.embed_clips(clips)

    centred, plain = ColorMotionEmbedder(), ColorMotionEmbedder(center=False)
    moved_c = np.sum(take_with_label(centred, False) * take_with_label(centred, True), axis=1).min()
    moved_p = np.sum(take_with_label(plain, False) * take_with_label(plain, True), axis=1).min()
    assert moved_c > 0.97 and moved_c > moved_p + 0.01, (moved_c, moved_p)


def test_single_clip_call_is_not_centred_to_zero(emb):
    v = emb.embed_clips([make_clip(2)])
    np.testing.assert_array_equal(v, ColorMotionEmbedder(center=False).embed_clips([make_clip(2)]))
