"""Heavy work done at idle time: a persisted ledger of finished items and a runner that
works through a backlog in batches, checking the idle gate between batches."""
from .ledger import WorkLedger
from .runner import BacklogResult, WorkItem, embed_item_key, rescore_item_key, run_backlog

__all__ = ["WorkLedger", "WorkItem", "BacklogResult", "run_backlog", "embed_item_key",
           "rescore_item_key"]
