"""`sopilot review TRAINEE --verdict V`: a supervisor records what a trainee video really was;
`sopilot reviews`: the current review of each reviewed video (sopilot_resources.storage.reviews)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from .report_cli import data_store


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return ""


def cmd_review(a: argparse.Namespace) -> int:
    from sopilot_resources.storage.reviews import make_review, record_review

    store = data_store(a)
    review = record_review(store, make_review(store, a.trainee, a.verdict, a.deviation or [], a.note or "",
                                              a.by if a.by is not None else current_user(), a.task))
    devs = ", ".join(d.type + (f" at step {d.gold_step + 1} ({d.gold_step_name})" if d.gold_step is not None else "")
                     for d in review.deviations) or "no deviations"
    print(f"reviewed {review.trainee_file} (task {review.task}): {review.verdict}, {devs}"
          + (f"; replaces review {review.supersedes}" if review.supersedes else "") + f" [review {review.review_id}]")
    tell_dagster(a.settings.with_data_dir(a.data_dir), f"{review.trainee_file}: {review.verdict} (sopilot review)")
    return 0


def tell_dagster(settings, text: str, make=None) -> None:
    """Records a materialization (``make()``; default: of asset ``reviews``, so that
    ``golden_set`` refreshes) in the data root's Dagster instance, if there is one; what it
    reports is stored either way."""
    home = settings.dagster_home_dir
    if not (home / "dagster.yaml").is_file():
        return  # no pipeline on this data root: nothing to tell
    try:
        import dagster as dg

        from .assets.reviews import reviews_event

        with dg.DagsterInstance.from_config(str(home)) as instance:
            instance.report_runless_asset_event(make() if make else reviews_event(1, text))
    except Exception as exc:  # noqa: BLE001 - the change is stored; only the UI is late
        print(f"sopilot: note: stored, but the Dagster instance at {home} could not be told "
              f"({type(exc).__name__}: {exc}); the UI shows it after the next change", file=sys.stderr)


def cmd_reviews(a: argparse.Namespace) -> int:
    from sopilot_resources.storage.reviews import current_reviews

    rows = current_reviews(data_store(a), a.task)
    if a.format == "json":
        for r in rows:
            r["reviewed_at"] = r["reviewed_at"].isoformat()
            r["deviations"] = json.loads(r["deviations"] or "[]")
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    if not rows:
        print("no reviews" + (f" for task {a.task!r}" if a.task else ""), file=sys.stderr)
        return 0
    for r in rows:
        devs = ", ".join(d["type"] + (f":{d['gold_step'] + 1}" if d["gold_step"] is not None else "")
                         for d in json.loads(r["deviations"] or "[]"))
        print(f"{r['task']}  {r['trainee_file']}  {r['verdict']}  {devs or '-'}  "
              f"{r['reviewed_at']:%Y-%m-%d %H:%M}  {r['reviewer'] or '-'}  {r['note']}".rstrip())
    return 0


def add_review_parsers(cmd, data_help: str) -> None:
    """The ``review`` and ``reviews`` subcommands (``cmd(name, text)`` as in cli.py)."""
    r = cmd("review", "record what a trainee video really was (its true verdict and deviations): a supervisor's "
                      "review, kept beside the scores (DuckDB table reviews; a later review supersedes, both kept)")
    r.add_argument("trainee", help="trainee video as dropped (file name, with or without extension)")
    r.add_argument("--verdict", required=True, help="pass, needs_review, retrain or fail")
    r.add_argument("--deviation", action="append", metavar="TYPE[:STEP]",
                   help="a deviation it really has, e.g. missing_step:3 or wrong_step:'tighten screw' "
                        "(STEP: number from 1 or name, as in its report); repeat for several")
    r.add_argument("--note", help="free text")
    r.add_argument("--task", help="the trainee's task, when the name is used in several")
    r.add_argument("--by", help="who reviews (default: the logged-in user)")
    r.add_argument("--data-dir", default=None, help=data_help)
    r.set_defaults(func=cmd_review)

    s = cmd("reviews", "list the current review of each reviewed trainee video")
    s.add_argument("--task", help="only this task")
    s.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    s.add_argument("--data-dir", default=None, help=data_help)
    s.set_defaults(func=cmd_reviews)
