"""The KRaft controller quorum's kind: static (controller.quorum.voters, the default) or dynamic
(controller.quorum.bootstrap.servers, KIP-853), chosen by the Kafka's annotation
kafkac.io/controller-quorum.

A dynamic quorum lets the chart change its controllers: new ones join by
themselves (controller.quorum.auto.join.enable, Kafka 4.2 and later) and the
rebalance Job removes the ones a change takes away.
"""

from __future__ import annotations

from .findings import Finding, error
from .document import Document

CONTROLLER_QUORUM_ANNOTATION = "kafkac.io/controller-quorum"
STATIC, DYNAMIC = "static", "dynamic"
# controller.quorum.auto.join.enable came with Kafka 4.2.
DYNAMIC_QUORUM_SINCE = (4, 2)
# A dynamic quorum is kraft.version 1, which needs metadata version 3.9-IV0 or later.
DYNAMIC_QUORUM_METADATA_SINCE = (3, 9)


def controller_quorum(doc: Document, version: str, zookeeper_mode: bool, findings: list[Finding]) -> str:
    """The quorum kind the Kafka's annotation asks for; static when absent or refused."""
    value = doc.annotations.get(CONTROLLER_QUORUM_ANNOTATION)
    if value is None or value == STATIC:
        return STATIC
    path = ("metadata", "annotations", CONTROLLER_QUORUM_ANNOTATION)
    accepted = f'"{STATIC}" (the default), or "{DYNAMIC}" on a KRaft cluster of Kafka 4.2 or later'
    if value != DYNAMIC:
        findings.append(error(
            "cluster.controller-quorum", f"{CONTROLLER_QUORUM_ANNOTATION}: {value!r} is neither "
            f"{STATIC} nor {DYNAMIC}", doc.span_of(path), path, accepted))
        return STATIC
    reason = _why_not_dynamic(doc, version, zookeeper_mode)
    if reason:
        findings.append(error(
            "cluster.controller-quorum", f"{CONTROLLER_QUORUM_ANNOTATION}: {DYNAMIC} needs {reason}",
            doc.span_of(path), path, accepted))
        return STATIC
    return DYNAMIC


def _why_not_dynamic(doc: Document, version: str, zookeeper_mode: bool) -> str:
    if zookeeper_mode:
        return "a KRaft cluster, and this one keeps its metadata in ZooKeeper (spec.zookeeper)"
    if _release(version) < DYNAMIC_QUORUM_SINCE:
        return (f"Kafka 4.2 or later (controller.quorum.auto.join.enable), and spec.kafka.version "
                f"is {version}")
    metadata_version = doc.get("spec", "kafka", "metadataVersion")
    if metadata_version is not None and _release(str(metadata_version)) < DYNAMIC_QUORUM_METADATA_SINCE:
        return (f"metadata version 3.9-IV0 or later (kraft.version 1), and spec.kafka.metadataVersion "
                f"is {metadata_version}")
    return ""


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split(".")[:2])
