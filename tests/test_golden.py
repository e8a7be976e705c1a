"""Every example compiles to exactly its golden chart and rendered manifests.

Run `pytest --update-golden` to rewrite golden/ after an intended change, and
review the diff like code.
"""

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.pipeline import Options, compile_specs
from compiler.verify import render

from .conftest import EXAMPLES, GOLDEN, example_names

RENDER_NAMESPACE = "kafka"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _compile(example: str, out: Path, verify: bool) -> list[Path]:
    result = compile_specs(Options((str(EXAMPLES / example),), out, verify=verify))
    assert result.ok, "\n".join(f"{f.span}: {f.rule} {f.message}" for f in result.findings)
    return result.charts


def _actual_tree(example: str, tmp_path: Path) -> dict[str, bytes]:
    charts = _compile(example, tmp_path / "out", verify=True)
    tree: dict[str, bytes] = {}
    for chart in charts:
        for name, data in _files(chart).items():
            tree[f"{chart.name}/{name}"] = data
        rendered = render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], chart.name, RENDER_NAMESPACE)
        tree[f"{chart.name}.rendered.yaml"] = rendered.encode()
    return tree


@pytest.mark.tools
@pytest.mark.parametrize("example", example_names())
def test_example_matches_golden(example, tmp_path, update_golden, installed_tools):
    actual = _actual_tree(example, tmp_path)
    golden_dir = GOLDEN / example
    if update_golden:
        shutil.rmtree(golden_dir, ignore_errors=True)
        for name, data in actual.items():
            (golden_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (golden_dir / name).write_bytes(data)
        return
    expected = _files(golden_dir) if golden_dir.is_dir() else {}
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"golden/{example}/{name} is no longer produced")
        elif name not in expected:
            problems.append(f"golden/{example}/{name} is missing")
        elif expected[name] != actual[name]:
            diff = difflib.unified_diff(
                expected[name].decode().splitlines(keepends=True),
                actual[name].decode().splitlines(keepends=True),
                f"golden/{example}/{name}", f"actual/{example}/{name}")
            problems.append("".join(diff))
    assert not problems, "\n".join(problems) + \
        "\n\nIf the change is intended, update with: python -m pytest tests/test_golden.py --update-golden"


@pytest.mark.parametrize("example", example_names())
def test_compile_is_deterministic_across_hash_seeds(example, tmp_path):
    outputs = []
    for seed in ("0", "4242"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "compiler", "compile", str(EXAMPLES / example),
                        "-o", str(out), "--no-verify"], check=True, env=env, capture_output=True)
        outputs.append(_files(out))
    assert outputs[0] == outputs[1]
    assert outputs[0], "compile wrote nothing"


def _env_entries(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                yield from value
            yield from _env_entries(value)
    elif isinstance(node, list):
        for item in node:
            yield from _env_entries(item)


@pytest.mark.parametrize("example", example_names())
def test_no_rendered_environment_variable_is_written_with_an_empty_value(example):
    """The API server drops `value: ""`, so a manifest that writes it never matches the live object:
    kubectl apply and Argo CD would report a change on every sync. An empty value is left out."""
    rendered = sorted((GOLDEN / example).glob("*.rendered.yaml"))
    assert rendered, f"no rendered golden manifests for {example}"
    entries = [e for path in rendered for doc in yaml.safe_load_all(path.read_text()) if doc
               for e in _env_entries(doc)]
    assert entries, f"{example}: no environment variables found"
    assert [e["name"] for e in entries if e.get("value") == ""] == []
