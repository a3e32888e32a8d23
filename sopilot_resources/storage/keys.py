"""Readable Dagster partition keys.

Dagster forbids ``...`` and control characters in partition keys; ``,``, ``[``, ``]`` and ``|``
confuse partition-range syntax in the UI. Keys here use only ``[A-Za-z0-9._-]`` plus ``/`` and
``__vs__`` separators, e.g. ``assembly/trainee/run-03-1a2b3c4d`` and
``assembly/run-03-1a2b3c4d__vs__gold-9f8e7d6c``.
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


def pair_key(task: str, trainee_file: str, trainee_sha: str, gold_file: str, gold_sha: str) -> str:
    """``<task>/<trainee stem>-<hash8>__vs__<gold stem>-<hash8>``."""
    t = f"{safe_name(stem_of(trainee_file), 40)}-{trainee_sha[:SHORT_HASH]}"
    g = f"{safe_name(stem_of(gold_file), 40)}-{gold_sha[:SHORT_HASH]}"
    return f"{safe_name(task)}/{t}__vs__{g}"


def key_file_name(key: str) -> str:
    """A flat file name for a partition key (``/`` -> ``~``); unique because keys hold no ``~``."""
    return key.replace("/", "~")
