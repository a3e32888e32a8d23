"""A re-implementation of the published SOPilot approach, as the reference we measure against.

Every frame is decoded; the video is cut into non-overlapping 4 s clips; each clip gets a
904-d colour/edge feature (512-bin HSV histogram + 8 gradient orientations x 7x7 cells,
averaged over the clip's frames); gold and trainee clips are aligned with plain DTW on
cosine cost; the similarity is the mean cosine along the path, and a trainee passes when
its similarity is at least the median similarity of the batch being judged.

This is benchmark code (it is not part of the product): it exists so speed and accuracy
claims in docs/BENCHMARKS.md compare against something anyone can rerun.
"""
from __future__ import annotations

import numpy as np
import cv2

from sopilot_resources.align import dtw_path, cosine_cost

CLIP_SEC = 4.0
FEATURE_EVERY = 3  # features on every 3rd decoded frame: ~140 ms per 4 s clip of 720p30 here


def frame_feature(bgr: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 8, 8], [0, 180, 0, 256, 0, 256]).ravel()
    hist /= max(hist.sum(), 1.0)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    mag, ang = cv2.cartToPolar(gx, gy)
    obin = np.minimum((ang % np.pi) / np.pi * 8, 7).astype(np.int32)
    h, w = gray.shape
    cy = np.minimum(np.arange(h) * 7 // h, 6)[:, None]
    cx = np.minimum(np.arange(w) * 7 // w, 6)[None, :]
    cell = (cy * 7 + cx) * 8 + obin
    edges = np.bincount(cell.ravel(), weights=mag.ravel(), minlength=392)
    edges /= max(edges.sum(), 1e-6)
    return np.concatenate([hist, edges]).astype(np.float32)  # (904,)


def clip_features(path: str) -> np.ndarray:
    """(n_clips, 904): decode every frame, one feature vector per 4 s clip."""
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    per_clip = max(1, int(round(fps * CLIP_SEC)))
    feats, acc, k = [], [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if k % FEATURE_EVERY == 0:
            acc.append(frame_feature(frame))
        k += 1
        if k % per_clip == 0:
            feats.append(np.mean(acc, axis=0))
            acc = []
    if acc:
        feats.append(np.mean(acc, axis=0))
    cap.release()
    return np.asarray(feats, dtype=np.float32)


def similarity(gold_path: str, trainee_path: str) -> float:
    g, t = clip_features(gold_path), clip_features(trainee_path)
    cost = cosine_cost(g, t)
    path, total = dtw_path(cost)
    return float(1.0 - total / len(path))


def verdicts(similarities: list[float]) -> list[bool]:
    """Pass (True) when at least the median similarity of the batch."""
    med = float(np.median(similarities))
    return [s >= med for s in similarities]
