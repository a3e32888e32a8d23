"""Backend choice and the public DTW entry points.

Backends: "numba" (CPU, always there), "torch" (the wavefront in ``dtw_torch``, on CUDA when
present, also runnable on a torch CPU device). ``backend="auto"`` picks torch on CUDA when an
NVIDIA driver, torch and a CUDA device are all present, else numba. torch is imported only when
it may be used, so the default install (no torch) never pays for or needs it.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

from .cost import DEFAULT_BLOCK_BYTES, normalize_pair
from .dtw_numba import dtw_cost_numba, dtw_embeddings_numba
from .types import Alignment
from .validate import AlignmentInputError, check_cost

BACKENDS = ("auto", "numba", "torch")
DEVICES = ("auto", "cpu", "cuda")


def _cuda_available() -> bool:
    """True when torch can use a CUDA device. Cheap when there is no NVIDIA driver."""
    if importlib.util.find_spec("torch") is None:
        return False
    if not os.path.exists("/proc/driver/nvidia/version") and os.name == "posix":
        return False
    import torch

    return bool(torch.cuda.is_available())


def available_backends() -> list[str]:
    """Usable backend labels here, e.g. ["numba", "torch-cpu"] or [..., "torch-cuda"]."""
    out = ["numba"]
    if importlib.util.find_spec("torch") is not None:
        out.append("torch-cpu")
        if _cuda_available():
            out.append("torch-cuda")
    return out


def resolve_backend(backend: str = "auto", device: str = "auto") -> tuple[str, str]:
    """(backend, device) request -> ("numba", "cpu") or ("torch", "cpu"|"cuda"); raises
    AlignmentInputError for unknown names or an unavailable request."""
    if backend not in BACKENDS:
        raise AlignmentInputError(f"unknown DTW backend {backend!r}; choose one of {BACKENDS}")
    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise AlignmentInputError(f"unknown device {device!r}; choose auto, cpu or cuda")
    wants_cuda = str(device).startswith("cuda")
    if backend == "numba":
        if wants_cuda:
            raise AlignmentInputError("the numba backend runs on the CPU; use backend='torch' for cuda")
        return "numba", "cpu"
    if backend == "auto" and device == "cpu":
        return "numba", "cpu"
    cuda = _cuda_available() if (wants_cuda or device == "auto") else False
    if wants_cuda and not cuda:
        raise AlignmentInputError(f"device {device!r} requested but no CUDA device is available")
    if backend == "auto":
        return ("torch", "cuda" if device == "auto" else device) if cuda else ("numba", "cpu")
    if importlib.util.find_spec("torch") is None:
        raise AlignmentInputError("backend 'torch' requested but torch is not installed")
    return "torch", ("cuda" if cuda and device == "auto" else ("cpu" if device == "auto" else device))


def _label(backend: str, device: str) -> str:
    return "numba" if backend == "numba" else f"torch-{device.split(':')[0]}"


def dtw_path(cost, backend: str = "auto", device: str = "auto") -> tuple[np.ndarray, float]:
    """cost: (N, M) non-negative finite matrix -> (path (K, 2) int64 from (0,0) to (N-1,M-1),
    total accumulated cost along it). Holds the whole cost matrix (use align_embeddings for
    large inputs)."""
    c = check_cost(cost)
    if (c < 0).any():
        raise AlignmentInputError("cost: contains negative values")
    name, dev = resolve_backend(backend, device)
    if name == "numba":
        return dtw_cost_numba(c)
    from .dtw_torch import dtw_cost_torch

    return dtw_cost_torch(c, dev)


def align_embeddings(a, b, backend: str = "auto", device: str = "auto",
                     block_bytes: int = DEFAULT_BLOCK_BYTES) -> Alignment:
    """a: (N, D), b: (M, D) clip embeddings -> Alignment (DTW on cosine cost, full path).
    Memory: N*M bytes of directions + one cost block of at most ``block_bytes`` (CPU)."""
    an, bn = normalize_pair(a, b)
    name, dev = resolve_backend(backend, device)
    if name == "numba":
        path, total = dtw_embeddings_numba(an, bn, block_bytes)
    else:
        from .dtw_torch import dtw_embeddings_torch

        path, total = dtw_embeddings_torch(an, bn, dev)
    return Alignment(path=path, total_cost=total, normalized_cost=total / len(path),
                     backend=_label(name, dev), shape=(an.shape[0], bn.shape[0]))
