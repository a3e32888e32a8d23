"""Clip embedders: one small interface (``Embedder``), looked up by name."""
from .base import Embedder
from .registry import DEFAULT_EMBEDDER, available_embedders, get_embedder

__all__ = ["Embedder", "DEFAULT_EMBEDDER", "available_embedders", "get_embedder"]
