"""Resources: built from Settings (dg.EnvVar where a variable is set), embedder identity without
loading a model."""
import json

import pytest

import dagster as dg
from dagster_support import write_video

from sopilot_assets.assets.embeddings import embed
from sopilot_resources.dagster_resources.engine import AlignerResource, EmbedderResource, ScoringProfileResource
from sopilot_resources.dagster_resources.storage import ResultsStoreResource, VideoStoreResource
from sopilot_resources.settings import Settings
from sopilot_resources.storage import VideoStore
from sopilot_resources.storage.registry import VideoRecord


def test_resources_from_settings_defaults_and_overrides(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    defaults = Settings.from_env({})
    vs = VideoStoreResource.from_settings(defaults)
    assert vs.data_dir == str(tmp_path / "data") and vs.stable_seconds == 5.0 and vs.max_files_per_tick == 200
    assert vs.max_video_mb is None
    assert EmbedderResource.from_settings(defaults).name == "color-motion"
    assert AlignerResource.from_settings(defaults).device == "auto"
    assert ScoringProfileResource.from_settings(defaults).profile_path is None
    env = {"SOPILOT_DATA_DIR": str(tmp_path / "elsewhere"), "SOPILOT_STABLE_SECONDS": "1.5",
           "SOPILOT_MAX_VIDEO_MB": "200", "SOPILOT_DEVICE": "cpu"}
    s = Settings.from_env(env)
    vs = VideoStoreResource.from_settings(s)
    # set variables are EnvVars (shown as such in the UI), resolved when the resource is used
    assert isinstance(vs.data_dir, dg.EnvVar) and vs.data_dir.env_var_name == "SOPILOT_DATA_DIR"
    assert vs.stable_seconds == 1.5 and vs.max_video_mb == 200
    assert ResultsStoreResource.from_settings(s).data_dir.env_var_name == "SOPILOT_DATA_DIR"
    aligner = AlignerResource.from_settings(s)
    assert isinstance(aligner.device, dg.EnvVar)
    for k, val in env.items():
        monkeypatch.setenv(k, val)

    @dg.asset
    def probe(aligner: AlignerResource, video_store: VideoStoreResource) -> tuple:
        return aligner.resolved(), video_store.store().root, video_store.intake().config.max_bytes

    res = dg.materialize([probe], resources={"aligner": aligner, "video_store": vs})
    assert res.output_for_node("probe") == ("cpu", tmp_path / "elsewhere", 200_000_000)


def test_a_normalized_value_is_passed_as_checked_not_as_envvar(tmp_path, monkeypatch):
    """``CPU`` and a relative data root are accepted by Settings as ``cpu`` and an absolute
    path; the resource gets those values, never text Settings did not check."""
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"SOPILOT_DEVICE": "CPU", "SOPILOT_DATA_DIR": "rel"})
    assert AlignerResource.from_settings(s).device == "cpu"
    assert VideoStoreResource.from_settings(s).data_dir == str(tmp_path / "rel")


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
