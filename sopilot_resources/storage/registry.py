"""What has been ingested: videos (by content hash), tasks (versioned golds, waiting trainees,
profile) and pairs (gold x trainee of one task), as small JSON files under ``registry/``.

Who writes: the inbox intake run (``sopilot_assets/intake_job.py``: one at a time, the sensor
starts the next only when none is queued or going) registers videos, pairs them and updates task
records; the sensor drops scored pairs from the pending list. Every write is atomic, so a reader
(or a restart after a crash) never sees a half-written record. What two writers on two hosts may
write at once is safe without ``flock``: a video record is created exclusively (the first writer
wins, ``create_video``), log entries and pending pairs are one file each (``registry_log.py``),
and the read-modify-write records (tasks, a video record's later changes) are changed under a
lock (``registry_lock.py``): in the cluster profile a Postgres advisory lock, released by
Postgres when its holder's connection ends (no timer), and on one box a short file lease,
``registry/lock``.

    registry/videos/<sha256>.json     VideoRecord
    registry/tasks/<task>.json        TaskRecord
    registry/pairs/<key hash>.json    PairRecord
    registry/pending/<key hash>.json  a pair key not scored yet (earlier releases: pending_pairs.json)
    registry/journal/<sha256>.json    a video being moved into the raw store (crash recovery)
    registry/log/<seq>.json           the announcement log (registry_log.py)
    registry/seq.json                 a hint of the last sequence number handed out
    registry/lock                     the lease while a registration or pairing is written (one box;
                                      the cluster profile locks in Postgres instead)
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .fsutil import atomic_write_json, create_exclusive_json, read_json
from .keys import SHORT_HASH, legacy_pair_key, pair_key
from .registry_lock import LockMixin
from .registry_log import LogMixin


@dataclass
class VideoRecord:
    key: str
    sha256: str
    task: str
    role: str  # "gold" | "trainee"
    file_name: str  # the name as dropped
    inbox_path: str  # relative to inbox/
    raw_path: str  # relative to the data root
    size_bytes: int
    registered_at: str
    seq: int = 0
    gold_version: int | None = None
    sidecar_path: str | None = None  # relative to the data root
    duplicates: list = field(default_factory=list)  # later drops of the same bytes
    #: set when a run found the video cannot be embedded: {reason, message, stored_path, at}
    quarantined: dict | None = None
    #: a segment of a shift recording dropped as segment files (``storage/segments.py``):
    #: the recording's folder name (``file_name`` is then ``<recording>/<segment file>``)
    recording: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TaskRecord:
    task: str
    golds: list = field(default_factory=list)  # [{version, key, sha256, file_name, registered_at}]
    waiting_trainees: list = field(default_factory=list)  # video keys with no gold yet
    profile: dict | None = None  # {sha256, path, file_name, registered_at, version}
    profiles: list = field(default_factory=list)
    #: shift recordings dropped as segment files: name -> [{key, sha256, file_name}] in order
    recordings: dict = field(default_factory=dict)

    @property
    def current_gold(self) -> dict | None:
        """The latest gold that was not quarantined (a gold whose video cannot be embedded)."""
        good = [g for g in self.golds if not g.get("quarantined")]
        return good[-1] if good else None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PairRecord:
    key: str
    task: str
    gold_key: str
    trainee_key: str
    gold_sha256: str
    trainee_sha256: str
    gold_version: int
    created_at: str
    profile_sha256: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class Registry(LogMixin, LockMixin):
    def __init__(self, root: str | Path, settings=None):
        """settings: the ``Settings`` that choose the lock of ``locked()`` (the cluster profile's
        Postgres advisory lock, else the file lease); None: read from the environment at lock time."""
        self.root = Path(root)
        self.settings = settings

    # --- videos -----------------------------------------------------------------------------
    def video_path(self, sha256: str) -> Path:
        return self.root / "videos" / f"{sha256}.json"

    def video(self, sha256: str) -> VideoRecord | None:
        doc = read_json(self.video_path(sha256))
        return VideoRecord(**doc) if doc else None

    def video_by_key(self, key: str) -> VideoRecord | None:
        """Finds a video by partition key (its last ``-<8 hex>`` is the hash prefix)."""
        short = key.rsplit("-", 1)[-1]
        if len(short) != SHORT_HASH:
            return None
        for p in sorted((self.root / "videos").glob(f"{short}*.json")):
            rec = VideoRecord(**read_json(p))
            if rec.key == key:
                return rec
        return None

    def create_video(self, rec: VideoRecord) -> VideoRecord:
        """Registers ``rec`` unless its content is registered already; returns the record that
        is registered (``rec``, or the one another writer made first). Exclusive without
        ``flock``: the record is linked into place (``create_exclusive_json``)."""
        if create_exclusive_json(self.video_path(rec.sha256), rec.to_dict()):
            return rec
        return self.video(rec.sha256) or rec

    def put_video(self, rec: VideoRecord) -> None:
        atomic_write_json(self.video_path(rec.sha256), rec.to_dict())

    def videos(self) -> list[VideoRecord]:
        return sorted((VideoRecord(**read_json(p)) for p in (self.root / "videos").glob("*.json")),
                      key=lambda r: r.seq)

    # --- journal: a move into the raw store in flight ---------------------------------------
    def journal_put(self, rec: VideoRecord, source: str) -> None:
        atomic_write_json(self.root / "journal" / f"{rec.sha256}.json", {"record": rec.to_dict(), "source": source})

    def journal_done(self, sha256: str) -> None:
        (self.root / "journal" / f"{sha256}.json").unlink(missing_ok=True)

    def journal(self) -> list[tuple[VideoRecord, str]]:
        out = []
        for p in sorted((self.root / "journal").glob("*.json")):
            doc = read_json(p)
            if doc:
                out.append((VideoRecord(**doc["record"]), doc["source"]))
        return out

    # --- tasks ------------------------------------------------------------------------------
    def task(self, task: str) -> TaskRecord:
        doc = read_json(self.root / "tasks" / f"{task}.json")
        return TaskRecord(**doc) if doc else TaskRecord(task=task)

    def put_task(self, rec: TaskRecord) -> None:
        atomic_write_json(self.root / "tasks" / f"{rec.task}.json", rec.to_dict())

    def tasks(self) -> list[TaskRecord]:
        return [TaskRecord(**read_json(p)) for p in sorted((self.root / "tasks").glob("*.json"))]

    # --- pairs ------------------------------------------------------------------------------
    def pair_path(self, key: str) -> Path:
        return self.root / "pairs" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"

    def pair(self, key: str) -> PairRecord | None:
        doc = read_json(self.pair_path(key))
        return PairRecord(**doc) if doc else None

    def pair_key_for(self, task: str, trainee_file: str, trainee_sha: str, gold_file: str, gold_sha: str,
                     gold_version: int) -> str:
        """The key of the pair (trainee, gold): the one it is registered under when it was made
        with the older key scheme (``keys.legacy_pair_key``), else ``keys.pair_key``."""
        legacy = legacy_pair_key(task, trainee_file, trainee_sha, gold_file, gold_sha)
        if self.pair_path(legacy).exists():
            return legacy
        return pair_key(task, trainee_file, trainee_sha, gold_version)

    def put_pair(self, rec: PairRecord) -> None:
        atomic_write_json(self.pair_path(rec.key), rec.to_dict())

    def pairs(self) -> list[PairRecord]:
        return [PairRecord(**read_json(p)) for p in sorted((self.root / "pairs").glob("*.json"))]
