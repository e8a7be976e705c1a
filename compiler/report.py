"""Reporters: the only code that prints findings. One registry, one function each.

text (one line a problem: errors, then warnings, then waived findings), json,
sarif (SARIF 2.1.0 for code scanning, positioned in the spec files), junit and
github (workflow command annotations).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import click

from . import __version__
from .findings import Finding, Severity, dotted, pointer

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
WAIVED = "waived"


def text_line(finding: Finding, color: bool = False) -> str:
    """`file:line:col: error [rule] path: message (accepted: ...)`, one line a problem."""
    severity = WAIVED if finding.waived else str(finding.severity)
    if color:
        severity = click.style(severity, fg="cyan" if finding.waived else _COLORS[finding.severity],
                               bold=True)
    message = finding.message
    prefix = dotted(finding.path)
    if prefix and prefix not in message:
        message = f"{prefix}: {message}"
    line = f"{finding.span}: {severity} [{finding.rule}] {message}"
    if finding.expected:
        line += f" (accepted: {finding.expected})"
    if finding.waived:
        line += f" ({finding.waived})"
    return " ".join(line.split("\n"))


def _counts(findings: list[Finding]) -> tuple[int, int, int]:
    """(errors, warnings, waived); notes (info) are counted by _notes."""
    waived = sum(1 for f in findings if f.waived)
    errors = sum(1 for f in findings if f.is_error)
    return errors, len(findings) - errors - waived - _notes(findings), waived


def _notes(findings: list[Finding]) -> int:
    return sum(1 for f in findings if f.severity is Severity.INFO and not f.waived)


def summary_line(findings: list[Finding], advice: str = "") -> str:
    """The counts, and `advice` (one sentence) after them."""
    errors, warnings, waived = _counts(findings)
    notes = _notes(findings)
    line = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    line += f", {notes} note{'s' * (notes != 1)}" if notes else ""
    line += f", {waived} waived" if waived else ""
    return f"{line}; {advice}" if advice else line


def _grouped(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes, then waived findings; each group in file order."""
    def group(finding: Finding) -> int:
        if finding.waived:
            return 3
        return {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}[finding.severity]
    return sorted(findings, key=group)


def as_text(findings: list[Finding], extra: dict, color: bool) -> str:
    lines = [text_line(f, color) for f in _grouped(findings)]
    for chart in extra.get("charts", []):
        lines.append(f"wrote {chart}")
    if findings or extra.get("advice"):
        lines.append(summary_line(findings, extra.get("advice", "")))
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
        "waived": finding.waived,
    }


def as_json(findings: list[Finding], extra: dict, color: bool) -> str:
    errors, warnings, waived = _counts(findings)
    document = {
        "findings": [finding_dict(f) for f in findings],
        "summary": {"errors": errors, "warnings": warnings, "notes": _notes(findings), "waived": waived},
        **{k: [str(v) for v in vs] if isinstance(vs, list) else vs for k, vs in extra.items()},
    }
    return json.dumps(document, indent=2, sort_keys=False)


