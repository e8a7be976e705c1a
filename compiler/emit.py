"""Stage 6: write a chart: Chart.yaml, values.yaml (the plan), the static templates.

Output is deterministic: the same plan gives the same bytes. Strings are
always quoted in values.yaml, so no YAML reader (Helm's is YAML 1.1) can
turn a user's `on` or `0755` into something else.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

from . import __version__
from .plan import ChartPlan
from .project_files import CHARTS
from .schemas import values_docs_file
from .yaml_text import scalar, yaml_key

CHART_LIBRARY = CHARTS / "kafka"
CHART_VERSION = "0.1.0"
# What each chart folder under charts/ runs, for Chart.yaml's description.
_DESCRIPTIONS = {"kafka": "Kafka cluster {name}", "connect": "Kafka Connect cluster {name}"}


def emit(chart_plan: ChartPlan, dest: Path) -> Path:
    """Write the chart for `chart_plan` into the directory `dest` (created; must not exist)."""
    shutil.copytree(CHARTS / chart_plan.library, dest, ignore=shutil.ignore_patterns("Chart.yaml", "values.yaml"))
    (dest / "Chart.yaml").write_text(chart_yaml(chart_plan))
    (dest / "values.yaml").write_text(values_yaml(chart_plan.values, chart_plan.library))
    for path, text in chart_plan.files.items():
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        (dest / path).write_text(text)
    return dest


def chart_yaml(chart_plan: ChartPlan) -> str:
    return "\n".join([
        "apiVersion: v2",
        f"name: {chart_plan.name}",
        f"description: {scalar(_description(chart_plan) + ', compiled by kafkac from Strimzi resources')}",
        "type: application",
        f"version: {CHART_VERSION}",
        f"appVersion: {scalar(chart_plan.kafka_version)}",
        "kubeVersion: \">= 1.31.0-0\"",
        "annotations:",
        f"  kafkac.io/compiler-version: {scalar(__version__)}",
        "",
    ])


def _description(chart_plan: ChartPlan) -> str:
    return (chart_plan.description or _DESCRIPTIONS[chart_plan.library]).format(name=chart_plan.name)


def values_yaml(values: dict, library: str = "kafka") -> str:
    header = [
        "# Values of this chart are the plan kafkac computed from the Strimzi resources.",
        "# Change the resources and recompile rather than editing this file; every key",
        "# is checked against values.schema.json.",
    ]
    return "\n".join(header + _mapping(values, 0, "", values_docs(library))) + "\n"


@functools.cache
def values_docs(library: str = "kafka") -> dict[str, str]:
    """The comment of each values key by dotted path (list items share their list's path),
    generated from the values contract in schemas/values/."""
    return json.loads(values_docs_file(library).read_text(encoding="utf-8"))


def _mapping(mapping: dict, indent: int, parent: str | None, docs: dict[str, str]) -> list[str]:
    """Lines of a mapping; `parent` is its dotted doc key, None inside list items (no comments)."""
    lines: list[str] = []
    pad = " " * indent
    for key, value in mapping.items():
        doc_key = None if parent is None else (f"{parent}.{key}" if parent else key)
        if doc_key in docs:
            lines.append(f"{pad}# {docs[doc_key]}")
        if isinstance(value, list) and doc_key:
            lines.extend(f"{pad}#   {name}: {docs[f'{doc_key}.{name}']}"
                         for name in _item_keys(value) if f"{doc_key}.{name}" in docs)
        lines.extend(_entry(f"{pad}{yaml_key(key)}:", value, indent, doc_key, docs))
    return lines


def _item_keys(items: list) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            keys.update(dict.fromkeys(item))
    return list(keys)


def _entry(lead: str, value, indent: int, doc_key: str | None, docs: dict[str, str]) -> list[str]:
    if isinstance(value, dict):
        if not value:
            return [f"{lead} {{}}"]
        return [lead] + _mapping(value, indent + 2, doc_key, docs)
    if isinstance(value, list):
        if not value:
            return [f"{lead} []"]
        lines = [lead]
        for item in value:
            lines.extend(_list_item(item, indent + 2, docs))
        return lines
    if isinstance(value, str) and _literal_block_ok(value):
        chomp = "" if value.endswith("\n") else "-"
        body = value[:-1] if value.endswith("\n") else value
        return [f"{lead} |{chomp}"] + [f"{' ' * (indent + 2)}{line}" if line else ""
                                       for line in body.split("\n")]
    return [f"{lead} {scalar(value)}"]


def _list_item(item, indent: int, docs: dict[str, str]) -> list[str]:
    pad = " " * indent
    if isinstance(item, dict) and item:
        nested = _mapping(item, indent + 2, None, docs)
        return [f"{pad}- {nested[0][indent + 2:]}"] + nested[1:]
    if isinstance(item, dict):
        return [f"{pad}- {{}}"]
    if isinstance(item, list):
        raise ValueError("values never hold lists of lists")
    return [f"{pad}- {scalar(item)}"]


def _literal_block_ok(value: str) -> bool:
    """Multi-line text reads best as a literal block, when that keeps it byte-exact."""
    if "\n" not in value.rstrip("\n") or value.endswith("\n\n"):
        return False
    if value.startswith((" ", "\n")):
        return False
    return all(line == line.rstrip() and line.isprintable() for line in value.split("\n"))


