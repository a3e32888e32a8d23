"""`sopilot profile history TASK` and `sopilot profile rollback TASK VERSION`: a task's scoring
profile versions (sopilot_resources.storage.profiles; docs/reviews.md, "Profile versions")."""
from __future__ import annotations

import argparse
import json
import sys

from .report_cli import data_store
from .review_cli import current_user


def cmd_profile(a: argparse.Namespace) -> int:
    from sopilot_resources.storage.profiles import history, rollback
    from sopilot_resources.storage.registry import Registry

    store = data_store(a)
    registry = Registry(store.registry_dir)
    who = (a.by if getattr(a, "by", None) is not None else current_user())
    if a.action in ("autopilot", "pin", "unpin"):
        return _autopilot(a, store, who)
    if a.action == "rollback":
        undone = registry.task(a.task).profile or {}
        new = rollback(registry, a.task, a.version, who, a.why or "")
        from sopilot_resources.storage.autopilot_state import note_rollback

        note_rollback(store, a.task, undone, new["version"], who)
        _tell(a, registry, f"task {a.task}: v{new['version']} (rollback to v{a.version}) by {who}")
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


def _tell(a: argparse.Namespace, registry, text: str) -> None:
    from .assets.reviews import profiles_event
    from .review_cli import tell_dagster

    tell_dagster(a.settings.with_data_dir(a.data_dir), text, lambda: profiles_event(registry, text))


def _autopilot(a: argparse.Namespace, store, who: str) -> int:
    from sopilot_resources.storage import autopilot_state as ap

    if a.action in ("pin", "unpin"):
        ap.pin(store, a.task, a.action == "pin", who)
        print(f"task {a.task}: autopilot {'off (profile pinned)' if a.action == 'pin' else 'on'}")
        return 0
    canary = a.settings.autopilot_canary if a.canary is None else a.canary
    knobs = a.settings.autopilot_detection if a.detection is None else a.detection
    kind, _, msg = ap.run(store, a.task, adopt=a.adopt, min_reviews=a.min_reviews, canary=canary, detection=knobs,
                          device=a.settings.device)
    print(msg)
    if kind == "adopted":
        from sopilot_resources.storage.registry import Registry

        _tell(a, Registry(store.registry_dir), msg)
    return 0


def _detection(text: str) -> tuple[str, ...]:
    from sopilot_resources.settings.values import knobs

    try:
        return knobs(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_profile_parser(cmd, data_help: str) -> None:
    """The ``profile`` subcommand (``cmd(name, text)`` as in cli.py)."""
    p = cmd("profile", "a task's scoring profile versions: history, or roll back to an earlier one (as a new version)")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION",
                           help="history, rollback, autopilot, pin or unpin")
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
    u = sub.add_parser("autopilot", help="propose thresholds, weights and detection settings that agree better with the task's reviews; "
                                         "--adopt makes a proposal that passes the gate a new version")
    u.add_argument("task")
    u.add_argument("--adopt", action="store_true", help="adopt the proposal if it passes the golden-set gate")
    u.add_argument("--min-reviews", type=int, default=8, help="reviewed and scored videos the task needs first")
    u.add_argument("--canary", type=int, default=None,
                   help="with --adopt: new reviewed trainees the proposal is judged on before it is adopted "
                        "(default: $SOPILOT_AUTOPILOT_CANARY, 5; 0: adopt at once)")
    u.add_argument("--detection", default=None, metavar="all|off|NAME,...", type=_detection,
                   help="detection settings searched too, each rescoring the reviewed videos (default: "
                        "$SOPILOT_AUTOPILOT_DETECTION, all)")
    u.add_argument("--data-dir", default=None, help=data_help)
    pins = []
    for name, text in (("pin", "pin the task's profile: the autopilot leaves it alone"),
                       ("unpin", "let the autopilot propose for the task again")):
        x = sub.add_parser(name, help=text)
        x.add_argument("task")
        x.add_argument("--by", help="who (default: the logged-in user)")
        x.add_argument("--data-dir", default=None, help=data_help)
        pins.append(x)
    for x in (h, r, u, *pins):
        x.set_defaults(func=cmd_profile)
    p.set_defaults(func=cmd_profile)
