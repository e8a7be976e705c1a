"""A killed `kafkac compile` leaves the old chart or the new one, never a mix or none, and nothing else.

kafkac is SIGKILLed at points spread over a whole compile that replaces an
existing output (most with --no-verify, to keep the run short, a few with
verify); after each kill the chart directory must be exactly the old tree or
the new one. The next run must leave no staging directory behind, and no OPA
server outlives a killed kafkac. The steps of the move itself are also
interrupted one by one in process, since a timed kill rarely lands inside them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler import output, tools
from compiler.project_files import POLICIES

from .conftest import EXAMPLES, ROOT

KILL_POINTS = int(os.environ.get("KAFKAC_KILL_POINTS", "24"))
VERIFIED_KILL_POINTS = 3
CHART = "my-cluster"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _specs(tmp_path: Path) -> tuple[Path, Path]:
    """Two versions of the quickstart spec that compile to different charts."""
    old, new = tmp_path / "old", tmp_path / "new"
    for target, replicas in ((old, "1"), (new, "2")):
        target.mkdir()
        text = (EXAMPLES / "quickstart" / "kafka.yaml").read_text(encoding="utf-8")
        (target / "kafka.yaml").write_text(text.replace("replicas: 1\n", f"replicas: {replicas}\n"), encoding="utf-8")
    return old, new


def _kafkac(*args: str) -> list[str]:
    return [sys.executable, "-m", "compiler", *args]


def _compile(spec: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_kafkac("compile", str(spec), "-o", str(out), *extra), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def opa_and_helm():
    tools.install(["opa", "helm"])


@pytest.fixture(scope="module")
def shared_opa(opa_and_helm):
    with tools.opa_server(POLICIES) as port:
        yield f"http://{tools.OPA_HOST}:{port}"


@pytest.fixture(scope="module")
def trees(tmp_path_factory, shared_opa):
    tmp = tmp_path_factory.mktemp("kill")
    old_spec, new_spec = _specs(tmp)
    built = {}
    for name, spec in (("old", old_spec), ("new", new_spec)):
        done = _compile(spec, tmp / f"{name}-out", "--no-verify", "--opa-url", shared_opa)
        assert done.returncode == 0, done.stdout + done.stderr
        built[name] = tmp / f"{name}-out" / CHART
    assert _tree(built["old"]) != _tree(built["new"])
    return tmp, new_spec, built["old"], built["new"]


def _kill_at(delay: float, args: list[str], out: Path, old: Path) -> tuple[int | None, bool]:
    """Run a compile over a copy of the old output, SIGKILL it after `delay` s; (exit code, whether it was killed)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(old, out / CHART)
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    return process.wait(), killed


def test_a_kill_at_any_point_leaves_the_old_or_the_new_chart(trees, shared_opa):
    tmp, new_spec, old, new = trees
    out = tmp / "out"
    args = _kafkac("compile", str(new_spec), "-o", str(out), "--no-verify", "--opa-url", shared_opa)
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, timeout=600)
    assert done.returncode == 0
    full = time.monotonic() - started
    old_tree, new_tree = _tree(old), _tree(new)
    outcomes = {"old": 0, "new": 0, "staging left": 0}
    for point in range(KILL_POINTS):
        delay = full * 1.1 * (point + 0.5) / KILL_POINTS
        _kill_at(delay, args, out, old)
        tree = _tree(out / CHART)
        assert tree in (old_tree, new_tree), f"kill after {delay:.2f} s left a chart that is neither"
        outcomes["old" if tree == old_tree else "new"] += 1
        outcomes["staging left"] += any(p.name.startswith(output.STAGING_PREFIX) for p in tmp.iterdir())
    print(f"{KILL_POINTS} kill points over {full:.1f} s: {outcomes}")
    done = subprocess.run(args, cwd=ROOT, capture_output=True, timeout=600)
    assert done.returncode == 0
    assert _tree(out / CHART) == new_tree
    assert [p.name for p in tmp.iterdir() if p.name.startswith(output.STAGING_PREFIX)] == []


