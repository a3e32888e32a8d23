"""Score video files (``sopilot score GOLD TRAINEE [TRAINEE ...]``): one gold, any number of
trainees, in one process.

- **Decoding starts first.** Only what decoding needs is imported before it begins (NumPy,
  OpenCV, the reader, the embedder); the scoring engine (its modules, numba) is imported,
  and its kernels loaded from numba's cache, in a background thread while the videos decode
  (:func:`warm_engine`).
- **Two videos at a time.** The gold and the trainees are ingested by two workers in order
  (each video decodes in one thread and embeds in another), so the next trainee decodes
  while the previous one is scored.
- **Never embed a video twice.** With a :class:`~.embed_cache.EmbeddingCache`, a video whose
  embeddings are cached is read back instead of decoded; new ones are stored, and so are a
  gold's step changes (:mod:`.scene.gold_store`), the costly part of the scene comparison that
  only the gold decides.
- **One BLAS thread.** The engine's matrices are small (hundreds of clips); with the default
  pool of one BLAS thread per core, a small product waits on threads that are busy decoding
  (on a loaded 2-core machine a 10x1264 by 1264x117 product took 26-48 ms instead of 0.1 ms).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .errors import SopilotError
from .stills import STILLS_FPS
from .video.types import SamplingConfig


def since_process_start() -> float | None:
    """Seconds since this process started (interpreter and imports included), None when
    unknown. Linux: from ``/proc`` (10 ms ticks since boot; ``psutil``'s start time is rounded
    to the boot second, too coarse here)."""
    import os

    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def warm_engine() -> threading.Thread:
    """Imports the scoring engine and loads its numba kernels (:mod:`.warm_kernels`) in a
    daemon thread (started; join it before scoring)."""
    def work():
        from .cycles import recording  # noqa: F401 - the engine and the numba kernels' modules
        from .scene import search  # noqa: F401 - the scene comparison
        from .warm_kernels import warm_kernels

        warm_kernels()  # ~0.3 s of numba loading, paid while the videos decode

    t = threading.Thread(target=work, name="sopilot-warm-engine", daemon=True)
    t.start()
    return t


@dataclass
class Ingested:
    """A video's embeddings and how they were obtained: ``cache`` is "hit", "miss" (embedded
    and stored), "off" (no cache) or "unwritable"; ``seconds``: wall time to get them."""

    path: str
    embeddings: object
    cache: str
    seconds: float
    key: str | None = None  #: its cache entry's key (None: no cache)


@dataclass
class FileScore:
    """One trainee's outcome: ``result`` (a ScoreResult) or ``error`` (why it could not be scored)."""

    trainee: str
    result: object | None = None
    error: SopilotError | None = None
    timings: dict = field(default_factory=dict)


def ingest_one(path: str, embedder, cache, stills_fps: float, stop: threading.Event | None = None,
               sampling: SamplingConfig = SamplingConfig()) -> Ingested:
    """``stop``: set to abandon the decoding (the command is ending)."""
    from .ingest import ingest_video

    t0 = time.perf_counter()
    key = None
    if cache is not None:
        key = cache.key(path, embedder.identity(), sampling.to_dict(), stills_fps)
        hit = cache.get(key)
        if hit is not None:
            return Ingested(path, hit, "hit", time.perf_counter() - t0, key)
    if stop is not None and stop.is_set():
        raise SopilotError(f"{path}: not decoded, the command stopped first")
    emb = ingest_video(path, embedder, sampling, stills_fps=stills_fps, _stop=stop)
    state = "off"
    if cache is not None:
        state = "miss" if cache.put(key, emb) is not None else "unwritable"
    return Ingested(path, emb, state, time.perf_counter() - t0, key if state == "miss" else None)


def score_files(gold: str | Path, trainees: list[str | Path], steps_path=None, profile_path=None,
                embedder: str = "color-motion", device: str = "auto", model_dir: str | None = None,
                scene: bool = True, cache=None) -> Iterator[FileScore]:
    """Yields one :class:`FileScore` per trainee, in order. Raises the gold's error (a bad
    gold, steps file or profile ends the command); a trainee's error is its FileScore's."""
    from .embedders.registry import get_embedder
    from .ingest import ingest_video  # noqa: F401 - before the engine's import starts beside it
    from .scoring.profile import load_profile
    from .scoring.steps import find_sidecar, load_steps
    from .video import iter_clips, probe  # noqa: F401 - as ingest_video's own lazy import

    t_start = time.perf_counter()
    profile = load_profile(profile_path)
    side = Path(steps_path) if steps_path else find_sidecar(gold)
    steps = load_steps(side) if side else None
    emb = get_embedder(embedder, device=device, model_dir=model_dir)
    fps = STILLS_FPS if scene else 0.0
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sopilot-ingest") as pool:
        futures: list[Future] = [pool.submit(ingest_one, str(p), emb, cache, fps, stop) for p in [gold, *trainees]]
        startup = since_process_start()
        warm = warm_engine()  # after the decoders: they need nothing it imports
        try:
            g = futures[0].result()
            keep_gold_scene(g, cache)
            warm.join()
            for k, (path, fut) in enumerate(zip(trainees, futures[1:])):
                out = _score_one(g, str(path), fut, steps, profile, device, scene, side, t_start)
                if out.result is not None and k == 0 and startup is not None:
                    out.result.timings = {"startup_sec": startup, **out.result.timings}
                yield out
                t_start = time.perf_counter()
        finally:  # a bad gold, an interrupt or the caller stopped reading: let the decoders go
            stop.set()
            for f in futures:
                f.cancel()


def keep_gold_scene(g: Ingested, cache) -> None:
    """With a cache, the gold's step changes are also kept in it for the next command
    (:mod:`.scene.gold_store`)."""
    stills = getattr(g.embeddings, "stills", None)
    if cache is not None and g.key is not None and stills is not None:
        from .scene.gold_store import GoldStore

        stills.store = GoldStore.in_cache(cache.root, g.key)


def _score_one(g: Ingested, path: str, fut: Future, steps, profile, device, scene, side, t_start) -> FileScore:
    from threadpoolctl import threadpool_limits

    from .cycles.recording import score_recording

    try:
        t = fut.result()
    except SopilotError as exc:
        return FileScore(path, error=exc)
    t_ingest = time.perf_counter() - t_start
    with threadpool_limits(limits=1, user_api="blas"):
        res = score_recording(g.embeddings, t.embeddings, steps, profile, device=device, scene=scene)
    res.timings = {"ingest_sec": t_ingest, **res.timings, "total_sec": time.perf_counter() - t_start}
    res.metrics["steps_source"] = str(side) if side else "detected"
    res.metrics["embeddings_cache"] = {"gold": g.cache, "trainee": t.cache}
    return FileScore(path, result=res)
