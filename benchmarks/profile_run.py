"""Where one kafkac command's time goes: its own stages, and each tool it starts.

Runs the command in this process (like `kafkac ...`) and prints every tool run
(helm, kubeconform, promtool, opa) with its wall and CPU time, then kafkac's
own CPU time, and with `--cprofile N` the N functions of kafkac's own code
with the most cumulative time. The per-tool CPU comes from wait4(2), so
tools that run side by side are each measured on their own.

    python benchmarks/profile_run.py [--cprofile 30] compile examples/production -o /tmp/out
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_runs: list[dict] = []
_lock = threading.Lock()


def _record_children() -> None:
    """Have every child's resource usage collected with wait4 and kept in `_runs`."""
    original_init = subprocess.Popen.__init__
    original_try_wait = subprocess.Popen._try_wait

    def init(self, args, *rest, **options):
        self._profile_started = time.perf_counter()
        self._profile_args = [str(a) for a in args] if isinstance(args, (list, tuple)) else [str(args)]
        original_init(self, args, *rest, **options)

    def try_wait(self, wait_flags):
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return original_try_wait(self, wait_flags)
        if pid == self.pid:
            args = self._profile_args
            with _lock:
                _runs.append({"tool": Path(args[0]).name, "what": " ".join(a for a in args[1:3]),
                              "wall": time.perf_counter() - self._profile_started,
                              "cpu": usage.ru_utime + usage.ru_stime})
        return pid, status

    subprocess.Popen.__init__ = init
    subprocess.Popen._try_wait = try_wait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print the N functions with the most cumulative time")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    _record_children()
    from compiler.cli import cli

    profiler = cProfile.Profile() if args.cprofile else None
    start, cpu_start = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    try:
        cli.main(args.command, standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            print(f"(the command exited with {exc.code})", file=sys.stderr)
    if profiler:
        profiler.disable()
    wall, own_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"\n| tool | what | wall s | CPU s |\n|---|---|---|---|")
    for run in _runs:
        print(f"| {run['tool']} | {run['what']} | {run['wall']:.3f} | {run['cpu']:.3f} |")
    tools_cpu = sum(run["cpu"] for run in _runs)
    print(f"\nwall {wall:.3f} s; CPU: kafkac {own_cpu:.3f} s (after its imports), tools {tools_cpu:.3f} s; "
          f"peak RSS kafkac {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.cprofile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
