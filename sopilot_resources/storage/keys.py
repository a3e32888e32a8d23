"""Short, readable Dagster partition keys, task and trainee first.

``videos``: ``<task>/<role>/<file stem>-<hash8>``, e.g. ``assembly/trainee/run-03-1a2b3c4d``.
``pairs``: ``<task>/<trainee stem>-<hash8>/gold-v<n>``, e.g. ``assembly/run-03-1a2b3c4d/gold-v2``:
the trainee scored against its task's gold version n. Unique (a trainee is scored against a
gold version at most once; gold versions are numbered per task and never reused) and stable
(built from what never changes: the file name as dropped, the bytes' hash, the gold version).
Pairs made before this scheme keep their keys (``<task>/<trainee>-<hash8>__vs__<gold>-<hash8>``):
nothing parses a pair key, every reader looks pairs up in the registry.

Dagster forbids ``...`` and control characters in partition keys; ``,``, ``[``, ``]`` and ``|``
confuse partition-range syntax in the UI. Keys use only ``[A-Za-z0-9._-]`` and ``/``.
"""
from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_PART = 60
SHORT_HASH = 8


def safe_name(text: str, max_len: int = MAX_PART) -> str:
    """Readable, key-safe version of ``text`` (unsafe runs -> ``_``, no ``..``, not empty)."""
    out = _UNSAFE.sub("_", text).strip("._") or "x"
    out = re.sub(r"\.{2,}", ".", out)
    return out[:max_len]


def stem_of(file_name: str) -> str:
    return file_name.rsplit(".", 1)[0] if "." in file_name.lstrip(".") else file_name


def video_key(task: str, role: str, file_name: str, sha256: str) -> str:
    """``<task>/<role>/<file stem>-<first 8 hex of sha256>``."""
    return f"{safe_name(task)}/{role}/{safe_name(stem_of(file_name))}-{sha256[:SHORT_HASH]}"


def pair_key(task: str, trainee_file: str, trainee_sha: str, gold_version: int) -> str:
    """``<task>/<trainee stem>-<hash8>/gold-v<gold version>``."""
    return f"{safe_name(task)}/{safe_name(stem_of(trainee_file), 40)}-{trainee_sha[:SHORT_HASH]}/gold-v{int(gold_version)}"


def legacy_pair_key(task: str, trainee_file: str, trainee_sha: str, gold_file: str, gold_sha: str) -> str:
    """The key pairs had before ``pair_key``: ``<task>/<trainee stem>-<hash8>__vs__<gold stem>-<hash8>``.
    A pair registered under it keeps it (see ``pairing`` and the rescoring backlog)."""
    t = f"{safe_name(stem_of(trainee_file), 40)}-{trainee_sha[:SHORT_HASH]}"
    g = f"{safe_name(stem_of(gold_file), 40)}-{gold_sha[:SHORT_HASH]}"
    return f"{safe_name(task)}/{t}__vs__{g}"


def key_file_name(key: str) -> str:
    """A flat file name for a partition key (``/`` -> ``~``); unique because keys hold no ``~``."""
    return key.replace("/", "~")
