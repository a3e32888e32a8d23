"""Registering a stored video and pairing it (part of ``Intake``).

A new trainee is paired with its task's current gold, or waits for one; a new gold becomes
the current one (next version), takes the waiting trainees, and takes over unscored pairs
whose gold failed the quality gate. Every step is idempotent, so a journaled registration
can be replayed after a crash."""
from __future__ import annotations

from .fsutil import read_json
from .intake_types import Event
from .registry import PairRecord, TaskRecord, VideoRecord
from .segments import add_segment
from .video_store import utc_now


class PairingMixin:
    def commit(self, rec: VideoRecord, events: list[Event]) -> None:
        """Registers a stored video and pairs it (idempotent: safe to repeat after a crash;
        under the registry's lease, so two intake runs never undo each other's task records)."""
        with self.registry.locked():
            self._commit(rec, events)

    def _commit(self, rec: VideoRecord, events: list[Event]) -> None:
        task = self.registry.task(rec.task)
        rec = self.registry.create_video(rec)  # or the record registered first (a replay, a race)
        if rec.role == "gold":
            known = next((g for g in task.golds if g["key"] == rec.key), None)
            if known is None:
                rec.gold_version = len(task.golds) + 1
                task.golds.append({"version": rec.gold_version, "key": rec.key, "sha256": rec.sha256,
                                   "file_name": rec.file_name, "registered_at": rec.registered_at})
            else:
                rec.gold_version = known["version"]
        self.registry.put_video(rec)
        rec.seq = self.registry.log("video", rec.key)
        self.registry.put_video(rec)
        events.append(Event("ingested", f"{rec.inbox_path}: stored as {rec.raw_path}, partition "
                            f"{rec.key}" + (f" (gold v{rec.gold_version} of task {rec.task}"
                            + (", with steps file)" if rec.sidecar_path else ", steps will be detected)")
                            if rec.role == "gold" else ""),
                            rec.task, rec.role, rec.file_name, rec.inbox_path, rec.sha256, rec.key,
                            stored_path=rec.raw_path))
        if rec.role == "gold":
            trainees, task.waiting_trainees = list(task.waiting_trainees), []
            self.registry.put_task(task)
            for tkey in trainees:
                trainee = self.registry.video_by_key(tkey)
                if trainee is not None:
                    self._pair(task, rec, trainee, events)
            self._take_over_blocked(task, rec, events)
        else:
            if rec.recording:
                add_segment(task, rec)
            gold = task.current_gold
            if gold is None:
                if rec.key not in task.waiting_trainees:
                    task.waiting_trainees.append(rec.key)
                self.registry.put_task(task)
                events.append(Event("waiting", f"{rec.file_name}: task {rec.task} has no gold yet; "
                                    f"it will be scored once a gold is dropped into "
                                    f"inbox/{rec.task}/gold/", rec.task, rec.role, rec.file_name,
                                    rec.inbox_path, rec.sha256, rec.key, "no_gold"))
            else:
                self.registry.put_task(task)
                gold_rec = self.registry.video(gold["sha256"])
                self._pair(task, gold_rec, rec, events)

    def _take_over_blocked(self, task: TaskRecord, gold: VideoRecord, events: list[Event]) -> None:
        """Unscored pairs of this task whose gold failed the quality gate move to ``gold``."""
        if not self.embedder_key:
            return
        blocked = []
        for pk in self.registry.pending_pairs():
            pair = self.registry.pair(pk)
            if pair is None or pair.task != task.task or pair.gold_key == gold.key:
                continue
            gate = read_json(self.store.gate_path(pair.gold_sha256, self.embedder_key))
            if gate is not None and not gate.get("ok", True):
                blocked.append(pair)
        if not blocked:
            return
        self.registry.drop_pending_pairs([p.key for p in blocked])
        for pair in blocked:
            trainee = self.registry.video(pair.trainee_sha256)
            if trainee is not None:
                self._pair(task, gold, trainee, events)

    def _pair(self, task: TaskRecord, gold: VideoRecord, trainee: VideoRecord, events: list[Event]) -> None:
        key = self.registry.pair_key_for(task.task, trainee.file_name, trainee.sha256, gold.file_name,
                                         gold.sha256, int(gold.gold_version or 0))
        if self.registry.pair(key) is None:
            self.registry.put_pair(PairRecord(
                key=key, task=task.task, gold_key=gold.key, trainee_key=trainee.key,
                gold_sha256=gold.sha256, trainee_sha256=trainee.sha256,
                gold_version=int(gold.gold_version or 0), created_at=utc_now(),
                profile_sha256=(task.profile or {}).get("sha256")))
        self.registry.add_pending_pair(key)
        self.registry.log("pair", key)
        events.append(Event("paired", f"{trainee.file_name} will be scored against gold "
                            f"{gold.file_name} (v{gold.gold_version}) as pair {key}", task.task,
                            trainee.role, trainee.file_name, trainee.inbox_path, trainee.sha256,
                            trainee.key))
