"""Soak building blocks without Dagster: the drop plan (plan.py), the loop (driver.py), the
outside view of a data root (observe.py), the invariants (invariants.py) and the report
(report.py). ``sopilot_assets.soak`` runs them against a sandboxed daemon."""
