"""Settings: defaults, every variable parsed, one clear line for a bad value, deprecated aliases,
the one table in docs/operations.md, and nothing but Settings reading the environment."""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sopilot_resources.settings import DeprecatedSettingWarning, Settings, SettingsError

REPO = Path(__file__).resolve().parents[1]
#: read by the test harness only (tests/), listed in the table too
TEST_ONLY = {"SOPILOT_TEST_ARTIFACTS", "SOPILOT_SOAK_TEST_DRAIN_SEC"}


def every_variable(tmp_path) -> tuple[dict, dict]:
    """(environment with every variable set, the field values it must give)."""
    profile = tmp_path / "p.json"
    profile.write_text("{}")
    env = {
        "SOPILOT_DATA_DIR": str(tmp_path / "d"), "DAGSTER_HOME": str(tmp_path / "h"),
        "SOPILOT_KEEP_DAGSTER_YAML": "yes", "SOPILOT_DEBUG": "1", "SOPILOT_EMBEDDER": "vjepa2",
        "SOPILOT_MODEL_DIR": "~/models/v", "SOPILOT_DEVICE": "cuda", "SOPILOT_PROFILE": str(profile),
        "SOPILOT_STABLE_SECONDS": "2.5", "SOPILOT_STALLED_SECONDS": "90",
        "SOPILOT_TRUNCATED_AFTER": "20m", "SOPILOT_MAX_FILES_PER_TICK": "25", "SOPILOT_TICK_BUDGET_SEC": "7",
        "SOPILOT_MAX_VIDEO_MB": "300", "SOPILOT_GOLD_MIN_SEC": "2", "SOPILOT_GOLD_MAX_BAD_FRACTION": "0.25",
        "SOPILOT_SENSOR_INTERVAL": "10", "SOPILOT_MAX_BATCH": "8", "SOPILOT_RUN_NICE": "0",
        "SOPILOT_RUN_BLAS_THREADS": "2", "SOPILOT_IDLE_MAX_CPU_PERCENT": "70%",
        "SOPILOT_IDLE_MAX_RAM_PERCENT": "none", "SOPILOT_IDLE_MAX_GPU_UTIL_PERCENT": "90",
        "SOPILOT_IDLE_MAX_GPU_MEM_PERCENT": "80", "SOPILOT_IDLE_MAX_ACTIVE_RUNS": "2",
        "SOPILOT_IDLE_QUIET_HOURS": "22:00-06:00", "SOPILOT_IDLE_CPU_SAMPLE_SEC": "1.5",
        "SOPILOT_HEAVY_EMBEDDER": "color-motion", "SOPILOT_HEAVY_BATCH": "16", "SOPILOT_HEAVY_CRON": "0 * * * *",
        "SOPILOT_HEAVY_SCHEDULE": "off", "SOPILOT_COMPACT_CRON": "5 */2 * * *", "SOPILOT_COMPACT_SCHEDULE": "off",
        "SOPILOT_SOAK_CRON": "15 1 * * 6", "SOPILOT_SOAK_TIMEZONE": "Europe/Berlin",
        "SOPILOT_SOAK_SCHEDULE": "stopped", "SOPILOT_SOAK_DURATION": "1h30m", "SOPILOT_SOAK_RATE": "12",
        "SOPILOT_SOAK_MAX_RSS_MB": "4096", "SOPILOT_SOAK_RSS_SLACK_MB": "0",
        "SOPILOT_SOAK_MAX_DISK_MB_PER_FILE": "20", "SOPILOT_SOAK_CHILD": "1",
        "SOPILOT_MIN_FREE_MB": "50", "SOPILOT_VIDEO_RETRIES": "0",
        "SOPILOT_CACHE_DIR": str(tmp_path / "c"), "SOPILOT_CACHE_MAX_MB": "64", "XDG_CACHE_HOME": str(tmp_path / "x"),
        "SOPILOT_SPILL_DIR": str(tmp_path / "s"), "SOPILOT_AUTOPILOT_CRON": "0 4 * * 1",
        "SOPILOT_AUTOPILOT_SCHEDULE": "off", "SOPILOT_AUTOPILOT_ADOPT": "1", "SOPILOT_AUTOPILOT_MIN_REVIEWS": "12",
        "SOPILOT_AUTOPILOT_CANARY": "0", "SOPILOT_AUTOPILOT_DETECTION": "slow_ratio, idle_sec",
        "SOPILOT_DEPLOYMENT": "cluster", "SOPILOT_EXECUTOR": "celery",
        "SOPILOT_POSTGRES_URL": "postgresql+psycopg2://sop:pw@db.plant:5432/sopilot",
        "SOPILOT_CELERY_BROKER": "redis://broker.plant:6379/0", "SOPILOT_CELERY_BACKEND": "redis://broker.plant:6379/1",
        "SOPILOT_CELERY_VISIBILITY_TIMEOUT": "7200", "SOPILOT_GPU_WORKERS": "1",
        "SOPILOT_K8S_GPU_NODE_SELECTOR": "cloud.google.com/gke-accelerator=nvidia-l4",
    }
    want = {
        "data_dir": tmp_path / "d", "dagster_home": tmp_path / "h", "keep_dagster_yaml": True, "debug": True,
        "embedder": "vjepa2", "model_dir": Path("~/models/v").expanduser(), "device": "cuda", "profile": profile,
        "stable_seconds": 2.5, "stalled_seconds": 90.0, "truncated_after_sec": 1200.0, "max_files_per_tick": 25, "tick_budget_sec": 7.0, "max_video_mb": 300.0,
        "gold_min_sec": 2.0, "gold_max_bad_fraction": 0.25, "sensor_interval": 10, "max_batch": 8,
        "run_nice": 0, "run_blas_threads": 2, "idle_max_cpu_percent": 70.0, "idle_max_ram_percent": None,
        "idle_max_gpu_util_percent": 90.0, "idle_max_gpu_mem_percent": 80.0, "idle_max_active_runs": 2,
        "idle_quiet_hours": "22:00-06:00", "idle_cpu_sample_sec": 1.5, "heavy_embedder": "color-motion",
        "heavy_batch": 16, "heavy_cron": "0 * * * *", "heavy_schedule": False,
        "compact_cron": "5 */2 * * *", "compact_schedule": False, "soak_cron": "15 1 * * 6",
        "soak_timezone": "Europe/Berlin", "soak_schedule": False, "soak_duration_sec": 5400.0,
        "soak_rate_per_min": 12.0, "soak_max_rss_mb": 4096.0, "soak_rss_slack_mb": 0.0,
        "soak_max_disk_mb_per_file": 20.0, "soak_child": True, "min_free_mb": 50.0, "video_retries": 0,
        "cache_dir": tmp_path / "c", "cache_max_mb": 64.0, "xdg_cache_home": tmp_path / "x",
        "spill_dir": tmp_path / "s", "autopilot_cron": "0 4 * * 1", "autopilot_schedule": False,
        "autopilot_adopt": True, "autopilot_min_reviews": 12, "autopilot_canary": 0,
        "autopilot_detection": ("slow_ratio", "idle_sec"),
        "deployment": "cluster", "executor": "celery", "postgres_url": "postgresql+psycopg2://sop:pw@db.plant:5432/sopilot",
        "celery_broker": "redis://broker.plant:6379/0", "celery_backend": "redis://broker.plant:6379/1",
        "celery_visibility_timeout": 7200, "gpu_workers": True,
        "k8s_gpu_node_selector": "cloud.google.com/gke-accelerator=nvidia-l4",
    }
    return env, want


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"TZ": "Asia/Tokyo"})
    assert s == dataclasses.replace(Settings(), soak_timezone="Asia/Tokyo")
    assert s.data_dir == tmp_path / "data" and s.dagster_home_dir == tmp_path / "data" / "dagster_home"
    assert (s.embedder, s.device, s.model_dir, s.profile) == ("color-motion", "auto", None, None)
    assert (s.stable_seconds, s.max_files_per_tick, s.max_batch, s.sensor_interval) == (5.0, 200, 50, 3)
    assert (s.run_nice, s.run_blas_threads, s.idle_max_cpu_percent, s.idle_max_active_runs) == (5, 1, 50.0, 0)
    assert (s.heavy_cron, s.heavy_schedule, s.soak_cron, s.soak_duration_sec) == ("*/5 * * * *", True,
                                                                                   "0 2 * * *", 1800.0)
    assert not s.soak_child and not s.debug and not s.sources
    assert Settings.from_env({"SOPILOT_MAX_BATCH": "  ", "SOPILOT_DEVICE": ""}) .max_batch == 50  # empty = unset


