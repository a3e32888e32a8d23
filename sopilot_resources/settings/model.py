"""``Settings``: every SOPilot setting, typed, with its default and the variable it is read from.

The meaning of each is in docs/operations.md ("Settings"). Read once, where a process starts:
the code location (``sopilot_assets/definitions.py``), the ``sopilot`` command line.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional

from . import timing as t
from . import values as v
from .values import DeprecatedSettingWarning, SettingsError

_ROOTS = ("data_dir", "dagster_home")  # made absolute when Settings is built
#: DAGSTER_HOME's default in the cluster profile: on this host's own disk, never on the shared data
#: root (``sopilot serve``'s flock is meant for one host); the same path on every host, since a
#: worker writes its steps' captured logs under the run host's DAGSTER_HOME on its own disk
CLUSTER_DAGSTER_HOME = Path("~/.local/state/sopilot/dagster_home")


def setting(var: str, default: Any, parse, *aliases: str):
    """A field read from ``var`` (or, deprecated, one of ``aliases``) with ``parse``."""
    return field(default=default, metadata={"var": var, "parse": parse, "aliases": aliases})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting("SOPILOT_DATA_DIR", Path("data"), v.path)
    dagster_home: Optional[Path] = setting("DAGSTER_HOME", None, v.path)
    keep_dagster_yaml: bool = setting("SOPILOT_KEEP_DAGSTER_YAML", False, v.flag)
    debug: bool = setting("SOPILOT_DEBUG", False, v.flag)
    # the engine
    embedder: str = setting("SOPILOT_EMBEDDER", "color-motion", v.embedder_name)
    model_dir: Optional[Path] = setting("SOPILOT_MODEL_DIR", None, v.path,
                                        "SOPILOT_VJEPA2_DIR", "SOPILOT_HEAVY_MODEL_DIR")
    device: str = setting("SOPILOT_DEVICE", "auto", v.choice("auto", "cpu", "cuda"))
    profile: Optional[Path] = setting("SOPILOT_PROFILE", None, v.existing_file)
    # `sopilot score`'s embeddings cache (sopilot_resources/embed_cache.py)
    cache_dir: Optional[Path] = setting("SOPILOT_CACHE_DIR", None, v.path)
    cache_max_mb: float = setting("SOPILOT_CACHE_MAX_MB", 2048.0, v.number(float, low=0))
    xdg_cache_home: Optional[Path] = setting("XDG_CACHE_HOME", None, v.path)
    # where a long video's stills and vectors wait on disk during ingest (spill.spill_file)
    spill_dir: Optional[Path] = setting("SOPILOT_SPILL_DIR", None, v.path)
    # the inbox sensor and the gold gate
    stable_seconds: float = setting("SOPILOT_STABLE_SECONDS", 5.0, v.number(float, low=0))
    stalled_seconds: float = setting("SOPILOT_STALLED_SECONDS", 60.0, v.number(float, low=0))
    truncated_after_sec: float = setting("SOPILOT_TRUNCATED_AFTER", 600.0, t.duration)
    max_files_per_tick: int = setting("SOPILOT_MAX_FILES_PER_TICK", 200, v.number(int, low=1))
    tick_budget_sec: float = setting("SOPILOT_TICK_BUDGET_SEC", 20.0, v.number(float, positive=True))
    max_video_mb: Optional[float] = setting("SOPILOT_MAX_VIDEO_MB", None, v.size_mb)
    gold_min_sec: float = setting("SOPILOT_GOLD_MIN_SEC", 4.0, v.number(float, low=0))
    gold_max_bad_fraction: float = setting("SOPILOT_GOLD_MAX_BAD_FRACTION", 0.5, v.number(float, 0, 1))
    sensor_interval: int = setting("SOPILOT_SENSOR_INTERVAL", 3, v.number(int, low=1))
    max_batch: int = setting("SOPILOT_MAX_BATCH", 50, v.number(int, low=1))
    # failed runs and a full disk
    min_free_mb: float = setting("SOPILOT_MIN_FREE_MB", 200.0, v.number(float, low=0))
    video_retries: int = setting("SOPILOT_VIDEO_RETRIES", 3, v.number(int, low=0))
    # decoding and scoring runs
    run_nice: int = setting("SOPILOT_RUN_NICE", 5, v.number(int, 0, 19))
    run_blas_threads: int = setting("SOPILOT_RUN_BLAS_THREADS", 1, v.number(int, low=1))
    # the idle gate
    idle_max_cpu_percent: Optional[float] = setting("SOPILOT_IDLE_MAX_CPU_PERCENT", 50.0, v.limit())
    idle_max_ram_percent: Optional[float] = setting("SOPILOT_IDLE_MAX_RAM_PERCENT", 50.0, v.limit())
    idle_max_gpu_util_percent: Optional[float] = setting("SOPILOT_IDLE_MAX_GPU_UTIL_PERCENT", None, v.limit())
    idle_max_gpu_mem_percent: Optional[float] = setting("SOPILOT_IDLE_MAX_GPU_MEM_PERCENT", None, v.limit())
    idle_max_active_runs: Optional[int] = setting("SOPILOT_IDLE_MAX_ACTIVE_RUNS", 0, v.limit(int))
    idle_quiet_hours: Optional[str] = setting("SOPILOT_IDLE_QUIET_HOURS", None, v.quiet_hours)
    idle_cpu_sample_sec: float = setting("SOPILOT_IDLE_CPU_SAMPLE_SEC", 0.5, v.number(float, positive=True))
    # idle-time heavy work
    heavy_embedder: str = setting("SOPILOT_HEAVY_EMBEDDER", "vjepa2", v.embedder_name)
    heavy_batch: int = setting("SOPILOT_HEAVY_BATCH", 4, v.number(int, low=1))
    heavy_cron: str = setting("SOPILOT_HEAVY_CRON", "*/5 * * * *", t.cron)
    heavy_schedule: bool = setting("SOPILOT_HEAVY_SCHEDULE", True, v.schedule_on)
    # idle-time compaction of the results' small files (storage/compaction.py)
    compact_cron: str = setting("SOPILOT_COMPACT_CRON", "17 * * * *", t.cron)
    compact_schedule: bool = setting("SOPILOT_COMPACT_SCHEDULE", True, v.schedule_on)
    # the nightly soak
    soak_cron: str = setting("SOPILOT_SOAK_CRON", "0 2 * * *", t.cron)
    soak_timezone: Optional[str] = setting("SOPILOT_SOAK_TIMEZONE", None, t.timezone)
    soak_schedule: bool = setting("SOPILOT_SOAK_SCHEDULE", True, v.schedule_on)
    soak_duration_sec: float = setting("SOPILOT_SOAK_DURATION", 1800.0, t.duration)
    soak_rate_per_min: float = setting("SOPILOT_SOAK_RATE", 6.0, v.number(float, positive=True))
    soak_max_rss_mb: float = setting("SOPILOT_SOAK_MAX_RSS_MB", 8192.0, v.number(float, positive=True))
    soak_rss_slack_mb: float = setting("SOPILOT_SOAK_RSS_SLACK_MB", 512.0, v.number(float, low=0))
    soak_max_disk_mb_per_file: float = setting("SOPILOT_SOAK_MAX_DISK_MB_PER_FILE", 50.0,
                                               v.number(float, positive=True))
    soak_child: bool = setting("SOPILOT_SOAK_CHILD", False, v.flag)
    # the per-task autopilot (docs/reviews.md)
    autopilot_cron: str = setting("SOPILOT_AUTOPILOT_CRON", "30 3 * * *", t.cron)
    autopilot_schedule: bool = setting("SOPILOT_AUTOPILOT_SCHEDULE", True, v.schedule_on)
    autopilot_adopt: bool = setting("SOPILOT_AUTOPILOT_ADOPT", False, v.flag)
    autopilot_min_reviews: int = setting("SOPILOT_AUTOPILOT_MIN_REVIEWS", 8, v.number(int, low=2))
    autopilot_canary: int = setting("SOPILOT_AUTOPILOT_CANARY", 5, v.number(int, low=0))
    autopilot_detection: tuple = setting("SOPILOT_AUTOPILOT_DETECTION", v.knobs("all"), v.knobs)
    # the deployment profile (docs/operations.md "Scaling out"; sopilot_resources/deploy/)
    deployment: str = setting("SOPILOT_DEPLOYMENT", "single", v.choice("single", "cluster"))
    executor: Optional[str] = setting("SOPILOT_EXECUTOR", None, v.choice("in_process", "celery", "k8s"))
    postgres_url: Optional[str] = setting("SOPILOT_POSTGRES_URL", None, v.postgres_url)
    celery_broker: Optional[str] = setting("SOPILOT_CELERY_BROKER", None, v.url("redis", "rediss"))
    celery_backend: Optional[str] = setting("SOPILOT_CELERY_BACKEND", None, v.url("redis", "rediss"))
    celery_visibility_timeout: int = setting("SOPILOT_CELERY_VISIBILITY_TIMEOUT", 3600, v.number(int, low=1))
    gpu_workers: bool = setting("SOPILOT_GPU_WORKERS", False, v.flag)
    k8s_gpu_node_selector: str = setting("SOPILOT_K8S_GPU_NODE_SELECTOR", "sopilot/pool=gpu", v.label)
    #: field name -> (variable, its text) for every setting read from the environment
    sources: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for name in _ROOTS:
            p = getattr(self, name)
            if p is not None:
                object.__setattr__(self, name, Path(p).expanduser().resolve())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Every setting from ``environ`` (default ``os.environ``); an unset or empty variable
        gives the default. A bad value raises one ``SettingsError`` line naming the variable; a
        deprecated name gives a ``DeprecatedSettingWarning``."""
        env = os.environ if environ is None else environ
        got, sources = {}, {}
        for f in fields(cls):
            if "var" not in f.metadata:
                continue
            found = _lookup(env, f.metadata["var"], f.metadata["aliases"])
            if found is None:
                continue
            var, raw = found
            try:
                got[f.name] = f.metadata["parse"](raw.strip())
            except ValueError as exc:
                raise SettingsError(f"{var}={raw!r}: {exc} (every setting: docs/operations.md)") from None
            sources[f.name] = (var, raw)
        got.setdefault("soak_timezone", t.local_timezone_name(env))
        made = cls(**got, sources=MappingProxyType(sources))
        made.check_deployment()
        return made

    @property
    def run_executor(self) -> str:
        """SOPILOT_EXECUTOR, else ``celery`` in the cluster profile and ``in_process`` in the single one."""
        return self.executor or ("celery" if self.deployment == "cluster" else "in_process")

    def check_deployment(self) -> None:
        """The cluster profile needs its Postgres (and, with the Celery executor, its broker), and
        a DAGSTER_HOME outside the shared data root (`sopilot serve`'s lock file is for one host)."""
        need = []
        if self.deployment == "cluster" and not self.postgres_url:
            need.append("SOPILOT_POSTGRES_URL")
        if self.run_executor == "celery" and not self.celery_broker:
            need.append("SOPILOT_CELERY_BROKER")
        if need:
            raise SettingsError(f"SOPILOT_DEPLOYMENT={self.deployment} with the {self.run_executor} executor "
                                f"needs {' and '.join(need)} (docs/operations.md, \"Scaling out\")")
        home = self.dagster_home_dir
        if self.deployment == "cluster" and (home == self.data_dir or self.data_dir in home.parents):
            raise SettingsError(
                f"SOPILOT_DEPLOYMENT=cluster: DAGSTER_HOME={home} is inside the data root {self.data_dir}, "
                "which the hosts share; set DAGSTER_HOME to a folder on this host's own disk, the same "
                f"path on every host (unset, it is {CLUSTER_DAGSTER_HOME}) (docs/operations.md, "
                "\"Scaling out\")")

    @classmethod
    def default(cls, name: str) -> Any:
        return cls.__dataclass_fields__[name].default

    @classmethod
    def variables(cls) -> dict[str, tuple[str, ...]]:
        """Field name -> (variable, deprecated aliases ...), in declaration order."""
        return {f.name: (f.metadata["var"], *f.metadata["aliases"]) for f in fields(cls) if "var" in f.metadata}

    def variable_for(self, name: str) -> str | None:
        """The variable setting ``name`` came from when it holds the value exactly as written
        (so a resource can read it as ``dg.EnvVar``), else None (a default, or text that was
        normalized: a relative path made absolute, ``CPU`` made ``cpu``)."""
        var, raw = self.sources.get(name, (None, None))
        return var if var and raw == str(getattr(self, name)) else None

    @property
    def dagster_home_dir(self) -> Path:
        """DAGSTER_HOME when set, else ``<data root>/dagster_home`` on one box and, in the cluster
        profile, ``CLUSTER_DAGSTER_HOME`` (the data root is then a share)."""
        if self.dagster_home:
            return self.dagster_home
        if self.deployment == "cluster":
            return CLUSTER_DAGSTER_HOME.expanduser()
        return self.data_dir / "dagster_home"

    def with_deployment(self, deployment: str | None) -> "Settings":
        """These settings under another deployment profile (``sopilot serve --deployment``),
        checked like SOPILOT_DEPLOYMENT; None keeps this one."""
        if deployment is None or deployment == self.deployment:
            return self
        made = replace(self, deployment=v.choice("single", "cluster")(deployment))
        made.check_deployment()
        return made

    def with_data_dir(self, data_dir: str | os.PathLike | None) -> "Settings":
        """These settings with another data root (e.g. ``--data-dir``); None keeps this one."""
        if data_dir is None:
            return self
        made = replace(self, data_dir=Path(data_dir))  # made absolute by __post_init__
        made.check_deployment()
        return made


def _lookup(env: Mapping[str, str], var: str, aliases: tuple[str, ...]) -> tuple[str, str] | None:
    """(variable, text) of ``var`` or a deprecated alias; several set differently is an error."""
    found = [(name, env[name]) for name in (var, *aliases) if (env.get(name) or "").strip()]
    if len({raw.strip() for _, raw in found}) > 1:
        raise SettingsError(f"{' and '.join(n for n, _ in found)} are set to different values; "
                            f"set {var} only")
    for name, _ in found:
        if name != var:
            warnings.warn(f"{name} is deprecated and will be removed: set {var} instead "
                          f"(read as {var} for now)", DeprecatedSettingWarning, stacklevel=3)
    return found[0] if found else None
