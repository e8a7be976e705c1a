"""Resources that join a Kafka by its `strimzi.io/cluster` label: KafkaNodePools, KafkaTopics and
KafkaUsers. As in Strimzi, the label names a Kafka in the resource's own namespace; every stage
asks `belongs_to` or `claimed_cluster`, so the rule is written once."""

from __future__ import annotations

from .findings import FieldPath, Finding, error
from .load import Document, Documents
from .model import Cluster

CLUSTER_LABEL = "strimzi.io/cluster"

ClusterKey = tuple[str | None, str]  # (namespace, name) of a Kafka


def namespace_of(doc: Document) -> str | None:
    return doc.get("metadata", "namespace")


def claimed_cluster(doc: Document) -> ClusterKey | None:
    """The Kafka a resource names with its label, in the resource's namespace; None without a label."""
    name = doc.labels.get(CLUSTER_LABEL)
    return (namespace_of(doc), name) if name else None


def belongs_to(doc: Document, cluster: Cluster) -> bool:
    return claimed_cluster(doc) == (cluster.namespace, cluster.name)


def group_by_cluster(documents: Documents, kind: str, rule_prefix: str
                     ) -> tuple[dict[ClusterKey, list[Document]], list[Finding]]:
    """The documents of `kind` by the Kafka they name, in input order; one finding for each
    that names none, or a Kafka that is not among the inputs (in its namespace)."""
    findings: list[Finding] = []
    kafkas = {(namespace_of(d), d.name) for d in documents.documents if d.kind == "Kafka"}
    by_cluster: dict[ClusterKey, list[Document]] = {}
    for doc in documents.documents:
        if doc.kind != kind:
            continue
        path: FieldPath = ("metadata", "labels")
        key = claimed_cluster(doc)
        if key is None:
            findings.append(error(
                f"{rule_prefix}.cluster-label", f"{kind} {doc.name} has no {CLUSTER_LABEL} label",
                doc.span_of(path), path, f"a label {CLUSTER_LABEL}: <name of its Kafka>", doc.describe()))
            continue
        if key not in kafkas:
            known = ", ".join(sorted(name for ns, name in kafkas if ns == key[0])) or "none"
            where = f" in namespace {key[0]}" if key[0] else ""
            findings.append(error(
                f"{rule_prefix}.unknown-cluster",
                f"{kind} {doc.name} belongs to Kafka {key[1]}, which is not among the inputs{where}",
                doc.span_of(path + (CLUSTER_LABEL,)), path + (CLUSTER_LABEL,),
                f"the name of a Kafka in the same namespace (found: {known})", doc.describe()))
            continue
        by_cluster.setdefault(key, []).append(doc)
    return by_cluster, findings