def test_every_variable_is_parsed(tmp_path):
    env, want = every_variable(tmp_path)
    assert set(env) == {v[0] for v in Settings.variables().values()}, "a setting without a test value"
    s = Settings.from_env(env)
    assert {name: getattr(s, name) for name in want} == want
    assert set(want) == set(Settings.variables())
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.max_batch = 3


@pytest.mark.parametrize("var, bad, expected", [
    ("SOPILOT_STABLE_SECONDS", "soon", "expected a number"),
    ("SOPILOT_MAX_FILES_PER_TICK", "2.5", "expected an integer"),
    ("SOPILOT_MAX_FILES_PER_TICK", "0", "expected an integer >= 1"),
    ("SOPILOT_SENSOR_INTERVAL", "3s", "expected an integer"),
    ("SOPILOT_GOLD_MAX_BAD_FRACTION", "1.5", "from 0 to 1"),
    ("SOPILOT_RUN_NICE", "20", "from 0 to 19"),
    ("SOPILOT_MAX_VIDEO_MB", "-5", "> 0"),
    ("SOPILOT_SOAK_RATE", "0", "> 0"),
    ("SOPILOT_DEVICE", "tpu", "one of auto, cpu, cuda"),
    ("SOPILOT_EMBEDDER", "clip", "one of color-motion, vjepa2"),
    ("SOPILOT_PROFILE", "/no/such/profile.json", "no such file"),
    ("SOPILOT_KEEP_DAGSTER_YAML", "maybe", "true/false"),
    ("SOPILOT_HEAVY_SCHEDULE", "sometimes", "on or off"),
    ("SOPILOT_AUTOPILOT_DETECTION", "strictness", "unknown detection setting(s) strictness"),
    ("SOPILOT_IDLE_MAX_CPU_PERCENT", "half", "expected a number or 'none'"),
    ("SOPILOT_IDLE_MAX_RAM_PERCENT", "-1", "a number >= 0 or 'none'"),
    ("SOPILOT_IDLE_QUIET_HOURS", "night", "HH:MM-HH:MM"),
    ("SOPILOT_IDLE_QUIET_HOURS", "25:00-06:00", "hours 0-23"),
    ("SOPILOT_HEAVY_CRON", "every 5 minutes", "cron expression of 5 fields"),
    ("SOPILOT_SOAK_TIMEZONE", "Mars/Olympus_Mons", "IANA time zone"),
    ("SOPILOT_SOAK_DURATION", "soon", "90s, 10m"),
    ("SOPILOT_DEPLOYMENT", "cloud", "one of single, cluster"),
    ("SOPILOT_POSTGRES_URL", "postgresql://u:pw@db:5432/s", "name the driver: write postgresql+psycopg2://db:5432/s"),
    ("SOPILOT_POSTGRES_URL", "mysql://db/s", "postgresql+psycopg2://host"),
    ("SOPILOT_CELERY_BROKER", "amqp://rabbit//", "redis://host"),
    ("SOPILOT_K8S_GPU_NODE_SELECTOR", "gpu", "key=value"),
])
def test_a_bad_value_is_one_line_naming_the_variable(var, bad, expected):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({var: bad})
    msg = str(err.value)
    assert msg.startswith(f"{var}={bad!r}: ") and expected in msg and "\n" not in msg


