"""The one small interface every embedder implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterable

import numpy as np

from ..embeddings import embedder_key
from ..video.types import Clip


class Embedder(ABC):
    """Turns a stream of clips of one video into one vector per clip.

    Subclasses set ``name`` and ``version`` and return their parameters from ``params``;
    together they form the identity stored with every embedding, so vectors from
    different embedders (or parameters) are never mixed.
    """

    name: str = "base"
    version: int = 1

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def params(self) -> dict: ...

    @abstractmethod
    def embed_clips(self, clips: Iterable[Clip]) -> np.ndarray:
        """clips: the clips of ONE video in time order (a stream; may be long).
        Returns (N, D) float32, one row per clip, not necessarily normalized."""

    def identity(self) -> dict:
        return {"name": self.name, "version": self.version, **self.params()}

    def key(self) -> str:
        return embedder_key(self.identity())