# --- SARIF 2.1.0 -------------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(file: str) -> str:
    """A file as SARIF wants it: relative to the working directory (the repository root in CI)."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return quote(path.as_posix(), safe="/")


def _sarif_rule(finding: Finding) -> dict:
    rule = finding.extra.get("rule")
    descriptor: dict = {"id": finding.rule}
    if rule is None:
        descriptor["shortDescription"] = {"text": finding.rule}
        return descriptor
    sources = "\n".join(f"- [{text or url}]({url})" for url, text in rule.sources)
    descriptor.update({
        "name": "".join(part.title() for part in rule.id.replace("-", ".").split(".")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {"text": rule.description or rule.title,
                 "markdown": f"{rule.description}\n\nSources:\n{sources}" if sources else rule.description},
        "properties": {"tags": ["kafka", rule.id.split(".")[0]], "precision": "very-high",
                       "source": rule.file},
    })
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def _sarif_result(finding: Finding, index: int) -> dict:
    location: dict = {"physicalLocation": {
        "artifactLocation": {"uri": _uri(finding.span.file)},
        # GitHub needs a line to place the result; a finding on a whole file gets line 1.
        "region": {"startLine": max(finding.span.line, 1), "startColumn": max(finding.span.col, 1)},
    }}
    if finding.resource or finding.path:
        location["logicalLocations"] = [{
            "name": dotted(finding.path) or finding.resource,
            "fullyQualifiedName": f"{finding.resource} {dotted(finding.path)}".strip(),
            "kind": "member" if finding.path else "object"}]
    identity = "|".join([finding.rule, finding.resource, pointer(finding.path), finding.span.file])
    result: dict = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}[finding.severity],
        "message": {"text": text_line(finding).split(f"[{finding.rule}] ", 1)[1]},
        "locations": [location],
        "partialFingerprints": {"kafkacFinding/v1": hashlib.sha256(identity.encode()).hexdigest()},
        "properties": {"pointer": pointer(finding.path), "resource": finding.resource},
    }
    if finding.waived:
        result["suppressions"] = [{"kind": "inSource", "justification": finding.waived}]
    return result


def as_sarif(findings: list[Finding], extra: dict, color: bool) -> str:
    rules: dict[str, int] = {}
    descriptors = []
    for finding in findings:
        if finding.rule not in rules:
            rules[finding.rule] = len(descriptors)
            descriptors.append(_sarif_rule(finding))
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kafkac", "version": __version__,
                                "semanticVersion": __version__, "rules": descriptors}},
            "columnKind": "unicodeCodePoints",
            "results": [_sarif_result(f, rules[f.rule]) for f in findings],
        }],
    }
    return json.dumps(document, indent=2)


# --- JUnit XML ----------------------------------------------------------------------------

def as_junit(findings: list[Finding], extra: dict, color: bool) -> str:
    """One test suite per file, one test case per finding: errors fail, waived ones are skipped."""
    import xml.etree.ElementTree as ElementTree

    errors, warnings, waived = _counts(findings)
    root = ElementTree.Element("testsuites", name="kafkac", tests=str(max(len(findings), 1)),
                               failures=str(errors), skipped=str(waived))
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.span.file, []).append(finding)
    if not by_file:
        suite = ElementTree.SubElement(root, "testsuite", name="kafkac", tests="1", failures="0",
                                       errors="0", skipped="0")
        ElementTree.SubElement(suite, "testcase", classname="kafkac", name="no findings")
    for file, in_file in by_file.items():
        suite = ElementTree.SubElement(
            root, "testsuite", name=file, tests=str(len(in_file)), errors="0",
            failures=str(sum(1 for f in in_file if f.is_error)),
            skipped=str(sum(1 for f in in_file if f.waived)))
        for finding in in_file:
            case = ElementTree.SubElement(
                suite, "testcase", classname=file, file=file, line=str(finding.span.line),
                name=f"{finding.rule} {finding.resource} {dotted(finding.path)}".strip())
            line = text_line(finding)
            if finding.waived:
                ElementTree.SubElement(case, "skipped", message=finding.waived).text = line
            elif finding.is_error:
                failure = ElementTree.SubElement(case, "failure", type=finding.rule,
                                                 message=finding.message)
                failure.text = line
            else:
                ElementTree.SubElement(case, "system-out").text = line
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")


# --- GitHub workflow commands -------------------------------------------------------------

def _command_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(findings: list[Finding], extra: dict, color: bool) -> str:
    """`::error file=...,line=...,col=...,title=rule::message`, which Actions shows on the diff."""
    lines = []
    for finding in _grouped(findings):
        command = "notice" if finding.waived or finding.severity is Severity.INFO else \
            "error" if finding.is_error else "warning"
        file = finding.span.file
        properties = [f"file={_command_property(os.path.relpath(file) if os.path.isabs(file) else file)}"]
        if finding.span.line:
            properties += [f"line={finding.span.line}", f"col={finding.span.col}"]
        title = f"{finding.rule} ({WAIVED})" if finding.waived else finding.rule
        properties.append(f"title={_command_property(title)}")
        message = text_line(finding).split(f"[{finding.rule}] ", 1)[1]
        lines.append(f"::{command} {','.join(properties)}::{_command_data(message)}")
    lines.append(summary_line(findings, extra.get("advice", "")))
    return "\n".join(lines)


REPORTERS: dict[str, Callable[[list[Finding], dict, bool], str]] = {
    "text": as_text,
    "json": as_json,
    "sarif": as_sarif,
    "junit": as_junit,
    "github": as_github,
}
