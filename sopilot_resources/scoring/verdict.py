"""The verdict of a score: one ordered type for the engine, the command line, the assets and
the roll-up SQL.

Best first: ``pass`` > ``needs_review`` > ``retrain`` > ``fail`` (thresholds: the task
profile, :meth:`.profile.Profile.verdict`). A :class:`Verdict` is a ``str`` (``Verdict.PASS
== "pass"``); what leaves the engine (``ScoreResult.verdict``, JSON, Parquet, DuckDB, Dagster
metadata) is its plain value, ``Verdict(value)`` turns it back.
"""
from __future__ import annotations

import enum


class Verdict(enum.StrEnum):
    """The four verdicts, declared best first (iteration order is the ranking)."""

    PASS = "pass"
    NEEDS_REVIEW = "needs_review"
    RETRAIN = "retrain"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 for the best (``pass``) .. 3 for the worst (``fail``)."""
        return list(Verdict).index(self)

    def worse_than(self, other: str) -> bool:
        """True when this verdict ranks below ``other`` (a Verdict or its value)."""
        return self.rank > Verdict(other).rank

    @property
    def label(self) -> str:
        """How a report writes it: ``NEEDS REVIEW``."""
        return self.value.replace("_", " ").upper()


#: the verdicts' values, best first (argparse choices, checks)
VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)


def worst_first(verdict: str) -> int:
    """Sort key putting the worst verdict first (``fail`` 0 .. ``pass`` 3); an unknown value
    sorts with ``fail``."""
    try:
        return len(VERDICTS) - 1 - Verdict(verdict).rank
    except ValueError:
        return 0


def count_columns_sql(column: str = "verdict") -> str:
    """SQL select items counting each verdict, best first: ``count(*) FILTER (verdict =
    'pass') AS n_pass, ...`` (columns ``n_<verdict>``, :func:`count_column_names`)."""
    return ",\n       ".join(f"count(*) FILTER ({column} = '{v.value}') AS n_{v.value}" for v in Verdict)


def count_column_names() -> list[str]:
    """``n_pass``, ``n_needs_review``, ``n_retrain``, ``n_fail``."""
    return [f"n_{v.value}" for v in Verdict]

