"""The soak report asset and its job (the nightly schedule is in sopilot_assets.schedules).

``soak_report`` runs ``run_soak`` for SOPILOT_SOAK_DURATION at SOPILOT_SOAK_RATE files per
minute (``Settings``, unless the run's config says otherwise) and records the report: markdown
summary, PNG plots, rows in ``<data root>/soak/soak.duckdb``; its check ``invariants_hold``
fails when any invariant does.
"""

from pathlib import Path
from typing import Optional

import dagster as dg

from sopilot_resources.settings import Settings, parse_duration

SOAK_REPORT = "soak_report"


class SoakConfig(dg.Config):
    duration: Optional[str] = None  # e.g. 30m; None: the SOPILOT_SOAK_DURATION setting
    rate_per_min: Optional[float] = None  # None: the SOPILOT_SOAK_RATE setting
    corpus_dir: Optional[str] = None  # default: the quick demo set, generated once
    drain_sec: Optional[float] = None  # default: max(120 s, 10 drop intervals)
    bad_every: int = 5


def build_soak_report(settings: Settings) -> dg.AssetsDefinition:
    """The ``soak_report`` asset; its soak works in ``<settings.data_dir>/soak/``."""

    @dg.asset(name=SOAK_REPORT, group_name="soak",
              check_specs=[dg.AssetCheckSpec("invariants_hold", asset=SOAK_REPORT,
                                             description="every soak invariant held")],
              description="The last soak of the whole pipeline in a sandbox: invariants, "
                          "throughput, drop -> score latency, memory.")
    def soak_report(context: dg.AssetExecutionContext, config: SoakConfig) -> dg.MaterializeResult:
        duration = parse_duration(config.duration) if config.duration else settings.soak_duration_sec
        return _soak(context, config, settings, duration, config.rate_per_min or settings.soak_rate_per_min)

    return soak_report


def _soak(context, config: SoakConfig, settings: Settings, duration: float, rate: float) -> dg.MaterializeResult:
    import duckdb

    from .run import run_soak, soak_dir, soak_passed

    report = run_soak(duration, rate, settings, corpus_dir=config.corpus_dir, drain_sec=config.drain_sec,
                      bad_every=config.bad_every, progress=context.log.info)
    ok = soak_passed(report)
    soak_id = report.parent.parent.name
    with duckdb.connect(str(soak_dir(settings.data_dir) / "soak.duckdb"), read_only=True) as con:
        checks = con.execute("SELECT name, ok, detail FROM soak_checks WHERE soak_id = ?",
                             [soak_id]).fetchall()
        n_drops, n_scored = con.execute(
            "SELECT n_drops, n_scored FROM soak_runs WHERE soak_id = ?", [soak_id]).fetchone()
    failed = {name: detail for name, good, detail in checks if not good}
    pngs = {p.stem: dg.MetadataValue.path(str(p)) for p in sorted(Path(report.parent).glob("*.png"))}
    return dg.MaterializeResult(
        metadata={"soak_id": soak_id, "passed": ok, "files_dropped": n_drops,
                  "scored": n_scored, "report": dg.MetadataValue.path(str(report)),
                  "summary": dg.MetadataValue.md(report.read_text(encoding="utf-8")), **pngs},
        check_results=[dg.AssetCheckResult(
            check_name="invariants_hold", passed=ok,
            metadata={"failed": dg.MetadataValue.json(failed)})],
    )


soak_job = dg.define_asset_job("soak_job", selection=[SOAK_REPORT],
                               executor_def=dg.in_process_executor,  # measures the host it runs on
                               description="One soak of the whole pipeline in a sandbox.")
