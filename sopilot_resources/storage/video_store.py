"""The data root and where everything lives in it.

Layout under the data root (``Settings.data_dir``: SOPILOT_DATA_DIR, default ``./data``)::

    inbox/<task>/<gold|trainee>/<file>      what people drop (plus <gold>.steps.json, <task>/profile.json)
    raw/<sha[:2]>/<sha256><ext>             content-addressed store of every accepted video (never deleted;
                                            one its run cannot embed is moved to quarantine/)
    raw/<sha[:2]>/<sha256>.steps.json       a gold's steps sidecar, stored with its video
    raw/profiles/<task>/<sha256>.json       task profiles as dropped
    quarantine/<original name>              rejected files, beside <original name>.reason.json
                                            (names over 200 bytes shortened: names.py)
    archive/duplicates/<task>/<role>/<name> second drops of bytes already stored
    registry/                               videos, tasks (versioned golds), pairs (see registry.py)
    work/videos/<sha>/<embedder key>/       embeddings.npz, gate.json, steps.json
    work/videos/<sha>/contact_sheet.png
    work/bad_videos/<sha256>.json           a video its run found it cannot embed (see bad_videos.py)
    work/pairs/<pair file name>/            score.json, alignment.npz, alignment.png, timeline.png
    results/<table>/*.parquet               result rows, one file per partition (see results_store.py)
    sopilot.duckdb                          views over results/ (see results_store.py)
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .fsutil import atomic_write_json, move_file, unique_path
from .keys import key_file_name
from .names import fit_name

REASON_SUFFIX = ".reason.json"

ROLES = ("gold", "trainee")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class VideoStore:
    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike) -> "VideoStore":
        """The store under the data root ``root``, made absolute."""
        return cls(Path(root).expanduser().resolve())

    # --- folders --------------------------------------------------------------------------
    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def registry_dir(self) -> Path:
        return self.root / "registry"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def duckdb_path(self) -> Path:
        return self.root / "sopilot.duckdb"

    def ensure(self) -> "VideoStore":
        for d in (self.inbox, self.raw, self.quarantine_dir, self.archive, self.registry_dir,
                  self.work, self.results):
            d.mkdir(parents=True, exist_ok=True)
        return self

    # --- paths of stored things -------------------------------------------------------------
    def raw_path(self, sha256: str, ext: str) -> Path:
        return self.raw / sha256[:2] / f"{sha256}{ext.lower()}"

    def sidecar_path(self, sha256: str) -> Path:
        return self.raw / sha256[:2] / f"{sha256}.steps.json"

    def profile_path(self, task: str, sha256: str) -> Path:
        return self.raw / "profiles" / task / f"{sha256}.json"

    def video_work(self, sha256: str, embedder_key: str | None = None) -> Path:
        d = self.work / "videos" / sha256
        return d / embedder_key if embedder_key else d

    def pair_work(self, pair_key: str) -> Path:
        return self.work / "pairs" / key_file_name(pair_key)

    def embeddings_path(self, sha256: str, embedder_key: str) -> Path:
        return self.video_work(sha256, embedder_key) / "embeddings.npz"

    def gate_path(self, sha256: str, embedder_key: str) -> Path:
        return self.video_work(sha256, embedder_key) / "gate.json"

    def steps_path(self, sha256: str, embedder_key: str) -> Path:
        return self.video_work(sha256, embedder_key) / "steps.json"

    # --- moves ------------------------------------------------------------------------------
    def store_raw(self, src: Path, sha256: str) -> Path:
        """Moves a video into the content-addressed store (atomic; never overwrites)."""
        return move_file(src, self.raw_path(sha256, src.suffix))

    def quarantine(self, src: Path, reason: str, message: str, what_to_do: str, **extra) -> Path:
        """Moves ``src`` (file or symlink) to ``quarantine/<its name>`` (or ``quarantine/<n>/<its
        name>`` on a name collision) beside ``<name>.reason.json``. A name too long for the
        filesystem with its companions is shortened (``names.fit_name``); the reason record keeps
        the name as dropped (``file``). The reason is written first, so a quarantined file never
        lacks it; if the move fails, the reason is taken back."""
        dst = unique_path(self.quarantine_dir / fit_name(src.name), companions=(REASON_SUFFIX,))
        try:
            rel = str(src.relative_to(self.inbox))
        except ValueError:
            rel = str(src)
        reason_file = Path(str(dst) + REASON_SUFFIX)
        atomic_write_json(reason_file, {
            "file": src.name, "inbox_path": rel, "reason": reason, "message": message,
            "what_to_do": what_to_do, "quarantined_at": utc_now(), **extra,
        })
        try:
            return move_file(src, dst)
        except BaseException:
            reason_file.unlink(missing_ok=True)
            raise

    def archive_duplicate(self, src: Path, task: str, role: str) -> Path:
        """Moves ``src`` to ``archive/duplicates/<task>/<role>/<its name>`` (shortened when too
        long, see ``names.fit_name``; ``<n>/`` on a collision)."""
        return move_file(src, unique_path(self.archive / "duplicates" / task / role / fit_name(src.name)))
