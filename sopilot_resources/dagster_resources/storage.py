"""Video store and results store as Dagster resources (thin wrappers over ``storage``).

``from_settings`` builds them from ``Settings`` (docs/operations.md lists every setting);
the data root is ``dg.EnvVar("SOPILOT_DATA_DIR")`` when that variable sets it (``env.py``).
"""
from __future__ import annotations

from typing import Optional

import dagster as dg

from sopilot_resources.settings import Settings
from sopilot_resources.storage import Registry, ResultsStore, VideoStore
from sopilot_resources.storage.intake import Intake, IntakeConfig

from .env import env_or_value

_D = Settings.default


class VideoStoreResource(dg.ConfigurableResource):
    """Where videos live (see ``sopilot_resources.storage.video_store``) and how the inbox is read."""

    data_dir: str
    stable_seconds: float = _D("stable_seconds")
    stalled_seconds: float = _D("stalled_seconds")
    truncated_after_sec: float = _D("truncated_after_sec")
    max_files_per_tick: int = _D("max_files_per_tick")
    tick_budget_sec: float = _D("tick_budget_sec")
    max_video_mb: Optional[float] = _D("max_video_mb")
    gold_min_sec: float = _D("gold_min_sec")
    gold_max_bad_fraction: float = _D("gold_max_bad_fraction")

    def store(self) -> VideoStore:
        return VideoStore.at(self.data_dir)

    def registry(self) -> Registry:
        return Registry(self.store().registry_dir)

    def intake(self, embedder_key: str | None = None) -> Intake:
        cfg = IntakeConfig(
            stable_seconds=float(self.stable_seconds), stalled_seconds=float(self.stalled_seconds),
            truncated_after_sec=float(self.truncated_after_sec), max_files_per_tick=int(self.max_files_per_tick),
            tick_budget_sec=float(self.tick_budget_sec),
            max_bytes=int(self.max_video_mb * 1e6) if self.max_video_mb else None)
        return Intake(self.store(), cfg, embedder_key=embedder_key)

    @classmethod
    def from_settings(cls, s: Settings) -> "VideoStoreResource":
        return cls(data_dir=env_or_value(s, "data_dir"), stable_seconds=s.stable_seconds,
                   stalled_seconds=s.stalled_seconds, truncated_after_sec=s.truncated_after_sec,
                   max_files_per_tick=s.max_files_per_tick, tick_budget_sec=s.tick_budget_sec,
                   max_video_mb=s.max_video_mb, gold_min_sec=s.gold_min_sec,
                   gold_max_bad_fraction=s.gold_max_bad_fraction)


class TestVideoStoreResource(VideoStoreResource):
    """For tests: a temporary data root, files taken as soon as they are seen."""

    __test__ = False  # not a pytest test class

    stable_seconds: float = 0.0
    gold_min_sec: float = 1.0


class ResultsStoreResource(dg.ConfigurableResource):
    """Result rows as Parquet under ``<data_dir>/results``, DuckDB views in ``<data_dir>/sopilot.duckdb``."""

    data_dir: str

    def store(self) -> ResultsStore:
        root = VideoStore.at(self.data_dir)
        return ResultsStore(root.results, root.duckdb_path)

    @classmethod
    def from_settings(cls, s: Settings) -> "ResultsStoreResource":
        return cls(data_dir=env_or_value(s, "data_dir"))
