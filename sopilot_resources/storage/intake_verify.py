"""After a video moved into the raw store: are its bytes still the ones that were hashed?
(part of ``Intake``)

A writer the inbox could not see (another machine, another PID namespace) may still write
into a file after it was taken: the move keeps the file's inode, so the bytes would keep
changing under ``raw/<sha256><ext>``, a name that no longer matches them. So before a video is
registered, its stored file's size and SHA-256 are checked again against what was hashed
(a second read of the file, mostly from the page cache). A file that changed is not registered:
it is moved back into the inbox, where it was dropped (``<stem>~2<ext>`` if that name was
taken meanwhile), and watched as a new drop that was seen growing - taken once it stops
changing, under the hash of its final bytes. Nothing stored ever has bytes that do not match
its name, and nothing is lost. The same check runs for a move a crash interrupted (journal).
"""
from __future__ import annotations

import os
from pathlib import Path

from .fsutil import move_file, sha256_file
from .intake_types import Event
from .names import free_name_beside
from .registry import VideoRecord


class VerifyMixin:
    def _changed(self, raw: Path, rec: VideoRecord) -> str:
        """'' when ``raw`` still has the size and hash of ``rec``, else what changed."""
        size = os.stat(raw).st_size
        if size != rec.size_bytes:
            return f"it was {rec.size_bytes} bytes when taken and is {size} bytes now"
        if sha256_file(raw) != rec.sha256:
            return "its bytes changed after it was hashed (same size)"
        return ""

    def _kept(self, raw: Path, rec: VideoRecord, source: str, events: list[Event]) -> bool:
        """True when the stored file is what was hashed; else puts it back into the inbox."""
        what = self._changed(raw, rec)
        if not what:
            return True
        back = move_file(raw, free_name_beside(self.store.inbox / source))
        rel = back.relative_to(self.store.inbox).as_posix()
        self._requeued.append(rel)
        events.append(Event("waiting", f"{source}: changed while it was being taken ({what}); not "
                            f"registered, put back into the inbox as {rel}: it is taken as a new drop "
                            "once it stops changing", rec.task, rec.role, rec.file_name, source,
                            reason="changed_while_taken", level="warning"))
        return False

    def recover(self) -> list[Event]:
        """Finishes moves a crash interrupted (journal entries): registers a stored file whose
        bytes are still the hashed ones, puts back into the inbox one that changed."""
        events: list[Event] = []
        for rec, source in self.registry.journal():
            raw = self.store.root / rec.raw_path
            done = self.registry.video(rec.sha256) is not None  # only the journal entry was left
            if raw.exists() and (done or self._kept(raw, rec, source, events)):
                self.commit(rec, events)
                events.append(Event("recovered", f"{source}: finished registering {rec.key} after "
                                    "an interrupted tick", rec.task, rec.role, rec.file_name, source,
                                    rec.sha256, rec.key))
            self.registry.journal_done(rec.sha256)
        return events
