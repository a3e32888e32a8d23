"""Which files some process still holds open for writing (Linux: ``/proc``).

A copy that pauses (a network share, a camera, a stalled ``cp``) keeps its file open; the inbox
must not take it then, however long the file has looked unchanged. One walk over
``/proc/<pid>/fd`` answers for all candidate files of a tick at once: for each open file
descriptor one ``readlink`` (no file system access); only a descriptor whose target has the
name of a candidate is ``stat``-ed (to compare device and inode, so a file reached by another
path still matches) and its ``/proc/<pid>/fdinfo/<fd>`` flags read (``O_WRONLY`` / ``O_RDWR``).

Where the OS cannot tell, the answer is None and the inbox relies on its other rules: no
``/proc`` (not Linux), processes of other users when not run as root (their descriptors are not
readable), writers on another machine (NFS or SMB clients) or in another PID namespace.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

_ACCMODE = 3  # O_ACCMODE
_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


def _writable(fdinfo: str) -> bool:
    try:
        with open(fdinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8) & _ACCMODE in _WRITE_MODES
    except (OSError, ValueError, IndexError):
        pass
    return False


def _who(proc: str, pid: str) -> str:
    try:
        with open(f"{proc}/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f"process {pid} ({f.read().strip()})"
    except OSError:
        return f"process {pid}"


def open_for_writing(paths: Iterable[Path], proc: str = "/proc") -> dict[Path, str] | None:
    """``{path: "process <pid> (<name>)"}`` for each of ``paths`` that a process holds open for
    writing; None when this system cannot tell (no readable ``<proc>/self/fd``)."""
    targets: dict[tuple[int, int], Path] = {}
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            continue
        targets[(st.st_dev, st.st_ino)] = Path(p)
    if not os.path.isdir(f"{proc}/self/fd"):
        return None
    found: dict[Path, str] = {}
    if not targets:
        return found
    names = {p.name for p in targets.values()}
    try:
        pids = [d for d in os.listdir(proc) if d.isdigit()]
    except OSError:
        return None
    for pid in pids:
        fd_dir = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:  # gone, or not ours to read
            continue
        for fd in fds:
            link = f"{fd_dir}/{fd}"
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if not target.startswith("/") or target.rsplit("/", 1)[-1] not in names:
                continue
            try:
                st = os.stat(link)
            except OSError:
                continue
            path = targets.get((st.st_dev, st.st_ino))
            if path is not None and path not in found and _writable(f"{proc}/{pid}/fdinfo/{fd}"):
                found[path] = _who(proc, pid)
        if len(found) == len(targets):
            break
    return found
