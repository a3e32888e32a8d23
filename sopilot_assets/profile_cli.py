"""`sopilot profile history TASK` and `sopilot profile rollback TASK VERSION`: a task's scoring
profile versions (sopilot_resources.storage.profiles; docs/reviews.md, "Profile versions")."""
from __future__ import annotations

import argparse
import json
import sys

from .review_cli import _store, _who


def cmd_profile(a: argparse.Namespace) -> int:
    from sopilot_resources.storage.profiles import history, rollback
    from sopilot_resources.storage.registry import Registry

    registry = Registry(_store(a).registry_dir)
    if a.action == "rollback":
        new = rollback(registry, a.task, a.version, a.by if a.by is not None else _who(), a.why or "")
        print(f"task {a.task}: profile v{new['version']} is now in force (the content of v{a.version}, "
              f"fingerprint {new['fingerprint']}); pairs scored from now on use it, and the idle-time rescoring "
              "updates the earlier scores")
        return 0
    rows = history(registry, a.task)
    if a.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    if not rows:
        print(f"task {a.task} has no profile of its own: the default profile applies (SOPILOT_PROFILE)")
        return 0
    for p in rows:
        print(f"{'*' if p['current'] else ' '} v{p['version']}  {p['registered_at'][:19]}  {p['fingerprint']}  "
              f"{p['file_name']}  parent {('v' + str(p['parent'])) if p.get('parent') else '-'}  "
              f"by {p.get('proposed_by') or '-'}: {p.get('why') or '-'}")
    return 0


def add_profile_parser(cmd, data_help: str) -> None:
    """The ``profile`` subcommand (``cmd(name, text)`` as in cli.py)."""
    p = cmd("profile", "a task's scoring profile versions: history, or roll back to an earlier one (as a new version)")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION", help="history or rollback")
    h = sub.add_parser("history", help="every version of the task's profile, the current one marked *")
    h.add_argument("task")
    h.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    h.add_argument("--data-dir", default=None, help=data_help)
    r = sub.add_parser("rollback", help="make an earlier version's content current again, as a new version")
    r.add_argument("task")
    r.add_argument("version", type=int, help="the version to bring back (see history)")
    r.add_argument("--why", help="the reason, kept with the version (default: 'rollback to vN')")
    r.add_argument("--by", help="who rolls back (default: the logged-in user)")
    r.add_argument("--data-dir", default=None, help=data_help)
    for x in (h, r):
        x.set_defaults(func=cmd_profile)
    p.set_defaults(func=cmd_profile)
