"""Clip embeddings of one video: the vectors, their time spans and who made them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import IncompatibleEmbeddingsError
from .file_bytes import npz_member_bytes, npz_memmap, write_npz
from .stills import Stills
from .video.types import QUALITY_FLAGS


#: clips (~34 min of video) from which ``save`` stores the vectors uncompressed and ``load``
#: maps them instead of reading them into memory
MAP_ROWS = 4096


@dataclass
class ClipEmbeddings:
    """vectors: (N, D) float32; starts/ends: (N,) float64 seconds;
    quality: (N, len(QUALITY_FLAGS)) bool, columns in QUALITY_FLAGS order;
    motion: (N,) float32 mean absolute frame difference in [0, 1] (idle detection);
    embedder: the embedder identity dict (name, version, parameters);
    video: VideoInfo.to_dict(); sampling: SamplingConfig.to_dict();
    stills: the video's still pictures (:class:`~.stills.Stills`), None when not kept
    (embeddings made before stills existed, or ingest with ``stills_fps=0``)."""

    vectors: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    quality: np.ndarray
    motion: np.ndarray
    embedder: dict
    video: dict = field(default_factory=dict)
    sampling: dict = field(default_factory=dict)
    stills: "Stills | None" = None

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def embedder_key(self) -> str:
        return embedder_key(self.embedder)

    def check_compatible(self, other: "ClipEmbeddings") -> None:
        if self.embedder_key != other.embedder_key:
            raise IncompatibleEmbeddingsError(
                f"embeddings made by {self.embedder_key} and {other.embedder_key} cannot be "
                "compared; re-embed both videos with the same embedder"
            )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        meta = json.dumps({"embedder": self.embedder, "video": self.video, "sampling": self.sampling})
        try:
            # uncompressed, so that ``load`` reads them in place: the stills' JPEG bytes (JPEG
            # already) and a long recording's vectors
            stored = ("stills_jpeg", "vectors") if len(self) >= MAP_ROWS else ("stills_jpeg",)
            write_npz(tmp, {"vectors": self.vectors, "starts": self.starts, "ends": self.ends,
                            "quality": self.quality, "motion": self.motion, "meta": np.array(meta),
                            **(self.stills.to_arrays() if self.stills is not None else {})}, stored=stored)
            tmp.replace(path)  # atomic: never a half-written file under the final name
        finally:
            tmp.unlink(missing_ok=True)  # a failed write (a full disk) leaves no partial file
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ClipEmbeddings":
        """Reads ``save``'s file; the stills' JPEG bytes stay in it (read a still at a time), and
        so do a long recording's vectors (memory-mapped read-only)."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            jpeg = npz_member_bytes(path, "stills_jpeg") if "stills_times" in z else None
            vectors = npz_memmap(path, "vectors")
            return cls(
                vectors=z["vectors"] if vectors is None else vectors, starts=z["starts"], ends=z["ends"],
                quality=z["quality"],
                motion=z["motion"], stills=Stills.from_arrays(z, jpeg=jpeg), **meta,
            )

    def quality_fraction(self) -> dict[str, float]:
        if len(self) == 0:
            return {f: 0.0 for f in QUALITY_FLAGS}
        return {f: float(self.quality[:, i].mean()) for i, f in enumerate(QUALITY_FLAGS)}


def embedder_key(identity: dict) -> str:
    """Stable short text for an embedder identity, e.g. ``color-motion-v1-3f2a9c1d``."""
    import hashlib

    blob = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(blob).hexdigest()[:8]
    return f"{identity.get('name', 'unknown')}-v{identity.get('version', 0)}-{digest}"
