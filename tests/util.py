"""What the tests share: compiling and rendering a chart, reading a case's headers, running a Job's steps.

A test module states what it checks and borrows the rest from here (fixtures
are in conftest.py).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compiler import tools
from compiler.pipeline import Options, compile_specs
from compiler.verify import render

NAMESPACE = "kafka"


# --- compile, then render ------------------------------------------------------------------

def compile_chart(specs: Path | str, out: Path, **options) -> Path:
    """The one chart the specs (a file or a folder) compile to, in `out`; fails the test on an error."""
    result = compile_specs(Options((str(specs),), out, **options))
    assert result.ok, "\n".join(f"{f.span}: {f.rule} {f.message}" for f in result.findings if f.is_error)
    (chart,) = result.charts
    return chart


def render_text(chart: Path, values_files: Iterable[Path] = (), namespace: str = NAMESPACE) -> str:
    """`helm template` of the chart, released under its name, for the newest Kubernetes kafkac knows."""
    return render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], chart.name, namespace, list(values_files))


def manifests_of(chart: Path, values_files: Iterable[Path] = (), namespace: str = NAMESPACE) -> list[dict]:
    """The chart's rendered manifests, as data."""
    return documents(render_text(chart, values_files, namespace))


def documents(text: str) -> list[dict]:
    """The documents of a YAML stream, empty ones left out."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def compiled_manifests(specs: Path | str, out: Path, values_files: Iterable[Path] = (), **options) -> list[dict]:
    """Compile the specs, then render the chart."""
    return manifests_of(compile_chart(specs, out, **options), values_files)


# --- the headers of a case file ------------------------------------------------------------

_HEADER = re.compile(r"^# ([a-z]+): (.+)$")
_POSITION = re.compile(r"^(\d+):(\d+) (\S+)$")


def env_values(env: list[dict]) -> dict[str, str]:
    """name -> value of a container's plain environment variables, an entry without a value being
    an empty one, as the kubelet sets it (entries from a valueFrom left out)."""
    return {e["name"]: e.get("value", "") for e in env if "valueFrom" not in e}


def tree_paths(node, path: tuple = ()):
    """Every path in a tree of dicts and lists, the root's () first, parents before children."""
    yield path
    if isinstance(node, dict):
        for key, child in node.items():
            yield from tree_paths(child, path + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from tree_paths(child, path + (index,))


def headers(case: Path) -> dict[str, list[str]]:
    """The `# NAME: VALUE` lines at the top of a case file, by name, in order."""
    found: dict[str, list[str]] = {}
    for line in case.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            found.setdefault(match[1], []).append(match[2].strip())
    return found


def expectations(case: Path) -> list[tuple[int, int, str]]:
    """The case's `# expect: LINE:COL RULE` headers: the findings it must give, in order."""
    return [(int(m[1]), int(m[2]), m[3]) for m in map(_POSITION.match, headers(case).get("expect", [])) if m]


# --- a Job's steps -------------------------------------------------------------------------

@dataclass
class Step:
    name: str
    returncode: int
    output: str


@dataclass
class JobRun:
    steps: list[Step] = field(default_factory=list)

    @property
    def log(self) -> str:
        return "\n".join(f"--- {s.name} (exit {s.returncode})\n{s.output}" for s in self.steps)

    @property
    def exit_code(self) -> int:
        """The pod's outcome: the first step that failed, else the last step's 0."""
        return next((s.returncode for s in self.steps if s.returncode != 0), 0)

    def output(self, step: str) -> str:
        return next(s.output for s in self.steps if s.name == step)


def run_steps(pod_spec: dict, run_container: Callable[[dict], subprocess.CompletedProcess],
              steps: Iterable[str] | None = None, run: JobRun | None = None) -> JobRun:
    """A Job's pod, step by step: its init containers, then its containers, each to completion, in
    order, until one fails (restartPolicy: Never). `run_container` runs one container where the
    caller stands the pod up; `steps` runs only the steps so named."""
    run = JobRun() if run is None else run
    for container in pod_spec.get("initContainers", []) + pod_spec["containers"]:
        if steps is not None and container["name"] not in steps:
            continue
        done = run_container(container)
        run.steps.append(Step(container["name"], done.returncode, done.stdout + done.stderr))
        if done.returncode != 0:
            break
    return run
