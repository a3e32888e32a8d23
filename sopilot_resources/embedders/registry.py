"""Embedders by name: ``get_embedder("color-motion")``, ``get_embedder("vjepa2", model_dir=...)``."""
from __future__ import annotations

import inspect

from ..errors import EmbedderError
from .base import Embedder

DEFAULT_EMBEDDER = "color-motion"
_EMBEDDERS = {
    "color-motion": "CPU colour / gradient layout + where and how motion happens (default)",
    "vjepa2": "V-JEPA 2 video transformer from a local model directory (optional torch extra)",
}


def available_embedders() -> dict[str, str]:
    """Known embedder names -> one-line description."""
    return dict(_EMBEDDERS)


def get_embedder(name: str = DEFAULT_EMBEDDER, device: str = "auto", model_dir=None,
                 **params) -> Embedder:
    """Build an embedder by name. ``device`` and ``model_dir`` are used by vjepa2 only
    (color-motion runs on the CPU and needs no model); ``params`` go to the constructor.
    Unknown names or parameters raise EmbedderError."""
    if name == "color-motion":
        from .color_motion import ColorMotionEmbedder

        if device not in ("auto", "cpu", "cuda"):
            raise EmbedderError(f"unknown device {device!r}; use auto, cpu or cuda")
        return _build(name, ColorMotionEmbedder, **params)
    if name == "vjepa2":
        from .vjepa2 import VJEPA2Embedder

        return _build(name, VJEPA2Embedder, model_dir=model_dir, device=device, **params)
    raise EmbedderError(f"unknown embedder {name!r}; known: {', '.join(_EMBEDDERS)}")


def _build(name: str, cls, **kwargs) -> Embedder:
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as exc:
        raise EmbedderError(f"bad parameters for embedder {name!r}: {exc}") from None
    return cls(**kwargs)
