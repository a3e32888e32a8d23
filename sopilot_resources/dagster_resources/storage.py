"""Video store and results store as Dagster resources (thin wrappers over ``storage``).

Environment variables (read by ``from_env``; defaults in brackets):

    SOPILOT_DATA_DIR               [./data]  data root (inbox, raw, quarantine, archive, work, results)
    SOPILOT_STABLE_SECONDS         [5]       a file is taken once size+mtime held this long
    SOPILOT_MAX_FILES_PER_TICK     [200]     inbox files handled per sensor tick
    SOPILOT_TICK_BUDGET_SEC        [20]      stop taking files after this long in one tick
    SOPILOT_MAX_VIDEO_MB           [none]    larger videos are quarantined (too_large)
    SOPILOT_GOLD_MIN_SEC           [4]       gold quality gate: shortest acceptable gold
    SOPILOT_GOLD_MAX_BAD_FRACTION  [0.5]     gold quality gate: max share of dark/blurry/frozen/over-exposed clips
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import dagster as dg

from sopilot_resources.storage import Registry, ResultsStore, VideoStore
from sopilot_resources.storage.intake import Intake, IntakeConfig


def env_or(name: str, default):
    """``dg.EnvVar(name)`` when the variable is set (shown as such in the UI), else ``default``."""
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else default


def data_dir_from_env() -> str:
    return str(Path(os.environ.get("SOPILOT_DATA_DIR") or "./data").expanduser().resolve())


class VideoStoreResource(dg.ConfigurableResource):
    """Where videos live (see ``sopilot_resources.storage.video_store``) and how the inbox is read."""

    data_dir: str = "./data"
    stable_seconds: float = 5.0
    max_files_per_tick: int = 200
    tick_budget_sec: float = 20.0
    max_video_mb: Optional[float] = None
    gold_min_sec: float = 4.0
    gold_max_bad_fraction: float = 0.5

    def store(self) -> VideoStore:
        return VideoStore.at(self.data_dir)

    def registry(self) -> Registry:
        return Registry(self.store().registry_dir)

    def intake(self, embedder_key: str | None = None) -> Intake:
        cfg = IntakeConfig(
            stable_seconds=float(self.stable_seconds), max_files_per_tick=int(self.max_files_per_tick),
            tick_budget_sec=float(self.tick_budget_sec),
            max_bytes=int(self.max_video_mb * 1e6) if self.max_video_mb else None)
        return Intake(self.store(), cfg, embedder_key=embedder_key)

    @classmethod
    def from_env(cls) -> "VideoStoreResource":
        mb = os.environ.get("SOPILOT_MAX_VIDEO_MB", "").strip().lower()
        return cls(
            data_dir=data_dir_from_env(),
            stable_seconds=float(os.environ.get("SOPILOT_STABLE_SECONDS") or 5.0),
            max_files_per_tick=int(os.environ.get("SOPILOT_MAX_FILES_PER_TICK") or 200),
            tick_budget_sec=float(os.environ.get("SOPILOT_TICK_BUDGET_SEC") or 20.0),
            max_video_mb=None if mb in ("", "none", "0") else float(mb),
            gold_min_sec=float(os.environ.get("SOPILOT_GOLD_MIN_SEC") or 4.0),
            gold_max_bad_fraction=float(os.environ.get("SOPILOT_GOLD_MAX_BAD_FRACTION") or 0.5),
        )


class TestVideoStoreResource(VideoStoreResource):
    """For tests: a temporary data root, files taken as soon as they are seen."""

    __test__ = False  # not a pytest test class

    stable_seconds: float = 0.0
    gold_min_sec: float = 1.0


class ResultsStoreResource(dg.ConfigurableResource):
    """Result rows as Parquet under ``<data_dir>/results``, DuckDB views in ``<data_dir>/sopilot.duckdb``."""

    data_dir: str = "./data"

    def store(self) -> ResultsStore:
        root = VideoStore.at(self.data_dir)
        return ResultsStore(root.results, root.duckdb_path)

    @classmethod
    def from_env(cls) -> "ResultsStoreResource":
        return cls(data_dir=data_dir_from_env())
