"""Video -> ClipEmbeddings, streaming: decode in one thread while the embedder works in another.

``ingest_video`` never holds more than ``batch_clips`` decoded clips; ``ingest_pair``
ingests the gold and the trainee video concurrently (OpenCV decoding and most NumPy work
release the GIL). Both embedders shipped here are thread-safe, so one instance is shared.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Iterator

import cv2
import numpy as np

from .embedders.base import Embedder
from .embeddings import ClipEmbeddings
from .stills import STILLS_FPS, STILLS_SIDE
from .stills_tap import StillsTap
from .video.types import QUALITY_FLAGS, Clip, SamplingConfig

_MOTION_SIZE = (80, 48)  # (W, H) of the grey image motion is measured on
_DONE = object()


class _Aborted(Exception):
    """Raised inside ingest_pair's other thread once one video has failed."""


class MotionMeter:
    """Per-clip motion level for idle detection, independent of the embedder.

    ``measure(clip) -> float`` in [0, 1]: the mean absolute difference between sampled frames
    0.25 s apart (:meth:`Clip.motion_pairs`), on 80x48 grey in [0, 1], after matching each frame's mean brightness to
    its predecessor (so lighting flicker is not motion). Pair values are cached by frame
    index, so overlapping clips reuse them; the cache only keeps the current clip's pairs."""

    def __init__(self) -> None:
        self._grey: dict[int, np.ndarray] = {}
        self._pairs: dict[tuple[int, int], float] = {}

    def _g(self, clip: Clip, k: int) -> np.ndarray:
        fi = int(clip.frame_indices[k])
        if fi not in self._grey:
            small = cv2.resize(clip.frames[k], _MOTION_SIZE, interpolation=cv2.INTER_AREA)
            self._grey[fi] = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        return self._grey[fi]

    def measure(self, clip: Clip) -> float:
        idx = [int(i) for i in clip.frame_indices]
        vals = []
        for k, j in clip.motion_pairs():
            key = (idx[k], idx[j])
            if key not in self._pairs:
                ga, gb = self._g(clip, k), self._g(clip, j)
                gb = gb * (ga.mean() / max(float(gb.mean()), 1e-3))
                self._pairs[key] = float(np.abs(np.clip(gb, 0, 1) - ga).mean())
            vals.append(self._pairs[key])
        low = min(idx) if idx else 0
        for key in [k for k in self._grey if k < low]:
            del self._grey[key]
        for key in [k for k in self._pairs if k[0] < low]:
            del self._pairs[key]
        return float(np.clip(np.mean(vals), 0.0, 1.0)) if vals else 0.0


