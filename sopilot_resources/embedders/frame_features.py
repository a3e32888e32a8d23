"""Per-frame and per-frame-pair features of the "color-motion" embedder.

Plain functions on arrays. A frame is worked on at a fixed size (``WORK_W`` x ``WORK_H``,
aspect squashed: every layout feature is relative to the frame) so that 360p and 720p
sources, already resized by the reader, land on the same grid.
"""
from __future__ import annotations

import cv2
import numpy as np

WORK_W, WORK_H = 160, 96  # appearance / difference work size: 8x8 cells of 20x12 px
FLOW_W, FLOW_H = 80, 48  # optical-flow work size: 4x4 cells of 20x12 px
GRID = 8  # fine grid; the coarse grid (4x4) is 2x2 groups of fine cells
FLOW_GRID = 4
HOG_BINS = 8  # unsigned gradient orientation, 0-180 degrees
FLOW_BINS = 8  # signed motion direction, 0-360 degrees
EPS = 1e-6


def coarsen(cells: np.ndarray) -> np.ndarray:
    """(8, 8, ...) fine cells -> (4, 4, ...) by 2x2 means."""
    g = cells.shape[0] // 2
    return cells.reshape(g, 2, g, 2, *cells.shape[2:]).mean(axis=(1, 3))


def _cell_index(h: int, w: int, grid: int) -> np.ndarray:
    """(H, W) int64 cell id of every pixel on a grid x grid layout."""
    rows = np.arange(h) * grid // h
    cols = np.arange(w) * grid // w
    return (rows[:, None] * grid + cols[None, :]).astype(np.int64)


HOG_CELL = _cell_index(WORK_H, WORK_W, GRID)  # constants, never mutated
FLOW_CELL = _cell_index(FLOW_H, FLOW_W, FLOW_GRID)


def normalize_hist(hist: np.ndarray, rel_eps: float = 0.2) -> np.ndarray:
    """hist (..., cells, bins) >= 0 -> per-cell L2-normalized, then square-rooted.

    The epsilon is relative to the mean cell norm, so flat (texture-less) cells stay
    small instead of turning noise into full-strength orientations."""
    norms = np.linalg.norm(hist, axis=-1, keepdims=True)
    floor = rel_eps * norms.mean() + EPS
    return np.sqrt(hist / (norms + floor))