@pytest.mark.parametrize("old", ["SOPILOT_VJEPA2_DIR", "SOPILOT_HEAVY_MODEL_DIR"])
def test_old_model_dir_names_still_work_with_a_warning(old, tmp_path):
    with pytest.warns(DeprecatedSettingWarning, match=f"{old} is deprecated.*set SOPILOT_MODEL_DIR"):
        s = Settings.from_env({old: str(tmp_path)})
    assert s.model_dir == tmp_path and s.variable_for("model_dir") == old
    with pytest.warns(DeprecatedSettingWarning):  # the same value twice: fine
        assert Settings.from_env({old: str(tmp_path), "SOPILOT_MODEL_DIR": str(tmp_path)}).model_dir == tmp_path
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name alone: no warning
        assert Settings.from_env({"SOPILOT_MODEL_DIR": str(tmp_path)}).model_dir == tmp_path


def test_model_dir_names_that_disagree_are_an_error(tmp_path):
    with pytest.raises(SettingsError, match="SOPILOT_MODEL_DIR and SOPILOT_VJEPA2_DIR are set to different "
                                            "values; set SOPILOT_MODEL_DIR only"):
        Settings.from_env({"SOPILOT_MODEL_DIR": str(tmp_path / "a"), "SOPILOT_VJEPA2_DIR": str(tmp_path / "b")})


