"""Work through a heavy backlog in batches; stop cleanly when the machine gets busy.

Resuming is free: items already in the ledger are skipped, so the next idle window starts
at the first unfinished item. An item whose output already exists (the process died after
writing it but before the ledger entry) is recorded as done without redoing it, and an item
that dies halfway is simply not done. Nothing is lost or done twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import SopilotError
from ..system_load import IdleVerdict
from .ledger import WorkLedger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkItem:
    kind: str  # "embed" | "rescore"
    key: str
    payload: dict = field(default_factory=dict, hash=False, compare=False)


def embed_item_key(video_hash: str, embedder_key: str) -> str:
    return f"embed/{video_hash}/{embedder_key}"


def rescore_item_key(pair: str, gold_version: str, profile_fingerprint: str) -> str:
    return f"rescore/{pair}/{gold_version}/{profile_fingerprint}"


@dataclass
class BacklogResult:
    done: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # output existed, ledger caught up
    rejected: dict[str, str] = field(default_factory=dict)  # permanent typed errors
    stopped: str | None = None  # the busy verdict that stopped the run, if any
    remaining: int = 0

    def summary(self) -> str:
        s = (f"{len(self.done)} done, {len(self.recovered)} recovered, "
             f"{len(self.rejected)} rejected, {self.remaining} remaining")
        return s + (f"; stopped: {self.stopped}" if self.stopped else "")


def pending(items: Iterable[WorkItem], ledger: WorkLedger) -> list[WorkItem]:
    done = ledger.entries()
    return [it for it in items if it.key not in done]


def run_backlog(
    items: Iterable[WorkItem],
    ledger: WorkLedger,
    work: Callable[[WorkItem], dict | None],
    gate: Callable[[], IdleVerdict] | None = None,
    batch_size: int = 4,
    max_items: int | None = None,
    output_present: Callable[[WorkItem], bool] | None = None,
) -> BacklogResult:
    """Do ``work(item)`` for every item not yet in the ledger, ``batch_size`` at a time.

    ``gate()`` is asked before every batch after the first (the caller checked before
    starting); a busy verdict stops the run with ``result.stopped`` set. A typed
    ``SopilotError`` from ``work`` (a corrupt video, say) is recorded in the ledger as a
    rejection and not retried; any other exception propagates (the run fails and retries)."""
    todo = pending(items, ledger)
    if max_items is not None:
        todo, later = todo[:max_items], len(todo) - max_items
    else:
        later = 0
    res = BacklogResult()
    batch_size = max(1, int(batch_size))
    for b in range(0, len(todo), batch_size):
        if b > 0 and gate is not None:
            verdict = gate()
            if not verdict.idle:
                res.stopped = verdict.summary()
                res.remaining = len(todo) - b + max(0, later)
                log.info("heavy backlog paused: %s", res.stopped)
                return res
        for item in todo[b:b + batch_size]:
            if output_present is not None and output_present(item):
                ledger.mark_done(item.key, kind=item.kind, recovered=True)
                res.recovered.append(item.key)
                continue
            try:
                info = work(item) or {}
            except SopilotError as exc:
                ledger.mark_done(item.key, kind=item.kind, rejected=exc.reason, message=str(exc))
                res.rejected[item.key] = f"{exc.reason}: {exc}"
                continue
            ledger.mark_done(item.key, kind=item.kind, **info)
            res.done.append(item.key)
    res.remaining = max(0, later)
    return res
