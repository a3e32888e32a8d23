"""Task profiles and gold steps files found in the inbox (part of ``Intake``)."""
from __future__ import annotations

from pathlib import Path

from ..errors import ProfileError, StepsFileError
from .fsutil import move_file, sha256_file
from .inbox import InboxEntry
from .intake_types import Event
from .keys import stem_of
from .profiles import add_version
from .registry import VideoRecord


class SidecarMixin:
    def _valid_sidecar(self, sidecar: Path, e: InboxEntry, events: list[Event]) -> Path | None:
        from ..scoring.steps import load_steps

        try:
            load_steps(sidecar)
            return sidecar
        except StepsFileError as exc:
            self._quarantine(sidecar, e, exc.reason, f"{exc}; steps of {e.path.name} will be "
                             "detected automatically - fix the file and drop it again", events)
            return None

    # --- profiles and sidecars --------------------------------------------------------------
    def _profile(self, e: InboxEntry, events: list[Event]) -> bool:
        from ..scoring.profile import load_profile

        try:
            prof = load_profile(e.path)
        except ProfileError as exc:
            self._quarantine(e.path, e, exc.reason, str(exc), events)
            return True
        sha = sha256_file(e.path)
        task = self.registry.task(e.task)
        if task.profile and task.profile["sha256"] == sha:
            dst = self.store.archive_duplicate(e.path, e.task, "profile")
            events.append(Event("duplicate", f"{e.rel}: same profile as the current one; archived",
                                e.task, "", e.path.name, e.rel, sha, reason="duplicate",
                                stored_path=self._rel(dst)))
            return True
        dst = self.store.profile_path(e.task, sha)
        if dst.exists():
            self.store.archive_duplicate(e.path, e.task, "profile")
        else:
            move_file(e.path, dst)
        add_version(self.registry, task, {"sha256": sha, "path": self._rel(dst), "file_name": e.path.name,
                                          "fingerprint": prof.fingerprint()}, "inbox", f"dropped as {e.rel}")
        events.append(Event("profile", f"{e.rel}: profile v{task.profile['version']} of task "
                            f"{e.task} (fingerprint {prof.fingerprint()}); applies to trainees "
                            "paired from now on", e.task, "", e.path.name, e.rel, sha,
                            stored_path=self._rel(dst)))
        return True

    def _still_waiting(self, e: InboxEntry) -> bool:
        """``e`` has been in the inbox (unchanged) less than ``orphan_sidecar_sec``: what it
        needs (its video, a video's score) may still be on the way."""
        since = self._tracker.state.get(e.rel, [0, 0, self._now])[2]
        return self._now - since < self.config.orphan_sidecar_sec

    def _orphan_sidecar(self, e: InboxEntry, events: list[Event]) -> bool:
        """A steps file without its video in this tick: waits for a video still arriving,
        attaches to an ingested gold of the same name, or is quarantined after a grace time."""
        stem = e.path.name[: -len(".steps.json")]
        names = {stem, stem_of(stem)}
        for cand in e.path.parent.iterdir():
            if cand != e.path and not cand.name.endswith(".json") and (
                    stem_of(cand.name) in names or cand.name in names):
                return False  # its video is still in the inbox (not stable yet)
        task = self.registry.task(e.task)
        for g in reversed(task.golds):
            if g["file_name"] in names or stem_of(g["file_name"]) in names:
                return self._attach_sidecar(e, self.registry.video(g["sha256"]), events)
        if self._still_waiting(e):
            return False
        self._quarantine(e.path, e, "orphan_sidecar", f"no gold video named {stem}.* in task "
                         f"{e.task}", events)
        return True

    def _attach_sidecar(self, e: InboxEntry, gold: VideoRecord, events: list[Event]) -> bool:
        if self._valid_sidecar(e.path, e, events) is None:
            return True
        sha = sha256_file(e.path)
        dst = self.store.sidecar_path(gold.sha256)
        if dst.exists() and sha256_file(dst) == sha:
            out = self.store.archive_duplicate(e.path, e.task, e.role)
            events.append(Event("duplicate", f"{e.rel}: same steps as gold {gold.key} already has; "
                                f"archived at {self._rel(out)}", e.task, e.role, e.path.name, e.rel,
                                sha, gold.key, "duplicate", self._rel(out)))
            return True
        if dst.exists():  # keep the previous version next to it
            move_file(dst, dst.with_name(f"{gold.sha256}.steps.{sha256_file(dst)[:8]}.json"), overwrite=True)
        move_file(e.path, dst)
        with self.registry.locked():
            gold = self.registry.video(gold.sha256) or gold
            gold.sidecar_path = self._rel(dst)
            self.registry.put_video(gold)
        self._regold.append(gold.key)
        events.append(Event("sidecar", f"{e.rel}: new steps for gold {gold.key}; its steps are "
                            "rebuilt, trainees scored from now on use them (existing scores stay)",
                            e.task, e.role, e.path.name, e.rel, sha, gold.key,
                            stored_path=self._rel(dst)))
        return True