def test_a_variable_is_named_for_envvar_only_when_it_holds_the_value_as_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"SOPILOT_DATA_DIR": str(tmp_path), "SOPILOT_DEVICE": "CPU", "SOPILOT_PROFILE": ""})
    assert s.variable_for("data_dir") == "SOPILOT_DATA_DIR"
    assert s.device == "cpu" and s.variable_for("device") is None  # normalized: passed as "cpu"
    assert s.variable_for("profile") is None and s.variable_for("embedder") is None  # unset
    rel = Settings.from_env({"SOPILOT_DATA_DIR": "rel"})
    assert rel.data_dir == tmp_path / "rel" and rel.variable_for("data_dir") is None
    assert s.with_data_dir(tmp_path / "x").variable_for("data_dir") is None  # --data-dir wins


def test_every_setting_is_in_the_one_table_of_operations_md():
    text = (REPO / "docs/operations.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {re.match(r"\| `([A-Z0-9_]+)", r).group(1) for r in rows}
    assert documented == {names[0] for names in Settings.variables().values()} | TEST_ONLY
    for names in Settings.variables().values():
        for alias in names[1:]:
            assert f"`{alias}`" in section, f"deprecated alias {alias} not documented"
    for doc in [REPO / "README.md", *(REPO / "docs").rglob("*.md")]:
        if doc.name != "operations.md":
            assert not re.search(r"^\| `(SOPILOT_|DAGSTER_HOME)", doc.read_text(encoding="utf-8"), re.M), (
                f"{doc.name} has its own table of settings; docs/operations.md holds the one table")


def test_only_settings_read_the_environment():
    """Outside ``sopilot_resources/settings`` no module reads a variable; copying the
    environment for a child process (``dict(os.environ)``) is fine."""
    reads = re.compile(r"os\.environ\.get\(|os\.environ\[|os\.getenv\(|getenv\(|environ\.get\(")
    found = []
    for pkg in ("sopilot_assets", "sopilot_resources"):
        for path in (REPO / pkg).rglob("*.py"):
            if "settings" in path.relative_to(REPO).parts:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if reads.search(line):
                    found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_settings_import_no_dagster():
    code = "import sys, sopilot_resources.settings as s; s.Settings.from_env({}); print('dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


def test_cli_reports_a_bad_setting_in_one_line(monkeypatch, capsys):
    from sopilot_assets.cli import main

    monkeypatch.setenv("SOPILOT_MAX_BATCH", "many")
    assert main(["results"]) == 2
    err = capsys.readouterr().err
    assert err == "sopilot: error: SOPILOT_MAX_BATCH='many': expected an integer (every setting: docs/operations.md)\n"


def test_cli_says_a_deprecated_name_in_one_warning_line(monkeypatch, capsys, tmp_path):
    from sopilot_assets.cli import main

    monkeypatch.setenv("SOPILOT_VJEPA2_DIR", str(tmp_path))
    monkeypatch.setenv("SOPILOT_DATA_DIR", str(tmp_path / "none"))
    assert main(["results"]) == 2  # no results store there
    first = capsys.readouterr().err.splitlines()[0]
    assert first == ("sopilot: warning: SOPILOT_VJEPA2_DIR is deprecated and will be removed: set "
                     "SOPILOT_MODEL_DIR instead (read as SOPILOT_MODEL_DIR for now)")


def test_the_cluster_profile_names_what_it_is_missing():
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"SOPILOT_DEPLOYMENT": "cluster"})
    assert str(err.value).startswith("SOPILOT_DEPLOYMENT=cluster with the celery executor needs "
                                     "SOPILOT_POSTGRES_URL and SOPILOT_CELERY_BROKER")
    pg = {"SOPILOT_DEPLOYMENT": "cluster", "SOPILOT_POSTGRES_URL": "postgresql+psycopg2://u@db/s"}
    assert Settings.from_env({**pg, "SOPILOT_EXECUTOR": "k8s"}).run_executor == "k8s"  # no broker needed
    with pytest.raises(SettingsError, match="needs SOPILOT_CELERY_BROKER"):
        Settings.from_env({"SOPILOT_EXECUTOR": "celery"})
    assert Settings.from_env({}).run_executor == "in_process"


def test_the_command_line_and_settings_load_no_jit_compiler():
    """A cold `sopilot score` reads its settings before it starts decoding: neither they nor
    the command line may import numba (~0.3 s), which the kernels' warm-up thread loads
    beside decoding (issue 13: at most ~0.3 s before decoding starts)."""
    code = ("import sys, sopilot_assets.cli, sopilot_resources.settings as s; s.Settings.from_env({}); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"
