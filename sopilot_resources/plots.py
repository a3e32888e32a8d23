"""Pictures people look at in the Dagster UI (matplotlib, Agg backend: no display needed).

contact_sheet: a grid of frames spread over a video. alignment_picture: the clip cost matrix
with the DTW path and the gold step boundaries. step_timeline: gold steps vs where the trainee
did them, with the deviations marked. Every function writes a PNG atomically and returns its path.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from .storage.fsutil import atomic_write_bytes


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int = 80) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _plt().close(fig)
    return atomic_write_bytes(path, buf.getvalue(), fsync=False)


def contact_sheet(frames: np.ndarray, times: np.ndarray, out: str | Path, title: str = "") -> Path:
    """frames: (n, H, W, 3) uint8 RGB; times: (n,) seconds. A grid with timecodes."""
    plt = _plt()
    n = max(1, len(frames))
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.4, rows * 1.6 + 0.3), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(frames):
            ax.imshow(frames[k])
            ax.set_title(f"{int(times[k] // 60):02d}:{times[k] % 60:04.1f}", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=8)
    return _save(fig, Path(out))


def _thin(x: np.ndarray, max_rows: int) -> tuple[np.ndarray, int]:
    step = max(1, math.ceil(len(x) / max_rows))
    return x[::step], step


def alignment_picture(gold: np.ndarray, trainee: np.ndarray, path: np.ndarray, gold_bounds: list[int],
                      out: str | Path, gold_hop_sec: float = 0.5, trainee_hop_sec: float = 0.5,
                      max_cells: int = 400) -> Path:
    """gold (N, D), trainee (M, D) clip embeddings; path (K, 2) DTW path of (gold i, trainee j);
    gold_bounds: gold clip indices where steps start. Rows/columns are thinned to at most
    ``max_cells`` so a 4-hour video draws in the same memory as a short one."""
    plt = _plt()
    g, sg = _thin(gold, max_cells)
    t, st = _thin(trainee, max_cells)
    gn = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
    tn = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9)
    cost = 1.0 - gn @ tn.T
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(cost, origin="lower", aspect="auto", cmap="viridis",
                   extent=(0, len(trainee) * trainee_hop_sec, 0, len(gold) * gold_hop_sec))
    ax.plot(path[:, 1] * trainee_hop_sec, path[:, 0] * gold_hop_sec, color="red", lw=1.2, label="DTW path")
    for b in gold_bounds:
        ax.axhline(b * gold_hop_sec, color="white", lw=0.6, ls="--")
    ax.set_xlabel("trainee time (s)")
    ax.set_ylabel("gold time (s)  - - step starts")
    ax.legend(loc="upper left", fontsize=7)
    fig.colorbar(im, ax=ax, label="cosine cost")
    return _save(fig, Path(out))


def step_timeline(gold_steps: list[dict], trainee_steps: list[dict], deviations: list[dict],
                  out: str | Path, gold_len: float, trainee_len: float) -> Path:
    """Two lanes: gold steps and where the trainee did them (same colour per step), deviations
    as red marks on the trainee lane (or the gold lane when there is no trainee time)."""
    plt = _plt()
    cmap = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(9, 2.2 + 0.1 * len(gold_steps)))
    for lane, steps in ((1, gold_steps), (0, trainee_steps)):
        for s in steps:
            c = cmap(int(s["index"]) % 20)
            ax.barh(lane, s["end_sec"] - s["start_sec"], left=s["start_sec"], height=0.6, color=c,
                    edgecolor="black", lw=0.4, alpha=0.9 if s.get("found", True) else 0.35)
            ax.text((s["start_sec"] + s["end_sec"]) / 2, lane, str(int(s["index"]) + 1), ha="center",
                    va="center", fontsize=7)
    for k, d in enumerate(deviations):
        below = bool(d.get("trainee_time"))
        span = d.get("trainee_time") or d.get("gold_time")
        if span:
            lane = -0.4 - 0.14 * (k % 4) if below else 1.4 + 0.14 * (k % 4)
            ax.plot([span["start_sec"], span["end_sec"]], [lane, lane], color="red", lw=2.5)
            ax.text(span["end_sec"] + 0.1, lane, d["type"], color="red", fontsize=6, va="center")
    ax.set_yticks([0, 1], ["trainee", "gold"])
    ax.set_xlim(0, max(gold_len, trainee_len, 1.0))
    ax.set_ylim(-1.0, 2.0)
    ax.set_xlabel("time (s)  - numbers: gold step; red: deviations")
    return _save(fig, Path(out))