def _produce(clips: Iterator[Clip], out: queue.Queue, stop: threading.Event, clock: dict) -> None:
    """Runs in the decode thread: pulls clips from the reader into the bounded queue."""
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                clip = next(clips)
            except StopIteration:
                break
            finally:
                clock["decode_sec"] += time.perf_counter() - t0
            while not stop.is_set():
                try:
                    out.put(clip, timeout=0.1)
                    break
                except queue.Full:
                    continue
        item = _DONE
    except BaseException as exc:  # handed to the consuming thread, which raises it
        item = exc
    finally:
        close = getattr(clips, "close", None)
        if close is not None:
            close()  # releases the capture even when stopped early
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def ingest_video(path: str | os.PathLike, embedder: Embedder, sampling: SamplingConfig = SamplingConfig(),
                 mask=None, batch_clips: int = 64, timings: dict | None = None,
                 _stop: threading.Event | None = None, stills_fps: float = STILLS_FPS) -> ClipEmbeddings:
    """Decode, sample and embed one video into ClipEmbeddings (see its docstring for fields).

    batch_clips bounds the decoded clips waiting for the embedder. If ``timings`` is a dict
    it is filled with ``decode_sec`` (time in the reader), ``embed_sec`` (time in the
    embedder and motion meter), ``wall_sec`` and ``clips``. Raises the reader's typed
    VideoErrors (TooShortVideoError below ``sampling.min_clips`` clips, ...)."""
    from .video import iter_clips, probe  # lazy: keeps `import sopilot_resources.ingest` light

    t_start = time.perf_counter()
    info = probe(path)
    stop = threading.Event()  # this video's reader thread
    abort = _stop or threading.Event()  # set by ingest_pair when the other video failed
    q: queue.Queue = queue.Queue(maxsize=max(1, int(batch_clips)))
    clock = {"decode_sec": time.perf_counter() - t_start}
    # the stills are kept larger than the clips' frames: the reader hands over both sizes
    reader = iter_clips(path, sampling=sampling, mask=mask, info=info,
                        detail_side=STILLS_SIDE if stills_fps > 0 else 0)
    producer = threading.Thread(target=_produce, args=(reader, q, stop, clock), daemon=True,
                                name=f"sopilot-decode-{os.path.basename(str(path))}")
    starts: list[float] = []
    ends: list[float] = []
    quality: list[list[bool]] = []
    motion: list[float] = []
    meter = MotionMeter()
    waited = [0.0]

    def stream() -> Iterator[Clip]:
        while True:
            t0 = time.perf_counter()
            item = q.get()
            waited[0] += time.perf_counter() - t0
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            if abort.is_set():
                raise _Aborted()
            starts.append(float(item.start_sec))
            ends.append(float(item.end_sec))
            quality.append([bool(item.quality.get(f, False)) for f in QUALITY_FLAGS])
            motion.append(meter.measure(item))
            yield item

    tap = StillsTap(embedder, stills_fps) if stills_fps > 0 else None
    t_embed = time.perf_counter()
    producer.start()
    try:
        vectors = np.asarray((tap or embedder).embed_clips(stream()), dtype=np.float32)
    finally:
        stop.set()  # on error, or if the embedder stopped early: let the reader thread go
        producer.join()
    embed_sec = time.perf_counter() - t_embed - waited[0]
    n = len(starts)
    if vectors.shape[0] != n:
        raise RuntimeError(f"embedder {embedder.name} returned {vectors.shape[0]} vectors for {n} clips")
    if timings is not None:
        timings.update(decode_sec=round(clock["decode_sec"], 4), embed_sec=round(embed_sec, 4),
                       wall_sec=round(time.perf_counter() - t_start, 4), clips=n)
    return ClipEmbeddings(
        vectors=vectors,
        starts=np.asarray(starts, dtype=np.float64),
        ends=np.asarray(ends, dtype=np.float64),
        quality=np.asarray(quality, dtype=bool).reshape(n, len(QUALITY_FLAGS)),
        motion=np.asarray(motion, dtype=np.float32),
        embedder=embedder.identity(),
        video=info.to_dict(),
        sampling=sampling.to_dict(),
        stills=tap.stills() if tap is not None else None,
    )


def ingest_pair(gold_path: str | os.PathLike, trainee_path: str | os.PathLike, embedder: Embedder,
                sampling: SamplingConfig = SamplingConfig(), mask=None, batch_clips: int = 64,
                timings: dict | None = None, stills_fps: float = STILLS_FPS) -> tuple[ClipEmbeddings, ClipEmbeddings]:
    """Ingest gold and trainee concurrently (two threads, one shared thread-safe embedder).

    If either fails, the other is stopped and the first error (gold checked first) is raised.
    ``timings``, if a dict, gets ``gold`` and ``trainee`` (as in ingest_video) and ``wall_sec``."""
    t0 = time.perf_counter()
    stop = threading.Event()
    tg: dict = {}
    tt: dict = {}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sopilot-ingest") as pool:
        futures = [pool.submit(ingest_video, p, embedder, sampling, mask, batch_clips, t, stop, stills_fps)
                   for p, t in ((gold_path, tg), (trainee_path, tt))]
        wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.done() and f.exception() is not None for f in futures):
            stop.set()
        wait(futures)
    errors = [f.exception() for f in futures if f.exception() is not None]
    real = [e for e in errors if not isinstance(e, _Aborted)]
    if errors:
        raise (real or errors)[0]
    if timings is not None:
        timings.update(gold=tg, trainee=tt, wall_sec=round(time.perf_counter() - t0, 4))
    return futures[0].result(), futures[1].result()
