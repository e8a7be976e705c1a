"""Environment variable names the charts' start scripts set themselves, which a container
template's `env` may therefore not set: Kafka's scripts read KAFKA_*, Strimzi reserves
STRIMZI_*, and kafkac's scripts read KAFKAC_*. KAFKA_OPTS stays the user's: the start
scripts keep it and append their own options, as Strimzi's do (Java agents attach so)."""

from __future__ import annotations

from collections.abc import Iterable

from .findings import FieldPath, Finding, error
from .document import Document

RESERVED_ENV_PREFIXES = ("KAFKA_", "STRIMZI_", "KAFKAC_")
USER_ENV_NAMES = ("KAFKA_OPTS",)
PREFIXES = ", ".join(RESERVED_ENV_PREFIXES[:-1]) + " or " + RESERVED_ENV_PREFIXES[-1]
ALLOWED = " or ".join(USER_ENV_NAMES)
WHY_RESERVED = f"names starting with {PREFIXES}, other than {ALLOWED}, are set by kafkac"
ACCEPTED = f"{ALLOWED}, or a name that does not start with {PREFIXES}"


def is_reserved(name: str) -> bool:
    return name.startswith(RESERVED_ENV_PREFIXES) and name not in USER_ENV_NAMES


def reserved_names(doc: Document, template: FieldPath, containers: Iterable[str], rule: str) -> list[Finding]:
    """An error at each reserved name in the `env` of the template's containers."""
    findings = []
    section_of = doc.get(*template) or {}
    for container in containers:
        for i, variable in enumerate((section_of.get(container) or {}).get("env") or ()):
            name = variable.get("name", "") if isinstance(variable, dict) else ""
            if isinstance(name, str) and is_reserved(name):
                path = template + (container, "env", i, "name")
                findings.append(error(rule, f"environment variable {name} is reserved: {WHY_RESERVED}",
                                      doc.span_of(path), path, ACCEPTED))
    return findings
