"""Embedder, aligner and scoring profile as Dagster resources.

Environment variables (defaults in brackets):

    SOPILOT_EMBEDDER     [color-motion]  embedder name (color-motion | vjepa2)
    SOPILOT_VJEPA2_DIR   [none]          local V-JEPA2 model directory (vjepa2 only)
    SOPILOT_DEVICE       [auto]          auto | cpu | cuda, for the embedder and the aligner
    SOPILOT_PROFILE      [none]          default scoring profile JSON (a task's inbox/<task>/profile.json wins)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import PrivateAttr


DEVICES = ("auto", "cpu", "cuda")


def gpu_present() -> bool:
    """True when an NVIDIA GPU is visible (cheap: no torch import)."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()


class EmbedderResource(dg.ConfigurableResource):
    name: str = "color-motion"
    device: str = "auto"
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

        return model_fingerprint(self.name, self.model_dir or os.environ.get("SOPILOT_VJEPA2_DIR") or ".")

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
    def from_env(cls) -> "EmbedderResource":
        return cls(name=env_or("SOPILOT_EMBEDDER", "color-motion"),
                   device=env_or("SOPILOT_DEVICE", "auto"),
                   model_dir=env_or("SOPILOT_VJEPA2_DIR", None))


class AlignerResource(dg.ConfigurableResource):
    """DTW device: ``auto`` uses the GPU backend when one is present, else the numba CPU one."""

    device: str = "auto"

    def resolved(self) -> str:
        if self.device not in DEVICES:
            raise dg.Failure(f"aligner device {self.device!r} unknown; use auto, cpu or cuda",
                             allow_retries=False)
        return self.device

    @property
    def uses_gpu(self) -> bool:
        return self.device == "cuda" or (self.device == "auto" and gpu_present())

    @classmethod
    def from_env(cls) -> "AlignerResource":
        return cls(device=env_or("SOPILOT_DEVICE", "auto"))


class ScoringProfileResource(dg.ConfigurableResource):
    """The default scoring profile (a task's own profile.json, dropped in its inbox, wins)."""

    profile_path: Optional[str] = None

    def load(self, task_profile: str | None = None):
        from sopilot_resources.scoring.profile import load_profile

        return load_profile(task_profile or self.profile_path or None)

    def fingerprint(self) -> str:
        return self.load().fingerprint()

    @classmethod
    def from_env(cls) -> "ScoringProfileResource":
        return cls(profile_path=env_or("SOPILOT_PROFILE", None))


def env_or(name: str, default):
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else default