# layout of the per-frame appearance vector (``frame_features()["app"]``)
APP_SLICES = {
    "chroma": slice(0, 160),  # (8x8 + 4x4 cells) x (r, b)
    "luma": slice(160, 240),  # 8x8 + 4x4 cells
    "hog": slice(240, 880),  # (8x8 + 4x4 cells) x 8 bins, per-cell normalized, sqrt
}
APP_DIM = 880
# coarse (4x4) parts, used for the within-clip dynamics
APP_COARSE = np.r_[128:160, 224:240, 752:880]
_FLOW_DIM = FLOW_GRID * FLOW_GRID * FLOW_BINS
PAIR_SLICES = {"energy": slice(0, 80), "flow": slice(80, 80 + _FLOW_DIM)}  # ``pair_features()["motion"]``
PAIR_DIM = 80 + _FLOW_DIM
_GREY = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def frame_features(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """One RGB uint8 frame (H, W, 3) -> per-frame features.

    ``app`` (APP_DIM,) float32: grey-world chromaticity (r, b) minus 1/3 and per-frame
    z-scored luminance as 8x8 and 4x4 cell means, and gradient-orientation histograms on
    8x8 and 4x4 cells (per-cell L2-normalized, square-rooted); see APP_SLICES.
    ``z`` (96, 160) float32 z-scored grey (for frame differences); ``g8`` (48, 80) uint8
    grey re-mapped from ``z`` (for optical flow, insensitive to global brightness)."""
    small = cv2.resize(rgb, (WORK_W, WORK_H), interpolation=cv2.INTER_AREA).astype(np.float32)
    cells = cv2.resize(small, (GRID, GRID), interpolation=cv2.INTER_AREA)  # exact 8x8 cell means
    cells = np.concatenate([cells.reshape(-1, 3), coarsen(cells).reshape(-1, 3)])  # (80, 3)
    # lighting: grey-world per-channel gains remove global brightness and colour temperature
    balanced = cells / (cells[:64].mean(axis=0) + 1.0)
    chroma = balanced[:, [0, 2]] / (balanced.sum(axis=1, keepdims=True) + EPS) - 1.0 / 3.0
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    mean, std = cv2.meanStdDev(grey)
    z = (grey - np.float32(mean[0, 0])) / np.float32(std[0, 0] + 1.0)
    luma = (cells @ _GREY - np.float32(mean[0, 0])) / np.float32(std[0, 0] + 1.0)
    dx = cv2.Sobel(z, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(z, cv2.CV_32F, 0, 1, ksize=3)
    mag, ang = cv2.cartToPolar(dx, dy, angleInDegrees=True)
    bins = (ang * (HOG_BINS / 180.0)).astype(np.int64) % HOG_BINS  # unsigned orientation
    hog = np.bincount((HOG_CELL * HOG_BINS + bins).ravel(), weights=mag.ravel(),
                      minlength=GRID * GRID * HOG_BINS).reshape(GRID, GRID, HOG_BINS)
    hog = np.concatenate([normalize_hist(hog.reshape(64, HOG_BINS)),
                          normalize_hist(coarsen(hog).reshape(16, HOG_BINS))])
    g8 = cv2.resize(cv2.convertScaleAbs(z, alpha=40.0, beta=128.0), (FLOW_W, FLOW_H),
                    interpolation=cv2.INTER_AREA)
    app = np.concatenate([chroma.ravel(), luma, hog.ravel()]).astype(np.float32)
    return {"app": app, "z": z, "g8": g8}


def pair_features(prev: dict, cur: dict, min_flow: float = 0.25) -> dict[str, np.ndarray]:
    """Motion between two consecutive sampled frames (outputs of ``frame_features``).

    Camera motion (shake, a moving camera) is removed first: the median optical flow is
    taken as the global shift, subtracted from the flow and compensated before differencing.
    Returns ``motion`` (PAIR_DIM,) float32: ``energy`` where motion happens (8x8 + 4x4 cell
    mean |z difference| above the frame's median cell, so sensor noise and flicker cancel)
    and ``flow`` (4x4 cells x 8 directions) magnitude-weighted histograms of the residual
    motion direction; see PAIR_SLICES."""
    flow = cv2.calcOpticalFlowFarneback(prev["g8"], cur["g8"], None, 0.5, 2, 9, 2, 5, 1.1, 0)
    shift = np.median(flow.reshape(-1, 2), axis=0)
    resid = flow - shift
    mag, ang = cv2.cartToPolar(resid[..., 0], resid[..., 1], angleInDegrees=True)
    mag = np.where(mag > min_flow, mag, 0.0)
    bins = (ang * (FLOW_BINS / 360.0)).astype(np.int64) % FLOW_BINS
    hist = np.bincount((FLOW_CELL * FLOW_BINS + bins).ravel(), weights=mag.ravel(),
                       minlength=FLOW_GRID * FLOW_GRID * FLOW_BINS)
    # compensate the global shift (flow px -> work px) before differencing
    sx, sy = shift * (WORK_W / FLOW_W)
    moved = cv2.warpAffine(prev["z"], np.float32([[1, 0, sx], [0, 1, sy]]), (WORK_W, WORK_H),
                           borderMode=cv2.BORDER_REPLICATE)
    energy = cv2.resize(cv2.absdiff(cur["z"], moved), (GRID, GRID), interpolation=cv2.INTER_AREA)
    energy = np.maximum(energy - np.median(energy), 0.0)
    return {"motion": np.concatenate([energy.ravel(), coarsen(energy).ravel(), hist]).astype(np.float32)}
