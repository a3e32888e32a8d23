"""V-JEPA 2 video encoder (``transformers.VJEPA2Model``) loaded from a LOCAL directory.

torch and transformers are optional extras (``pip install 'sopilot[torch]'``) and are
imported only when this embedder is built. The clip vector is the mean over all tokens of
the encoder's last hidden state (predictor skipped), L2-normalized.

Preprocessing follows ``VJEPA2VideoProcessor`` (resize the shortest edge to
``crop * 256 / 224``, centre crop, rescale, ImageNet normalization) with the values read
from the directory's ``video_preprocessor_config.json``, but runs in torch on the model's
device: the transformers processor needs torchvision, which is not a dependency here.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import EmbedderError
from ..video.types import Clip
from .base import Embedder

_IMAGENET_MEAN, _IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def resample_indices(n: int, num_frames: int) -> np.ndarray:
    """Indices (num_frames,) spread evenly over n frames (repeating frames when n is short)."""
    return np.round(np.linspace(0, n - 1, num_frames)).astype(np.int64)


def _processor_settings(model_dir: Path, crop_default: int) -> dict:
    cfg: dict = {}
    for name in ("video_preprocessor_config.json", "preprocessor_config.json"):
        if (model_dir / name).is_file():
            cfg = json.loads((model_dir / name).read_text())
            break
    crop = cfg.get("crop_size", crop_default)
    crop = int(crop["height"] if isinstance(crop, dict) else crop)
    size = cfg.get("size") or {}
    return {
        "crop": crop,
        "short": int(size.get("shortest_edge", int(crop * 256 / 224))),
        "resize": bool(cfg.get("do_resize", True)),
        "center_crop": bool(cfg.get("do_center_crop", True)),
        "scale": float(cfg.get("rescale_factor", 1 / 255)) if cfg.get("do_rescale", True) else 1.0,
        "mean": cfg.get("image_mean", _IMAGENET_MEAN) if cfg.get("do_normalize", True) else [0.0] * 3,
        "std": cfg.get("image_std", _IMAGENET_STD) if cfg.get("do_normalize", True) else [1.0] * 3,
    }


class VJEPA2Embedder(Embedder):
    """``VJEPA2Embedder(model_dir=None, device="auto", num_frames=16, batch_size=8)``.

    model_dir: a directory written by ``save_pretrained`` (config.json + weights, and
    ideally video_preprocessor_config.json): required (the command line's ``--model-dir``,
    the pipeline's SOPILOT_MODEL_DIR setting).
    device: "auto" (CUDA when available), "cpu" or "cuda". On CUDA the forward pass runs
    under bf16 autocast (fp16 where bf16 is unsupported); on CPU in fp32."""

    name = "vjepa2"
    version = 1

    def __init__(self, model_dir: str | os.PathLike | None = None, device: str = "auto",
                 num_frames: int = 16, batch_size: int = 8):
        if not model_dir:
            raise EmbedderError("vjepa2 needs a local model directory: pass --model-dir DIR "
                                "(model_dir=) or set SOPILOT_MODEL_DIR")
        self.model_dir = Path(model_dir).expanduser()
        if not (self.model_dir / "config.json").is_file():
            raise EmbedderError(f"vjepa2 model directory {self.model_dir} has no config.json; "
                                "point it at a directory written by save_pretrained")
        try:
            import torch
            from transformers import VJEPA2Model
        except ImportError as exc:
            raise EmbedderError(f"vjepa2 needs the optional extras torch and transformers "
                                f"(pip install 'sopilot[torch]'): {exc}") from None
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device not in ("cpu", "cuda") or (device == "cuda" and not torch.cuda.is_available()):
            raise EmbedderError(f"vjepa2 device {device!r} is not available; use auto, cpu or cuda")
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no tqdm bars on a CLI's stderr
        try:
            model = VJEPA2Model.from_pretrained(str(self.model_dir), local_files_only=True)
        except Exception as exc:  # transformers raises OSError/ValueError/... for bad dirs
            raise EmbedderError(f"cannot load V-JEPA2 from {self.model_dir}: "
                                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        self._torch, self.device = torch, device
        self.model = model.to(device).eval()
        cfg = model.config
        tubelet = int(cfg.tubelet_size)
        self.num_frames = max(tubelet, int(num_frames) // tubelet * tubelet)
        self.batch_size = max(1, int(batch_size))
        self.pre = _processor_settings(self.model_dir, int(cfg.crop_size))
        self._hidden = int(cfg.hidden_size)
        self._config_sha = hashlib.sha256((self.model_dir / "config.json").read_bytes()).hexdigest()[:12]
        self._amp = None
        if device == "cuda":
            self._amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._hidden

    def params(self) -> dict:
        # the device and precision are left out on purpose: CPU and GPU vectors are comparable
        return {"model": self.model_dir.name, "config_sha": self._config_sha,
                "num_frames": self.num_frames, "crop": self.pre["crop"], "pooling": "mean"}

    def _preprocess(self, frames: np.ndarray):
        """frames (T, H, W, 3) uint8 RGB -> (num_frames, 3, crop, crop) float32 tensor."""
        torch, p = self._torch, self.pre
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(frames[resample_indices(len(frames), self.num_frames)]))
        x = x.to(self.device).permute(0, 3, 1, 2).float()
        if p["resize"]:
            h, w = x.shape[-2:]
            s = p["short"] / min(h, w)
            x = F.interpolate(x, size=(max(p["crop"], round(h * s)), max(p["crop"], round(w * s))),
                              mode="bilinear", align_corners=False, antialias=True)
        if p["center_crop"]:
            h, w = x.shape[-2:]
            top, left = max(0, (h - p["crop"]) // 2), max(0, (w - p["crop"]) // 2)
            x = x[..., top:top + p["crop"], left:left + p["crop"]]
        mean = torch.tensor(p["mean"], device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(p["std"], device=self.device).view(1, 3, 1, 1)
        return (x * p["scale"] - mean) / std

    def _forward(self, batch: list[np.ndarray]) -> np.ndarray:
        torch = self._torch
        with self._lock, torch.inference_mode():
            pixels = torch.stack([self._preprocess(f) for f in batch])  # (B, F, 3, C, C)
            if self._amp is not None:
                with torch.autocast("cuda", dtype=self._amp):
                    hidden = self.model(pixel_values_videos=pixels, skip_predictor=True).last_hidden_state
            else:
                hidden = self.model(pixel_values_videos=pixels, skip_predictor=True).last_hidden_state
            vec = hidden.float().mean(dim=1)
            vec = vec / vec.norm(dim=1, keepdim=True).clamp_min(1e-12)
            return vec.cpu().numpy().astype(np.float32)

    def embed_clips(self, clips: Iterable[Clip]) -> np.ndarray:
        out, batch = [], []
        for clip in clips:
            batch.append(clip.frames)
            if len(batch) == self.batch_size:
                out.append(self._forward(batch))
                batch = []
        if batch:
            out.append(self._forward(batch))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)
