"""Replacing chart directories under the output directory in one atomic step.

A chart is written and verified in a staging directory beside the output
(`.kafkac-<pid>-<random>`, on the same file system), then swapped with the chart
it replaces by Linux's `renameat2(RENAME_EXCHANGE)`: one system call exchanges
the two directory entries, so the chart's path always names a complete chart,
the old one or the new one, whatever happens to kafkac in between. The old chart
ends up in the staging directory, which is removed afterwards; a staging
directory left by a killed run is removed at the start of the next run (its
process is gone). A chart that did not exist before is moved in with one
rename(2).

Where renameat2 or RENAME_EXCHANGE is missing (not Linux, a kernel before 3.15,
a file system without it), the old chart is renamed away and the new one in: a
kill between the two renames leaves the path without a chart until the next
run, and the old one in the staging directory, which that run removes.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

STAGING_PREFIX = ".kafkac-"
_STAGING_NAME = re.compile(r"^\.kafkac-(?:(\d+)-)?[A-Za-z0-9_]+$")
AT_FDCWD = -100
RENAME_EXCHANGE = 2


def new_staging(parent: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))


def remove_stale_staging(parent: Path) -> list[Path]:
    """Remove the staging directories under `parent` whose kafkac process is gone."""
    removed = []
    for entry in parent.iterdir() if parent.is_dir() else ():
        match = _STAGING_NAME.match(entry.name)
        if not match or not entry.is_dir() or entry.is_symlink():
            continue
        if match[1] is not None and _alive(int(match[1])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def move_into_place(charts: list[Path], output: Path) -> list[Path]:
    """Replace each chart's directory under `output`; other entries of `output` stay.

    Each chart is swapped in on its own: with several charts, a reader sees each
    one old or new, and a kill between two charts leaves some old and some new.
    """
    output.mkdir(parents=True, exist_ok=True)
    placed = []
    for chart in charts:
        target = output / chart.name
        if target.exists() or target.is_symlink():
            if not exchange(chart, target):
                os.replace(target, chart.parent / f"{chart.name}.previous")
                os.replace(chart, target)
        else:
            os.rename(chart, target)
        placed.append(target)
    return placed


def exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries atomically; False where the system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function
