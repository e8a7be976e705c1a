"""Reporters: the only code that prints findings. One registry, one function each."""

from __future__ import annotations

import json
from typing import Callable

import click

from .findings import Finding, Severity, dotted, pointer

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def text_line(finding: Finding, color: bool = False) -> str:
    """`file:line:col: error [rule] path: message (accepted: ...)`, one line a problem."""
    severity = str(finding.severity)
    if color:
        severity = click.style(severity, fg=_COLORS[finding.severity], bold=True)
    message = finding.message
    prefix = dotted(finding.path)
    if prefix and not message.startswith(prefix):
        message = f"{prefix}: {message}"
    line = f"{finding.span}: {severity} [{finding.rule}] {message}"
    if finding.expected:
        line += f" (accepted: {finding.expected})"
    return " ".join(line.split("\n"))


def summary_line(findings: list[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def as_text(findings: list[Finding], extra: dict, color: bool) -> str:
    lines = [text_line(f, color) for f in findings]
    for chart in extra.get("charts", []):
        lines.append(f"wrote {chart}")
    if findings:
        lines.append(summary_line(findings))
    return "\n".join(lines)


def finding_dict(finding: Finding) -> dict:
    return {
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "file": finding.span.file,
        "line": finding.span.line,
        "column": finding.span.col,
        "path": dotted(finding.path),
        "pointer": pointer(finding.path),
        "expected": finding.expected,
        "resource": finding.resource,
    }


def as_json(findings: list[Finding], extra: dict, color: bool) -> str:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    document = {
        "findings": [finding_dict(f) for f in findings],
        "summary": {"errors": errors, "warnings": len(findings) - errors},
        **{k: [str(v) for v in vs] if isinstance(vs, list) else vs for k, vs in extra.items()},
    }
    return json.dumps(document, indent=2, sort_keys=False)


REPORTERS: dict[str, Callable[[list[Finding], dict, bool], str]] = {
    "text": as_text,
    "json": as_json,
}
