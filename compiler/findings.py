"""The one result type every stage returns: a positioned finding."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # a note: something kafkac left alone on purpose (a kind it skips)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Span:
    """A place in an input file; line and column are 1-based."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


FieldPath = tuple[str | int, ...]


_PLAIN_FIELD = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def dotted(path: FieldPath) -> str:
    """`('spec', 'kafka', 'listeners', 1, 'port')` -> `spec.kafka.listeners[1].port`.

    Keys that are not plain names (a config key such as `min.insync.replicas`)
    are written in brackets: `spec.kafka.config["min.insync.replicas"]`.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_FIELD.match(part):
            out += ("." if out else "") + part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def pointer(path: FieldPath) -> str:
    """RFC 6901 JSON pointer for a field path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True)
class Finding:
    """A problem found by any stage.

    `rule` is a stable id such as `yaml.duplicate-key` or `schema.minimum`;
    `path` is the field path inside the resource the span points into;
    `expected` says what would be accepted, when that can be said;
    `waived` says why and until when a policy finding is accepted (a waived
    finding is reported but fails nothing).
    """

    rule: str
    severity: Severity
    message: str
    span: Span
    path: FieldPath = ()
    expected: str = ""
    resource: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    waived: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR and not self.waived

    def sort_key(self):
        return (self.span.file, self.span.line, self.span.col, self.rule, self.message)


def error(rule: str, message: str, span: Span, path: FieldPath = (), expected: str = "",
          resource: str = "") -> Finding:
    return Finding(rule, Severity.ERROR, message, span, path, expected, resource)


def warning(rule: str, message: str, span: Span, path: FieldPath = (), expected: str = "",
            resource: str = "") -> Finding:
    return Finding(rule, Severity.WARNING, message, span, path, expected, resource)


def info(rule: str, message: str, span: Span, path: FieldPath = (), expected: str = "",
         resource: str = "") -> Finding:
    return Finding(rule, Severity.INFO, message, span, path, expected, resource)


def defined_twice(rule: str, doc, first) -> Finding:
    """The error at a resource's name when `first`, of the same kind, name and namespace, came before."""
    path = ("metadata", "name")
    return error(rule, f"{doc.kind} {doc.name} is defined twice (also at {first.span_of(path)})",
                 doc.span_of(path), path, f"one {doc.kind} per name and namespace", doc.describe())


def has_errors(findings) -> bool:
    return any(f.is_error for f in findings)


class UniqueItems:
    """Refuses an item of a list whose `field` an earlier item already has, pointing at the earlier one:
    `<what> is already used by <list>[<index>]`."""

    def __init__(self, doc, field: str, rule: str, list_name: str, expected: str, findings: list[Finding]):
        self.doc, self.field, self.rule, self.list_name = doc, field, rule, list_name
        self.expected, self.findings = expected, findings
        self.seen: dict = {}

    def add(self, index: int, path: FieldPath, value, what: str) -> None:
        where = path + (self.field,)
        if value in self.seen:
            self.findings.append(error(
                self.rule, f"{what} is already used by {self.list_name}[{self.seen[value]}]",
                self.doc.span_of(where), where, self.expected))
        self.seen.setdefault(value, index)
