"""What kafkac derives from data files at every run, kept between runs in kafkac's cache.

A value is pickled into `<cache>/derived/<name>-<key>.pickle`, where the key is
a hash of everything it is derived from: the files' paths and bytes, the
source of the modules that derive it (and define the classes it is made of),
and Python's version. An edit of any of them makes a new entry, so an entry is
never stale; a missing or unreadable entry is built again, and a cache that
cannot be written is simply not used. The newest few entries of a name are
kept (several checkouts may share the cache). Nothing here lives in the
repository.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
KEPT_PER_NAME = 8


def cached(name: str, inputs: Iterable[Path], build: Callable[[], T]) -> T:
    """`build()`, or what it returned last time for the same `inputs` (files and modules' sources)."""
    from .tools import cache_dir

    digest = hashlib.sha256(sys.version.encode())
    for path in inputs:
        digest.update(str(path).encode() + b"\0")
        digest.update(path.read_bytes())
    entry = cache_dir() / "derived" / f"{name}-{digest.hexdigest()[:32]}.pickle"
    try:
        with open(entry, "rb") as stored:
            return pickle.load(stored)
    except Exception:  # noqa: BLE001 - missing or damaged: built again, and replaced
        pass
    value = build()
    _store(entry, value)
    return value


def _store(entry: Path, value) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        descriptor, staging = tempfile.mkstemp(prefix=f".{entry.name}-", dir=entry.parent)
        try:
            with os.fdopen(descriptor, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(staging, entry)
        finally:
            if os.path.exists(staging):
                os.unlink(staging)
        entries = sorted(entry.parent.glob(f"{entry.name.rsplit('-', 1)[0]}-*.pickle"),
                         key=lambda found: found.stat().st_mtime, reverse=True)
        for older in entries[KEPT_PER_NAME:]:
            older.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full cache: the value is built again next time
