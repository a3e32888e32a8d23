"""Resources: environment variables, embedder identity without loading a model."""
import json

import pytest

import dagster as dg
from dagster_support import write_video

from sopilot_assets.assets.embeddings import embed
from sopilot_resources.dagster_resources.engine import AlignerResource, EmbedderResource, ScoringProfileResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.storage import VideoStore
from sopilot_resources.storage.registry import VideoRecord


def test_from_env_defaults_and_overrides(tmp_path, monkeypatch):
    for k in ("SOPILOT_DATA_DIR", "SOPILOT_STABLE_SECONDS", "SOPILOT_MAX_FILES_PER_TICK", "SOPILOT_EMBEDDER",
              "SOPILOT_DEVICE", "SOPILOT_PROFILE", "SOPILOT_MAX_VIDEO_MB"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(tmp_path)
    vs = VideoStoreResource.from_env()
    assert vs.data_dir == str(tmp_path / "data") and vs.stable_seconds == 5.0 and vs.max_files_per_tick == 200
    assert vs.max_video_mb is None
    assert EmbedderResource.from_env().name == "color-motion"
    assert AlignerResource.from_env().device == "auto"
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("SOPILOT_STABLE_SECONDS", "1.5")
    monkeypatch.setenv("SOPILOT_MAX_VIDEO_MB", "200")
    monkeypatch.setenv("SOPILOT_DEVICE", "cpu")
    vs = VideoStoreResource.from_env()
    assert vs.data_dir == str(tmp_path / "elsewhere") and vs.stable_seconds == 1.5
    assert vs.intake().config.max_bytes == 200_000_000
    assert ResultsStoreResource.from_env().store().duckdb_path == tmp_path / "elsewhere" / "sopilot.duckdb"
    # set variables are EnvVars (shown as such in the UI), resolved when the resource is used
    aligner = AlignerResource.from_env()
    assert isinstance(aligner.device, dg.EnvVar)

    @dg.asset
    def probe_device(aligner: AlignerResource) -> str:
        return aligner.resolved()

    res = dg.materialize([probe_device], resources={"aligner": aligner})
    assert res.output_for_node("probe_device") == "cpu"


def test_bad_device_is_a_clear_failure():
    with pytest.raises(dg.Failure, match="unknown; use auto, cpu or cuda"):
        AlignerResource(device="tpu").resolved()


def test_profile_resource_fingerprint_changes_with_the_file(tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"pass_min": 90.0}))
    assert ScoringProfileResource(profile_path=str(p)).fingerprint() != ScoringProfileResource().fingerprint()


def test_model_embedder_key_is_learned_from_the_first_run(tmp_path):
    torch = pytest.importorskip("torch")  # the test install (make test) has the CPU torch build
    transformers = pytest.importorskip("transformers")

    d = tmp_path / "tiny"
    cfg = transformers.VJEPA2Config(
        crop_size=32, patch_size=8, frames_per_clip=4, tubelet_size=2, hidden_size=48,
        num_attention_heads=2, num_hidden_layers=2, mlp_ratio=2.0, pred_hidden_size=24,
        pred_num_attention_heads=2, pred_num_hidden_layers=1, num_pooler_layers=1)
    torch.manual_seed(0)
    transformers.VJEPA2Model(cfg).save_pretrained(d)
    store = VideoStore.at(tmp_path / "data").ensure()
    res = EmbedderResource(name="vjepa2", device="cpu", model_dir=str(d))
    fp = res.fingerprint()
    assert fp.startswith("vjepa2:tiny:") and res.identity_key(store) is None  # nothing loaded yet
    video = write_video(store.raw / "ab" / ("ab" * 32 + ".avi"), seed=1, step_sec=1.0)
    rec = VideoRecord(key="t/trainee/x-abababab", sha256="ab" * 32, task="t", role="trainee", file_name="x.avi",
                      inbox_path="t/trainee/x.avi", raw_path=video.relative_to(store.root).as_posix(),
                      size_bytes=video.stat().st_size, registered_at="2026-01-01T00:00:00+00:00")
    emb, path, gate, timings, (frames, times) = embed(store, rec, res, 4.0, 1.0, 0.5)
    assert path.exists() and len(frames) > 0
    fresh = EmbedderResource(name="vjepa2", device="cpu", model_dir=str(d))  # e.g. the sensor
    assert fresh.identity_key(store) == emb.embedder_key and fresh.fingerprint() == fp
