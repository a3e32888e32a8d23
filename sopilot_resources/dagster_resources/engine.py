"""Embedder, aligner and scoring profile as Dagster resources.

Environment variables (defaults in brackets):

    SOPILOT_EMBEDDER     [color-motion]  embedder name (color-motion | vjepa2)
    SOPILOT_VJEPA2_DIR   [none]          local V-JEPA2 model directory (vjepa2 only)
    SOPILOT_DEVICE       [auto]          auto | cpu | cuda, for the embedder and the aligner
    SOPILOT_PROFILE      [none]          default scoring profile JSON (a task's inbox/<task>/profile.json wins)
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from sopilot_resources.embeddings import embedder_key

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

    def identity_key(self) -> str:
        """The embedder's identity key (``name-vN-hash``) without loading model weights."""
        if self.name == "color-motion":
            from sopilot_resources.embedders.registry import get_embedder

            return get_embedder(self.name).key()
        if self._embedder is not None:
            return self._embedder.key()
        cfg = Path(self.model_dir or os.environ.get("SOPILOT_VJEPA2_DIR", "")) / "config.json"
        digest = hashlib.sha256(cfg.read_bytes()).hexdigest()[:12] if cfg.is_file() else "missing"
        return embedder_key({"name": self.name, "model_config": digest})

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
