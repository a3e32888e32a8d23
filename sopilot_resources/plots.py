"""Pictures people look at in the Dagster UI, drawn with OpenCV (see canvas.py for why).

contact_sheet: a grid of frames spread over a video. alignment_picture: the clip cost matrix
with the DTW path and the gold step boundaries. step_timeline: gold steps vs where the trainee
did them, with the deviations marked. Every function writes a PNG atomically and returns its path.
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from .canvas import PALETTE, Axes, canvas, dashed_hline, save_jpeg, save_png, text


def contact_sheet(frames: np.ndarray, times: np.ndarray, out: str | Path, title: str = "",
                  cols: int = 4, tile_w: int = 240) -> Path:
    """frames: (n, H, W, 3) uint8 RGB; times: (n,) seconds. A grid of tiles ``tile_w`` wide,
    each with its timecode, under a title bar. Also writes a JPEG copy beside the PNG (same
    name, ``.jpg``): small enough to show inline in the UI, where camera frames as PNG are not."""
    frames = np.asarray(frames)
    n = len(frames)
    th = int(round(tile_w * frames.shape[1] / frames.shape[2])) if n else tile_w * 9 // 16
    cols = max(1, min(cols, n))
    rows = max(1, math.ceil(n / cols))
    bar, pad = 28, 4
    sheet = canvas(bar + rows * (th + pad) + pad, pad + cols * (tile_w + pad))
    for k in range(n):
        y, x = bar + pad + (k // cols) * (th + pad), pad + (k % cols) * (tile_w + pad)
        tile = cv2.resize(frames[k], (tile_w, th), interpolation=cv2.INTER_AREA)
        t = float(times[k])
        label = f"{int(t // 60):02d}:{t % 60:04.1f}"
        cv2.rectangle(tile, (0, th - 18), (8 + 9 * len(label), th), (0, 0, 0), -1)
        text(tile, label, 4, th - 5, 0.42, (255, 255, 255))
        sheet[y:y + th, x:x + tile_w] = tile
    if not n:
        text(sheet, "no frames", pad + 8, bar + th // 2, 0.6, (90, 90, 90))
    text(sheet, title[:120], pad + 2, 19, 0.5)
    save_jpeg(sheet, Path(out).with_suffix(".jpg"))
    return save_png(sheet, out)


def _thin(x: np.ndarray, max_rows: int) -> np.ndarray:
    return x[::max(1, math.ceil(len(x) / max_rows))]


def alignment_picture(gold: np.ndarray, trainee: np.ndarray, path: np.ndarray, gold_bounds: list[int],
                      out: str | Path, gold_hop_sec: float = 0.5, trainee_hop_sec: float = 0.5,
                      max_cells: int = 400) -> Path:
    """gold (N, D), trainee (M, D) clip embeddings; path (K, 2) DTW path of (gold i, trainee j);
    gold_bounds: gold clip indices where steps start. Rows/columns are thinned to at most
    ``max_cells`` so a 4-hour video draws in the same memory as a short one. Also writes a
    JPEG copy beside the PNG, for showing inline (a cost matrix is noise to PNG's compressor)."""
    g, t = _thin(np.asarray(gold, float), max_cells), _thin(np.asarray(trainee, float), max_cells)
    gn = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
    tn = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9)
    cost = 1.0 - gn @ tn.T  # (n', m'), rows = gold time upwards
    lo, hi = float(cost.min()), float(cost.max())
    img = canvas(470, 600)
    ax = Axes(62, 12, 500, 410, len(trainee) * trainee_hop_sec, len(gold) * gold_hop_sec)
    u8 = np.uint8(np.clip((cost - lo) / max(hi - lo, 1e-9), 0, 1) * 255)
    rgb = cv2.cvtColor(cv2.applyColorMap(np.flipud(u8), cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)
    img[ax.y0:ax.y1, ax.x0:ax.x1] = cv2.resize(rgb, (ax.x1 - ax.x0, ax.y1 - ax.y0),
                                               interpolation=cv2.INTER_NEAREST)
    for b in gold_bounds:
        dashed_hline(img, int(ax.py(b * gold_hop_sec)), ax.x0, ax.x1, (255, 255, 255))
    p = np.asarray(path, float)
    pts = np.stack([ax.px(p[:, 1] * trainee_hop_sec), ax.py(p[:, 0] * gold_hop_sec)], axis=1)
    pieces = np.split(pts, np.flatnonzero(np.diff(p[:, 0]) < 0) + 1)  # a shift recording: one per cycle
    pieces = [np.int32(np.round(q)) for q in pieces if len(q)]
    if pieces:  # none: a segment of a recording with no whole cycle
        cv2.polylines(img, pieces, False, (230, 30, 30), 2, cv2.LINE_AA)
    ax.frame(img, "trainee time (s)", "gold time (s)   - - step starts")
    text(img, "red: DTW path", ax.x0 + 6, ax.y0 + 16, 0.4, (255, 255, 255))
    bar = cv2.applyColorMap(np.linspace(255, 0, ax.y1 - ax.y0).astype(np.uint8)[:, None], cv2.COLORMAP_VIRIDIS)
    img[ax.y0:ax.y1, 520:536] = cv2.cvtColor(np.repeat(bar, 16, axis=1), cv2.COLOR_BGR2RGB)
    text(img, f"{hi:.2f}", 540, ax.y0 + 10, 0.35)
    text(img, f"{lo:.2f}", 540, ax.y1, 0.35)
    text(img, "cosine", 540, (ax.y0 + ax.y1) // 2 - 6, 0.35)
    text(img, "cost", 540, (ax.y0 + ax.y1) // 2 + 8, 0.35)
    save_jpeg(img, Path(out).with_suffix(".jpg"))
    return save_png(img, out)


def step_timeline(gold_steps: list[dict], trainee_steps: list[dict], deviations: list[dict],
                  out: str | Path, gold_len: float, trainee_len: float) -> Path:
    """Two lanes: gold steps and where the trainee did them (same colour per step), deviations
    as red marks on the trainee lane (or the gold lane when there is no trainee time)."""
    img = canvas(230, 900)
    ax = Axes(70, 40, 880, 180, max(gold_len, trainee_len, 1.0), 3.0)
    lane_y = {1: 2.0, 0: 1.0}
    for lane, steps in ((1, gold_steps), (0, trainee_steps)):
        text(img, "gold" if lane else "trainee", ax.x0 - 8, int(ax.py(lane_y[lane])) + 4, 0.42, anchor="r")
        for s in steps:
            c = PALETTE[int(s["index"]) % len(PALETTE)]
            if not s.get("found", True):
                c = tuple(int(v + (255 - v) * 0.65) for v in c)
            x0, x1 = int(ax.px(s["start_sec"])), int(ax.px(s["end_sec"]))
            y = int(ax.py(lane_y[lane]))
            cv2.rectangle(img, (x0, y - 13), (max(x1, x0 + 1), y + 13), c, -1)
            cv2.rectangle(img, (x0, y - 13), (max(x1, x0 + 1), y + 13), (0, 0, 0), 1)
            text(img, str(int(s["index"]) + 1), (x0 + x1) // 2, y + 4, 0.4, (255, 255, 255), anchor="c")
    for k, d in enumerate(deviations):
        below = bool(d.get("trainee_time"))
        span = d.get("trainee_time") or d.get("gold_time")
        if span:
            y = int(ax.py(0.45 - 0.12 * (k % 3) if below else 2.55 + 0.12 * (k % 3)))
            x0, x1 = int(ax.px(span["start_sec"])), int(ax.px(span["end_sec"]))
            cv2.line(img, (x0, y), (max(x1, x0 + 2), y), (220, 20, 20), 3)
            text(img, d["type"], max(x1, x0 + 2) + 4, y + 4, 0.35, (220, 20, 20))
    ax.frame(img, "time (s)   numbers: gold step # (from 1); red: deviations", yticks=False)
    return save_png(img, out)
