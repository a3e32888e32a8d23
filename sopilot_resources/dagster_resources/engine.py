"""Embedder, aligner and scoring profile as Dagster resources.

``from_settings`` builds them from ``Settings`` (SOPILOT_EMBEDDER, SOPILOT_MODEL_DIR,
SOPILOT_DEVICE, SOPILOT_PROFILE; docs/operations.md); a value a variable set is passed as
``dg.EnvVar`` (``env.py``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from sopilot_resources.settings import Settings

from .env import env_or_value

_D = Settings.default

DEVICES = ("auto", "cpu", "cuda")


def gpu_present() -> bool:
    """True when an NVIDIA GPU is visible (cheap: no torch import)."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()


class EmbedderResource(dg.ConfigurableResource):
    name: str = _D("embedder")
    device: str = _D("device")
    model_dir: Optional[str] = None
    _embedder = PrivateAttr(default=None)

    def get(self):
        """The embedder, built once per process (a model loads once per run)."""
        if self._embedder is None:
            from sopilot_resources.embedders.registry import get_embedder

            self._embedder = get_embedder(self.name, device=self.device, model_dir=self.model_dir)
        return self._embedder

    def fingerprint(self) -> str:
        """Cheap, stable identity for code versions: the full key for color-motion; for model
        embedders name + model directory + config.json hash (no model load)."""
        if self.name == "color-motion":
            from sopilot_resources.embedders.registry import get_embedder

            return get_embedder(self.name).key()
        from sopilot_resources.heavy.reembed import model_fingerprint

        return model_fingerprint(self.name, self.model_dir or ".")

    def identity_key(self, store=None) -> str | None:
        """The embedder identity key (``name-vN-hash``) that names its embeddings on disk,
        without loading model weights: computed for color-motion, else learned from the first
        run that loaded the model (``remember``); None until then."""
        if self.name == "color-motion" or self._embedder is not None:
            return self.get().key() if self._embedder is not None else self.fingerprint()
        if store is None:
            return None
        from sopilot_resources.heavy.reembed import known_key

        return known_key(store, self.fingerprint())

    def remember(self, store, key: str) -> None:
        """Records the loaded embedder's key for ``identity_key`` (model embedders only)."""
        if self.name != "color-motion":
            from sopilot_resources.heavy.reembed import remember_key

            remember_key(store, self.fingerprint(), key)

    @property
    def uses_gpu(self) -> bool:
        return self.name != "color-motion" and (self.device == "cuda" or (self.device == "auto" and gpu_present()))

    @classmethod
    def from_settings(cls, s: Settings) -> "EmbedderResource":
        return cls(name=env_or_value(s, "embedder"), device=env_or_value(s, "device"),
                   model_dir=env_or_value(s, "model_dir"))


class AlignerResource(dg.ConfigurableResource):
    """DTW device: ``auto`` uses the GPU backend when one is present, else the numba CPU one."""

    device: str = _D("device")

    def resolved(self) -> str:
        if self.device not in DEVICES:
            raise dg.Failure(f"aligner device {self.device!r} unknown; use auto, cpu or cuda",
                             allow_retries=False)
        return self.device

    @property
    def uses_gpu(self) -> bool:
        return self.device == "cuda" or (self.device == "auto" and gpu_present())

    @classmethod
    def from_settings(cls, s: Settings) -> "AlignerResource":
        return cls(device=env_or_value(s, "device"))


class ScoringProfileResource(dg.ConfigurableResource):
    """The default scoring profile (a task's own profile.json, dropped in its inbox, wins)."""

    profile_path: Optional[str] = None

    def load(self, task_profile: str | None = None):
        from sopilot_resources.scoring.profile import load_profile

        return load_profile(task_profile or self.profile_path or None)

    def fingerprint(self) -> str:
        return self.load().fingerprint()

    @classmethod
    def from_settings(cls, s: Settings) -> "ScoringProfileResource":
        return cls(profile_path=env_or_value(s, "profile"))
