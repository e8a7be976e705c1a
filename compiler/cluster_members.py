"""Resources that join a Kafka by its `strimzi.io/cluster` label: KafkaTopics and KafkaUsers."""

from __future__ import annotations

from .findings import FieldPath, Finding, error
from .load import Document, Documents

CLUSTER_LABEL = "strimzi.io/cluster"

ClusterKey = tuple[str | None, str]  # (namespace, name) of a Kafka


def namespace_of(doc: Document) -> str | None:
    return doc.get("metadata", "namespace")


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
        cluster = doc.labels.get(CLUSTER_LABEL)
        if not cluster:
            findings.append(error(
                f"{rule_prefix}.cluster-label", f"{kind} {doc.name} has no {CLUSTER_LABEL} label",
                doc.span_of(path), path, f"a label {CLUSTER_LABEL}: <name of its Kafka>", doc.describe()))
            continue
        key = (namespace_of(doc), cluster)
        if key not in kafkas:
            known = ", ".join(sorted(name for ns, name in kafkas if ns == key[0])) or "none"
            where = f" in namespace {key[0]}" if key[0] else ""
            findings.append(error(
                f"{rule_prefix}.unknown-cluster",
                f"{kind} {doc.name} belongs to Kafka {cluster}, which is not among the inputs{where}",
                doc.span_of(path + (CLUSTER_LABEL,)), path + (CLUSTER_LABEL,),
                f"the name of a Kafka in the same namespace (found: {known})", doc.describe()))
            continue
        by_cluster.setdefault(key, []).append(doc)
    return by_cluster, findings