@pytest.fixture(scope="module")
def verify_tools(opa_and_helm):
    tools.install(["helm", "kubeconform"])  # the quickstart has no PrometheusRule: no promtool


@pytest.mark.tools
def test_a_kill_during_verify_leaves_the_old_or_the_new_chart(trees, verify_tools, shared_opa):
    tmp, new_spec, old, new = trees
    out = tmp / "verified-out"
    args = _kafkac("compile", str(new_spec), "-o", str(out), "--opa-url", shared_opa)
    old_tree, new_tree = _tree(old), _tree(new)
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    full = time.monotonic() - started
    for point in range(VERIFIED_KILL_POINTS):
        _kill_at(full * (point + 1) / (VERIFIED_KILL_POINTS + 1), args, out, old)
        assert _tree(out / CHART) in (old_tree, new_tree)
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _tree(out / CHART) == new_tree
    assert [p.name for p in tmp.iterdir() if p.name.startswith(output.STAGING_PREFIX)] == []


def test_the_opa_server_dies_with_a_killed_kafkac(opa_and_helm, tmp_path):
    process = subprocess.Popen(_kafkac("compile", str(EXAMPLES / "quickstart"), "-o", str(tmp_path / "out"),
                                       "--no-verify"), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    servers: list[int] = []
    while not servers and time.monotonic() < deadline and process.poll() is None:
        servers = [pid for pid in _children(process.pid)
                   if "opa" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")]
        time.sleep(0.02)
    assert servers, "kafkac compile started no OPA server"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in servers), "the OPA server outlived the killed kafkac"


# --- the move itself, interrupted step by step --------------------------------------------------

class _Interrupted(BaseException):
    pass


def _trees_for_move(tmp_path: Path) -> tuple[Path, Path, dict, dict]:
    out, staging = tmp_path / "out", tmp_path / ".kafkac-1-x"
    (out / "a").mkdir(parents=True)
    (out / "a" / "f").write_text("old")
    (staging / "a").mkdir(parents=True)
    (staging / "a" / "f").write_text("new")
    (staging / "a" / "g").write_text("new")
    return out, staging, {"f": b"old"}, {"f": b"new", "g": b"new"}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_every_step_of_the_move_leaves_a_chart(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(output, "_renameat2", lambda: None)
    real_rename, real_replace = os.rename, os.replace
    step = 0
    while True:
        case = tmp_path / str(step)
        out, staging, old_tree, new_tree = _trees_for_move(case)
        calls = 0

        def interrupt_after(function):
            def call(*args):
                nonlocal calls
                if calls == step:
                    raise _Interrupted
                calls += 1
                return function(*args)
            return call

        monkeypatch.setattr(output.os, "rename", interrupt_after(real_rename))
        monkeypatch.setattr(output.os, "replace", interrupt_after(real_replace))
        try:
            output.move_into_place([staging / "a"], out)
        except _Interrupted:
            tree = _tree(out / "a") if (out / "a").exists() else None
            if exchange:
                assert tree in (old_tree, new_tree)
            else:  # documented: between the two renames the chart is missing until the next run
                assert tree in (old_tree, new_tree, None)
            step += 1
            continue
        finally:
            monkeypatch.setattr(output.os, "rename", real_rename)
            monkeypatch.setattr(output.os, "replace", real_replace)
        assert _tree(out / "a") == new_tree
        break


def test_staging_directories_of_dead_runs_are_removed(tmp_path):
    dead = tmp_path / ".kafkac-999999999-abc"
    old_style = tmp_path / ".kafkac-abc123"
    live = tmp_path / f".kafkac-{os.getppid()}-abc"
    other = tmp_path / ".kafkac-notes.txt"
    for directory in (dead, old_style, live):
        directory.mkdir()
        (directory / "chart").mkdir()
    other.write_text("not ours")
    removed = output.remove_stale_staging(tmp_path)
    assert sorted(removed) == sorted([dead, old_style])
    assert live.exists() and other.exists()
