"""V-JEPA2 embedder through the real loading and inference path, on a tiny random model.

The model is built from a VJEPA2Config (2 layers, hidden 32, 32 px crop), saved with
save_pretrained plus the video processor config a real checkpoint ships, and loaded back
from that local directory exactly as a downloaded checkpoint would be."""
from __future__ import annotations

import json

import numpy as np
import pytest
from embedder_scenes import make_clip

torch = pytest.importorskip("torch")  # the optional `torch` extra (make test installs it)
transformers = pytest.importorskip("transformers")

from sopilot_resources.embedders import get_embedder  # noqa: E402
from sopilot_resources.embedders.vjepa2 import VJEPA2Embedder, resample_indices  # noqa: E402
from sopilot_resources.settings import Settings  # noqa: E402
from sopilot_resources.errors import EmbedderError  # noqa: E402
from sopilot_resources.video.types import Clip  # noqa: E402

CROP = 32


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("vjepa2-tiny")
    cfg = transformers.VJEPA2Config(
        crop_size=CROP, patch_size=8, frames_per_clip=4, tubelet_size=2, hidden_size=48,
        num_attention_heads=2, num_hidden_layers=2, mlp_ratio=2.0, pred_hidden_size=24,
        pred_num_attention_heads=2, pred_num_hidden_layers=1, num_pooler_layers=1,
    )
    torch.manual_seed(0)
    transformers.VJEPA2Model(cfg).save_pretrained(d)
    # what VJEPA2VideoProcessor(crop_size=CROP).save_pretrained(d) writes (that class needs
    # torchvision to be instantiated, which is not a dependency)
    (d / "video_preprocessor_config.json").write_text(json.dumps({
        "video_processor_type": "VJEPA2VideoProcessor", "crop_size": {"height": CROP, "width": CROP},
        "size": {"shortest_edge": int(CROP * 256 / 224)}, "do_resize": True, "do_center_crop": True,
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
    }))
    return d


@pytest.fixture(scope="module")
def emb(model_dir):
    return get_embedder("vjepa2", device="cpu", model_dir=model_dir, num_frames=4, batch_size=3)


def _clips(n=7):
    return [make_clip(s % 5, first_index=8 * s, seed=s) for s in range(n)]


def test_shape_finite_unit_norm(emb):
    v = emb.embed_clips(_clips())
    assert v.shape == (7, 48) and v.dtype == np.float32 and emb.dim == 48
    assert np.isfinite(v).all()
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert emb.embed_clips([]).shape == (0, 48)


def test_deterministic_and_batching_equals_unbatched(emb, model_dir):
    clips = _clips()
    batched = emb.embed_clips(clips)  # batches of 3, 3, 1
    np.testing.assert_array_equal(batched, emb.embed_clips(clips))
    single = VJEPA2Embedder(model_dir, device="cpu", num_frames=4, batch_size=1)
    np.testing.assert_allclose(batched, single.embed_clips(clips), atol=1e-5)


def test_different_content_gives_different_vectors(emb):
    v = emb.embed_clips([make_clip(0), make_clip(2, first_index=8)])
    assert float(v[0] @ v[1]) < 0.99999


def test_identity_is_stable_and_device_free(emb, model_dir):
    ident = emb.identity()
    assert ident["name"] == "vjepa2" and ident["num_frames"] == 4 and ident["crop"] == CROP
    assert "device" not in ident
    assert VJEPA2Embedder(model_dir, device="cpu", num_frames=4).key() == emb.key()
    assert VJEPA2Embedder(model_dir, device="cpu", num_frames=8).key() != emb.key()


def test_model_dir_comes_through_settings(model_dir, monkeypatch):
    monkeypatch.setenv("SOPILOT_MODEL_DIR", str(model_dir))
    with pytest.raises(EmbedderError, match="SOPILOT_MODEL_DIR"):
        get_embedder("vjepa2", device="cpu")  # the toolbox reads no variable itself
    assert get_embedder("vjepa2", device="cpu", model_dir=Settings.from_env().model_dir).dim == 48


def test_short_and_odd_clips_are_resampled(emb):
    c = make_clip(1)
    short = Clip(0, 0.0, 0.5, c.frames[:2, :100, :77], c.frame_indices[:2], c.times[:2])
    assert np.isfinite(emb.embed_clips([short])).all()
    idx = resample_indices(8, 16)
    assert len(idx) == 16 and idx[0] == 0 and idx[-1] == 7 and np.all(np.diff(idx) >= 0)
    assert set(idx) == set(range(8))  # every frame used, some twice
    np.testing.assert_array_equal(resample_indices(3, 4), [0, 1, 1, 2])


def test_missing_or_bad_model_dir_is_a_clear_error(tmp_path):
    with pytest.raises(EmbedderError, match="--model-dir DIR .* or set SOPILOT_MODEL_DIR"):
        get_embedder("vjepa2")
    with pytest.raises(EmbedderError, match="no config.json"):
        get_embedder("vjepa2", model_dir=tmp_path / "nowhere")
    (tmp_path / "config.json").write_text('{"model_type": "vjepa2"}')
    with pytest.raises(EmbedderError, match="cannot load V-JEPA2"):
        get_embedder("vjepa2", device="cpu", model_dir=tmp_path)


def test_unknown_or_unavailable_device_is_a_clear_error(model_dir):
    with pytest.raises(EmbedderError, match="not available"):
        get_embedder("vjepa2", device="tpu", model_dir=model_dir)
    if torch.cuda.is_available():
        assert get_embedder("vjepa2", device="cuda", model_dir=model_dir).device == "cuda"
    else:
        with pytest.raises(EmbedderError, match="not available"):
            get_embedder("vjepa2", device="cuda", model_dir=model_dir)


@pytest.mark.gpu
def test_cuda_autocast_matches_cpu(model_dir):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    clips = _clips(4)
    gpu = VJEPA2Embedder(model_dir, device="cuda", num_frames=4, batch_size=2).embed_clips(clips)
    cpu = VJEPA2Embedder(model_dir, device="cpu", num_frames=4, batch_size=2).embed_clips(clips)
    assert np.isfinite(gpu).all()
    assert (np.sum(gpu * cpu, axis=1) > 0.99).all()  # bf16/fp16 autocast vs fp32
