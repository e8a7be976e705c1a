"""The stages put together: what `kafkac validate` and `kafkac compile` run.

A compile writes every chart into a temporary directory beside the output,
verifies them there, and only then moves them into place: a failure at any
stage leaves the previous output exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import tools
from .emit import emit
from .findings import Finding, Span, error, has_errors
from .load import load
from .model import Model
from .normalize import normalize
from .plan import plan
from .validate import validate


@dataclass(frozen=True)
class Options:
    paths: tuple[str, ...]
    output: Path | None = None
    verify: bool = True
    kube_versions: tuple[str, ...] = ()


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


def check_specs(paths) -> tuple[Model | None, list[Finding]]:
    """load → validate → normalize; the model only when all of it passed."""
    documents = load(list(paths))
    findings = list(documents.findings)
    findings += validate(documents)
    if has_errors(findings):
        return None, _sorted(findings)
    model = normalize(documents)
    findings += model.findings
    if has_errors(findings):
        return None, _sorted(findings)
    return model, _sorted(findings)


def compile_specs(options: Options) -> Result:
    model, findings = check_specs(options.paths)
    result = Result(findings)
    if model is None:
        return result
    if not model.clusters:
        result.findings.append(error(
            "input.no-cluster", "no Kafka resource among the inputs, so there is no chart to write",
            Span(str(options.paths[0])), expected="a Kafka resource and its KafkaNodePools"))
        return result
    assert options.output is not None
    output = options.output
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kafkac-", dir=output.parent))
    try:
        built = [emit(chart_plan, staging / chart_plan.name) for chart_plan in plan(model.clusters)]
        if options.verify:
            from .verify import verify

            kube_versions = options.kube_versions or tools.DEFAULT_KUBE_VERSIONS
            for chart in built:
                result.findings += verify(chart, kube_versions, display_dir=output / chart.name)
        if has_errors(result.findings):
            return result
        result.charts = _move_into_place(built, output)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(charts: list[Path], output: Path) -> list[Path]:
    """Replace each chart's directory under `output`; other entries of `output` stay."""
    output.mkdir(parents=True, exist_ok=True)
    placed = []
    for chart in charts:
        target = output / chart.name
        if target.exists():
            retired = chart.parent / f"{chart.name}.previous"
            os.replace(target, retired)
        os.replace(chart, target)
        placed.append(target)
    return placed


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
